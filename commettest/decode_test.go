package commettest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeysMatchCaseSensitively(t *testing.T) {
	srv := newServer(t)
	// encoding/json would read these as billingEmail and externalId.
	r := call(t, srv, "POST", "/api/v1/customers", `{"BILLINGEMAIL":"a@x.com","EXTERNALID":"u1"}`)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, []string{"billingEmail"}, fieldsOf(r), "BILLINGEMAIL is an unknown key, ignored")
	assert.Zero(t, srv.Len())

	// An escaped key is the same key, as in JavaScript; the last of two wins.
	r = call(t, srv, "POST", "/api/v1/customers", `{"\u0062illingEmail":"a@x.com","externalId":"u0","externalId":"u1","FullName":"Ada"}`)
	require.Equal(t, 201, r.Status, string(r.Raw))
	assert.Equal(t, "a@x.com", data(r)["billingEmail"])
	assert.Equal(t, "u1", data(r)["externalId"])
	assert.NotContains(t, data(r), "fullName")

	r = call(t, srv, "PUT", "/api/v1/customers/u1", `{"FullName":"Ada","fullname":"Ada","IsActive":false}`)
	require.Equal(t, 200, r.Status)
	assert.NotContains(t, data(r), "fullName", "an update with only unknown keys changes nothing")
	assert.Equal(t, true, data(r)["isActive"])

	r = call(t, srv, "PUT", "/api/v1/customers/u1", `{"address":{"line1":"1 Rd","city":"Austin","postalCode":"78701","Country":"US"}}`)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, []string{"address.country"}, fieldsOf(r), "Country is not country")

	r = call(t, srv, "POST", "/api/v1/customers/batch", `{"Customers":[{"billingEmail":"a@x.com"}]}`)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "invalid_json", r.Body["code"], "Customers is not customers")

	r = call(t, srv, "POST", "/api/v1/customers/batch", `{"customers":[{"BillingEmail":"b@x.com"},{"billingEmail":"c@x.com"}]}`)
	require.Equal(t, 200, r.Status)
	failed := data(r)["failed"].([]any)
	require.Len(t, failed, 1)
	assert.Equal(t, "billingEmail: Email is required", failed[0].(map[string]any)["error"])
	assert.Len(t, data(r)["successful"], 1)
}

func TestEachMemberAndEachElement(t *testing.T) {
	type kv struct{ k, v string }
	members := func(raw string) []kv {
		var out []kv
		require.True(t, checkJSON([]byte(raw)), raw)
		require.True(t, eachMember([]byte(raw), func(k, v []byte) { out = append(out, kv{string(k), string(v)}) }), raw)
		return out
	}
	assert.Empty(t, members(` { } `))
	assert.Equal(t, []kv{{"a", `"x\"}{,"`}, {"b", `{"c":[1,"]",{"d":"\\"}],"e":null}`}, {"f", "-1.5e3"}, {"g", "true"}},
		members(" {\n\"a\" : \"x\\\"}{,\" ,\"b\":{\"c\":[1,\"]\",{\"d\":\"\\\\\"}],\"e\":null},\"f\":-1.5e3,\"g\":true}\t"))
	assert.Equal(t, []kv{{"a\"b", "1"}, {"é", "2"}}, members(`{"a\"b":1,"\u00e9":2}`))

	var elems []string
	require.True(t, eachElement([]byte(` [ 1 , "a,]" , {"x":[2]} , [] , null ] `), func(v []byte) { elems = append(elems, string(v)) }))
	assert.Equal(t, []string{"1", `"a,]"`, `{"x":[2]}`, "[]", "null"}, elems)
	assert.True(t, eachElement([]byte(`[]`), func([]byte) { t.Fatal("no element") }))

	for _, notObject := range []string{`[]`, `"{"`, `1`, `null`} {
		assert.False(t, eachMember([]byte(notObject), func(_, _ []byte) {}), notObject)
	}
	assert.False(t, eachElement([]byte(`{}`), func([]byte) {}))
}

func TestBodiesMustBeValidUTF8(t *testing.T) {
	srv := newServer(t)
	for _, target := range []struct{ method, path, body string }{
		{"POST", "/api/v1/customers", "{\"billingEmail\":\"a@x.com\",\"externalId\":\"u\xff\"}"},
		{"POST", "/api/v1/customers/batch", "{\"customers\":[{\"billingEmail\":\"a@x.com\",\"fullName\":\"\xc3\"}]}"},
		{"PUT", "/api/v1/customers/u", "{\"fullName\":\"\xed\xa0\x80\"}"}, // a surrogate, encoded
	} {
		r := call(t, srv, target.method, target.path, target.body)
		assert.Equal(t, 400, r.Status, target.path)
		assert.Equal(t, "invalid_json", r.Body["code"], target.path)
		assert.Contains(t, r.Body["message"], "not valid UTF-8", target.path)
	}
	assert.Zero(t, srv.Len(), "the fake stored nothing it would answer differently")

	// A path ID that is not UTF-8 names no customer: a 404, never a 5xx.
	for _, path := range []string{"/api/v1/customers/%FF", "/api/v1/customers/u%ED%A0%80", "/api/v1/customers/\xff"} {
		assert.Equal(t, 404, call(t, srv, "GET", path, nil).Status, path)
		assert.Equal(t, 404, call(t, srv, "PUT", path, `{"fullName":"x"}`).Status, path)
	}
}

func TestUnicodeRoundTrips(t *testing.T) {
	srv := newServer(t)
	for _, ext := range []string{"üser/1", "用户 ?#%", "a\u2028b<&>", "\U0001F600", strings.Repeat("é", 100)} {
		r := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": ext, "fullName": ext})
		require.Equal(t, 201, r.Status, ext)
		assert.Equal(t, ext, data(r)["externalId"])
		g := callMem(t, srv, "GET", "/api/v1/customers/"+pathEscape(ext), nil)
		require.Equal(t, 200, g.Status, ext)
		assert.Equal(t, data(r), data(g))
	}
}
