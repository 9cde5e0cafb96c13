package commet

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet/internal/pace/pacetest"
	"github.com/commet-go/commet/internal/ratelimit"
)

// TestImportPacesToTheRateLimit runs a few cells of the pacing grid (see
// BenchmarkImportPacingGrid) on synctest's clock, with a shorter steady
// state (10 windows; 30 s at least where the pace comes from 429s alone,
// which takes about that to settle at a 300 ms round trip), and asserts
// the goal with a little slack: at least 0.93 of the limit, at most 3% of
// requests answered 429. Some cells answer in the IETF draft's fields
// only ("-draft"), or in both forms at once ("-both").
//
// Under the race detector, where each request costs about five times as
// much, the steady state is 3 windows instead of 10, against the same
// bounds: the race detector needs every path (the warm-up, slow start,
// 429s and their pauses, the pace held across window boundaries) and
// those 3 windows and the warm-up before them take each one many times;
// the windows past them repeat the same. Where the steady state is longer
// than 10 windows anyway, the 30 s to settle on 429s alone are the same
// with the race detector, and the way back after the drop (a rate of 50/s
// for 30 s, 5/s for 30 s, then 50/s again) is 10 s instead of 40 s: the
// pace is back at 50/s well within them (the share stays at 1.01).
func TestImportPacesToTheRateLimit(t *testing.T) {
	t.Parallel() // the cells share nothing: see below
	steadyWindows, wayBack := time.Duration(10), 40*time.Second
	if raceEnabled {
		steadyWindows, wayBack = 3, 10*time.Second
	}
	cells := map[string]time.Duration{
		"bucket-20ps":                  200 * time.Millisecond,
		"bucket-50ps-5ps-50ps":         100 * time.Millisecond,
		"fixed-10per1s":                300 * time.Millisecond,
		"fixed-50per1s":                100 * time.Millisecond,
		"fixed-100per10s-clock-+5m":    100 * time.Millisecond,
		"stacked-100per10s+100kperday": 100 * time.Millisecond,
		"no-headers-bucket-20ps":       100 * time.Millisecond,
		"lie-Limit-1e6-bucket-20":      100 * time.Millisecond,
		// the hardest of those that once missed
		"sliding-log-20per1s":       20 * time.Millisecond,
		"sliding-counter-100per10s": 300 * time.Millisecond,
		"no-headers-fixed-10per1s":  300 * time.Millisecond,
		"lie-Remaining=0":           300 * time.Millisecond,
		"lie-Remaining=Limit":       20 * time.Millisecond,
		// the draft's fields, alone and beside the triple
		"bucket-20ps-draft":                  100 * time.Millisecond,
		"fixed-10per1s-draft":                300 * time.Millisecond,
		"fixed-100per10s-clock-+5m-both":     100 * time.Millisecond,
		"sliding-log-20per1s-draft":          20 * time.Millisecond,
		"sliding-counter-100per10s-both":     300 * time.Millisecond,
		"stacked-100per10s+100kperday-draft": 100 * time.Millisecond,
		"lie-Remaining=0-draft":              300 * time.Millisecond,
		"disagree-bucket-20ps-both":          100 * time.Millisecond,
		"disagree-fixed-100per10s-both":      100 * time.Millisecond,
	}
	for _, c := range gridCells() {
		latency, ok := cells[c.name]
		if !ok {
			continue
		}
		t.Run(fmt.Sprintf("%s/%v", c.name, latency), func(t *testing.T) {
			t.Parallel() // each cell has a client, a server and a bubble (a clock) of its own
			inBubble(t, func(t *testing.T) {
				steady := steadyWindows * c.window
				if c.style == pacetest.NoHeaders || c.style == pacetest.RemainingZero || c.style == pacetest.RemainingAtLimit {
					steady = max(steady, 30*time.Second) // paced from 429s alone
				}
				r := c.run(t, latency, steady, wayBack)
				t.Log(r)
				assert.GreaterOrEqual(t, r.share, 0.93)
				assert.LessOrEqual(t, r.limited, 0.03)
			})
		})
	}
}

// TestImportDoesNotStallOnAFarReset: a RateLimit-Reset sent as a Unix
// time, or naming a window of a day, is no reason to wait hours: 300
// items behind 100 requests per 10 s take about 30 s.
func TestImportDoesNotStallOnAFarReset(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	for _, c := range gridLimiters {
		if c.name != "fixed-100per10s-Unix-reset" && c.name != "stacked-100per10s+100kperday" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newSimServer(c.limiter(), c.style, 100*time.Millisecond)
				client, err := NewClient(testKey, WithHTTPClient(&http.Client{Transport: srv}))
				require.NoError(t, err)
				start := time.Now()
				sum, err := client.Customers.Import(context.Background(), people(300, 0), &ImportCustomersParams{BatchSize: 1})
				require.NoError(t, err)
				assert.Equal(t, 300, sum.Created)
				assert.Less(t, time.Since(start), 40*time.Second)
			})
		})
	}
}

// TestImport429WithoutAWaitStillPauses: Retry-After: 0, or a date
// already past, still means "not yet": every request waits at least a
// little, and never less than Commet takes to answer.
func TestImport429WithoutAWaitStillPauses(t *testing.T) {
	for _, retryAfter := range []string{"0", "Sat, 01 Jan 2000 00:00:00 GMT"} {
		t.Run(retryAfter, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, mock := newMockClient(t)
				s := &batchServer{byID: map[string]map[string]any{}}
				var sent []time.Time
				mock.RegisterResponder("POST", custURL+"/batch", func(r *http.Request) (*http.Response, error) {
					sent = append(sent, time.Now())
					time.Sleep(20 * time.Millisecond)
					if len(sent) <= 5 {
						resp := jsonResponse(429, map[string]any{"code": "rate_limited", "message": "slow down"})
						resp.Header.Set("Retry-After", retryAfter)
						resp.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
						return resp, nil
					}
					return s.respond(r)
				})
				_, err := c.Customers.Import(context.Background(), people(10, 0), &ImportCustomersParams{Concurrency: 1})
				require.NoError(t, err)
				require.Len(t, sent, 6)
				for i := 1; i < len(sent); i++ {
					assert.GreaterOrEqual(t, sent[i].Sub(sent[i-1]), ratelimit.MinWait, "request %d", i)
				}
			})
		})
	}
}

// TestImportFixedConcurrencyStaysFixed: a Concurrency the caller fixed is
// not lowered by 429s: after early ones, as many batches as asked are in
// flight again.
func TestImportFixedConcurrencyStaysFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := newBatchServer(t)
		s.before = func(n int) *http.Response {
			switch {
			case n <= 20: // a storm at the start
				return withRetryAfter429(1)
			case n == 21:
				s.maxInFlight.Store(0) // count from here
			}
			return nil
		}
		sum, err := c.Customers.Import(context.Background(), people(16*40, 0), &ImportCustomersParams{BatchSize: 1, Concurrency: 16})
		require.NoError(t, err)
		assert.Equal(t, 16*40, sum.Created)
		assert.EqualValues(t, 16, s.maxInFlight.Load(), "batches in flight after the 429s")
	})
}
