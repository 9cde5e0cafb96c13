package commettest

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
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
	_, err := http.Get(srv.URL() + "/api/v1/customers")
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

func TestFaultPathAsTheSDKPrintsIt(t *testing.T) {
	srv := newServer(t)
	call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "a/b/c"})
	for _, tc := range []struct {
		fault, method, path string
	}{
		{"/customers", "POST", "/api/v1/customers"},
		{"/api/v1/customers", "POST", "/api/v1/customers"},
		{"/customers/batch", "POST", "/api/v1/customers/batch"},
		{"/customers/user_1", "GET", "/api/v1/customers/user_1"},
		{"/api/v1/customers/user_1", "PUT", "/api/v1/customers/user_1"},
		{"/customers/a%2Fb", "GET", "/api/v1/customers/a%2Fb"}, // escaped, as the SDK names it
	} {
		srv.InjectFault(Fault{Path: tc.fault, Status: 502})
		assert.Equal(t, 200, call(t, srv, "GET", "/api/v1/customers/"+url.PathEscape("a/b/c"), nil).Status, "%s matches another path", tc.fault)
		assert.Equal(t, 502, call(t, srv, tc.method, tc.path, `{}`).Status, "%s matches %s %s", tc.fault, tc.method, tc.path)
		assert.Empty(t, srv.Faults())
	}
}

func TestFaultForever(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(Fault{Method: "GET", Path: "/customers", Status: 503, Times: Forever})
	for range 5 {
		assert.Equal(t, 503, call(t, srv, "GET", "/api/v1/customers", nil).Status)
	}
	assert.Equal(t, []FaultStatus{{Fault: Fault{Method: "GET", Path: "/customers", Status: 503, Times: Forever}, Fired: 5, Left: Forever}}, srv.Faults())
	assert.Equal(t, 201, call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com"}).Status)
	srv.ClearFaults()
	assert.Equal(t, 200, call(t, srv, "GET", "/api/v1/customers", nil).Status)

	srv.InjectFault(Fault{Status: 500, Times: 0}) // 0 means 1
	assert.Equal(t, 500, call(t, srv, "GET", "/api/v1/customers", nil).Status)
	assert.Equal(t, 200, call(t, srv, "GET", "/api/v1/customers", nil).Status)
}

func TestUnfiredFaults(t *testing.T) {
	srv := newServer(t)
	typo := Fault{Path: "/customer", Status: 503}
	srv.InjectFault(typo)
	srv.InjectFault(Fault{Method: "POST", Path: "/customers", Status: 503, Times: 2})
	srv.InjectFault(Fault{Method: "GET", Status: 500, Times: Forever})
	assert.Len(t, srv.UnfiredFaults(), 3)

	call(t, srv, "POST", "/api/v1/customers", `{}`) // fires the second once: not used up, but fired
	call(t, srv, "GET", "/api/v1/customers", nil)   // fires the forever fault
	assert.Equal(t, []Fault{typo}, srv.UnfiredFaults())
	srv.ClearFaults()
	assert.Empty(t, srv.UnfiredFaults(), "cleared faults are not listed")
}

// recordingTB is a testing.TB that records failures and cleanups.
type recordingTB struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (r *recordingTB) Helper()          {}
func (r *recordingTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recordingTB) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}

func (r *recordingTB) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestRequireFaultsFired(t *testing.T) {
	srv := newServer(t)
	tb := &recordingTB{}
	srv.RequireFaultsFired(tb)
	srv.InjectFault(Fault{Method: "POST", Path: "/customers/batch", Status: 429, RetryAfter: "1", Times: 2})
	srv.InjectFault(Fault{Method: "PUT", Path: "/customers", Delay: time.Millisecond, Drop: true})
	srv.InjectFault(Fault{Method: "GET", Status: 503, Times: Forever})
	call(t, srv, "GET", "/api/v1/customers", nil)
	tb.end()
	assert.Equal(t, []string{
		"commettest: fault never fired: Fault{Method: POST, Path: /customers/batch, Times: 2, Status: 429, RetryAfter: 1}",
		"commettest: fault never fired: Fault{Method: PUT, Path: /customers, Delay: 1ms, Drop: true}",
	}, tb.errors)

	ok := &recordingTB{}
	srv.Handler.RequireFaultsFired(ok)
	srv.ClearFaults()
	srv.InjectFault(Fault{Status: 500})
	call(t, srv, "GET", "/api/v1/customers", nil)
	ok.end()
	assert.Empty(t, ok.errors)
}

func TestInjectFaultRefusesNonsense(t *testing.T) {
	h := NewHandler()
	for f, message := range map[Fault]string{
		{Times: -2}:                           "Forever (-1)",
		{Status: 200}:                         "want an error status",
		{Status: 600}:                         "want an error status",
		{RetryAfter: "1"}:                     "retryAfter without a status",
		{Delay: -time.Second}:                 "negative",
		{Path: "customers"}:                   "starting with /",
		{Method: "post"}:                      `did you mean "POST"?`,
		{Method: "Get"}:                       `did you mean "GET"?`,
		{Method: "GET /"}:                     "not an HTTP method",
		{Path: "/customers?limit=1"}:          `never a query or fragment: want "/customers"`,
		{Status: 429, RetryAfter: "-5"}:       `retryAfter "-5": want a whole number of seconds`,
		{Status: 429, RetryAfter: "tomorrow"}: `retryAfter "tomorrow"`,
	} {
		assert.PanicsWithValue(t, fmt.Sprintf("commettest: InjectFault(%v): %v", f, f.validate()), func() { h.InjectFault(f) }, "%v", f)
		assert.ErrorContains(t, f.validate(), message, "%v", f)
	}
	assert.Empty(t, h.Faults())
	for _, f := range []Fault{
		{Method: "PATCH", Status: 429, RetryAfter: "0"}, {Status: 503, RetryAfter: "Wed, 21 Oct 2026 07:28:00 GMT"},
		{Path: "/customers/a%2Fb", Delay: time.Duration(math.MaxInt64)},
	} {
		assert.NotPanics(t, func() { h.InjectFault(f) }, "%v", f)
	}
}

func TestDelayEndsWhenAPOSTClientGoesAway(t *testing.T) {
	srv := NewServer()
	srv.InjectFault(Fault{Method: "POST", Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL()+"/api/v1/customers", strings.NewReader(`{"billingEmail":"a@x.com"}`))
	req.Header.Set("x-api-key", "ck_test")
	_, err := http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close still waits for the hour-long delay of a client that left")
	}
	assert.Zero(t, srv.Len())
}
