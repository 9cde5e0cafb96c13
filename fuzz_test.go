package commet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// roundTripFunc is an http.RoundTripper made of a func.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// parseFuzzHeader reads "Name: value" lines into a header.
func parseFuzzHeader(raw string) http.Header {
	h := http.Header{}
	for line := range strings.Lines(raw) {
		if k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":"); ok {
			h.Add(k, strings.TrimSpace(v))
		}
	}
	return h
}

// FuzzAnswers answers every operation with any status, headers and body:
// the SDK must never panic, a success must come with its result, and an
// error must match one of the SDK's sentinels, on one safe line without the
// key.
func FuzzAnswers(f *testing.F) {
	cust := `{"id":"cus_1","externalId":"u1","billingEmail":"a@example.com","isActive":true,"createdAt":"2026-05-01T10:00:00Z"}`
	for _, seed := range []struct {
		status int
		header string
		body   string
	}{
		{200, "X-Request-Id: req_1", `{"success":true,"data":` + cust + `}`},
		{201, "", `{"success":true,"data":` + cust + `}`},
		{200, "", `{"success":true,"data":[` + cust + `],"hasMore":true,"nextCursor":"c2"}`},
		{200, "", `{"success":true,"data":{"successful":[` + cust + `],"failed":[{"index":1,"error":"billingEmail: bad"}]}}`},
		{200, "", `{"success":true,"data":{"successful":[],"failed":[{"index":0,"error":{"code":"validation_error","details":[{"field":"x","message":"y"}]}},{"index":1,"error":7}]}}`},
		{400, "", `{"success":false,"code":"validation_error","message":"bad","details":[{"field":"billingEmail","message":"Invalid"}]}`},
		{422, "", `{"error":{"type":"invalid_request","code":"x","param":"address.country","message":"m"}}`},
		{429, "Retry-After: 99999999999999999999", `{"success":false,"code":"rate_limited"}`},
		{503, "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT", `<html>` + testKey + `</html>`},
		{301, "Location: /elsewhere", ``},
		{200, "", `{"success":true,"data":"` + testKey + "\n\x1b[0m\"}"},
		{999, "", "\xff\xfe"},
		{409, "", `{"code":"idempotency_in_progress"}`},
	} {
		f.Add(seed.status, seed.header, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, header string, body []byte) {
		// in a bubble: a 429's Retry-After holds the client's later calls
		// (shared pacing), up to 30 s each, on the bubble's clock
		synctest.Test(t, func(t *testing.T) { fuzzAnswer(t, status, header, body) })
	})
}

// fuzzAnswer calls every method of a client whose every request is
// answered with status, header and body.
func fuzzAnswer(t *testing.T, status int, header string, body []byte) {
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: parseFuzzHeader(header), Request: r,
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}, nil
	})}
	c, err := NewClient(testKey, WithHTTPClient(hc), WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(op string, ok bool, err error) {
		if err == nil {
			if !ok {
				t.Fatalf("%s: no error and no result", op)
			}
			return
		}
		if !matchesASentinel(err) {
			t.Fatalf("%s: %v matches no sentinel", op, err)
		}
		if msg := err.Error(); strings.Contains(msg, testKey) || strings.ContainsAny(msg, "\n\r\x1b") || len(msg) > 1000 {
			t.Fatalf("%s: unsafe error text %q", op, msg)
		}
	}
	got, err := c.Customers.Get(ctx, "u1")
	check("Get", got != nil && got.ID != "", err)
	created, err := c.Customers.Create(ctx, &CreateCustomerParams{Email: "a@example.com", ID: "u1"})
	check("Create", created != nil && created.ID != "" && created.Outcome != 0, err)
	got, err = c.Customers.Update(ctx, "u1", &UpdateCustomerParams{FullName: Ptr("A")})
	check("Update", got != nil && got.ID != "", err)
	got, err = c.Customers.Archive(ctx, "u1")
	check("Archive", got != nil && got.ID != "", err)
	page, err := c.Customers.List(ctx, nil)
	check("List", page != nil, err)
	res, err := c.Customers.CreateBatch(ctx, []CreateCustomerParams{{Email: "a@example.com"}, {Email: "b@example.com"}})
	check("CreateBatch", res != nil && len(res.Successful)+len(res.Failed) == 2, err)
	for i, err := range c.Customers.All(ctx, nil) {
		check("All", i != nil, err)
		break
	}
}

// FuzzInputs sends any IDs and params: each call is either refused before
// sending (ErrValidation, no request), or sends exactly one request whose
// path keeps the ID inside its segment and whose body and query read back
// as the very strings given.
func FuzzInputs(f *testing.F) {
	f.Add("user_1", "a@example.com", "Ada", "plan", "pro", "ada")
	f.Add("../../admin", "a@example.com", "", "", "", "a&limit=1")
	f.Add(".", " ", "\x00", "k", "v", "%2F")
	f.Add("..", "a@b.c", "Jos\xe9", "Jos\xe8", "x", "?#")
	f.Add("a/b?c#d", "é@é.é", "\u202e", "", "\ufffd", "\xff")
	f.Fuzz(func(t *testing.T, id, email, name, metaKey, metaVal, search string) {
		var mu sync.Mutex
		var reqs []*http.Request
		var bodies [][]byte
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			var b []byte
			if r.Body != nil {
				b, _ = io.ReadAll(r.Body)
			}
			mu.Lock()
			reqs, bodies = append(reqs, r), append(bodies, b)
			mu.Unlock()
			answer := `{"success":true,"data":{"id":"cus_1"}}`
			if r.Method == http.MethodGet && r.URL.Path == "/api/v1/customers" {
				answer = `{"success":true,"data":[],"hasMore":false}`
			}
			return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r,
				Body: io.NopCloser(strings.NewReader(answer))}, nil
		})}
		c, err := NewClient(testKey, WithHTTPClient(hc), WithMaxRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// sent returns the one request a call sent, or fails the test.
		sent := func(op string, err error) (*http.Request, []byte) {
			mu.Lock()
			defer func() { reqs, bodies = nil, nil; mu.Unlock() }()
			if err != nil {
				if !errors.Is(err, ErrValidation) || len(reqs) != 0 {
					t.Fatalf("%s: %v after %d requests", op, err, len(reqs))
				}
				return nil, nil
			}
			if len(reqs) != 1 {
				t.Fatalf("%s: %d requests", op, len(reqs))
			}
			return reqs[0], bodies[0]
		}

		_, err = c.Customers.Get(ctx, id)
		if r, _ := sent("Get", err); r != nil {
			seg, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v1/customers/")
			if !ok || strings.Contains(seg, "/") {
				t.Fatalf("Get(%q) went to %q", id, r.URL.EscapedPath())
			}
			if got, err := url.PathUnescape(seg); err != nil || got != id {
				t.Fatalf("Get(%q) sent the ID %q", id, got)
			}
		}

		params := &CreateCustomerParams{Email: email, ID: id, FullName: name}
		if metaKey != "" {
			params.Metadata = map[string]any{metaKey: metaVal}
		}
		_, err = c.Customers.Create(ctx, params)
		if _, body := sent("Create", err); body != nil {
			var back struct {
				Email    string         `json:"billingEmail"`
				ID       string         `json:"externalId"`
				FullName string         `json:"fullName"`
				Metadata map[string]any `json:"metadata"`
			}
			if err := json.Unmarshal(body, &back); err != nil {
				t.Fatalf("Create sent %q: %v", body, err)
			}
			if back.Email != email || back.ID != id || back.FullName != name ||
				metaKey != "" && back.Metadata[metaKey] != metaVal {
				t.Fatalf("Create sent %q for %q %q %q %q=%q", body, email, id, name, metaKey, metaVal)
			}
		}

		_, err = c.Customers.List(ctx, &ListCustomersParams{Search: search})
		if r, _ := sent("List", err); r != nil && r.URL.Query().Get("search") != search {
			t.Fatalf("List sent search %q for %q", r.URL.Query().Get("search"), search)
		}
	})
}
