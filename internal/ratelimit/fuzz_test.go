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

// FuzzDraftFields reads any bytes as the draft's RateLimit and
// RateLimit-Policy fields, alone and beside the older triple: no panic; a
// field that parses holds only what the draft allows; whatever Read and
// Wait make of it is within what they promise.
func FuzzDraftFields(f *testing.F) {
	for _, v := range [][2]string{
		{`"default";q=100;w=60`, `"default";r=50;t=30`},
		{`"burst";q=100;w=10, "day";q=100000;w=86400;qu="requests";pk=:YWJj:`, `"burst";r=0;t=3, "day";r=9;t=80000;pk=:YWJj:`},
		{`"b";q=5;qu="content-bytes"`, `"b";r=0`},
		{`tok;q=1.5;w=?1;x=@12;y=%"caf%c3%a9"`, `"a";r=-1;t=1.25`},
		{`("a" "b");q=1`, `"a";r=1,`},
		{`"a";q=999999999999999;w=999999999999999`, `"a";r=999999999999999;t=999999999999999`},
		{"\"\\\"\";q=1", ":aGVsbG8=:"},
		{"", ""},
	} {
		f.Add(v[0], v[1], "10")
	}
	f.Fuzz(func(t *testing.T, policy, status, legacy string) {
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		if list, err := parseSFList(policy); err == nil {
			if len(list) > maxSFMembers {
				t.Fatalf("%d members", len(list))
			}
			for _, it := range list {
				switch it.value.(type) {
				case int64, sfDecimal, string, sfToken, []byte, bool, sfDate, sfDisplay:
				default:
					t.Fatalf("a bare item of type %T", it.value)
				}
			}
		}
		ps, err := ParsePolicies(policy)
		if err != nil && ps != nil {
			t.Fatalf("ParsePolicies(%q) = %v and %v", policy, ps, err)
		}
		for _, p := range ps {
			if p.Quota < 0 || p.Window < 0 || p.Window > maxResetSeconds*time.Second || p.Unit == "" {
				t.Fatalf("ParsePolicies(%q) = %+v", policy, p)
			}
		}
		ss, err := ParseStatus(status)
		if err != nil && ss != nil {
			t.Fatalf("ParseStatus(%q) = %v and %v", status, ss, err)
		}
		for _, s := range ss {
			if s.Remaining < 0 || s.Reset < 0 || s.Reset > maxResetSeconds*time.Second || !s.HasReset && s.Reset != 0 {
				t.Fatalf("ParseStatus(%q) = %+v", status, s)
			}
		}
		for _, h := range []http.Header{
			headers("RateLimit-Policy", policy, "RateLimit", status),
			headers("RateLimit-Policy", policy, "RateLimit", status, "RateLimit-Limit", legacy, "RateLimit-Remaining", legacy, "RateLimit-Reset", legacy),
		} {
			if l, ok := Read(h, now); ok && (l.Limit <= 0 || l.Remaining < 0 || l.Remaining > l.Limit || l.Reset < 0 || l.Window < 0) || !ok && l != (Limit{}) {
				t.Fatalf("Read(%v) = %+v, %v", h, l, ok)
			}
			if d, ok := Wait(h, now); ok && d < MinWait || !ok && d != 0 {
				t.Fatalf("Wait(%v) = %v, %v", h, d, ok)
			}
		}
	})
}
