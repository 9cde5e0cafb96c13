package commettest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRequests sends any body to every operation: the fake must answer
// with a JSON envelope, never a 5xx or a panic, refuse bodies that are not
// UTF-8, and answer back byte for byte whatever it stored: each customer
// it answers can be fetched, by its ID and by the externalId it answered,
// with the very same JSON, and that externalId is the one it was sent.
func FuzzRequests(f *testing.F) {
	for _, seed := range []string{
		`{"billingEmail":"a@x.com","externalId":"u1","metadata":{"a":[1,{"b":null}]}}`,
		`{"billingEmail":"a@x.com","address":{"line1":"1","city":"c","postalCode":"p","country":"\u0055S"}}`,
		`{"customers":[{"billingEmail":"a@x.com"},null,7,"x",{"address":null}]}`,
		`{"isActive":true,"timezone":"../../etc/passwd","metadata":null}`,
		`{"billingEmail":"\"a\"@x.com","fullName":"\ud800"}`, `[]`, `null`, ``, `{`,
		"{\"billingEmail\":\"a@x.com\",\"externalId\":\"\xff\"}",
		`{"billingEmail":"a@x.com","externalId":"\ud800"}`,
		`{"billingEmail":"a@x.com","externalId":"a/b?c#d%20e\u2028<&>"}`,
		`{"billingEmail":"a@x.com","externalId":"."}`,
		`{"BILLINGEMAIL":"a@x.com","EXTERNALID":"u2","billingEmail":"b@x.com","externalId":"u3","externalId":"u4"}`,
		`{"customers":[{"billingEmail":"a@x.com","externalId":"\u00e9"}],"Customers":[]}`,
		`{"fullName":"Ada","metadata":{"n":12345678901234567890,"f":1.5e-7,"s":"\u0000"}}`,
	} {
		f.Add([]byte(seed))
	}
	h := NewHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		if h.Len() > 5000 { // keep each run fast: lists and searches scan the store
			h.Reset()
		}
		for _, target := range []struct{ method, path string }{
			{"POST", "/api/v1/customers"}, {"POST", "/api/v1/customers/batch"}, {"PUT", "/api/v1/customers/u1"},
		} {
			rec := fuzzServe(h, target.method, target.path, body)
			if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s: %d %s", target.method, target.path, rec.Code, rec.Body)
			}
			if !utf8.Valid(body) {
				if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"invalid_json"`) {
					t.Fatalf("%s %s: a body that is not UTF-8 got %d %s", target.method, target.path, rec.Code, rec.Body)
				}
				continue
			}
			if rec.Code >= 300 {
				continue
			}
			var env struct{ Data json.RawMessage }
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
				t.Fatal(err)
			}
			switch target.path {
			case "/api/v1/customers/batch":
				var res struct{ Successful []json.RawMessage }
				if err := json.Unmarshal(env.Data, &res); err != nil {
					t.Fatal(err)
				}
				for _, c := range res.Successful {
					checkStored(t, h, c)
				}
			case "/api/v1/customers":
				ext := checkStored(t, h, env.Data)
				if sent, ok := sentExternalID(body); ok && sent != ext {
					t.Fatalf("sent externalId %q, answered %q", sent, ext)
				}
			default:
				checkStored(t, h, env.Data)
			}
		}
		q := url.Values{"limit": {"3"}, "search": {string(body)}, "cursor": {string(body)}}
		rec := fuzzServe(h, "GET", "/api/v1/customers?"+q.Encode(), nil)
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
		rec = fuzzServe(h, "GET", "/api/v1/customers/"+url.PathEscape(string(body)), nil)
		if rec.Code != 200 && rec.Code != 404 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("get: %d %s", rec.Code, rec.Body)
		}
	})
}

func fuzzServe(h *Handler, method, target string, body []byte) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Header.Set("x-api-key", "ck_test")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkStored fetches the customer answered as c by its ID and by its
// externalId, and requires the same bytes each time; it returns the
// externalId.
func checkStored(t *testing.T, h *Handler, c json.RawMessage) string {
	t.Helper()
	var cust struct {
		ID         string `json:"id"`
		ExternalID string `json:"externalId"`
	}
	if err := json.Unmarshal(c, &cust); err != nil || cust.ID == "" {
		t.Fatalf("not a customer: %s", c)
	}
	ids := []string{cust.ID}
	if cust.ExternalID != "" {
		ids = append(ids, cust.ExternalID)
	}
	for _, id := range ids {
		rec := fuzzServe(h, "GET", "/api/v1/customers/"+pathEscape(id), nil)
		var env struct{ Data json.RawMessage }
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &env) != nil || !bytes.Equal(env.Data, c) {
			t.Fatalf("GET %q: %d %s\nwant the answered %s", id, rec.Code, rec.Body, c)
		}
	}
	return cust.ExternalID
}

// sentExternalID returns the string value of the last "externalId" key
// (exactly so spelled) of the JSON object body, read with encoding/json's
// tokenizer rather than the fake's own decoder.
func sentExternalID(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	ext, found := "", false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", false
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return "", false
		}
		if key == "externalId" {
			s, ok := v.(string)
			ext, found = s, ok
		}
	}
	return ext, found
}
