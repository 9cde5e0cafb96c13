package commet

import (
	"context"
	"crypto/x509"
	"errors"
	mrand "math/rand/v2"
	"net/http"
	"time"

	"github.com/commet-go/commet/internal/ratelimit"
)

// maxRetryAfter is the longest Retry-After the SDK waits for before a
// retry. A server that asks for more ends the call at once, with its value
// on the error: retrying sooner than asked would only burn the caller's
// time, and a caller such as a sign-up handler can pass the wait on.
const maxRetryAfter = 30 * time.Second

// retryPolicy says which failed attempts of a call are retried, and after
// how long. A call gets its policy from its caller: a single call retries
// as Commet's contract says (retryPolicy.single), Import waits out rate
// limits apart from its other failures (importRetryPolicy).
type retryPolicy struct {
	backoff    func(n int) time.Duration // the wait before retry n, for failures that ask for none
	maxRetries int                       // failures retried, 429s included unless rateLimits is set
	// maxRetryAfter is the longest Retry-After waited for. A longer one
	// ends a single call at once, with the server's value on the error;
	// with rateLimits, a 429's wait is cut to it instead, and asked again.
	maxRetryAfter time.Duration
	// rateLimits, when set, waits out 429s without charging them to
	// maxRetries, until they add up to patience or number maxRateLimited.
	rateLimits     bool
	patience       time.Duration
	maxRateLimited int
}

// retryCount is what a call has retried so far.
type retryCount struct {
	failures    int           // failed attempts charged to maxRetries
	rateLimited int           // 429s waited out apart from them
	waited      time.Duration // on those 429s
}

// single is the policy of one call, from its settings.
func (s *settings) single() retryPolicy {
	return retryPolicy{backoff: s.backoff, maxRetries: s.maxRetries, maxRetryAfter: maxRetryAfter}
}

// next decides whether the failure err is retried, and after how long, as
// Commet's contract says: 408, 429 from the rate limiter (with Retry-After,
// or RateLimit-Remaining: 0, or the draft's RateLimit with r=0, and a
// reset), 500, 502, 503, 504, a 409
// idempotency_in_progress, and failures to get an answer are retried; an
// answer the SDK could not use is not, since the next one would be the
// same. A server that asks for no wait (Retry-After: 0, or a date already
// past) gets the backoff all the same: "not yet" is never a reason to ask
// again at once.
func (p retryPolicy) next(err error, n *retryCount) (time.Duration, bool) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		if !errors.Is(err, ErrNetwork) || isPermanentTransportError(err) {
			return 0, false
		}
		n.failures++
		return p.backoff(n.failures), n.failures <= p.maxRetries
	}
	if apiErr.unusable {
		return 0, false
	}
	switch apiErr.StatusCode {
	case http.StatusTooManyRequests:
		ask, ok := ratelimit.Wait(apiErr.Header, time.Now())
		if !ok {
			return 0, false // not from the rate limiter
		}
		if !p.rateLimits {
			n.failures++
			return p.wait(ask, n.failures), n.failures <= p.maxRetries && ask <= p.maxRetryAfter
		}
		n.rateLimited++
		wait := min(p.wait(ask, n.rateLimited), p.maxRetryAfter)
		n.waited += wait
		return wait, n.waited <= p.patience && n.rateLimited <= p.maxRateLimited
	case http.StatusConflict:
		if apiErr.Code != "idempotency_in_progress" {
			return 0, false
		}
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return 0, false
	}
	n.failures++
	retry := n.failures <= p.maxRetries
	if !apiErr.hasRetryAfter {
		return p.backoff(n.failures), retry
	}
	return p.wait(apiErr.RetryAfter, n.failures), retry && apiErr.RetryAfter <= p.maxRetryAfter
}

// wait is the wait a server asked for, or the backoff of retry n when it
// asked for none (ratelimit.Wait gives such an ask the floor
// ratelimit.MinWait, which is "not yet", not a wait).
func (p retryPolicy) wait(ask time.Duration, n int) time.Duration {
	if ask <= ratelimit.MinWait {
		return max(ask, p.backoff(n))
	}
	return ask
}

func isPermanentTransportError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalidCert)
}

// backoff is the wait before retry n: initial·2^(n-1) capped at max, minus a
// random jitter of up to half, so that clients retrying together spread out.
// It never overflows, whatever initial, max and n are.
func (c *settings) backoff(n int) time.Duration {
	d := c.maxBackoff
	if shift := n - 1; shift < 63 && c.initialBackoff <= c.maxBackoff>>shift {
		d = c.initialBackoff << shift
	}
	return d - mrand.N(d/2+1)
}

// sleep waits d, or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
