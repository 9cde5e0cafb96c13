package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Date reads the IMF-fixdate form itself and every other form through
// http.ParseTime: each gives the instant http.ParseTime gives, or none.
func TestDate(t *testing.T) {
	for v, want := range map[string]time.Time{
		"Sun, 06 Dec 2026 04:30:00 GMT":  time.Date(2026, 12, 6, 4, 30, 0, 0, time.UTC),
		"Thu, 29 Feb 2024 23:59:59 GMT":  time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC),
		"Tue, 02 Jan 0001 00:00:00 GMT":  time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC),
		"Fri, 31 Dec 9999 23:59:59 GMT":  time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		"Mon, 06 Dec 2026 04:30:00 GMT":  time.Date(2026, 12, 6, 4, 30, 0, 0, time.UTC), // a wrong weekday, which time.Parse does not check
		"sun, 06 dec 2026 04:30:00 GMT":  time.Date(2026, 12, 6, 4, 30, 0, 0, time.UTC), // time.Parse's names in any case, read by it
		"Sunday, 06-Dec-26 04:30:00 GMT": time.Date(2026, 12, 6, 4, 30, 0, 0, time.UTC), // RFC 850, by http.ParseTime
		"Sun Dec  6 04:30:00 2026":       time.Date(2026, 12, 6, 4, 30, 0, 0, time.UTC), // asctime, by http.ParseTime
		"Fri, 29 Feb 2026 00:00:00 GMT":  {},                                            // 2026 is no leap year
		"Tue, 29 Feb 2000 00:00:00 GMT":  time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),  // a leap year: divisible by 400
		"Mon, 29 Feb 2100 00:00:00 GMT":  {},                                            // no leap year: divisible by 100, not by 400
		"Thu, 31 Apr 2026 00:00:00 GMT":  {},
		"Sun, 00 Dec 2026 04:30:00 GMT":  {},
		"Sun, 06 Dec 2026 24:00:00 GMT":  {},
		"Sun, 06 Dec 2026 04:60:00 GMT":  {},
		"Sun, 06 Dec 2026 04:30:60 GMT":  {},
		"Sun, 06 Dec 2026 04:30:00 UTC":  {},
		"Sun, 06 Xyz 2026 04:30:00 GMT":  {},
		"Sun, 6 Dec 2026 04:30:00 GMT":   {},
		"Sun, 06 Dec 2026 04:30:0x GMT":  {},
		"":                               {},
	} {
		got, ok := Date(http.Header{"Date": {v}})
		assert.Equal(t, !want.IsZero(), ok, "%q", v)
		assert.True(t, got.Equal(want), "%q: %v, want %v", v, got, want)
		fast, took := imfFixdate(v)
		parsed, err := http.ParseTime(v)
		if took {
			assert.NoError(t, err, "%q: the fast path took what http.ParseTime refuses", v)
			assert.Equal(t, parsed, fast, "%q", v)
		}
	}
}

// FuzzDate: whatever the IMF-fixdate fast path takes, http.ParseTime takes
// too, to the same instant in the same location.
func FuzzDate(f *testing.F) {
	for _, v := range []string{"Sun, 06 Dec 2026 04:30:00 GMT", "Thu, 29 Feb 2024 23:59:59 GMT", "Fri, 29 Feb 2026 00:00:00 GMT",
		"Mon, 01 Jan 0000 00:00:00 GMT", "Sun, 31 Apr 2026 04:30:00 GMT", "sun, 06 dec 2026 04:30:00 gmt"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		fast, took := imfFixdate(v)
		if !took {
			return
		}
		parsed, err := http.ParseTime(v)
		if err != nil {
			t.Fatalf("%q: taken, but http.ParseTime refuses it: %v", v, err)
		}
		if fast != parsed {
			t.Fatalf("%q: %v, http.ParseTime %v", v, fast, parsed)
		}
	})
}

// BenchmarkDate is what reading an answer's Date costs, in the form
// servers send, against http.ParseTime:
//
//	go test -run '^$' -bench Date -benchmem ./internal/ratelimit
func BenchmarkDate(b *testing.B) {
	h := http.Header{"Date": {"Sun, 06 Dec 2026 04:30:00 GMT"}}
	b.Run("Date", func(b *testing.B) {
		for b.Loop() {
			if _, ok := Date(h); !ok {
				b.Fatal("not read")
			}
		}
	})
	b.Run("http.ParseTime", func(b *testing.B) {
		for b.Loop() {
			if _, err := http.ParseTime(h.Get("Date")); err != nil {
				b.Fatal(err)
			}
		}
	})
}
