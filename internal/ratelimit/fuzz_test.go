package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

// FuzzParsers reads any bytes as every header this package reads: no
// panic, and whatever is read is a wait no less than nothing, within what
// each reader promises.
func FuzzParsers(f *testing.F) {
	for _, v := range []string{"0", "5", " 30 ", "1.5", "-1", "1e400", "NaN", "99999999999999999999999",
		"Wed, 21 Oct 2026 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "1764072000", "", "\x00\xff"} {
		f.Add(v, v, "Wed, 21 Oct 2026 07:28:00 GMT", int64(0))
	}
	f.Fuzz(func(t *testing.T, retryAfter, value, date string, nowUnix int64) {
		now := time.Unix(nowUnix%(1<<34), 0) // within years 1425 to 2514
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("Date", date)
		h.Set("RateLimit-Limit", value)
		h.Set("RateLimit-Remaining", value)
		h.Set("RateLimit-Reset", value)
		if d, ok := ParseRetryAfter(retryAfter, now); d < 0 || !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", retryAfter, d, ok)
		}
		if d, ok := RetryAfter(h, now); d < 0 || !ok && d != 0 {
			t.Fatalf("RetryAfter = %v, %v", d, ok)
		}
		if d, ok := Wait(h, now); ok && d < MinWait || !ok && d != 0 {
			t.Fatalf("Wait = %v, %v", d, ok)
		}
		if d, ok := ParseReset(value, now); d < 0 || d > maxResetSeconds*time.Second || !ok && d != 0 {
			t.Fatalf("ParseReset(%q) = %v, %v", value, d, ok)
		}
		if l, ok := Read(h, now); ok && (l.Limit <= 0 || l.Remaining < 0 || l.Remaining > l.Limit || l.Reset < 0) {
			t.Fatalf("Read = %+v", l)
		}
		ServerNow(h, now)
	})
}
