package commet

import (
	"net/http"
	"time"
)

// rateLimitWait is the wait a 429's headers ask for; ok is false for a 429
// that is not from the rate limiter. (Replaced by ratelimit.go.)
func rateLimitWait(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := parseRetryAfter(h.Get("Retry-After"), now); ok {
		return d, true
	}
	if limit, remaining, reset, ok := rateLimitHeaders(h); ok && remaining == 0 && limit > 0 {
		return time.Duration(reset) * time.Second, true
	}
	return 0, false
}
