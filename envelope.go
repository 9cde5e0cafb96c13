package commet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// answerEnvelope is Commet's success envelope, {"success": true, "data": ...,
// "hasMore", "nextCursor"}, with data of the type T an operation expects.
// Every part is a pointer, so that what is missing can be told from what
// is empty, and the answer is read in one pass.
type answerEnvelope[T any] struct {
	Success    *bool   `json:"success"`
	Data       *T      `json:"data"`
	HasMore    *bool   `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
}

// badAnswer says, in the contract's words, why an answer cannot be used.
type badAnswer string

// errNoEnvelope is a success without Commet's envelope: what an answer of
// another API version looks like (2026-07-31 answers customers bare, and
// lists as {"object": "list", ...}), since Commet serves a pin to a version
// it no longer has as its current version, silently.
const errNoEnvelope = badAnswer(`the answer has no "success" field`)

func (b badAnswer) Error() string { return string(b) }

func badAnswerf(format string, args ...any) error { return badAnswer(fmt.Sprintf(format, args...)) }

// decodeData is the one checked path every success answer goes through
// (but for those the fast path of envelope_fast.go takes, which it would
// read the same): it reads the envelope, insists on success: true and on
// data of the type the operation expects. Anything else is a badAnswer,
// never an empty result.
func decodeData[T any](body []byte) (*answerEnvelope[T], error) {
	return decodeDataInto[T](body, nil)
}

// decodeDataInto is decodeData reading "data" into data, when not nil: a
// value made to the answer's expected size (a slice of that capacity, say),
// so that decoding need not grow it. A key missing from the answer leaves
// data as it was, so the caller must tell from what data holds whether the
// answer had it.
func decodeDataInto[T any](body []byte, data *T) (*answerEnvelope[T], error) {
	env := answerEnvelope[T]{Data: data}
	if err := json.Unmarshal(body, &env); err != nil {
		if json.Valid(body) && !bytes.Contains(body, []byte(`"success"`)) {
			return nil, errNoEnvelope // the shape of another version, whatever its data holds
		}
		return nil, describeJSONError("the answer", err)
	}
	switch {
	case env.Success == nil:
		return nil, errNoEnvelope
	case !*env.Success:
		return nil, badAnswer(`the answer says "success": false`)
	case env.Data == nil:
		return nil, badAnswer(`the answer has no "data" (or it is null)`)
	}
	return &env, nil
}

// decodeCustomer reads an answer whose data is one customer.
// The fast path reads it when it can; anything it does not take is read
// by decodeData, which reports what is wrong.
func decodeCustomer(body []byte) (*Customer, error) {
	c, ok := decodeCustomerFast(body)
	if !ok {
		env, err := decodeData[Customer](body)
		if err != nil {
			return nil, err
		}
		c = env.Data
	}
	if c.ID == "" {
		return nil, badAnswer(`the customer in "data" has no "id"`)
	}
	return c, nil
}

// decodePage reads an answer whose data is one page of customers; hasMore
// must be there, so that a page is never taken for the last by mistake.
// The fast path reads it when it can, as for decodeCustomer.
func decodePage(body []byte, page *Page[Customer]) error {
	if !decodePageFast(body, page) {
		env, err := decodeData[[]Customer](body)
		if err != nil {
			return err
		}
		if env.HasMore == nil {
			return badAnswer(`the page has no "hasMore"`)
		}
		page.Data, page.HasMore = *env.Data, *env.HasMore
		if env.NextCursor != nil {
			page.NextCursor = *env.NextCursor
		}
	}
	for i := range page.Data {
		if page.Data[i].ID == "" {
			return badAnswerf(`customer %d of the page has no "id"`, i)
		}
	}
	return nil
}

// batchData is the data of a batch answer.
type batchData struct {
	Successful *[]Customer        `json:"successful"`
	Failed     *[]json.RawMessage `json:"failed"`
}

// decodeBatch reads the answer of a batch of n items: it must account for
// each item exactly once, as a customer or as a failure with its index.
func decodeBatch(body []byte, n int, redact func(string) string) (*CreateBatchResult, error) {
	// The customers are read into a slice made for the n items sent: grown
	// from nothing, as decoding does, it was made 8 times over for 100
	// items, 255 customers' worth.
	successful := make([]Customer, 0, n)
	env, err := decodeDataInto(body, &batchData{Successful: &successful})
	if err != nil || env.Data.Successful == nil || len(*env.Data.Successful) == 0 {
		// Nothing read proves that the answer had "data" and "successful"
		// (a missing key leaves what was set before): read it again as it
		// comes, for the checks below to say what is wrong, if anything. A
		// batch of which every item failed is read twice.
		env, err = decodeData[batchData](body)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case env.Data.Successful == nil:
		return nil, badAnswer(`the batch answer has no "successful" list`)
	case env.Data.Failed == nil:
		return nil, badAnswer(`the batch answer has no "failed" list`)
	}
	failed := *env.Data.Failed
	res := &CreateBatchResult{Successful: *env.Data.Successful, Failed: make([]*BatchItemError, len(failed))}
	if got := len(res.Successful) + len(res.Failed); got != n {
		return nil, badAnswerf("the batch answer accounts for %d items, not the %d sent", got, n)
	}
	seen := make([]bool, n)
	for i, raw := range failed {
		f := new(BatchItemError)
		res.Failed[i] = f
		// The one place a failed item is decoded: redacted as a whole first,
		// so that no part built from it (code, message, field errors, data)
		// can hold a key. Redaction keeps JSON valid.
		if err := json.Unmarshal([]byte(redact(string(raw))), f); err != nil {
			return nil, describeJSONError("a failed item of the batch answer", err)
		}
		if f.Index < 0 || f.Index >= n || seen[f.Index] {
			return nil, badAnswerf("the batch answer has a failure for item %d, which is out of range or repeated", f.Index)
		}
		seen[f.Index] = true
	}
	for i := range res.Successful {
		if res.Successful[i].ID == "" {
			return nil, badAnswerf(`successful customer %d of the batch answer has no "id"`, i)
		}
	}
	return res, nil
}

// describeJSONError says what was wrong with JSON in the contract's terms:
// the field and the kinds of value, never Go's type names.
func describeJSONError(what string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var parse *time.ParseError
	var bad badAnswer
	switch {
	case errors.As(err, &bad):
		return bad
	case errors.As(err, &syntax) && syntax.Offset == 0:
		return badAnswerf("%s is empty", what)
	case errors.As(err, &syntax):
		return badAnswerf("%s is not valid JSON (at byte %d)", what, syntax.Offset)
	case errors.As(err, &typ):
		value, _, _ := strings.Cut(typ.Value, " ") // "number -5"
		if typ.Field == "" {
			return badAnswerf("%s is a JSON %s, not %s", what, value, goKind(typ.Type))
		}
		return badAnswerf("in %s, %q is a JSON %s, not %s", what, typ.Field, value, goKind(typ.Type))
	case errors.As(err, &parse):
		return badAnswerf("in %s, a timestamp is not an RFC 3339 time", what)
	}
	return badAnswerf("%s is not in the form the contract gives", what)
}

// goKind names, in JSON's words, what a Go type reads.
func goKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value"
}
