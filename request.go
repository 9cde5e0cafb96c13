package commet

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commet-go/commet/internal/ratelimit"
)

const (
	// maxResponseBytes bounds how much of an answer is read: a full page of
	// 100 customers is far below it.
	maxResponseBytes = 8 << 20
	// maxPooledBuffer is the largest buffer kept for reuse.
	maxPooledBuffer = 1 << 20
)

// request describes one API call; services fill it and call [Client].do.
type request struct {
	op     string // the method called, as "Customers.Create" (see CallInfo)
	method string
	path   string     // under /api/v1, already escaped
	route  string     // path's template, as "/customers/{id}" (see CallInfo)
	query  url.Values // may be nil
	body   any        // JSON-encoded once, re-sent on every attempt; nil for none
	// decode reads a 2xx answer (its status and body) through its checked
	// envelope; a badAnswer error makes the answer unusable.
	decode func(status int, body []byte) error
	// clock, if not nil, records when the call's first request left and
	// what its answers' Date says, as its middleware would (Create's).
	clock *callClock
}

// do runs one API call: it encodes the body once, sends it with retries as
// the call's retry policy says, and decodes a success with r.decode.
func (c *Client) do(ctx context.Context, r request, opts []CallOption) error {
	if len(c.cfg.hooks) > 0 {
		return c.observed(ctx, r, opts)
	}
	return c.run(ctx, r, opts, nil)
}

// run is do, for a call whose hooks (if any) have been told; out, if not
// nil, gets the call's last answer as WithResponseInto would.
func (c *Client) run(ctx context.Context, r request, opts []CallOption, out *Response) error {
	cfg, err := c.newCallConfig(opts)
	if err != nil {
		return err
	}
	var body []byte
	if r.body != nil {
		if body, err = json.Marshal(r.body); err != nil {
			return invalid("metadata", "cannot be encoded as JSON: %v", err)
		}
	}
	idemKey := ""
	if r.method == http.MethodPost {
		idemKey = cfg.idempotencyKey
		if idemKey == "" {
			idemKey = newIdempotencyKey()
		}
	}
	target := c.cfg.baseURL + "/api/v1" + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}

	var resp Response
	if cfg.responseInto != nil {
		defer func() { *cfg.responseInto = resp }()
	}
	if out != nil {
		defer func() { *out = resp }()
	}
	call := callState{method: r.method, path: r.path}
	if ctx.Err() != nil { // never send once the caller gave up
		return call.end(ctx, nil, true)
	}
	var policy *retryPolicy // made at the first failure: a call that succeeds at once needs none
	var tries retryCount
	for attempt := 1; ; attempt++ {
		ans, sent, err := c.attempt(ctx, &cfg, r, target, body, idemKey, attempt)
		call.sent += sent
		resp = Response{Attempts: call.sent}
		if ans != nil {
			resp.StatusCode, resp.Header, resp.RequestID = ans.status, ans.header, c.key.redact(ans.header.Get("X-Request-Id"))
			c.noticeDeprecation(ctx, r, ans.header)
			if err = c.settle(ans, r, cfg.rawJSON, &resp); err == nil {
				return nil
			}
			call.answered(err)
		} else if sent > 0 {
			call.lost, call.acted = true, true // the request left and its answer never came
		}
		if policy == nil {
			cc := cfg // a copy for the policy's maker to keep, if it does: cfg itself stays on the stack
			p := cc.retryPolicy()
			policy = &p
		}
		wait, retry := policy.next(err, &tries)
		if ctx.Err() != nil && (retry || ans == nil) { // an answer that settles the call settles it, context or not
			return call.end(ctx, err, true)
		}
		if !retry {
			return call.end(ctx, err, false)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return call.end(ctx, fmt.Errorf("%w (not retried: the wait of %v before the next attempt would outlast the context's deadline: %w)",
				err, wait.Round(time.Millisecond), context.DeadlineExceeded), true)
		}
		if len(c.cfg.hooks) > 0 && wait > 0 {
			noticeWait(ctx, c.cfg.hooks, Wait{Reason: retryWaitReason(err), Start: time.Now(), Duration: wait, Attempt: attempt + 1})
		}
		if sleep(ctx, wait) != nil {
			return call.end(ctx, err, true)
		}
	}
}

// callState is what one call knows of its requests, to say truly how it
// ended: whether anything was sent, whether any request may have been
// acted on, whether an answer was lost after its request left, and the
// last answer that came.
type callState struct {
	method, path string
	sent         int   // requests sent, as Response.Attempts counts them
	lost         bool  // a request was sent and its answer never came
	acted        bool  // a request may have been acted on: lost, or answered without proof that it was not
	lastAnswer   error // the error of the last answer that came, if any
}

// answered records the failure err of an answer that came.
func (s *callState) answered(err error) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		s.acted = true // an answer the SDK could not judge
		return
	}
	s.lastAnswer = err
	if !provesNothingDone(apiErr) {
		s.acted = true
	}
}

// provesNothingDone reports whether an answer proves that its request was
// not acted on, so that it may be sent again later as if never sent: a 429
// from the rate limiter, which refuses a request before any work. No other
// answer does: a 409 idempotency_in_progress says the first request with
// the key is still at work, and a 5xx or a 408 may come after the work was
// done. (A 4xx refusal acts on nothing either, but it is the call's answer:
// sent again, the request would be refused again.)
func provesNothingDone(e *APIError) bool {
	if e.StatusCode != http.StatusTooManyRequests || e.unusable {
		return false
	}
	_, fromLimiter := ratelimit.Wait(e.Header, time.Now())
	return fromLimiter
}

// end returns the error a call ends with: err, the failure of its last
// attempt (nil when the context ended first). interrupted says the call
// ended before an answer settled it: its context ended, or its deadline
// would come before the next attempt. When the context ended, the error
// matches the context's error and its cause (see contextError), and keeps
// the last answer that came. The error also matches [ErrNotSent] when
// nothing was done at Commet: no request left, or every answer proved
// that none was acted on (a 429 from the rate limiter), whether the call
// was interrupted or gave up on 429s; and it matches [ErrOutcomeUnknown]
// when a write may have been done all the same: its request left and its
// answer never came, or came in a shape the SDK could not read, or the
// call was interrupted after an answer that proves nothing (a 5xx, say).
func (s *callState) end(ctx context.Context, err error, interrupted bool) error {
	prefix := "commet: " + s.method + " " + s.path
	if interrupted && ctx.Err() != nil {
		err = fmt.Errorf("%s: %w", prefix, contextError(ctx))
		if s.lastAnswer != nil {
			err = fmt.Errorf("%w; last answer: %w", err, s.lastAnswer)
		}
	}
	write := s.method != http.MethodGet
	switch {
	case !s.acted:
		return fmt.Errorf("%w: %w", ErrNotSent, err)
	case write && (s.lost || interrupted || errors.Is(err, ErrBadResponse) && isSuccessStatus(err)):
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return err
}

// haltError is the cause with which the SDK ends the context of calls of
// its own accord (Import's graceful stop, its failure budget spent, its
// key refused): the error of a call it ends says why in its text, and
// matches neither the context's error (the caller cancelled nothing) nor
// the reason's sentinels, which belong to the calls that failed, not to
// this one.
type haltError struct{ reason error }

func (e *haltError) Error() string { return e.reason.Error() }

// isSuccessStatus reports whether err is an unusable 2xx answer.
func isSuccessStatus(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode >= 200 && apiErr.StatusCode < 300
}

// contextError is the error of a context that ended: it matches the
// context's error (context.Canceled or context.DeadlineExceeded) and the
// cause it was given, if another. A context the SDK ended of its own
// accord (a *haltError cause) gives that cause alone.
func contextError(ctx context.Context) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if h := (*haltError)(nil); errors.As(cause, &h) {
		return h
	}
	if cause == nil || errors.Is(cause, err) {
		return cmp.Or(cause, err)
	}
	return fmt.Errorf("%w: %w", err, cause)
}

// settle turns a read answer into the call's result: nil once a success is
// decoded, else the *[APIError] to classify. It releases the answer's buffer.
func (c *Client) settle(ans *answer, r request, keepRaw bool, resp *Response) error {
	err := c.classify(ans, r, keepRaw, resp)
	if err != nil {
		nameRequest(err, r)
	}
	return err
}

// nameRequest sets the method and path of r on err's *[APIError], if any.
// (Apart from settle, so that a success does not pay for errors.As's
// target.)
func nameRequest(err error, r request) {
	if apiErr := (*APIError)(nil); errors.As(err, &apiErr) {
		apiErr.Method, apiErr.Path = r.method, r.path
	}
}

// classify decodes a success, or returns the *[APIError] of any other answer.
func (c *Client) classify(ans *answer, r request, keepRaw bool, resp *Response) error {
	defer putBuffer(ans.body)
	redact := c.key.redact
	switch s := ans.status; {
	case ans.tooLarge:
		return unusableAnswer(s, ans.header, redact, "the answer is larger than %d MiB", maxResponseBytes>>20)
	case s >= 200 && s < 300:
		err := r.decode(s, ans.body.Bytes())
		if err != nil {
			return c.undecodable(s, ans.header, err)
		}
		if keepRaw {
			resp.RawJSON = bytes.Clone(ans.body.Bytes())
		}
		return nil
	case s >= 300 && s < 400:
		if r.method != http.MethodGet {
			return unusableAnswer(s, ans.header, redact, "the %s was redirected; a write is never followed to another location (check the base URL)", r.method)
		}
		return unusableAnswer(s, ans.header, redact, "a redirect that was not followed (a read follows %d at most)", maxRedirects)
	case s >= 400 && s < 600:
		return newAPIError(s, ans.header, ans.body.Bytes(), redact)
	}
	return unusableAnswer(ans.status, ans.header, redact, "unexpected status %d", ans.status)
}

// undecodable is the error of a 2xx answer whose decode failed with err:
// unusable when err is a badAnswer, err itself otherwise. (Apart from
// classify, so that a success does not pay for errors.As's target.)
func (c *Client) undecodable(status int, header http.Header, err error) error {
	redact := c.key.redact
	var bad badAnswer
	switch {
	case errors.As(err, &bad) && bad == errNoEnvelope:
		return unusableAnswer(status, header, redact, "%s: likely an answer of another API version than %s, which this client pins (Commet answers a pin it no longer has in its current version's shapes)", bad, printable(c.cfg.apiVersion, 64))
	case errors.As(err, &bad):
		return unusableAnswer(status, header, redact, "%s", bad)
	}
	return err
}

// answer is a response read in full (or up to the size limit) and closed.
type answer struct {
	status   int
	header   http.Header
	body     *bytes.Buffer // from the pool; settle puts it back
	tooLarge bool          // the body went past maxResponseBytes
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

// putBuffer returns b to the pool, unless it grew too large to keep.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		bufPool.Put(b)
	}
}

// errAttemptTimeout is the cause of an attempt cut by its own timeout,
// which is a network failure to retry, not the caller's deadline.
type errAttemptTimeout time.Duration

func (e errAttemptTimeout) Error() string {
	return fmt.Sprintf("the attempt timed out after %v", time.Duration(e))
}

// attempt sends one HTTP request and reads its answer with a size limit.
// An error is a failure to get an answer, wrapped in [ErrNetwork], without
// the request URL (whose query may hold an email). sent counts the
// requests that really left: 0 when the attempt stopped before sending
// (in a middleware's wait, or on a connection that failed to open), 2 or
// more when net/http re-sent it on a fresh connection after a reused one
// died (see [Response].Attempts).
func (c *Client) attempt(ctx context.Context, cfg *callConfig, r request, target string, body []byte, idemKey string, n int) (ans *answer, sent int, err error) {
	st := new(attemptState)
	var reqBody io.Reader
	if body != nil {
		st.body.Reset(body)
		reqBody = &st.body
	}
	trace := &st.trace
	req, err := http.NewRequestWithContext(trace.attach(ctx), r.method, target, reqBody)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %s %s: %v", ErrInvalidConfig, r.method, r.path, err) // a URL the options let through
	}
	h := req.Header
	for k, v := range cfg.header {
		h[k] = v
	}
	// The SDK's headers replace the caller's, as Header.Set would. Their
	// values share one array, in the attempt's state rather than one
	// allocation a header: each has a slot of its own, capped, so that a
	// middleware that changes a value in place or appends to it touches no
	// other header.
	vals := &st.header
	*vals = [...]string{c.key.value(), c.cfg.apiVersion, userAgent, "application/json", "application/json", idemKey}
	h["X-Api-Key"], h["Commet-Version"], h["User-Agent"], h["Accept"] = vals[0:1:1], vals[1:2:2], vals[2:3:3], vals[3:4:4]
	if body != nil {
		h["Content-Type"] = vals[4:5:5]
	}
	if idemKey != "" {
		h["Idempotency-Key"] = vals[5:6:6]
	}

	logged := c.cfg.logger != nil // the clock is read for the log record alone
	var start time.Time
	if logged {
		start = time.Now()
	}
	ans, err = c.roundTrip(cfg, req, Attempt{Operation: r.op, Method: r.method, Path: r.path, Route: r.route, Number: n}, st, r.clock)
	sent = trace.sent(ans != nil)
	if err != nil && cfg.timeout > 0 && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = errAttemptTimeout(cfg.timeout)
	}
	if err != nil {
		err = redactedError{err, c.key.redact}
		if logged {
			c.log(ctx, r, n, 0, "", time.Since(start), err)
		}
		return nil, sent, fmt.Errorf("%w: %s %s: %w", ErrNetwork, r.method, r.path, err)
	}
	if logged {
		c.log(ctx, r, n, ans.status, c.key.redact(ans.header.Get("X-Request-Id")), time.Since(start), nil)
	}
	return ans, sent, nil
}

// attemptState is what one attempt keeps while it is in flight, in one
// allocation rather than one each: its request body's reader, its trace,
// the SDK's header values, its answer and the reader that bounds it.
type attemptState struct {
	body    bytes.Reader
	trace   sendTrace
	header  [6]string
	ans     answer
	limited io.LimitedReader
}

// sendTrace tells how many times a request really left: net/http reports
// each write of its headers through httptrace, re-sends on a dead reused
// connection included. A transport that reports nothing (a test double,
// a transport of its own) is taken to have sent the request once it was
// handed over.
type sendTrace struct {
	departed atomic.Bool  // the request left the middleware for the HTTP client
	traced   atomic.Bool  // the transport reports through httptrace
	wrote    atomic.Int32 // times the request's headers were written
	hooks    httptrace.ClientTrace
}

func (t *sendTrace) attach(ctx context.Context) context.Context {
	t.hooks = httptrace.ClientTrace{
		GetConn:      func(string) { t.traced.Store(true) },
		WroteHeaders: func() { t.wrote.Add(1) },
	}
	return httptrace.WithClientTrace(ctx, &t.hooks)
}

// sent is the number of requests that left; answered says an answer came,
// which a middleware may give without sending anything.
func (t *sendTrace) sent(answered bool) int {
	switch {
	case !t.departed.Load():
		if answered {
			return 1 // a middleware answered in the server's place
		}
		return 0
	case t.traced.Load():
		return max(int(t.wrote.Load()), 0)
	}
	return 1
}

// roundTrip sends req and reads the answer's body, bounded; the answer
// comes back with its status even when its body could not be read.
func (c *Client) roundTrip(cfg *callConfig, req *http.Request, a Attempt, st *attemptState, clock *callClock) (*answer, error) {
	resp, err := c.send(cfg, req, a, &st.trace, clock)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // the URL may hold an email in its query
		}
		return nil, err
	}
	defer resp.Body.Close()
	ans := &st.ans
	*ans = answer{status: resp.StatusCode, header: c.key.redactHeader(resp.Header), body: getBuffer()}
	st.limited = io.LimitedReader{R: resp.Body, N: maxResponseBytes + 1}
	ans.tooLarge, err = readBounded(ans.body, &st.limited, maxResponseBytes)
	if err != nil {
		putBuffer(ans.body)
		return nil, err
	}
	return ans, nil
}

// readLimited reads r into buf up to one byte past limit, and reports
// whether r held more than limit bytes.
func readLimited(buf *bytes.Buffer, r io.Reader, limit int64) (tooLarge bool, err error) {
	return readBounded(buf, &io.LimitedReader{R: r, N: limit + 1}, limit)
}

// readBounded is readLimited with its bounded reader given, r stopping one
// byte past limit (roundTrip keeps it in the attempt's state).
func readBounded(buf *bytes.Buffer, r *io.LimitedReader, limit int64) (tooLarge bool, err error) {
	_, err = buf.ReadFrom(r)
	return int64(buf.Len()) > limit, err
}

// redactedError keeps an error's chain for errors.Is and errors.As, but
// prints its text with API keys redacted: a transport or proxy may quote
// the request's headers.
type redactedError struct {
	err    error
	redact func(string) string
}

func (e redactedError) Error() string { return e.redact(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }

// newIdempotencyKey returns 128 random bits from crypto/rand, hex encoded.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
