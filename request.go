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
	"net/url"
	"sync"
	"time"
)

const (
	// maxResponseBytes bounds how much of an answer is read: a full page of
	// 100 customers is far below it.
	maxResponseBytes = 8 << 20
	// maxPooledBuffer is the largest buffer kept for reuse.
	maxPooledBuffer = 1 << 20
)

// request describes one API call; services fill it and call Client.do.
type request struct {
	method string
	path   string     // under /api/v1, already escaped
	query  url.Values // may be nil
	body   any        // JSON-encoded once, re-sent on every attempt; nil for none
	// decode reads a 2xx answer (its status and body) through its checked
	// envelope; a badAnswer error makes the answer unusable.
	decode func(status int, body []byte) error
}

// do runs one API call: it encodes the body once, sends it with retries as
// the contract says, and decodes a success with r.decode.
func (c *Client) do(ctx context.Context, r request, opts []CallOption) error {
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
	failures := 0                  // retries charged to maxRetries
	var waitedOut429 time.Duration // waits for 429s, when the call has patience for them (Import)
	for attempt := 1; ; attempt++ {
		if ctxErr := ctx.Err(); ctxErr != nil { // never send once the caller gave up
			return fmt.Errorf("commet: %s %s: %w", r.method, r.path, ctxErr)
		}
		ans, err := c.attempt(ctx, &cfg, r, target, body, idemKey, attempt)
		resp = Response{Attempts: attempt}
		if ans != nil {
			resp.StatusCode, resp.Header, resp.RequestID = ans.status, ans.header, c.key.redact(ans.header.Get("X-Request-Id"))
		}
		if err == nil {
			err = c.settle(ans, r, cfg.rawJSON, &resp)
			if err == nil {
				return nil
			}
		}
		if ctx.Err() != nil && !errors.As(err, new(*APIError)) {
			return fmt.Errorf("commet: %s %s: %w", r.method, r.path, ctx.Err())
		}
		var apiErr *APIError
		rateLimited := cfg.rateLimitPatience > 0 && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests
		if !rateLimited {
			failures++
		}
		wait, retry := cfg.retryWait(err, failures, cmp.Or(cfg.maxRetryAfter, maxRetryAfter))
		if rateLimited {
			waitedOut429 += wait
			retry = retry && waitedOut429 <= cfg.rateLimitPatience
		} else {
			retry = retry && failures <= cfg.maxRetries
		}
		if !retry || ctx.Err() != nil {
			return err
		}
		if ctxErr := sleep(ctx, wait); ctxErr != nil {
			return fmt.Errorf("commet: %s %s: %w while waiting to retry; last attempt: %w", r.method, r.path, ctxErr, err)
		}
	}
}

// settle turns a read answer into the call's result: nil once a success is
// decoded, else the *APIError to classify. It releases the answer's buffer.
func (c *Client) settle(ans *answer, r request, keepRaw bool, resp *Response) error {
	defer putBuffer(ans.body)
	redact := c.key.redact
	switch s := ans.status; {
	case ans.tooLarge:
		return unusableAnswer(s, ans.header, redact, "the answer is larger than %d MiB", maxResponseBytes>>20)
	case s >= 200 && s < 300:
		err := r.decode(s, ans.body.Bytes())
		var bad badAnswer
		if errors.As(err, &bad) {
			return unusableAnswer(s, ans.header, redact, "%s", bad)
		}
		if err == nil && keepRaw {
			resp.RawJSON = bytes.Clone(ans.body.Bytes())
		}
		return err
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
// An error is a failure to get an answer, wrapped in ErrNetwork, without
// the request URL (whose query may hold an email).
func (c *Client) attempt(ctx context.Context, cfg *callConfig, r request, target string, body []byte, idemKey string, n int) (*answer, error) {
	var reqBody io.Reader
	if body != nil {
		reqBody = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, reqBody)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v", ErrInvalidConfig, r.method, r.path, err) // a URL the options let through
	}
	for k, v := range cfg.header {
		req.Header[k] = v
	}
	req.Header.Set("X-Api-Key", c.key.value())
	req.Header.Set("Commet-Version", c.cfg.apiVersion)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}

	start := time.Now()
	ans, err := c.roundTrip(cfg, req, Attempt{Method: r.method, Path: r.path, Number: n})
	if err != nil && cfg.timeout > 0 && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = errAttemptTimeout(cfg.timeout)
	}
	if err != nil {
		err = redactedError{err, c.key.redact}
		c.log(ctx, r, n, 0, "", time.Since(start), err)
		return nil, fmt.Errorf("%w: %s %s: %w", ErrNetwork, r.method, r.path, err)
	}
	c.log(ctx, r, n, ans.status, c.key.redact(ans.header.Get("X-Request-Id")), time.Since(start), nil)
	return ans, nil
}

// roundTrip sends req and reads the answer's body, bounded; the answer
// comes back with its status even when its body could not be read.
func (c *Client) roundTrip(cfg *callConfig, req *http.Request, a Attempt) (*answer, error) {
	resp, err := c.send(cfg, req, a)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err // the URL may hold an email in its query
		}
		return nil, err
	}
	defer resp.Body.Close()
	ans := &answer{status: resp.StatusCode, header: resp.Header, body: getBuffer()}
	_, err = ans.body.ReadFrom(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		putBuffer(ans.body)
		return nil, err
	}
	ans.tooLarge = ans.body.Len() > maxResponseBytes
	return ans, nil
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
