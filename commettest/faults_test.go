package commettest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultStatusRetryAfterAndTimes(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(Fault{Method: "POST", Path: "/api/v1/customers", Status: 429, RetryAfter: "3", Times: 2})
	srv.InjectFault(Fault{Status: 503})

	// A request that does not match skips the first fault but takes the second.
	r := call(t, srv, "GET", "/api/v1/customers", nil)
	assert.Equal(t, 503, r.Status)
	assert.Equal(t, "server_error", r.Body["code"])

	for range 2 {
		r := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u"})
		assert.Equal(t, 429, r.Status)
		assert.Equal(t, "rate_limited", r.Body["code"])
		assert.Equal(t, "3", r.Header.Get("Retry-After"))
	}
	assert.Zero(t, srv.Len(), "a faulty request touches nothing")
	r = call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u"})
	assert.Equal(t, 201, r.Status, "the faults are used up")
	assert.Equal(t, 4, srv.Requests())
}

func TestFaultsComeBeforeAuth(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(Fault{Status: 502})
	assert.Equal(t, 502, call(t, srv, "GET", "/api/v1/customers", nil, "x-api-key", "").Status)
	srv.InjectFault(Fault{Status: 500, Times: 5})
	srv.ClearFaults()
	assert.Equal(t, 200, call(t, srv, "GET", "/api/v1/customers", nil).Status)
}

func TestFaultDrop(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(Fault{Drop: true})
	_, err := http.Get(srv.URL + "/api/v1/customers")
	require.Error(t, err, "the connection closes without an answer")
	assert.Equal(t, 200, call(t, srv, "GET", "/api/v1/customers", nil).Status)
}

func TestFaultDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler()
		h.InjectFault(Fault{Delay: 2 * time.Second})
		h.InjectFault(Fault{Delay: time.Second, Status: 504})

		start := time.Now()
		rec := serve(h, "GET", "/api/v1/customers", context.Background())
		assert.Equal(t, 200, rec.code, "a delay alone, then handled normally")
		assert.Equal(t, 2*time.Second, time.Since(start))

		start = time.Now()
		rec = serve(h, "GET", "/api/v1/customers", context.Background())
		assert.Equal(t, 504, rec.code)
		assert.Equal(t, time.Second, time.Since(start))

		// A client that gives up ends the delay.
		h.InjectFault(Fault{Delay: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start = time.Now()
		serve(h, "GET", "/api/v1/customers", ctx)
		assert.Equal(t, 5*time.Second, time.Since(start))
	})
}

// recorder is a minimal ResponseWriter, so handler tests can run inside a
// synctest bubble without sockets.
type recorder struct {
	header http.Header
	code   int
	body   strings.Builder
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func serve(h http.Handler, method, path string, ctx context.Context) *recorder {
	req, _ := http.NewRequestWithContext(ctx, method, path, nil)
	req.Header.Set("x-api-key", "ck_test")
	rec := &recorder{header: http.Header{}, code: 200}
	h.ServeHTTP(rec, req)
	return rec
}
