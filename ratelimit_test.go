package commet

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// headers builds an answer's headers from name, value pairs.
func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// TestRetryAfterDateIsReadOnTheServersClock: an HTTP date in Retry-After is
// a moment on the server's clock, compared with the same answer's Date,
// however far this machine's clock is off; without a valid Date, with
// this machine's.
func TestRetryAfterDateIsReadOnTheServersClock(t *testing.T) {
	local := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	server := local.Add(-3 * time.Hour) // the server's clock is 3 h behind ours
	date := func(t time.Time) string { return t.Format(http.TimeFormat) }
	cases := []struct {
		name string
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{"date vs Date", headers("Retry-After", date(server.Add(7*time.Second)), "Date", date(server)), 7 * time.Second, true},
		{"date past vs Date", headers("Retry-After", date(server.Add(-time.Second)), "Date", date(server)), 0, true},
		{"date vs a server ahead", headers("Retry-After", date(local.Add(time.Hour+5*time.Second)), "Date", date(local.Add(time.Hour))), 5 * time.Second, true},
		{"no Date: vs now", headers("Retry-After", date(local.Add(4*time.Second))), 4 * time.Second, true},
		{"bad Date: vs now", headers("Retry-After", date(local.Add(4*time.Second)), "Date", "yesterday"), 4 * time.Second, true},
		{"seconds ignore Date", headers("Retry-After", "3", "Date", date(server)), 3 * time.Second, true},
		{"none", headers("Date", date(server)), 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wait, ok := retryAfter(tc.h, local)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, wait)
			e := newAPIError(http.StatusTooManyRequests, tc.h, nil, func(s string) string { return s })
			assert.Equal(t, tc.ok, e.hasRetryAfter)
			if tc.name != "no Date: vs now" && tc.name != "bad Date: vs now" { // those read time.Now()
				assert.Equal(t, tc.want, e.RetryAfter, "APIError.RetryAfter is the server's ask, read on its clock")
			}
		})
	}
}

// TestRateLimitWait: the wait a 429's headers ask for, Retry-After first,
// else Remaining 0 with Reset (seconds or a moment); never less than a
// floor; and none when the headers say nothing of the rate limiter.
func TestRateLimitWait(t *testing.T) {
	local := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	server := local.Add(90 * time.Second) // the server's clock runs ahead
	date := server.Format(http.TimeFormat)
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	cases := []struct {
		name string
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{"Retry-After seconds", headers("Retry-After", "5"), 5 * time.Second, true},
		{"Retry-After 0: the floor", headers("Retry-After", "0"), minRateLimitWait, true},
		{"Retry-After past: the floor", headers("Retry-After", server.Add(-time.Minute).Format(http.TimeFormat), "Date", date), minRateLimitWait, true},
		{"Retry-After over Reset", headers("Retry-After", "2", "RateLimit-Remaining", "0", "RateLimit-Reset", "9"), 2 * time.Second, true},
		{"Remaining 0, Reset seconds", headers("RateLimit-Limit", "100", "RateLimit-Remaining", "0", "RateLimit-Reset", "8"), 8 * time.Second, true},
		{"Remaining 0, Reset fraction", headers("RateLimit-Remaining", "0", "RateLimit-Reset", "1.5"), 1500 * time.Millisecond, true},
		{"Remaining 0, Reset 0: the floor", headers("RateLimit-Remaining", "0", "RateLimit-Reset", "0"), minRateLimitWait, true},
		{"Remaining 0, Reset a Unix time vs Date", headers("RateLimit-Remaining", "0", "RateLimit-Reset", unix(server.Add(6*time.Second)), "Date", date), 6 * time.Second, true},
		{"Remaining 0, Reset a Unix time past", headers("RateLimit-Remaining", "0", "RateLimit-Reset", unix(server.Add(-6*time.Second)), "Date", date), minRateLimitWait, true},
		{"Remaining 0, no Reset: the floor", headers("RateLimit-Remaining", "0"), minRateLimitWait, true},
		{"Remaining 3: not the limiter", headers("RateLimit-Remaining", "3", "RateLimit-Reset", "8"), 0, false},
		{"nothing", headers(), 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wait, ok := rateLimitWait(tc.h, local)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, wait)
		})
	}
}

// TestReadReset: RateLimit-Reset in seconds, or, when too large to be
// seconds, a Unix time read against the answer's Date.
func TestReadReset(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"10", 10 * time.Second, true},
		{" 0 ", 0, true},
		{"0.25", 250 * time.Millisecond, true},
		{"86400", 24 * time.Hour, true},
		{strconv.FormatInt(now.Unix()+10, 10), 10 * time.Second, true},
		{strconv.FormatInt(now.Unix()-10, 10), 0, true},
		{strconv.FormatInt(now.Unix()+3*366*86400, 10), 0, false},
		{"100000000", 0, false}, // 1973: neither
		{"1e400", 0, false},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		got, ok := readReset(tc.v, now)
		assert.Equal(t, tc.ok, ok, tc.v)
		assert.Equal(t, tc.want, got, tc.v)
	}
	rl, ok := readRateLimit(headers("RateLimit-Limit", "100", "RateLimit-Remaining", "7", "RateLimit-Reset", strconv.FormatInt(now.Unix()+4, 10), "Date", now.Format(http.TimeFormat)), now.Add(time.Hour))
	assert.True(t, ok)
	assert.Equal(t, rateLimit{limit: 100, remaining: 7, reset: 4 * time.Second, hasReset: true}, rl, "a Unix time is read against Date, not the local clock")
	_, ok = readRateLimit(headers("RateLimit-Limit", "10", "RateLimit-Remaining", "11"), now)
	assert.False(t, ok, "Remaining beyond Limit makes no sense")
}
