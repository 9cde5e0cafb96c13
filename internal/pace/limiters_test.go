package pace

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet/internal/pace/pacetest"
)

// TestPaceAgainstLimiters drives the pacer alone (no SDK) against
// simulated limiters of every kind, as many batches as it allows each
// sending requests through Do, and measures the steady state (after 10 s
// of warm-up, in whole windows): at least 0.93 of the limit, at most 3%
// of requests answered 429. Each limiter that writes RateLimit headers
// answers in the older triple, in the IETF draft's fields only, and in
// both at once. The SDK's pacing grid is the end-to-end guard through
// Customers.Import.
func TestPaceAgainstLimiters(t *testing.T) {
	cases := []struct {
		name    string
		limiter func() pacetest.Limiter
		style   pacetest.HeaderStyle
		rate    float64 // requests a second the limiter sustains
		window  time.Duration
		rtt     time.Duration
	}{
		{"bucket-20ps", func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, pacetest.Honest, 20, time.Second, 100 * time.Millisecond},
		{"fixed-10per1s", func() pacetest.Limiter { return &pacetest.FixedWindow{N: 10, W: time.Second} }, pacetest.Honest, 10, time.Second, 300 * time.Millisecond},
		{"fixed-100per10s-Unix-reset", func() pacetest.Limiter { return &pacetest.FixedWindow{N: 100, W: 10 * time.Second} }, pacetest.ResetUnix, 10, 10 * time.Second, 100 * time.Millisecond},
		{"sliding-log-20per1s", func() pacetest.Limiter { return &pacetest.SlidingLog{N: 20, W: time.Second} }, pacetest.Honest, 20, time.Second, 20 * time.Millisecond},
		{"sliding-counter-20per1s", func() pacetest.Limiter { return &pacetest.SlidingCounter{N: 20, W: time.Second} }, pacetest.Honest, 20, time.Second, 100 * time.Millisecond},
		{"no-headers-bucket-20ps", func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, pacetest.NoHeaders, 20, time.Second, 100 * time.Millisecond},
		{"lie-Remaining=0", func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, pacetest.RemainingZero, 20, time.Second, 100 * time.Millisecond},
	}
	forms := []struct {
		name   string
		fields pacetest.Fields
	}{{"legacy", pacetest.LegacyFields}, {"draft", pacetest.DraftFields}, {"both", pacetest.BothFields}}
	for _, c := range cases {
		for _, form := range forms {
			if c.style == pacetest.NoHeaders && form.fields != pacetest.LegacyFields {
				continue // no RateLimit headers in any form
			}
			t.Run(fmt.Sprintf("%s/%s/%v", c.name, form.name, c.rtt), func(t *testing.T) {
				paceAgainst(t, c.limiter(), c.style, form.fields, c.rate, c.window, c.rtt)
			})
		}
	}
}

// paceAgainst drives a pacer, as many batches as it allows, against l
// (writing its headers in style and form) for a warm-up and a steady
// state, and asserts the goal over the steady state.
func paceAgainst(t *testing.T, l pacetest.Limiter, style pacetest.HeaderStyle, fields pacetest.Fields, rate float64, window, rtt time.Duration) {
	synctest.Test(t, func(t *testing.T) {
		srv := pacetest.NewServer(l, style, rtt)
		srv.Fields = fields
		p := New(Config{MaxPause: 10 * time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, "POST", "https://commet.test/api/v1/customers/batch", nil)
		require.NoError(t, err)
		start := time.Now()
		warm, steady := max(10*time.Second, 3*window), max(30*time.Second, 10*window)
		var workers sync.WaitGroup
		for range MaxConcurrency {
			workers.Go(func() {
				for ctx.Err() == nil && p.Acquire(ctx) == nil {
					resp, err := p.Do(req, srv.RoundTrip)
					if err == nil {
						resp.Body.Close()
					}
					p.Release()
				}
			})
		}
		time.Sleep(warm + steady + window)
		cancel()
		workers.Wait()

		from := start.Add(warm - 1).Truncate(window).Add(window)
		to := from.Add(steady)
		var ok, limited int
		for _, a := range srv.Arrivals() {
			switch {
			case a.At.Before(from) || !a.At.Before(to):
			case a.Limited:
				limited++
			default:
				ok++
			}
		}
		share := float64(ok) / (rate * steady.Seconds())
		t.Logf("%.3f of the limit, %.1f%% 429", share, 100*float64(limited)/float64(ok+limited))
		assert.GreaterOrEqual(t, share, 0.93)
		assert.LessOrEqual(t, float64(limited)/float64(ok+limited), 0.03)
	})
}
