package commet

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/commet-go/commet/internal/ratelimit"
)

// Hooks are functions a client calls as its calls go, for tracing and
// metrics: package github.com/commet-go/commet/otelcommet builds
// OpenTelemetry's spans and metrics on them, so that the SDK itself
// imports no telemetry library. Every field is optional; [WithHooks]
// installs them.
//
// A hook runs on the goroutine of the call it observes (for Import's
// batches, on Import's workers, several at once): it must be safe for
// concurrent use, and fast, since the call waits for it. What a hook gets
// never holds the API key, a request's body or query, or a customer's ID:
// [CallInfo] and [Attempt] name routes by their template. A hook must not
// read them from elsewhere (the request's URL holds the ID) into
// telemetry.
//
// A call the SDK refuses before sending anything, for invalid params, is
// not observed: it ends before the request loop starts.
type Hooks struct {
	// CallStart is called when a call starts, before its first attempt.
	// The context it returns is the call's from then on: the attempts'
	// requests carry it (a [Middleware] reads it from the request), and
	// CallEnd and Wait get it. It must return ctx or a context derived
	// from it; a nil one is ignored.
	CallStart func(ctx context.Context, call CallInfo) context.Context
	// CallEnd is called once a call that CallStart saw has ended, with the
	// call's last answer (as [WithResponseInto] fills it) and the error
	// the call returns, nil for a success.
	CallEnd func(ctx context.Context, call CallInfo, resp Response, err error)
	// Wait is called when a call waits before an attempt: with the wait
	// planned before a retry (the context may end it sooner), and with
	// the wait done once Import's pacer let an attempt go (waits under a
	// millisecond are not reported).
	Wait func(ctx context.Context, w Wait)
	// ImportStart is called when [CustomersService.Import] starts, once its
	// params are checked. The context it returns is the import's: the
	// calls of its batches start from it. It must return ctx or a context
	// derived from it; a nil one is ignored.
	ImportStart func(ctx context.Context) context.Context
	// ImportEnd is called when an import that ImportStart saw ends, with
	// the summary and the error Import returns.
	ImportEnd func(ctx context.Context, summary ImportSummary, err error)
	// Middleware, if set, wraps every attempt, as one given to
	// [WithMiddleware] at the same place among the options would.
	Middleware Middleware
}

// CallInfo names a call for [Hooks].
type CallInfo struct {
	// Operation is the method called, as "Customers.Create". Each page of
	// All and Pages is a "Customers.List" call, each batch of Import a
	// "Customers.CreateBatch" call, and so is each part of a batch that
	// Commet answered 413 and the SDK sent again in parts.
	Operation string
	// Method is the HTTP method of the call's requests.
	Method string
	// Route is the path's template under /api/v1, with the customer's ID
	// as a placeholder: "/customers/{id}".
	Route string
}

// WaitReason says why a call waits.
type WaitReason string

// The reasons of a [Wait].
const (
	// WaitRetryAfter is a wait the server asked for, before a retry: a
	// Retry-After header, or the reset of a spent rate limit.
	WaitRetryAfter WaitReason = "retry_after"
	// WaitBackoff is the backoff before a retry, when the server asked for
	// no wait.
	WaitBackoff WaitReason = "backoff"
	// WaitPacer is Import's pacer holding an attempt until its turn.
	WaitPacer WaitReason = "pacer"
)

// Wait is a wait of a call, for [Hooks].Wait.
type Wait struct {
	// Reason says why the call waits.
	Reason WaitReason
	// Start is when the wait began.
	Start time.Time
	// Duration is how long it lasts.
	Duration time.Duration
	// Attempt is the number of the attempt that waits (see [Attempt]).
	Attempt int
}

// WithHooks has the client call h's functions as its calls go (see
// [Hooks]). Given several times, every set is called: the starts in the
// order given, the ends in the reverse order.
func WithHooks(h Hooks) ClientOption {
	return clientOption(func(c *clientConfig) {
		c.hooks = append(c.hooks[:len(c.hooks):len(c.hooks)], h)
		if h.Middleware != nil {
			c.middleware = append(c.middleware[:len(c.middleware):len(c.middleware)], h.Middleware)
		}
	})
}

// observed runs the call r through the client's hooks.
func (c *Client) observed(ctx context.Context, r request, opts []CallOption) error {
	info := CallInfo{Operation: r.op, Method: r.method, Route: r.route}
	for _, h := range c.cfg.hooks {
		if h.CallStart == nil {
			continue
		}
		if next := h.CallStart(ctx, info); next != nil { // a nil context is a hook's bug: keep the call's
			ctx = next
		}
	}
	var resp Response
	err := c.run(ctx, r, opts, &resp)
	for i := len(c.cfg.hooks) - 1; i >= 0; i-- {
		if h := c.cfg.hooks[i]; h.CallEnd != nil {
			h.CallEnd(ctx, info, resp, err)
		}
	}
	return err
}

// noticeWait tells the hooks of a wait.
func noticeWait(ctx context.Context, hooks []Hooks, w Wait) {
	for _, h := range hooks {
		if h.Wait != nil {
			h.Wait(ctx, w)
		}
	}
}

// retryWaitReason says why a call waits before retrying after err: for a
// wait the server asked for, or the backoff (see retryPolicy.wait).
func retryWaitReason(err error) WaitReason {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return WaitBackoff
	}
	if apiErr.StatusCode == http.StatusTooManyRequests {
		if ask, ok := ratelimit.Wait(apiErr.Header, time.Now()); ok && ask > ratelimit.MinWait {
			return WaitRetryAfter
		}
		return WaitBackoff
	}
	if apiErr.hasRetryAfter && apiErr.RetryAfter > ratelimit.MinWait {
		return WaitRetryAfter
	}
	return WaitBackoff
}

// importStarted tells the hooks that an import starts, and returns the
// import's context and the function to call when it ends.
func (c *Client) importStarted(ctx context.Context) (context.Context, func(ImportSummary, error)) {
	hooks := c.cfg.hooks
	for _, h := range hooks {
		if h.ImportStart == nil {
			continue
		}
		if next := h.ImportStart(ctx); next != nil {
			ctx = next
		}
	}
	return ctx, func(s ImportSummary, err error) {
		for i := len(hooks) - 1; i >= 0; i-- {
			if h := hooks[i]; h.ImportEnd != nil {
				h.ImportEnd(ctx, s, err)
			}
		}
	}
}
