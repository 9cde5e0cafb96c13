package commettest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realTime runs f and returns how long it took on the real clock, which a
// synctest bubble inside f does not move.
func realTime(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

func TestClientRetriesWithDefaultBackoffInSynctest(t *testing.T) {
	elapsed := realTime(func() {
		synctest.Test(t, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			srv.InjectFault(Fault{Path: "/customers", Status: 503, Times: 2})
			client := srv.Client() // the SDK's default backoff: 1 s, then 2 s, each minus up to half

			start := time.Now()
			var resp commet.Response
			cust, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{Email: "ada@example.com", ID: "u1"},
				commet.WithResponseInto(&resp))
			require.NoError(t, err)
			waited := time.Since(start)
			assert.Equal(t, 3, resp.Attempts)
			assert.Equal(t, "u1", cust.ExternalID)
			assert.GreaterOrEqual(t, waited, 1500*time.Millisecond, "the bubble's clock moved by the backoff")
			assert.LessOrEqual(t, waited, 3*time.Second)
			assert.Equal(t, 1, srv.Len())
		})
	})
	assert.Less(t, elapsed, time.Second, "the backoff took no real time")
}

func TestDelayAndTimeoutInSynctest(t *testing.T) {
	elapsed := realTime(func() {
		synctest.Test(t, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			client := srv.Client(commet.WithMaxRetries(0), commet.WithTimeout(0)) // no bound on the attempt

			srv.InjectFault(Fault{Method: "GET", Delay: time.Hour})
			start := time.Now()
			_, err := client.Customers.List(context.Background(), nil)
			require.NoError(t, err)
			assert.Equal(t, time.Hour, time.Since(start), "a delay alone, then the answer")

			srv.InjectFault(Fault{Method: "GET", Delay: time.Hour})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start = time.Now()
			_, err = client.Customers.List(ctx, nil)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, 5*time.Second, time.Since(start), "the client gave up, and the delay ended")
			assert.Empty(t, srv.Faults(), "the fault fired")

			// A per-attempt timeout is retried, and the retry succeeds.
			srv.InjectFault(Fault{Method: "GET", Delay: time.Hour})
			retrying := srv.Client(commet.WithTimeout(10*time.Second), commet.WithMaxRetries(1))
			start = time.Now()
			var resp commet.Response
			_, err = retrying.Customers.List(context.Background(), nil, commet.WithResponseInto(&resp))
			require.NoError(t, err)
			assert.Equal(t, 2, resp.Attempts)
			assert.GreaterOrEqual(t, time.Since(start), 10*time.Second+500*time.Millisecond)
		})
	})
	assert.Less(t, elapsed, time.Second, "an hour of delays took no real time")
}

func TestTransportAnswers(t *testing.T) {
	srv := NewServer(WithClock(func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }))
	defer srv.Close()
	req, err := http.NewRequest("POST", InMemoryBaseURL+"/api/v1/customers?x=1", strings.NewReader(`{"billingEmail":"a@x.com"}`))
	require.NoError(t, err)
	req.Header.Set("x-api-key", "ck_test")
	resp, err := srv.Transport().RoundTrip(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, "201 Created", resp.Status)
	assert.Equal(t, "HTTP/1.1", resp.Proto)
	assert.Equal(t, int64(len(body)), resp.ContentLength)
	assert.Same(t, req, resp.Request)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.Equal(t, "Wed, 02 Jan 2030 03:04:05 GMT", resp.Header.Get("Date"))
	assert.Contains(t, string(body), `"billingEmail":"a@x.com"`)
	assert.Equal(t, 1, srv.Len())

	// A dropped connection is a transport error, as over a socket.
	srv.InjectFault(Fault{Drop: true})
	_, err = (&http.Client{Transport: srv.Transport()}).Get(InMemoryBaseURL + "/api/v1/customers")
	require.ErrorIs(t, err, ErrDropped)
	require.ErrorIs(t, err, io.EOF)

	// A request whose caller already gave up is not sent.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", InMemoryBaseURL+"/api/v1/customers", nil)
	before := srv.Requests()
	_, err = srv.Transport().RoundTrip(req)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, before, srv.Requests())
}

func TestTransportDropThroughTheSDK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer()
		srv.InjectFault(Fault{Drop: true, Times: 4})
		_, err := srv.Client().Customers.Get(context.Background(), "u1")
		require.ErrorIs(t, err, commet.ErrNetwork, "a network error, retried 3 times")
		require.ErrorIs(t, err, ErrDropped)
		assert.Equal(t, 4, srv.Requests())
	})
}

// closingBody records that it was closed.
type closingBody struct {
	io.Reader
	closed bool
}

func (b *closingBody) Close() error { b.closed = true; return nil }

func TestTransportClosesTheRequestBody(t *testing.T) {
	h := NewHandler()
	for _, fault := range []*Fault{nil, {Drop: true}} {
		if fault != nil {
			h.InjectFault(*fault)
		}
		b := &closingBody{Reader: strings.NewReader(`{"billingEmail":"a@x.com"}`)}
		req, _ := http.NewRequest("POST", InMemoryBaseURL+"/api/v1/customers", b)
		req.Header.Set("x-api-key", "ck_test")
		h.Transport().RoundTrip(req)
		assert.True(t, b.closed)
	}
}

func TestServerListensOnlyWhenAsked(t *testing.T) {
	srv := NewServer()
	_, err := srv.Client().Customers.List(context.Background(), nil)
	require.NoError(t, err)
	assert.Nil(t, srv.ts, "Client needs no socket")

	url := srv.URL()
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, url)
	assert.Equal(t, url, srv.URL(), "one listener")
	client, err := commet.NewClient(TestAPIKey, commet.WithBaseURL(url))
	require.NoError(t, err)
	_, err = client.Customers.List(context.Background(), nil)
	require.NoError(t, err)

	srv.Close()
	srv.Close()
	assert.Panics(t, func() { srv.URL() })
	_, err = srv.Client(commet.WithMaxRetries(0)).Customers.List(context.Background(), nil)
	require.ErrorIs(t, err, commet.ErrNetwork, "a closed server answers nothing")

	NewServer().Close() // never started
}

func TestDateComesFromTheClock(t *testing.T) {
	ahead := time.Now().Add(time.Hour).Truncate(time.Second)
	srv := newServer(t, WithClock(func() time.Time { return ahead }))
	for _, r := range []reply{
		call(t, srv, "GET", "/api/v1/customers", nil),                     // over a socket, where net/http would date it
		call(t, srv, "GET", "/api/v1/customers", nil, "x-api-key", ""),    // a 401
		call(t, srv, "POST", "/api/v1/customers", `{"billingEmail":"x"}`), // a 400
		callMem(t, srv, "GET", "/api/v1/customers", nil),
	} {
		date, err := http.ParseTime(r.Header.Get("Date"))
		require.NoError(t, err)
		assert.True(t, ahead.Equal(date), "Date %v, want the server's clock %v", date, ahead)
	}
	srv.InjectFault(Fault{Status: 503})
	r := call(t, srv, "GET", "/api/v1/customers", nil)
	assert.Equal(t, ahead.UTC().Format(http.TimeFormat), r.Header.Get("Date"), "faults too")
}

// A fault's Path is the SDK's own name for a request: the Attempt.Path its
// middleware sees, which its errors and log records use too.
func TestFaultPathIsTheSDKsAttemptPath(t *testing.T) {
	srv := newServer(t)
	var paths []string
	client := srv.Client(commet.WithMaxRetries(0), commet.WithMiddleware(
		func(req *http.Request, a commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
			paths = append(paths, a.Path)
			return next(req)
		}))
	ctx := context.Background()
	calls := []func() error{
		func() error {
			_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "a@x.com", ID: "a/b"})
			return err
		},
		func() error { _, err := client.Customers.Get(ctx, "a/b"); return err },
		func() error {
			_, err := client.Customers.Update(ctx, "a/b", &commet.UpdateCustomerParams{FullName: commet.Ptr("A")})
			return err
		},
		func() error {
			_, err := client.Customers.CreateBatch(ctx, []commet.CreateCustomerParams{{Email: "b@x.com"}})
			return err
		},
	}
	for _, call := range calls {
		require.NoError(t, call())
	}
	require.Equal(t, []string{"/customers", "/customers/a%2Fb", "/customers/a%2Fb", "/customers/batch"}, paths)
	for i, call := range calls {
		srv.InjectFault(Fault{Path: paths[i], Status: 502})
		var apiErr *commet.APIError
		require.ErrorAs(t, call(), &apiErr, paths[i])
		assert.Equal(t, 502, apiErr.StatusCode, paths[i])
		assert.Empty(t, srv.UnfiredFaults(), paths[i])
	}
}
