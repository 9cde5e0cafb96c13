// Package ratelimit reads what an answer says about Commet's rate limiter,
// as the contract says (shared/commet-api.md, "Rate limits"): Retry-After,
// in seconds or as an HTTP date on the server's clock; RateLimit-Limit,
// -Remaining and -Reset; the IETF draft's structured fields RateLimit and
// RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers, parsed with the
// rules of RFC 9651); and the answer's Date, which places the server's
// moments. It is the one reader of those headers: the retry policy,
// APIError, the import pacer and the command line all read them here.
//
// Every moment a header names is read against the answer's own Date (the
// server's clock), never against this machine's clock, which may be off
// by minutes; only an answer without a valid Date is read against now.
//
// Read reads the draft's fields beside the older triple: either alone
// fills a Limit; when both come they agree, or the safer of each is kept
// (the smaller quota, the less remaining, the later reset), and the
// window's length is the one the policy states.
package ratelimit

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// MinWait is the least a 429 is waited for, whatever it asks:
	// Retry-After: 0, or a date already past, still means "not yet".
	MinWait = 100 * time.Millisecond
	// maxResetSeconds is the largest RateLimit-Reset read as seconds; a
	// larger value (a Unix time, as other APIs send) is read as a moment.
	maxResetSeconds = 366 * 24 * 60 * 60
)

// ServerNow is the moment an answer was written, on the server's clock:
// its Date when valid, else now.
func ServerNow(h http.Header, now time.Time) time.Time {
	if d, ok := Date(h); ok {
		return d
	}
	return now
}

// RetryAfter reads an answer's Retry-After as the wait it asks for: a
// number of seconds, or an HTTP date compared with the answer's own Date
// (the server's clock), or with now when the answer has no valid Date.
// ok is false when there is no valid value. The wait is the server's ask
// as it asked it (0 for "0" or a past date), however long: values beyond
// what a Duration holds saturate.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	return ParseRetryAfter(h.Get("Retry-After"), ServerNow(h, now))
}

// ParseRetryAfter reads a Retry-After value, in whole seconds or as an
// HTTP date compared with now, as the wait it asks for, however long:
// values beyond what a Duration holds saturate. ok is false when there is
// no valid value: negative numbers, fractions, exponents and words are not
// valid (RFC 9110 allows only digits).
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
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

// Wait is the wait a 429's headers ask for: Retry-After (read as
// RetryAfter does) when present; else, when RateLimit-Remaining is 0, the
// time until RateLimit-Reset (seconds, or a moment compared with the
// answer's Date), or when a member of the RateLimit field says r=0, its t
// (the longest, when several do); the longer of the two when both say
// so. Either is at least MinWait, since a 429 means "not yet" even when it
// asks for no wait. ok is false when the headers ask for no wait at all:
// such a 429 is not from the rate limiter.
func Wait(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	if wait, ok := RetryAfter(h, now); ok {
		return max(wait, MinWait), true
	}
	if remaining, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining"))); err == nil && remaining == 0 {
		wait, _ = ParseReset(h.Get("RateLimit-Reset"), ServerNow(h, now))
		ok = true
	}
	if d, draft := draftWait(h); draft {
		wait, ok = max(wait, d), true
	}
	if !ok {
		return 0, false
	}
	return max(wait, MinWait), true
}

// Limit is what an answer's RateLimit-* headers say of one of the
// limiter's windows.
type Limit struct {
	// Limit is the requests allowed per window, as sent. Several windows
	// may be stacked; the Limit tells them apart.
	Limit int
	// Remaining is the requests left in the window.
	Remaining int
	// Reset is the time until the allowance is whole again, from when the
	// answer was written; valid when HasReset is set.
	Reset    time.Duration
	HasReset bool
	// Window is the window's length as a RateLimit-Policy states it (its
	// w); 0 when no policy states one (the older triple never does).
	Window time.Duration
}

// Read reads what an answer says of the limiter's window: from
// RateLimit-Limit, -Remaining and -Reset, and from the draft's RateLimit
// and RateLimit-Policy fields (the member nearest exhaustion, see
// readDraft). Either alone fills the Limit; when both do, they agree or
// the safer of each is kept: the smaller Limit, the less Remaining, the
// later Reset, with the policy's Window. ok is false unless one of them
// is there and makes sense (0 <= Remaining <= Limit, Limit > 0). Reset is
// read as ParseReset does, against the answer's Date.
func Read(h http.Header, now time.Time) (Limit, bool) {
	legacy, okLegacy := readLegacy(h, now)
	draft, okDraft := readDraft(h)
	switch {
	case okLegacy && okDraft:
		return safer(legacy, draft), true
	case okDraft:
		return draft, true
	}
	return legacy, okLegacy
}

// readLegacy reads an answer's RateLimit-Limit, -Remaining and -Reset. ok
// is false unless Limit and Remaining are there and make sense.
func readLegacy(h http.Header, now time.Time) (l Limit, ok bool) {
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining")))
	if err1 != nil || err2 != nil || limit <= 0 || remaining < 0 || remaining > limit {
		return Limit{}, false
	}
	l = Limit{Limit: limit, Remaining: remaining}
	l.Reset, l.HasReset = ParseReset(h.Get("RateLimit-Reset"), ServerNow(h, now))
	return l, true
}

// ParseReset reads a RateLimit-Reset value as the time from now (the
// server's) until the reset: a number of seconds (a fraction allowed), or,
// when too large to be seconds, a moment in Unix seconds compared with
// now. A moment already past is a reset now (0). ok is false for anything
// else: words, negative numbers, moments more than a year away.
func ParseReset(v string, now time.Time) (time.Duration, bool) {
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(secs >= 0) || math.IsInf(secs, 0) {
		return 0, false
	}
	if secs <= maxResetSeconds {
		return time.Duration(secs * float64(time.Second)), true
	}
	// a moment: how far it is from now, in seconds, bounded before it
	// becomes a Duration, so that no conversion can overflow
	d := secs - float64(now.Unix()) - float64(now.Nanosecond())/1e9
	if d > maxResetSeconds || d < -maxResetSeconds {
		return 0, false // neither seconds nor a moment within a year
	}
	return max(time.Duration(d*float64(time.Second)), 0), true
}
