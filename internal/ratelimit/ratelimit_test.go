package ratelimit

import (
	"math"
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

// TestParseRetryAfter: whole seconds (saturating beyond a Duration) or an
// HTTP date against now; nothing else is a Retry-After.
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const maxDur = time.Duration(math.MaxInt64)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	cases := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"2", 2 * time.Second, true},
		{" 30 ", 30 * time.Second, true},
		{"120", 120 * time.Second, true},
		{"9223372036", 9223372036 * time.Second, true},
		{"9223372037", maxDur, true},
		{"9223372036854775807", maxDur, true},
		{"99999999999999999999999", maxDur, true},
		{date(10 * time.Second), 10 * time.Second, true},
		{date(-time.Hour), 0, true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Sub(now), true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"1e3", 0, false},
		{"+5", 0, false},
		{"5s", 0, false},
		{"", 0, false},
		{"soon", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseRetryAfter(tc.v, now)
		assert.Equal(t, tc.ok, ok, "%q", tc.v)
		assert.Equal(t, tc.want, got, "%q", tc.v)
	}
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
			wait, ok := RetryAfter(tc.h, local)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, wait)
		})
	}
}

// TestServerNowAndDate: the answer's Date when valid, else now.
func TestServerNowAndDate(t *testing.T) {
	local := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	server := local.Add(-time.Hour)
	h := headers("Date", server.Format(http.TimeFormat))
	assert.Equal(t, server, ServerNow(h, local))
	d, ok := Date(h)
	assert.True(t, ok)
	assert.Equal(t, server, d)
	for _, bad := range []http.Header{headers(), headers("Date", "yesterday")} {
		assert.Equal(t, local, ServerNow(bad, local))
		_, ok := Date(bad)
		assert.False(t, ok)
	}
}

// TestWait: the wait a 429's headers ask for, Retry-After first, else
// Remaining 0 with Reset (seconds or a moment); never less than a floor;
// and none when the headers say nothing of the rate limiter.
func TestWait(t *testing.T) {
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
		{"Retry-After 0: the floor", headers("Retry-After", "0"), MinWait, true},
		{"Retry-After past: the floor", headers("Retry-After", server.Add(-time.Minute).Format(http.TimeFormat), "Date", date), MinWait, true},
		{"Retry-After over Reset", headers("Retry-After", "2", "RateLimit-Remaining", "0", "RateLimit-Reset", "9"), 2 * time.Second, true},
		{"Remaining 0, Reset seconds", headers("RateLimit-Limit", "100", "RateLimit-Remaining", "0", "RateLimit-Reset", "8"), 8 * time.Second, true},
		{"Remaining 0, Reset fraction", headers("RateLimit-Remaining", "0", "RateLimit-Reset", "1.5"), 1500 * time.Millisecond, true},
		{"Remaining 0, Reset 0: the floor", headers("RateLimit-Remaining", "0", "RateLimit-Reset", "0"), MinWait, true},
		{"Remaining 0, Reset a Unix time vs Date", headers("RateLimit-Remaining", "0", "RateLimit-Reset", unix(server.Add(6*time.Second)), "Date", date), 6 * time.Second, true},
		{"Remaining 0, Reset a Unix time past", headers("RateLimit-Remaining", "0", "RateLimit-Reset", unix(server.Add(-6*time.Second)), "Date", date), MinWait, true},
		{"Remaining 0, no Reset: the floor", headers("RateLimit-Remaining", "0"), MinWait, true},
		{"Remaining 0 with spaces", headers("RateLimit-Remaining", " 0 ", "RateLimit-Reset", "3"), 3 * time.Second, true},
		{"Remaining 3: not the limiter", headers("RateLimit-Remaining", "3", "RateLimit-Reset", "8"), 0, false},
		{"Remaining a word: not the limiter", headers("RateLimit-Remaining", "none", "RateLimit-Reset", "8"), 0, false},
		{"Retry-After a word: not the limiter", headers("Retry-After", "soon"), 0, false},
		{"nothing", headers(), 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wait, ok := Wait(tc.h, local)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, wait)
		})
	}
}

// TestParseReset: RateLimit-Reset in seconds, or, when too large to be
// seconds, a Unix time read against now.
func TestParseReset(t *testing.T) {
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
		{strconv.Itoa(maxResetSeconds), maxResetSeconds * time.Second, true},
		{strconv.FormatInt(now.Unix()+10, 10), 10 * time.Second, true},
		{strconv.FormatInt(now.Unix()-10, 10), 0, true},
		{strconv.FormatInt(now.Add(maxResetSeconds*time.Second).Unix(), 10), maxResetSeconds * time.Second, true},
		{strconv.FormatInt(now.Add(maxResetSeconds*time.Second).Unix()+1, 10), 0, false},
		{strconv.FormatInt(now.Add(-maxResetSeconds*time.Second).Unix(), 10), 0, true},
		{strconv.FormatInt(now.Add(-maxResetSeconds*time.Second).Unix()-1, 10), 0, false},
		{strconv.FormatInt(now.Unix()+3*366*86400, 10), 0, false},
		{"100000000", 0, false}, // 1973: neither
		{"9223372037", 0, false},
		{"1e400", 0, false},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseReset(tc.v, now)
		assert.Equal(t, tc.ok, ok, tc.v)
		assert.Equal(t, tc.want, got, tc.v)
	}
}

// TestParseResetMomentFromAMidSecond: a moment is read against now to the
// nanosecond, and exactly a year either side of it is still a moment.
func TestParseResetMomentFromAMidSecond(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 250_000_000, time.UTC)
	cases := map[string]time.Duration{
		strconv.FormatInt(now.Unix()+10, 10):     9750 * time.Millisecond,
		strconv.FormatInt(now.Unix(), 10):        0,
		strconv.FormatInt(now.Unix(), 10) + ".5": 250 * time.Millisecond,
	}
	for v, want := range cases {
		got, ok := ParseReset(v, now)
		assert.True(t, ok, v)
		assert.Equal(t, want, got, v)
	}
	_, ok := ParseReset(strconv.FormatInt(now.Unix()+maxResetSeconds, 10), now)
	assert.True(t, ok, "a year less a quarter second away")
	_, ok = ParseReset(strconv.FormatInt(now.Unix()+maxResetSeconds+1, 10), now)
	assert.False(t, ok, "a year and 0.75 s away")
}

// TestRead: Limit and Remaining that make sense, and Reset against the
// answer's Date.
func TestRead(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	l, ok := Read(headers("RateLimit-Limit", "100", "RateLimit-Remaining", "7", "RateLimit-Reset", strconv.FormatInt(now.Unix()+4, 10), "Date", now.Format(http.TimeFormat)), now.Add(time.Hour))
	assert.True(t, ok)
	assert.Equal(t, Limit{Limit: 100, Remaining: 7, Reset: 4 * time.Second, HasReset: true}, l, "a Unix time is read against Date, not the local clock")
	l, ok = Read(headers("RateLimit-Limit", " 10 ", "RateLimit-Remaining", "10", "RateLimit-Reset", "soon"), now)
	assert.True(t, ok)
	assert.Equal(t, Limit{Limit: 10, Remaining: 10}, l, "an unreadable Reset is no reset")
	l, ok = Read(headers("RateLimit-Limit", "1", "RateLimit-Remaining", "0"), now)
	assert.True(t, ok)
	assert.Equal(t, Limit{Limit: 1}, l)
	for name, h := range map[string]http.Header{
		"Remaining beyond Limit": headers("RateLimit-Limit", "10", "RateLimit-Remaining", "11"),
		"Remaining negative":     headers("RateLimit-Limit", "10", "RateLimit-Remaining", "-1"),
		"Limit 0":                headers("RateLimit-Limit", "0", "RateLimit-Remaining", "0"),
		"no Limit":               headers("RateLimit-Remaining", "3"),
		"no Remaining":           headers("RateLimit-Limit", "10"),
		"Limit a word":           headers("RateLimit-Limit", "ten", "RateLimit-Remaining", "3"),
	} {
		l, ok := Read(h, now)
		assert.False(t, ok, name)
		assert.Equal(t, Limit{}, l, name)
	}
}
