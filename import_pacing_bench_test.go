package commet

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet/internal/pace/pacetest"
)

// newSimServer is Commet's batch endpoint behind the simulated limiter l
// (see package pacetest): a batch that passes creates its customers.
func newSimServer(l pacetest.Limiter, style pacetest.HeaderStyle, latency time.Duration) *pacetest.Server {
	srv := pacetest.NewServer(l, style, latency)
	var created atomic.Int64
	srv.Respond = func(body []byte, ok bool, now time.Time) (int, []byte) {
		if !ok {
			b, _ := json.Marshal(map[string]any{"success": false, "code": "rate_limited", "message": "Too many requests"})
			return http.StatusTooManyRequests, b
		}
		var batch struct {
			Customers []CreateCustomerParams `json:"customers"`
		}
		if err := json.Unmarshal(body, &batch); err != nil {
			return http.StatusBadRequest, []byte(`{"success":false,"code":"validation_error","message":"not JSON"}`)
		}
		first := int(created.Add(int64(len(batch.Customers)))) - len(batch.Customers)
		successful := make([]any, len(batch.Customers))
		for i, c := range batch.Customers {
			cust := customerJSON(fmt.Sprintf("cus_%d", first+i), c.ID, c.Email)
			cust["createdAt"] = now.UTC().Format(time.RFC3339Nano)
			successful[i] = cust
		}
		b, _ := json.Marshal(envelope(map[string]any{"successful": successful, "failed": []any{}}))
		return http.StatusOK, b
	}
	return srv
}

// gridCell is one limiter of the pacing grid: Import runs against it at
// several latencies, on synctest's clock.
type gridCell struct {
	name    string
	limiter func() pacetest.Limiter
	style   pacetest.HeaderStyle
	rate    float64                     // the sustained rate the limiter allows, requests a second
	rateAt  func(time.Duration) float64 // when it varies: the rate at a time since the start
	window  time.Duration               // the longest window that binds: warm-up and steady state are counted in whole ones
	skew    time.Duration               // the server's clock minus this machine's
	fields  pacetest.Fields             // the form of the RateLimit headers: the older triple, the draft's fields, both
}

// gridLimiters are the limiters of the grid: every kind, clock and lying
// header the pacer must do well against.
var gridLimiters = []gridCell{
	{name: "bucket-5ps", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(5, 5) }, rate: 5, window: time.Second},
	{name: "bucket-20ps", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, rate: 20, window: time.Second},
	{name: "bucket-200ps", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(200, 200) }, rate: 200, window: time.Second},
	{name: "bucket-50ps-burst-10", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(50, 10) }, rate: 50, window: time.Second},
	{name: "bucket-10ps-burst-100", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(10, 100) }, rate: 10, window: 10 * time.Second},
	{name: "bucket-50ps-5ps-50ps", limiter: func() pacetest.Limiter {
		b := pacetest.NewTokenBucket(50, 50)
		start := time.Time{}
		b.Rate = func(t time.Time) float64 {
			if start.IsZero() {
				start = t
			}
			return dropRate(t.Sub(start))
		}
		return b
	}, rateAt: dropRate, window: time.Second},
	{name: "bucket-20ps-odd-headers", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, style: pacetest.OddHeaders, rate: 20, window: time.Second},
	{name: "fixed-10per1s", limiter: func() pacetest.Limiter { return &pacetest.FixedWindow{N: 10, W: time.Second} }, rate: 10, window: time.Second},
	{name: "fixed-50per1s", limiter: func() pacetest.Limiter { return &pacetest.FixedWindow{N: 50, W: time.Second} }, rate: 50, window: time.Second},
	{name: "fixed-100per10s", limiter: func() pacetest.Limiter { return &pacetest.FixedWindow{N: 100, W: 10 * time.Second} }, rate: 10, window: 10 * time.Second},
	{name: "fixed-600per60s", limiter: func() pacetest.Limiter { return &pacetest.FixedWindow{N: 600, W: time.Minute} }, rate: 10, window: time.Minute},
	{name: "fixed-100per10s-Unix-reset", limiter: func() pacetest.Limiter { return &pacetest.FixedWindow{N: 100, W: 10 * time.Second} }, style: pacetest.ResetUnix, rate: 10, window: 10 * time.Second},
	{name: "fixed-100per10s-clock-+5m", limiter: func() pacetest.Limiter { return &pacetest.FixedWindow{N: 100, W: 10 * time.Second} }, style: pacetest.ResetUnix, rate: 10, window: 10 * time.Second, skew: 5 * time.Minute},
	{name: "sliding-log-20per1s", limiter: func() pacetest.Limiter { return &pacetest.SlidingLog{N: 20, W: time.Second} }, rate: 20, window: time.Second},
	{name: "sliding-log-100per10s", limiter: func() pacetest.Limiter { return &pacetest.SlidingLog{N: 100, W: 10 * time.Second} }, rate: 10, window: 10 * time.Second},
	{name: "sliding-counter-20per1s", limiter: func() pacetest.Limiter { return &pacetest.SlidingCounter{N: 20, W: time.Second} }, rate: 20, window: time.Second},
	{name: "sliding-counter-100per10s", limiter: func() pacetest.Limiter { return &pacetest.SlidingCounter{N: 100, W: 10 * time.Second} }, rate: 10, window: 10 * time.Second},
	{name: "stacked-100per10s+100kperday", limiter: func() pacetest.Limiter {
		return pacetest.Stacked{&pacetest.FixedWindow{N: 100, W: 10 * time.Second}, &pacetest.FixedWindow{N: 100_000, W: 24 * time.Hour}}
	}, rate: 10, window: 10 * time.Second},
	{name: "stacked-200per10s+600per60s", limiter: func() pacetest.Limiter {
		return pacetest.Stacked{&pacetest.FixedWindow{N: 200, W: 10 * time.Second}, &pacetest.FixedWindow{N: 600, W: time.Minute}}
	}, rate: 10, window: time.Minute},
	{name: "no-headers-bucket-20ps", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, style: pacetest.NoHeaders, rate: 20, window: time.Second},
	{name: "no-headers-fixed-10per1s", limiter: func() pacetest.Limiter { return &pacetest.FixedWindow{N: 10, W: time.Second} }, style: pacetest.NoHeaders, rate: 10, window: time.Second},
	{name: "lie-Limit-1e6-bucket-20", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, style: pacetest.LimitLies, rate: 20, window: time.Second},
	{name: "lie-Remaining=Limit", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, style: pacetest.RemainingAtLimit, rate: 20, window: time.Second},
	{name: "lie-Remaining=0", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) }, style: pacetest.RemainingZero, rate: 20, window: time.Second},
}

// gridCells are the limiters of the grid in every form of RateLimit
// headers: the older triple (named as in gridLimiters), the IETF draft's
// fields only ("-draft") and both at once ("-both"); a limiter that
// writes no RateLimit headers is in the first alone. Two more cells send
// both forms, disagreeing ("disagree-").
func gridCells() []gridCell {
	cells := append([]gridCell(nil), gridLimiters...)
	for _, form := range []struct {
		suffix string
		fields pacetest.Fields
	}{{"-draft", pacetest.DraftFields}, {"-both", pacetest.BothFields}} {
		for _, c := range gridLimiters {
			if c.style == pacetest.NoHeaders {
				continue
			}
			c.name += form.suffix
			c.fields = form.fields
			cells = append(cells, c)
		}
	}
	// both forms, disagreeing: the triple says there is always room, the
	// draft's fields are honest; the safer of each is followed
	return append(cells,
		gridCell{name: "disagree-bucket-20ps-both", limiter: func() pacetest.Limiter { return pacetest.NewTokenBucket(20, 20) },
			style: pacetest.TripleRemainingAtLimit, fields: pacetest.BothFields, rate: 20, window: time.Second},
		gridCell{name: "disagree-fixed-100per10s-both", limiter: func() pacetest.Limiter { return &pacetest.FixedWindow{N: 100, W: 10 * time.Second} },
			style: pacetest.TripleRemainingAtLimit, fields: pacetest.BothFields, rate: 10, window: 10 * time.Second},
	)
}

// gridLatencies are the round trips of the grid.
var gridLatencies = []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond}

// dropRate is the rate of the bucket that drops from 50/s to 5/s for 30 s
// and comes back.
func dropRate(t time.Duration) float64 {
	if t >= 30*time.Second && t < 60*time.Second {
		return 5
	}
	return 50
}

// gridResult is how an import fared against a cell, at steady state: the
// span from the end of the warm-up (the first 10 s, or three windows,
// whichever is longer; rounded up to a window boundary of the server's
// clock) to the last window boundary before the import's last request,
// in whole windows. Only the warm-up and the import's last, partial
// window are left out; every 429 and pause in between counts.
type gridResult struct {
	share    float64 // requests accepted over what the limiter allowed
	limited  float64 // share of requests answered 429
	all429   float64 // share of requests answered 429 over the whole import, warm-up included
	requests int     // over the whole import
	elapsed  time.Duration
}

func (r gridResult) String() string {
	return fmt.Sprintf("%.2f of the limit, %.1f%% 429 (%.1f%% with warm-up, %d requests, %v)",
		r.share, 100*r.limited, 100*r.all429, r.requests, r.elapsed.Round(time.Second))
}

// run imports, inside a synctest bubble, enough items for steady windows
// of steady state after the warm-up (for a rate that varies, at least
// wayBack past its drop), one item per batch (pacing is per request, and
// the simulation's work is less), with default params otherwise.
func (c gridCell) run(t testing.TB, latency, steady, wayBack time.Duration) gridResult {
	srv := newSimServer(c.limiter(), c.style, latency)
	srv.Skew = c.skew
	srv.Fields = c.fields
	client, err := NewClient(testKey, WithHTTPClient(&http.Client{Transport: srv}), WithRetryBackoff(50*time.Millisecond, time.Second))
	require.NoError(t, err)
	warm := max(10*time.Second, 3*c.window)
	rate := c.rate
	if c.rateAt != nil {
		rate = c.rateAt(0)
		steady = max(steady, 50*time.Second+wayBack) // the drop (30 s to 60 s from the start, 50 s into the steady state) and the way back
	}
	n := int(math.Ceil(rate * (warm + steady + 2*c.window).Seconds()))
	if c.rateAt != nil {
		n = int(integrate(c.rateAt, 0, warm+steady+2*c.window))
	}
	start := time.Now()
	sum, err := client.Customers.Import(context.Background(), people(n, 0), &ImportCustomersParams{BatchSize: 1})
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, n, sum.Created, "%+v", sum)

	arrivals := srv.Arrivals()
	// whole windows of the server's clock, from the first boundary at or
	// after the end of the warm-up
	from := start.Add(c.skew).Add(warm - 1).Truncate(c.window).Add(c.window).Add(-c.skew)
	last := arrivals[len(arrivals)-1].At
	windows := int(last.Sub(from) / c.window)
	to := from.Add(time.Duration(windows) * c.window)
	require.Positive(t, windows, "a steady state to measure")
	var accepted, limited, requests, all429 int
	for _, a := range arrivals {
		if a.Limited {
			all429++
		}
		if a.At.Before(from) || !a.At.Before(to) {
			continue
		}
		requests++
		if a.Limited {
			limited++
		} else {
			accepted++
		}
	}
	allowed := rate * to.Sub(from).Seconds()
	if c.rateAt != nil {
		allowed = integrate(c.rateAt, from.Sub(start), to.Sub(start))
	}
	return gridResult{
		share:    float64(accepted) / allowed,
		limited:  float64(limited) / float64(max(requests, 1)),
		all429:   float64(all429) / float64(len(arrivals)),
		requests: len(arrivals),
		elapsed:  elapsed,
	}
}

// integrate sums rate over [a, b), by the millisecond.
func integrate(rate func(time.Duration) float64, a, b time.Duration) float64 {
	sum := 0.0
	for t := a; t < b; t += time.Millisecond {
		sum += rate(t) / 1000
	}
	return sum
}

// inBubble runs f in a synctest bubble, from a test or a benchmark.
func inBubble(tb testing.TB, f func(t *testing.T)) {
	if t, ok := tb.(*testing.T); ok {
		synctest.Test(t, f)
		return
	}
	ok := testing.RunTests(func(string, string) (bool, error) { return true, nil },
		[]testing.InternalTest{{Name: tb.Name(), F: func(t *testing.T) { synctest.Test(t, f) }}})
	if !ok {
		tb.Fatal("the cell failed")
	}
}

// BenchmarkImportPacingGrid runs Import against every limiter of the grid, in
// every form of RateLimit headers (gridCells), at every latency, on synctest's
// clock, for 20 windows (at least 60 s) of steady state, and reports the share
// of the limit reached (requests accepted over what the limiter allowed), the
// share of requests answered 429 at steady state, and with the warm-up:
//
//	go test -run '^$' -bench ImportPacingGrid -benchmem
func BenchmarkImportPacingGrid(b *testing.B) {
	for _, c := range gridCells() {
		for _, latency := range gridLatencies {
			b.Run(fmt.Sprintf("%s/%v", c.name, latency), func(b *testing.B) {
				var r gridResult
				for b.Loop() {
					inBubble(b, func(t *testing.T) { r = c.run(t, latency, max(60*time.Second, 20*c.window), 40*time.Second) })
				}
				b.ReportMetric(r.share, "share")
				b.ReportMetric(100*r.limited, "%429")
				b.ReportMetric(100*r.all429, "%429-all")
				b.ReportMetric(r.elapsed.Seconds(), "sim-s")
			})
		}
	}
}
