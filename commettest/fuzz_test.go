package commettest

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzRequests sends any body to every operation: the fake must answer
// with a JSON envelope and never panic.
func FuzzRequests(f *testing.F) {
	for _, seed := range []string{
		`{"billingEmail":"a@x.com","externalId":"u1","metadata":{"a":[1,{"b":null}]}}`,
		`{"billingEmail":"a@x.com","address":{"line1":"1","city":"c","postalCode":"p","country":"\u0055S"}}`,
		`{"customers":[{"billingEmail":"a@x.com"},null,7,"x",{"address":null}]}`,
		`{"isActive":true,"timezone":"../../etc/passwd","metadata":null}`,
		`{"billingEmail":"\"a\"@x.com","fullName":"\ud800"}`, `[]`, `null`, ``, `{`,
	} {
		f.Add([]byte(seed))
	}
	h := NewHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, target := range []struct{ method, path string }{
			{"POST", "/api/v1/customers"}, {"POST", "/api/v1/customers/batch"}, {"PUT", "/api/v1/customers/u1"},
		} {
			req := httptest.NewRequest(target.method, target.path, bytes.NewReader(body))
			req.Header.Set("x-api-key", "ck_test")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s: %d %s", target.method, target.path, rec.Code, rec.Body)
			}
		}
		q := url.Values{"limit": {"3"}, "search": {string(body)}, "cursor": {string(body)}}
		req := httptest.NewRequest("GET", "/api/v1/customers?"+q.Encode(), nil)
		req.Header.Set("x-api-key", "ck_test")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
	})
}
