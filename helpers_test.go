package commet

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

const (
	testKey  = "ck_test_0123456789secret"
	commetCo = "https://commet.co"
	custURL  = commetCo + "/api/v1/customers"
	custPath = "/api/v1/customers"
)

// newMockClient returns a client whose requests go to an httpmock
// transport, injected through an *http.Client (never httpmock.Activate),
// with millisecond backoffs so that retry tests stay fast.
func newMockClient(t *testing.T, opts ...ClientOption) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	base := []ClientOption{
		WithHTTPClient(&http.Client{Transport: mock}),
		WithRetryBackoff(time.Millisecond, 2*time.Millisecond),
	}
	c, err := NewClient(testKey, append(base, opts...)...)
	require.NoError(t, err)
	return c, mock
}

// customerJSON is the wire form of a customer with the given IDs.
func customerJSON(id, externalID, email string) map[string]any {
	return map[string]any{
		"id": id, "organizationId": "org_1", "externalId": externalID,
		"billingEmail": email, "isActive": true,
		"createdAt": "2026-05-01T10:00:00Z", "updatedAt": "2026-05-01T10:00:00Z",
	}
}

// envelope wraps data in Commet's success envelope.
func envelope(data any) map[string]any {
	return map[string]any{"success": true, "data": data}
}

// jsonResponse answers status with v encoded as JSON and a request ID.
func jsonResponse(status int, v any) *http.Response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	resp := httpmock.NewBytesResponse(status, b)
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Set("X-Request-Id", "req_test")
	return resp
}

// recorded is what a recording responder saw of one request.
type recorded struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// recorder answers with the responses of next in turn (repeating the last)
// and keeps every request it saw.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	next []func(*http.Request) (*http.Response, error)
}

func (r *recorder) responder(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	r.mu.Lock()
	n := len(r.reqs)
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.String(), req.Header.Clone(), body})
	f := r.next[min(n, len(r.next)-1)]
	r.mu.Unlock()
	return f(req)
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// answers builds a recorder from canned answers: a *http.Response factory
// per attempt.
func answers(fs ...func(*http.Request) (*http.Response, error)) *recorder {
	return &recorder{next: fs}
}

func status(code int, v any) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) { return jsonResponse(code, v), nil }
}

func withRetryAfter(code int, retryAfter string) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) {
		resp := jsonResponse(code, map[string]any{"success": false, "code": "rate_limited", "message": "slow down"})
		resp.Header.Set("Retry-After", retryAfter)
		return resp, nil
	}
}

func netError(*http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("connection reset by peer")
}

var okCustomer = status(200, envelope(customerJSON("cus_1", "user_1", "a@example.com")))
