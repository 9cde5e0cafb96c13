package commet

import (
	"context"
	"crypto/x509"
	"errors"
	mrand "math/rand/v2"
	"net/http"
	"time"
)

// maxRetryAfter is the longest Retry-After the SDK waits for before a
// retry. A server that asks for more ends the call at once, with its value
// on the error: retrying sooner than asked would only burn the caller's
// time, and a caller such as a sign-up handler can pass the wait on.
const maxRetryAfter = 30 * time.Second

// retryWait decides whether failure err is retried, and after how long, as
// Commet's contract says: 408, 429 (only with Retry-After), 500, 502, 503,
// 504, a 409 idempotency_in_progress, and failures to get an answer are
// retried; an answer the SDK could not use is not, since the next one would
// be the same. n counts the failures so far, for the backoff. A Retry-After
// longer than limit is not waited for: the call ends with it.
func (c *settings) retryWait(err error, n int, limit time.Duration) (time.Duration, bool) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		if !errors.Is(err, ErrNetwork) || isPermanentTransportError(err) {
			return 0, false
		}
		return c.backoff(n), true
	}
	if apiErr.unusable {
		return 0, false
	}
	switch apiErr.StatusCode {
	case http.StatusTooManyRequests:
		// Without Retry-After, a 429 is not from the rate limiter.
		if !apiErr.hasRetryAfter {
			return 0, false
		}
	case http.StatusConflict:
		if apiErr.Code != "idempotency_in_progress" {
			return 0, false
		}
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return 0, false
	}
	if !apiErr.hasRetryAfter {
		return c.backoff(max(n, 1)), true
	}
	return apiErr.RetryAfter, apiErr.RetryAfter <= limit
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
