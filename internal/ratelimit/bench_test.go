package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

// BenchmarkRead is what reading an answer's rate-limit headers costs the
// pacer, once per answer: the older triple alone (the baseline), the
// draft's fields alone, and both at once:
//
//	go test -run '^$' -bench Read -benchmem ./internal/ratelimit
func BenchmarkRead(b *testing.B) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	legacy := []string{"RateLimit-Limit", "100", "RateLimit-Remaining", "42", "RateLimit-Reset", "3"}
	draft := []string{"RateLimit-Policy", `"burst";q=100;w=10, "day";q=100000;w=86400`, "RateLimit", `"burst";r=42;t=3, "day";r=99000;t=80000`}
	for _, c := range []struct {
		name string
		h    http.Header
	}{
		{"triple", headers(legacy...)},
		{"draft", headers(draft...)},
		{"both", headers(append(legacy, draft...)...)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := Read(c.h, now); !ok {
					b.Fatal("not read")
				}
			}
		})
	}
}
