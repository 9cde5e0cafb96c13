package commet

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seen is what a middleware saw of one attempt.
type seen struct {
	attempt   Attempt
	status    int
	requestID string
	duration  time.Duration
	err       error
}

type observer struct {
	mu    sync.Mutex
	calls []seen
}

func (o *observer) middleware(req *http.Request, a Attempt, next MiddlewareNext) (*http.Response, error) {
	start := time.Now()
	resp, err := next(req)
	s := seen{attempt: a, duration: time.Since(start), err: err}
	if resp != nil {
		s.status, s.requestID = resp.StatusCode, resp.Header.Get("X-Request-Id")
	}
	o.mu.Lock()
	o.calls = append(o.calls, s)
	o.mu.Unlock()
	return resp, err
}

// TestMiddlewareSeesEveryAttempt: method, path (without the query), the
// attempt's number, its status, duration and request ID, retries included.
func TestMiddlewareSeesEveryAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var o observer
		c, mock := newMockClient(t, WithMiddleware(o.middleware))
		slow := func(r *http.Request) (*http.Response, error) {
			time.Sleep(250 * time.Millisecond)
			return okCustomer(r)
		}
		mock.RegisterResponder("GET", custURL+"/user_1", answers(status(503, nil), netError, slow).responder)
		mock.RegisterResponder("GET", custURL, status(200, map[string]any{"success": true, "data": []any{}, "hasMore": false}))

		_, err := c.Customers.Get(context.Background(), "user_1")
		require.NoError(t, err)
		_, err = c.Customers.List(context.Background(), &ListCustomersParams{Search: "ada@example.com"})
		require.NoError(t, err)

		require.Len(t, o.calls, 4)
		for i, want := range []Attempt{
			{"Customers.Get", "GET", "/customers/user_1", "/customers/{id}", 1},
			{"Customers.Get", "GET", "/customers/user_1", "/customers/{id}", 2},
			{"Customers.Get", "GET", "/customers/user_1", "/customers/{id}", 3},
			{"Customers.List", "GET", "/customers", "/customers", 1},
		} {
			assert.Equal(t, want, o.calls[i].attempt, i)
		}
		assert.Equal(t, 503, o.calls[0].status)
		assert.Error(t, o.calls[1].err)
		assert.Equal(t, 200, o.calls[2].status)
		assert.Equal(t, "req_test", o.calls[2].requestID)
		assert.Equal(t, 250*time.Millisecond, o.calls[2].duration)
		for _, s := range o.calls {
			assert.NotContains(t, s.attempt.Path, "ada")
		}
	})
}

// TestMiddlewareOrderAndChanges: the first middleware given is the
// outermost; one may change the request (an auth proxy's header), and may
// answer instead of sending it.
func TestMiddlewareOrderAndChanges(t *testing.T) {
	var order []string
	trace := func(name string) Middleware {
		return func(req *http.Request, a Attempt, next MiddlewareNext) (*http.Response, error) {
			order = append(order, name+">")
			resp, err := next(req)
			order = append(order, "<"+name)
			return resp, err
		}
	}
	sign := func(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
		req.Header.Set("X-Proxy-Signature", "sig")
		return next(req)
	}
	c, mock := newMockClient(t, WithMiddleware(trace("a"), trace("b")), WithMiddleware(sign))
	rec := answers(okCustomer)
	mock.RegisterResponder("GET", custURL+"/x", rec.responder)
	_, err := c.Customers.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Equal(t, []string{"a>", "b>", "<b", "<a"}, order)
	assert.Equal(t, "sig", rec.requests()[0].Header.Get("X-Proxy-Signature"))

	cached := func(req *http.Request, _ Attempt, _ MiddlewareNext) (*http.Response, error) {
		return jsonResponse(200, envelope(customerJSON("cus_cached", "x", "a@example.com"))), nil
	}
	c, mock = newMockClient(t, WithMiddleware(cached))
	cust, err := c.Customers.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Equal(t, "cus_cached", cust.ID)
	assert.Zero(t, mock.GetTotalCallCount())
}

// TestMiddlewareFailures: an error from a middleware is a failed attempt,
// retried; one that returns neither a response nor an error does not crash
// the call.
func TestMiddlewareFailures(t *testing.T) {
	calls := 0
	flaky := func(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
		if calls++; calls == 1 {
			return nil, errors.New("the proxy is restarting")
		}
		return next(req)
	}
	c, mock := newMockClient(t, WithMiddleware(flaky))
	mock.RegisterResponder("GET", custURL+"/x", okCustomer)
	_, err := c.Customers.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Equal(t, 2, calls)

	broken := func(*http.Request, Attempt, MiddlewareNext) (*http.Response, error) { return nil, nil }
	c, _ = newMockClient(t, WithMiddleware(broken), WithMaxRetries(0))
	_, err = c.Customers.Get(context.Background(), "x")
	assert.ErrorIs(t, err, ErrNetwork)
	assert.Contains(t, err.Error(), "middleware")

	noBody := func(req *http.Request, _ Attempt, _ MiddlewareNext) (*http.Response, error) {
		return &http.Response{StatusCode: 503, Header: http.Header{}, Request: req}, nil
	}
	c, _ = newMockClient(t, WithMiddleware(noBody), WithMaxRetries(0))
	_, err = c.Customers.Get(context.Background(), "x")
	assert.ErrorIs(t, err, ErrServer)
}

// TestRawJSONOfEveryCall: a field Commet adds later is reachable through
// the raw answer of the call.
func TestRawJSONOfEveryCall(t *testing.T) {
	c, mock := newMockClient(t)
	cust := customerJSON("cus_1", "user_1", "a@example.com")
	cust["loyaltyTier"] = "gold" // not in this SDK's Customer
	mock.RegisterResponder("GET", custURL+"/user_1", status(200, envelope(cust)))
	var resp Response
	got, err := c.Customers.Get(context.Background(), "user_1", WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, "cus_1", got.ID)
	assert.Contains(t, string(resp.RawJSON), `"loyaltyTier":"gold"`)

	mock.RegisterResponder("GET", custURL+"/gone", httpmock.NewStringResponder(404, `{"code":"not_found"}`))
	_, err = c.Customers.Get(context.Background(), "gone", WithResponseInto(&resp))
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Nil(t, resp.RawJSON, "a failed call's body is in its error")
	assert.Equal(t, 404, resp.StatusCode)
	assert.False(t, strings.Contains(string(resp.RawJSON), "not_found"))
}
