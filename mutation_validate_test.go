package commet

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests hold each limit of Validate at its edge: exactly at the
// bound, and one past it.

// refused returns the fields Validate refuses in p, with their messages.
func refused(t *testing.T, p CreateCustomerParams) map[string][]string {
	t.Helper()
	err := p.Validate()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "want a *ValidationError, got %v", err)
	return ve.Fields
}

func validParams() CreateCustomerParams {
	return CreateCustomerParams{Email: "ada@example.com", ID: "user_1"}
}

// The C1 controls are U+0080 to U+009F, both ends included; DEL (U+007F)
// and NBSP (U+00A0), just outside, are not C1.
func TestC1RangeEdges(t *testing.T) {
	for r, isC1 := range map[rune]bool{0x7f: false, 0x80: true, 0x9f: true, 0xa0: false} {
		p := validParams()
		p.FullName = "Ada" + string(r) + "Lovelace"
		got := refused(t, p)
		if isC1 {
			assert.Contains(t, got, "fullName", "U+%04X is C1", r)
		} else {
			assert.Nil(t, got, "U+%04X is not C1", r)
		}
	}
}

// wrap wraps v once in a value of the given kind: each adds one level of
// nesting as checkValue counts it.
func wrap(kind reflect.Kind, v reflect.Value) reflect.Value {
	switch kind {
	case reflect.Pointer:
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		return p
	case reflect.Slice:
		s := reflect.MakeSlice(reflect.SliceOf(v.Type()), 1, 1)
		s.Index(0).Set(v)
		return s
	case reflect.Array:
		a := reflect.New(reflect.ArrayOf(1, v.Type())).Elem()
		a.Index(0).Set(v)
		return a
	case reflect.Map:
		m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), v.Type()))
		m.SetMapIndex(reflect.ValueOf("k"), v)
		return m
	case reflect.Struct:
		s := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "F", Type: v.Type()}})).Elem()
		s.Field(0).Set(v)
		return s
	}
	panic("unreachable")
}

// Metadata nests maxMetadataDepth levels deep at most, whatever holds it:
// pointers, slices, arrays, maps or structs.
func TestMetadataDepthEdge(t *testing.T) {
	for _, kind := range []reflect.Kind{reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map, reflect.Struct} {
		for levels, deny := range map[int]bool{maxMetadataDepth: false, maxMetadataDepth + 1: true} {
			v := reflect.ValueOf(1)
			for range levels {
				v = wrap(kind, v)
			}
			p := validParams()
			p.Metadata = map[string]any{"deep": v.Interface()}
			got := refused(t, p)
			if deny {
				require.Len(t, got, 1, "%v ×%d", kind, levels)
				for field, msgs := range got {
					assert.Contains(t, field, "metadata.deep", "%v ×%d", kind, levels)
					assert.Contains(t, msgs[0], "nests more than 32 levels deep")
				}
			} else {
				assert.Nil(t, got, "%v ×%d", kind, levels)
			}
		}
	}
	assert.Equal(t, 32, maxMetadataDepth)
}

// A value in an interface counts a level for the interface too: 16 []any
// hold 32 levels.
func TestMetadataDepthThroughInterfaces(t *testing.T) {
	nest := func(n int) any {
		var v any = 1
		for range n {
			v = []any{v}
		}
		return v
	}
	p := validParams()
	p.Metadata = map[string]any{"a": nest(16)}
	assert.Nil(t, refused(t, p))
	p.Metadata = map[string]any{"a": nest(17)}
	assert.Len(t, refused(t, p), 1)
}

// Integers are exact up to ±2^53, both ends included, in every Go integer
// type and in a json.Number.
func TestExactIntegerEdges(t *testing.T) {
	const max = 1 << 53
	ok := map[string]any{
		"int64":       int64(max),
		"-int64":      int64(-max),
		"int":         int(max),
		"uint64":      uint64(max),
		"uint":        uint(max),
		"number":      json.Number("9007199254740992"),
		"-number":     json.Number("-9007199254740992"),
		"fraction":    json.Number("9007199254740993.5"),
		"exponent":    json.Number("1e400"),
		"int8":        int8(-128),
		"small":       json.Number("-1"),
		"bytes":       []byte{0xff, 0xfe},
		"byte array":  [2]byte{0xff, 0xfe},
		"float":       math.MaxFloat64,
		"nil pointer": (*float64)(nil),
		"nil":         nil,
	}
	for name, v := range ok {
		p := validParams()
		p.Metadata = map[string]any{"n": v}
		assert.Nil(t, refused(t, p), name)
	}
	nan := math.NaN()
	bad := map[string]any{
		"int64":          int64(max + 1),
		"-int64":         int64(-max - 1),
		"uint64":         uint64(max + 1),
		"uint":           uint(math.MaxUint64),
		"number":         json.Number("9007199254740993"),
		"-number":        json.Number("-9007199254740993"),
		"number past 64": json.Number("99999999999999999999"),
		"not a number":   json.Number("abc"),
		"true":           json.Number("true"),
		"string":         json.Number(`"1"`),
		"NaN":            nan,
		"+Inf":           math.Inf(1),
		"-Inf":           float32(math.Inf(-1)),
		"pointer to NaN": &nan,
		"[]float64":      []float64{1, nan},
		"[1]float64":     [1]float64{nan},
	}
	for name, v := range bad {
		p := validParams()
		p.Metadata = map[string]any{"n": v}
		assert.Contains(t, refused(t, p), "metadata.n", name)
	}
}

type withHidden struct {
	Shown  float64
	hidden float64
}

// Only exported struct fields are sent, so only they are checked.
func TestMetadataStructFieldsChecked(t *testing.T) {
	p := validParams()
	p.Metadata = map[string]any{"s": withHidden{Shown: 1, hidden: math.NaN()}}
	assert.Nil(t, refused(t, p), "an unexported field is never sent")
	p.Metadata = map[string]any{"s": withHidden{Shown: math.NaN()}}
	assert.Contains(t, refused(t, p), "metadata.s")
}

// Nested map keys name the field; a key that is not valid UTF-8 is
// refused on the map holding it; a key that is no string is named "?".
func TestMetadataNestedKeys(t *testing.T) {
	p := validParams()
	p.Metadata = map[string]any{"a": map[string]any{" b ": math.Inf(1)}}
	assert.Contains(t, refused(t, p), "metadata.a.b")

	p.Metadata = map[string]any{"a": map[string]any{"b\xff": 1}}
	got := refused(t, p)
	require.Contains(t, got, "metadata.a")
	assert.Contains(t, got["metadata.a"][0], "key that is not valid UTF-8")

	p.Metadata = map[string]any{"a": map[int]float64{7: math.NaN()}}
	assert.Contains(t, refused(t, p), "metadata.a.?")

	p.Metadata = map[string]any{"a": map[string]string{"ok": "Jos\xe9"}}
	got = refused(t, p)
	require.Contains(t, got, "metadata.a.ok")
	assert.Contains(t, got["metadata.a.ok"][0], "not valid UTF-8")
}
