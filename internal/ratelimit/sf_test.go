package ratelimit

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseSFList: well-formed Lists of Items with every bare item type
// and parameters, read as RFC 9651 says.
func TestParseSFList(t *testing.T) {
	cases := []struct {
		v    string
		want []sfItem
	}{
		{"", nil},
		{"   ", nil},
		{`"default";q=100;w=60`, []sfItem{{value: "default", params: []sfParam{{"q", int64(100)}, {"w", int64(60)}}}}},
		{`"a";q=1, "b";q=2`, []sfItem{{value: "a", params: []sfParam{{"q", int64(1)}}}, {value: "b", params: []sfParam{{"q", int64(2)}}}}},
		{" \"a\" ,\t\"b\"  ", []sfItem{{value: "a"}, {value: "b"}}},
		{`"a"; q=1;x`, []sfItem{{value: "a", params: []sfParam{{"q", int64(1)}, {"x", true}}}}},
		{`"a";q=1;w=2;q=3`, []sfItem{{value: "a", params: []sfParam{{"q", int64(3)}, {"w", int64(2)}}}}},
		{`"esc \" \\ ok"`, []sfItem{{value: `esc " \ ok`}}},
		{`tok/en:x*`, []sfItem{{value: sfToken("tok/en:x*")}}},
		{`*star`, []sfItem{{value: sfToken("*star")}}},
		{`:aGVsbG8=:`, []sfItem{{value: []byte("hello")}}},
		{`::`, []sfItem{{value: []byte{}}}},
		{`?1;b=?0`, []sfItem{{value: true, params: []sfParam{{"b", false}}}}},
		{`-999999999999999`, []sfItem{{value: int64(-999999999999999)}}},
		{`1.5, -0.125, 123456789012.123`, []sfItem{{value: sfDecimal(1.5)}, {value: sfDecimal(-0.125)}, {value: sfDecimal(123456789012.123)}}},
		{`@1659578233`, []sfItem{{value: sfDate(1659578233)}}},
		{`%"caf%c3%a9 %25"`, []sfItem{{value: sfDisplay("café %")}}},
		{`"a";*k-._1=tok`, []sfItem{{value: "a", params: []sfParam{{"*k-._1", sfToken("tok")}}}}},
	}
	for _, tc := range cases {
		got, err := parseSFList(tc.v)
		require.NoError(t, err, "%q", tc.v)
		assert.Equal(t, tc.want, got, "%q", tc.v)
	}
}

// TestParseSFListMalformed: anything RFC 9651 does not allow is an error
// wrapping errSF, and nothing of the field is read.
func TestParseSFListMalformed(t *testing.T) {
	for _, v := range []string{
		`"a",`, `"a",,"b"`, `,"a"`, `"a" "b"`, `"a";`, `"a";Q=1`, `"a";1=1`, `"a";q=`, `"a";q==1`,
		`"unclosed`, `"bad \n escape"`, "\"tab\tin\"", "\"caf\xc3\xa9\"", `"a"x`,
		`1234567890123456`, `1234567890123.1`, `1.1234`, `1.`, `-`, `-a`, `1.2.3`,
		`:aGVsbG8:`, `:aGVs bG8=:`, `:unclosed`, `?2`, `?`, `@1.5`, `@x`,
		`%"caf%C3%A9"`, `%"%c3"`, `%"%zz"`, `%"%a"`, `%x`, `%"unclosed`,
		`("a" "b")`, `"a", ("b")`, `<`, "\"a\"\x00", "\t\"a\"", `"a" ;q=1`,
		strings.Repeat(`"a",`, maxSFMembers) + `"a"`,
		`"a";k;`,
	} {
		got, err := parseSFList(v)
		assert.True(t, errors.Is(err, errSF), "%q: %v", v, err)
		assert.Nil(t, got, "%q", v)
	}
}

// TestParseSFListTooManyParameters: an item's parameters are bounded too.
func TestParseSFListTooManyParameters(t *testing.T) {
	var b strings.Builder
	b.WriteString(`"a"`)
	for i := range maxSFMembers + 1 {
		b.WriteString(";k")
		b.WriteString(strings.Repeat("a", i+1))
	}
	_, err := parseSFList(b.String())
	assert.ErrorIs(t, err, errSF)
}
