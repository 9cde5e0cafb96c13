package commet

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastAgrees reads body with the fast path, as a customer answer or as a
// page, and, if the fast path takes it, with decodeData: it reports whether
// the fast path took it, and an error if decodeData refuses what it took
// or reads it otherwise (reflect.DeepEqual, which tells a nil map or slice
// from an empty one). A page the fast path does not take must be left as
// it was.
func fastAgrees(body []byte, page bool) (took bool, err error) {
	if !page {
		fast, ok := decodeCustomerFast(body)
		if !ok {
			return false, nil
		}
		env, err := decodeData[Customer](body)
		if err != nil {
			return true, fmt.Errorf("the fast path took an answer decodeData refuses: %v", err)
		}
		if !reflect.DeepEqual(fast, env.Data) {
			return true, fmt.Errorf("the fast path read %#v, decodeData %#v", fast, env.Data)
		}
		return true, nil
	}
	before := Page[Customer]{NextCursor: "as it was"}
	fast := before
	if !decodePageFast(body, &fast) {
		if !reflect.DeepEqual(fast, before) {
			return false, fmt.Errorf("the fast path gave up but changed the page: %#v", fast)
		}
		return false, nil
	}
	env, err := decodeData[[]Customer](body)
	if err != nil {
		return true, fmt.Errorf("the fast path took an answer decodeData refuses: %v", err)
	}
	if env.HasMore == nil {
		return true, fmt.Errorf("the fast path took a page without hasMore")
	}
	slow := before
	slow.Data, slow.HasMore = *env.Data, *env.HasMore
	if env.NextCursor != nil {
		slow.NextCursor = *env.NextCursor
	}
	if !reflect.DeepEqual(fast, slow) {
		return true, fmt.Errorf("the fast path read %#v, decodeData %#v", fast, slow)
	}
	return true, nil
}

// fullCustomer has every field of Customer, as json.Marshal writes it.
const fullCustomer = `{"id":"cus_1","organizationId":"org_1","externalId":"user_7","billingEmail":"user7@example.com",` +
	`"fullName":"Zoë Ünal","domain":"acme.com","website":"https://acme.com/","timezone":"Europe/Paris","language":"en",` +
	`"industry":"software","employeeCount":"11-50","metadata":{"a":1,"b":[true,null,"x\u00e9\n"],"c":{"d":-1.5e3}},` +
	`"isActive":false,"createdAt":"2026-05-01T10:00:00.123456789Z","updatedAt":"2026-05-01T12:00:00+02:00"}`

// fastCustomers are customer answers the fast path must take.
var fastCustomers = []string{
	`{"success":true,"data":` + fullCustomer + `}`,
	`{"success":true,"data":{"id":"cus_1","organizationId":"org_1","externalId":"user_7","billingEmail":"user7@example.com","isActive":true,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}}`,
	" \t\r\n{ \"success\" : true , \"data\" : { \"id\" : \"cus_1\" , \"isActive\" : true } } \n",
	`{"data":{"id":"cus_1"},"success":true}`,
	`{"success":true,"data":{}}`,                                                   // no id: decodeCustomer's check reports it
	`{"success":true,"data":{"id":""}}`,                                            // the same
	`{"success":true,"data":{"id":"cus_1","metadata":null}}`,                       // nil metadata
	`{"success":true,"data":{"id":"cus_1","metadata":{}}}`,                         // empty, not nil
	`{"success":true,"data":{"id":"cus_1","metadata":{"k":"\ud83d\ude00","k":2}}}`, // metadata is encoding/json's to read
	`{"success":true,"data":{"id":"cus_1","unknown":{"x":[1,2,{"y":"\"\\\/\b\f\n\r\t\u0041"}]},"other":-0.0e+1}}`,
	`{"success":true,"data":{"id":"cus_1"},"requestId":"req_1","meta":null}`,
	`{"success":true,"data":{"id":"cus_1"},"hasMore":false,"nextCursor":"c"}`,
	`{"success":true,"data":{"id":"日本","fullName":"ß and ſ"}}`,
	`{"success":true,"data":{"id":"cus_1","fullName":""}}`,
	// Keys that fold to none of the known ones, as encoding/json folds.
	"{\"success\":true,\"data\":{\"id\":\"cus_1\",\"billingEmai\u017f\":\"x\"}}", // ſ is no l
	"{\"success\":true,\"data\":{\"id\":\"cus_1\",\"\u017fuccess\":true}}",       // success is no customer key
	"{\"success\":true,\"data\":{\"\u0130d\":\"x\",\"id\":\"cus_1\"}}",           // İ's simple fold is none of i, I
	"{\"success\":true,\"data\":{\"id\":\"cus_1\",\"\u212aey\":1}}",              // the Kelvin sign is k: no key has one
}

// fastPages are page answers the fast path must take.
var fastPages = []string{
	`{"success":true,"data":[` + fullCustomer + `,{"id":"cus_2"}],"hasMore":true,"nextCursor":"c2"}`,
	`{"success":true,"data":[],"hasMore":false}`,
	`{"success":true,"data":[ ],"hasMore":false,"nextCursor":""}`,
	`{"hasMore":true,"nextCursor":"c","data":[{}],"success":true}`, // no id: decodePage's check reports it
	"{\"success\":true,\n\"data\":[\n{\"id\":\"a\"},\n{\"id\":\"b\"}\n],\n\"hasMore\":false}\n",
	`{"success":true,"data":[{"id":"cus_1"}],"hasMore":false,"object":"list"}`,
}

// slowCustomers are customer answers the fast path must leave to
// decodeData, each for a reason of its own.
var slowCustomers = []string{
	``,
	` `,
	`null`,
	`[]`,
	`{}`,
	`{"success":true}`,
	`{"data":{"id":"cus_1"}}`,
	`{"success":false,"data":{"id":"cus_1"}}`,
	`{"success":null,"data":{"id":"cus_1"}}`,
	`{"success":"true","data":{"id":"cus_1"}}`,
	`{"success":true,"data":null}`,
	`{"success":true,"data":[]}`,
	`{"success":true,"data":"cus_1"}`,
	`{"success":true,"data":{"id":"cus_1"}}x`,
	`{"success":true,"data":{"id":"cus_1"}}{}`,
	`{"success":true,"data":{"id":"cus_1"}`,
	`{"success":true,"data":{"id":"cus_1"},}`,
	`{"success":true,"data":{"id":"cus_1",}}`,
	`{"success":true,"data":{"id":"cus_1"`,
	`{"success":true,"data":{"id":"cus_1\"}}`,
	`{"success":true,"data":{"id":"cus\u005f1"}}`,
	`{"success":true,"data":{"id":"cus_1\n"}}`,
	"{\"success\":true,\"data\":{\"id\":\"cus\x01\"}}",
	"{\"success\":true,\"data\":{\"id\":\"cus\xff\"}}",
	"{\"success\":true,\"data\":{\"id\":\"cus\xed\xa0\x80\"}}", // a surrogate, in UTF-8
	`{"success":true,"data":{"id":null}}`,
	`{"success":true,"data":{"id":7}}`,
	`{"success":true,"data":{"ID":"cus_1"}}`,
	`{"success":true,"data":{"Id":"cus_1"}}`,
	`{"success":true,"data":{"id":"cus_1","iD":"cus_2"}}`,
	`{"success":true,"data":{"id":"cus_1","\u0069d":"cus_2"}}`,
	`{"success":true,"data":{"id":"cus_1","id":"cus_2"}}`,
	`{"success":true,"data":{"id":"cus_1"},"data":{"id":"cus_2"}}`,
	`{"success":true,"success":true,"data":{"id":"cus_1"}}`,
	`{"Success":true,"data":{"id":"cus_1"}}`,
	`{"success":true,"DATA":{"id":"cus_1"}}`,
	`{"success":true,"data":{"id":"cus_1","ISACTIVE":true}}`,
	"{\"\u017fuccess\":true,\"data\":{\"id\":\"cus_1\"}}",                   // ſ (long s) folds to s
	"{\"success\":true,\"data\":{\"id\":\"cus_1\",\"i\u017fActive\":true}}", // the same in a customer
	`{"success":true,"data":{"id":"cus_1","isActive":null}}`,
	`{"success":true,"data":{"id":"cus_1","isActive":1}}`,
	`{"success":true,"data":{"id":"cus_1","isActive":"true"}}`,
	`{"success":true,"data":{"id":"cus_1","createdAt":"yesterday"}}`,
	`{"success":true,"data":{"id":"cus_1","createdAt":null}}`,
	`{"success":true,"data":{"id":"cus_1","createdAt":"2026-13-01T00:00:00Z"}}`,
	`{"success":true,"data":{"id":"cus_1","metadata":[]}}`,
	`{"success":true,"data":{"id":"cus_1","metadata":"x"}}`,
	`{"success":true,"data":{"id":"cus_1","metadata":{"a":}}}`,
	`{"success":true,"data":{"id":"cus_1","x":01}}`,
	`{"success":true,"data":{"id":"cus_1","x":-}}`,
	`{"success":true,"data":{"id":"cus_1","x":1.}}`,
	`{"success":true,"data":{"id":"cus_1","x":1e}}`,
	`{"success":true,"data":{"id":"cus_1","x":tru}}`,
	`{"success":true,"data":{"id":"cus_1","x":"\x"}}`,
	`{"success":true,"data":{"id":"cus_1","x":"\u12"}}`,
	`{"success":true,"data":{"id":"cus_1","x":[1,]}}`,
	`{"success":true,"data":{"id":"cus_1","x":{"a" 1}}}`,
	`{"success":true,"data":{"id":"cus_1","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`,
	`{"success":true,"data":{"id":"cus_1"},"hasMore":null}`,
	`{"success":true,"data":{"id":"cus_1"},"hasMore":"yes"}`,
	`{"success":true,"data":{"id":"cus_1"},"nextCursor":null}`,
	`{"success":true,"data":{"id":"cus_1"},"nextCursor":1}`,
	"\ufeff{\"success\":true,\"data\":{\"id\":\"cus_1\"}}",
	"{\"success\":true,\"data\":{\"id\":\"cus_1\"}}\x00",
	"{\"success\":true,\f\"data\":{\"id\":\"cus_1\"}}",
}

// slowPages are page answers the fast path must leave to decodeData.
var slowPages = []string{
	`{"success":true,"data":[{"id":"cus_1"}]}`, // no hasMore
	`{"success":true,"data":null,"hasMore":false}`,
	`{"success":true,"data":{},"hasMore":false}`,
	`{"success":true,"data":[null],"hasMore":false}`,
	`{"success":true,"data":[{"id":"cus_1"},],"hasMore":false}`,
	`{"success":true,"data":[{"id":"cus_1"}{"id":"cus_2"}],"hasMore":false}`,
	`{"success":true,"data":[{"id":"cus_1"}],"hasMore":false,"hasMore":true}`,
	`{"success":true,"data":[{"id":"cus_1"}],"hasMore":true,"nextCursor":null}`,
	`{"success":true,"data":[{"id":"cus_1"}],"hasMore":true,"nextCursor":"c\u0031"}`,
	`{"success":true,"data":[{"id":"cus_1"}],"hasMore":true,"NextCursor":"c"}`,
	`{"success":true,"data":[{"id":"cus_1"}],"hasmore":true}`,
	`{"success":false,"data":[],"hasMore":false}`,
	`{"success":true,"data":[],"hasMore":false`,
	`{"success":true,"data":[` + fullCustomer + `,{"id":1}],"hasMore":true,"nextCursor":"c2"}`,
}

// TestCustomerKeysAreCustomersTags: the fast path's keys are the json tags
// of Customer's fields and of answerEnvelope's, in the order of the struct.
func TestCustomerKeysAreCustomersTags(t *testing.T) {
	tags := func(v any) []string {
		var names []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
		return names
	}
	assert.Equal(t, tags(Customer{}), customerKeys)
	assert.Equal(t, tags(answerEnvelope[Customer]{}), envelopeKeys)
}

// TestDecodeFastTakesTheCommonShapes: what the fast path must take, it
// takes, and reads as encoding/json does.
func TestDecodeFastTakesTheCommonShapes(t *testing.T) {
	for _, c := range []struct {
		bodies []string
		page   bool
	}{{fastCustomers, false}, {fastPages, true}} {
		for _, body := range c.bodies {
			took, err := fastAgrees([]byte(body), c.page)
			require.NoError(t, err, body)
			assert.True(t, took, "the fast path gave up on %s", body)
		}
	}
}

// TestDecodeFastLeavesTheRestToDecodeData: what is not in the fast path's
// subset, it leaves to decodeData.
func TestDecodeFastLeavesTheRestToDecodeData(t *testing.T) {
	for _, c := range []struct {
		bodies []string
		page   bool
	}{{slowCustomers, false}, {slowPages, true}} {
		for _, body := range c.bodies {
			took, err := fastAgrees([]byte(body), c.page)
			require.NoError(t, err, body)
			assert.False(t, took, "the fast path took %q", body)
		}
	}
}

// TestDecodeFastKeepsTheChecks: an answer the fast path takes is checked
// as any other: a customer without an ID is refused in the same words.
func TestDecodeFastKeepsTheChecks(t *testing.T) {
	_, err := decodeCustomer([]byte(`{"success":true,"data":{"isActive":true}}`))
	assert.EqualError(t, err, `the customer in "data" has no "id"`)
	var page Page[Customer]
	err = decodePage([]byte(`{"success":true,"data":[{"id":"cus_1"},{}],"hasMore":false}`), &page)
	assert.EqualError(t, err, `customer 1 of the page has no "id"`)
}

// FuzzDecodeFast: whatever the answer, if the fast path takes it, as a
// customer or as a page, decodeData takes it too and reads the same.
func FuzzDecodeFast(f *testing.F) {
	for _, set := range [][]string{fastCustomers, fastPages, slowCustomers, slowPages} {
		for _, body := range set {
			f.Add([]byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, page := range []bool{false, true} {
			if _, err := fastAgrees(body, page); err != nil {
				t.Fatalf("%q: %v", body, err)
			}
		}
	})
}

// FuzzDecodeFastMembers is FuzzDecodeFast with the fuzzed bytes put in
// as one member of a customer, of a page's customer and of the envelope,
// each written as a raw key and value: answers the fast path mostly takes,
// where FuzzDecodeFast's mutations mostly fall out of its subset at once.
func FuzzDecodeFastMembers(f *testing.F) {
	for _, seed := range [][2]string{
		{`"id"`, `"cus_2"`}, {`"fullName"`, `"Zoë"`}, {`"fullName"`, `"a\"b"`}, {`"isActive"`, `false`},
		{`"createdAt"`, `"2026-01-01T00:00:00.5+01:00"`}, {`"updatedAt"`, `"2026-02-30T00:00:00Z"`},
		{`"metadata"`, `{"a":[1,2.5e-3,"\u00e9"],"b":{"c":null}}`}, {`"metadata"`, `null`},
		{`"ID"`, `"x"`}, {`"\u0069d"`, `"x"`}, {"\"\u017fuccess\"", `true`}, {`"x"`, `[{"y":-0}]`},
		{`"success"`, `true`}, {`"hasMore"`, `true`}, {`"nextCursor"`, `"c"`}, {`"data"`, `[]`},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		member := string(key) + ":" + string(value)
		for _, c := range []struct {
			body string
			page bool
		}{
			{`{"success":true,"data":{"id":"cus_1",` + member + `}}`, false},
			{`{"success":true,"data":[{"id":"cus_1",` + member + `}],"hasMore":true}`, true},
			{`{"success":true,` + member + `,"data":{"id":"cus_1"}}`, false},
			{`{"success":true,` + member + `,"data":[],"hasMore":false}`, true},
		} {
			if _, err := fastAgrees([]byte(c.body), c.page); err != nil {
				t.Fatalf("%q: %v", c.body, err)
			}
		}
	})
}
