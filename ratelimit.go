package commet

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// What an answer says about Commet's rate limiter, read as the contract
// says (shared/commet-api.md, "Rate limits"): Retry-After in seconds or as
// an HTTP date on the server's clock, RateLimit-Limit, -Remaining and
// -Reset, and the answer's Date, which places the server's moments.

const (
	// minRateLimitWait is the least a 429 is waited for, whatever it asks:
	// Retry-After: 0, or a date already past, still means "not yet".
	minRateLimitWait = 100 * time.Millisecond
	// maxResetSeconds is the largest RateLimit-Reset read as seconds; a
	// larger value (a Unix time, as other APIs send) is read as a moment.
	maxResetSeconds = 366 * 24 * 60 * 60
)

// serverNow is the moment an answer was written, on the server's clock:
// its Date when valid, else now.
func serverNow(h http.Header, now time.Time) time.Time {
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		return d
	}
	return now
}

// retryAfter reads an answer's Retry-After as the wait it asks for: a
// number of seconds, or an HTTP date compared with the answer's own Date
// (the server's clock), or with now when the answer has no valid Date.
// ok is false when there is no valid value. The wait is the server's ask as
// it asked it (0 for "0" or a past date), however long: values beyond what
// a Duration holds saturate.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	return parseRetryAfter(h.Get("Retry-After"), serverNow(h, now))
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP date
// compared with now, as the wait it asks for, however long: values beyond
// what a Duration holds saturate. ok is false when there is no valid value
// (negative numbers, fractions and words are not valid).
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		switch {
		case err == nil && secs <= uint64(math.MaxInt64/int64(time.Second)):
			return time.Duration(secs) * time.Second, true
		case err == nil || errors.Is(err, strconv.ErrRange):
			return math.MaxInt64, true
		}
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true // Sub saturates
}

// rateLimitWait is the wait a 429's headers ask for: Retry-After (read as
// retryAfter does) when present; else, when RateLimit-Remaining is 0, the
// time until RateLimit-Reset (seconds, or a moment compared with the
// answer's Date). Either is at least minRateLimitWait, since a 429 means
// "not yet" even when it asks for no wait. ok is false when the headers ask
// for no wait at all: such a 429 is not from the rate limiter.
func rateLimitWait(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	if wait, ok := retryAfter(h, now); ok {
		return max(wait, minRateLimitWait), true
	}
	remaining, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining")))
	if err != nil || remaining != 0 {
		return 0, false
	}
	reset, _ := readReset(h.Get("RateLimit-Reset"), serverNow(h, now))
	return max(reset, minRateLimitWait), true
}

// rateLimit is what an answer's RateLimit-* headers say.
type rateLimit struct {
	limit     int           // requests allowed per window
	remaining int           // requests left in it
	reset     time.Duration // until the allowance is whole again, from when the answer was written
	hasReset  bool          // reset was given and readable
}

// readRateLimit reads an answer's RateLimit-Limit, -Remaining and -Reset.
// ok is false unless Limit and Remaining are there and make sense
// (0 <= Remaining <= Limit). Reset is read by readReset.
func readRateLimit(h http.Header, now time.Time) (rl rateLimit, ok bool) {
	l, err1 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Limit")))
	r, err2 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining")))
	if err1 != nil || err2 != nil || l <= 0 || r < 0 || r > l {
		return rateLimit{}, false
	}
	rl = rateLimit{limit: l, remaining: r}
	rl.reset, rl.hasReset = readReset(h.Get("RateLimit-Reset"), serverNow(h, now))
	return rl, true
}

// readReset reads a RateLimit-Reset value as the time from now (the
// server's) until the reset: a number of seconds (a fraction allowed), or,
// when too large to be seconds, a moment in Unix seconds compared with now.
// A moment already past is a reset now (0). ok is false for anything else:
// words, negative numbers, moments more than a year away.
func readReset(v string, now time.Time) (time.Duration, bool) {
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(secs >= 0) || math.IsInf(secs, 0) {
		return 0, false
	}
	if secs <= maxResetSeconds {
		return time.Duration(secs * float64(time.Second)), true
	}
	if secs > math.MaxInt64/float64(time.Second) {
		return 0, false
	}
	d := time.Unix(0, 0).Add(time.Duration(secs * float64(time.Second))).Sub(now)
	if d > maxResetSeconds*time.Second || d < -maxResetSeconds*time.Second {
		return 0, false // neither seconds nor a moment within a year
	}
	return max(d, 0), true
}
