package commet

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// Middleware wraps every attempt of every call: each HTTP request the SDK
// sends, retries included, for tracing, metrics or an auth proxy. It gets
// the request ready to send and what it is, and calls next to send it; it
// may change the request (add a header, say) or answer instead of next.
// The status, headers (x-request-id) and duration are in what next returns
// and how long it took. A [Middleware] that reads the response body must
// replace it with an equal one.
//
// An error from next or from the middleware is a failed attempt, retried
// as a network error is. The request carries the API key in its
// x-api-key header: a middleware must not log it.
type Middleware func(req *http.Request, attempt Attempt, next MiddlewareNext) (*http.Response, error)

// MiddlewareNext sends a request on: to the next [Middleware], or to the
// network.
type MiddlewareNext func(*http.Request) (*http.Response, error)

// Attempt describes the request a [Middleware] wraps.
type Attempt struct {
	// Operation is the method called, as "Customers.Create" (see
	// [CallInfo]).
	Operation string
	// Method is the HTTP method: GET, POST or PUT.
	Method string
	// Path is the path under /api/v1, escaped, without the query (which
	// may hold an email): "/customers", "/customers/batch" or
	// "/customers/user_1". Errors and log records name requests the same way.
	Path string
	// Route is Path's template, with the customer's ID as a placeholder:
	// "/customers/{id}" (see [CallInfo]). Telemetry names the request by
	// it, since Path holds the ID.
	Route string
	// Number counts the requests of one call: 1 for the first, 2 for the
	// first retry, and so on.
	Number int
}

// WithMiddleware wraps every attempt of every call of the client in mw, the
// first given outermost. Given several times, the lists add up.
func WithMiddleware(mw ...Middleware) ClientOption {
	return clientOption(func(c *clientConfig) {
		for _, m := range mw {
			if m == nil {
				c.fail("WithMiddleware: nil Middleware")
				return
			}
		}
		c.middleware = append(c.middleware[:len(c.middleware):len(c.middleware)], mw...)
	})
}

var errNoResponse = errors.New("a middleware returned neither a response nor an error")

// cancelOnClose ends an attempt's context once its body is read and closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// send sends req through the call's middleware (the SDK's own, such as
// Import's pacing), then clock's record of when the request left and what
// its answer's Date says, if the call has a clock (Create), then the
// client's shared pacing (see client_pacing.go), then the client's
// middleware, then the HTTP client: a client's middleware sees an attempt
// when it leaves, not while it waits its turn. The attempt's timeout starts
// when the request leaves the middleware, and ends when its body is closed.
// Whatever a middleware returns, each layer sees either a response with a
// body or an error, never neither.
func (c *Client) send(call *callConfig, req *http.Request, a Attempt, trace *sendTrace, clock *callClock) (*http.Response, error) {
	timeout := call.timeout // not call itself, which the closure would keep on the heap
	next := MiddlewareNext(func(r *http.Request) (*http.Response, error) {
		trace.departed.Store(true)
		if timeout <= 0 {
			return c.cfg.httpClient.Do(r)
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		resp, err := c.cfg.httpClient.Do(r.WithContext(ctx))
		if err != nil {
			cancel()
			return nil, err
		}
		resp.Body = cancelOnClose{resp.Body, cancel}
		return resp, nil
	})
	next = wrapIn(next, c.cfg.middleware, a)
	paced := c.pacer != nil && !call.ownPacing
	if len(call.middleware) > 0 {
		if paced {
			next = c.sharedPacing(next, a)
		}
		if clock != nil {
			next = wrapIn(next, []Middleware{clock.middleware}, a)
		}
		return wrapIn(next, call.middleware, a)(req)
	}
	// The same layers, called in turn rather than wrapped in a function
	// each: a call without middleware of its own (Get, Create, List) makes
	// none.
	if clock != nil {
		clock.departing(a)
	}
	var resp *http.Response
	var err error
	switch {
	case paced && len(c.cfg.hooks) > 0:
		resp, err = c.pacer.send(req, afterPacerWait(c.cfg.hooks, a, time.Now(), next))
	case paced:
		resp, err = c.pacer.send(req, next)
	default:
		resp, err = next(req)
	}
	if clock == nil {
		return resp, err
	}
	clock.answered(resp, err)
	return checked(resp, err)
}

// wrapIn returns next wrapped in chain, the first outermost.
func wrapIn(next MiddlewareNext, chain []Middleware, a Attempt) MiddlewareNext {
	for i := len(chain) - 1; i >= 0; i-- {
		mw, inner := chain[i], next
		next = func(r *http.Request) (*http.Response, error) { return checked(mw(r, a, inner)) }
	}
	return next
}

// sharedPacing sends an attempt through the client's shared pacer, and
// tells the hooks, if any, of the time it waited for its turn.
func (c *Client) sharedPacing(next MiddlewareNext, a Attempt) MiddlewareNext {
	if len(c.cfg.hooks) == 0 {
		return func(r *http.Request) (*http.Response, error) { return c.pacer.send(r, next) }
	}
	return func(r *http.Request) (*http.Response, error) {
		return c.pacer.send(r, afterPacerWait(c.cfg.hooks, a, time.Now(), next))
	}
}

// checked makes what a middleware returned usable by the layer around it:
// a response with a body, or an error (the response, if any, closed).
func checked(resp *http.Response, err error) (*http.Response, error) {
	switch {
	case err != nil:
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return nil, err
	case resp == nil:
		return nil, errNoResponse
	case resp.Body == nil:
		resp.Body = http.NoBody
	}
	return resp, nil
}

// withCallMiddleware wraps the attempts of one call in mw, around the
// client's middleware; Import paces its batches with it.
func withCallMiddleware(mw Middleware) CallOption {
	return callOption(func(c *callConfig) {
		c.middleware = append(c.middleware[:len(c.middleware):len(c.middleware)], mw)
	})
}

// withRetryPolicy gives a call its caller's retry policy, made from the
// call's settings; Import uses it.
func withRetryPolicy(policy func(*settings) retryPolicy) CallOption {
	return callOption(func(c *callConfig) { c.policy = policy })
}

// withAnswerInto fills *r as [WithResponseInto] does, without the raw JSON,
// which Import has no use for.
func withAnswerInto(r *Response) CallOption {
	return callOption(func(c *callConfig) { c.responseInto = r })
}
