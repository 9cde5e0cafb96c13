package pace

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// step is one answer to the pacer, at a moment of synctest's clock, and
// what the pacer does after it.
type step struct {
	at     time.Duration // since the pacer started: when the answer arrives
	status int           // 0: the request failed without an answer
	header []string      // name, value pairs; Date is the moment itself unless given
	pace   float64       // the pace after it, requests a second (0: none)
	// paused, if set, is how long every request is held from at
	paused time.Duration
	limit  int // if set, the batches allowed in progress after it
}

// play answers p as the steps say, each request sent rtt before its
// answer, and checks the pace, pause and bound after each.
func play(t *testing.T, p *Pacer, rtt time.Duration, steps []step) {
	t.Helper()
	for i, s := range steps {
		time.Sleep(time.Until(p.start.Add(s.at)))
		now := time.Now()
		var resp *http.Response
		var err error
		if s.status == 0 {
			err = errors.New("connection reset")
		} else {
			h := http.Header{"Date": {now.UTC().Format(http.TimeFormat)}}
			for j := 0; j+1 < len(s.header); j += 2 {
				h.Set(s.header[j], s.header[j+1])
			}
			resp = &http.Response{StatusCode: s.status, Header: h}
		}
		p.mu.Lock()
		p.inFlight++
		p.mu.Unlock()
		p.learn(now.Add(-rtt), now, resp, err)

		p.mu.Lock()
		rate, until := p.rate(now)
		pauseUntil, limit := p.pauseUntil, p.limit
		p.mu.Unlock()
		assert.InDelta(t, s.pace, rate, 1e-9*max(1, s.pace), "step %d (%v): the pace", i, s.at)
		assert.True(t, until.IsZero(), "step %d (%v): no wait for a reset", i, s.at)
		if s.paused > 0 {
			assert.Equal(t, s.paused, pauseUntil.Sub(now), "step %d (%v): the pause", i, s.at)
		} else {
			assert.False(t, pauseUntil.After(now), "step %d (%v): no pause", i, s.at)
		}
		if s.limit > 0 {
			assert.Equal(t, s.limit, limit, "step %d (%v): the batches in progress", i, s.at)
		}
	}
}

// accepted is n answers 200 without headers, every gap from start.
func accepted(start, gap time.Duration, n int, pace float64) []step {
	var steps []step
	for i := range n {
		steps = append(steps, step{at: start + time.Duration(i)*gap, status: 200, pace: pace})
	}
	return steps
}

// TestPace plays answers to a pacer at moments of synctest's clock and
// checks the pace, pauses and bound it keeps after each (the shape of
// aws-sdk-go-v2's adaptive rate limit tests).
func TestPace(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name  string
		cfg   Config
		rtt   time.Duration
		steps []step
	}{
		{
			name: "nothing limits: no pace, and the bound grows by one an answer",
			rtt:  100 * ms,
			steps: []step{
				{at: 100 * ms, status: 200, limit: 2},
				{at: 200 * ms, status: 200, limit: 2},
			},
		},
		{
			name: "RequestsPerSecond caps an unlimited pace",
			cfg:  Config{RequestsPerSecond: 5},
			rtt:  100 * ms,
			steps: []step{
				// rate 5 × latency 0.1 s × 1.5, + 2, rounded up
				{at: 100 * ms, status: 200, pace: 5, limit: 3},
			},
		},
		{
			name: "a 429 pauses every request for its Retry-After",
			cfg:  Config{MaxPause: 10 * time.Minute},
			rtt:  100 * ms,
			steps: []step{
				{at: 1 * time.Second, status: 429, header: []string{"Retry-After", "2"}, paused: 2 * time.Second},
				{at: 1500 * ms, status: 429, header: []string{"Retry-After", "1"}, paused: 1500 * ms}, // the longer pause holds
				{at: 4 * time.Second, status: 429, header: []string{"Retry-After", "3600"}, paused: 10 * time.Minute},
			},
		},
		{
			name: "with SkipLongPauses, a 429 asking for more than MaxPause holds nothing",
			cfg:  Config{MaxPause: 30 * time.Second, SkipLongPauses: true},
			rtt:  100 * ms,
			steps: []step{
				{at: 1 * time.Second, status: 429, header: []string{"Retry-After", "31"}},
				{at: 2 * time.Second, status: 429, header: []string{"Retry-After", "30"}, paused: 30 * time.Second},
			},
		},
		{
			name: "SkipLongPauses without MaxPause: no wait is over no bound, so a 429 holds every request",
			cfg:  Config{SkipLongPauses: true},
			rtt:  100 * ms,
			steps: []step{
				{at: 1 * time.Second, status: 429, header: []string{"Retry-After", "3600"}, paused: time.Hour},
			},
		},
		{
			name: "without MaxPause, the pause is what the 429 asks",
			rtt:  100 * ms,
			steps: []step{
				{at: 1 * time.Second, status: 429, header: []string{"Retry-After", "3600"}, paused: time.Hour},
			},
		},
		{
			name: "Retry-After: 0 still pauses, for as long as Commet takes to answer",
			rtt:  300 * ms,
			steps: []step{
				{at: 1 * time.Second, status: 429, header: []string{"Retry-After", "0"}, paused: 300 * ms},
			},
		},
		{
			name: "a past date pauses at least the floor",
			rtt:  20 * ms,
			steps: []step{
				{at: 1 * time.Second, status: 429, header: []string{"Retry-After", "Sat, 01 Jan 2000 00:00:00 GMT"}, paused: 100 * ms},
			},
		},
		{
			name: "a 429 that asks for no wait is not from the limiter: no pause",
			rtt:  100 * ms,
			steps: []step{
				{at: 1 * time.Second, status: 429},
			},
		},
		{
			name: "failures halve the bound; an answer grows it again",
			rtt:  100 * ms,
			steps: []step{
				{at: 100 * ms, status: 503, limit: 1},
				{at: 200 * ms, status: 0, limit: 1},
				{at: 300 * ms, status: 408, limit: 1},
			},
		},
		{
			name: "a fixed Concurrency stays fixed",
			cfg:  Config{Concurrency: 8},
			rtt:  100 * ms,
			steps: []step{
				{at: 100 * ms, status: 503, limit: 8},
				{at: 200 * ms, status: 0, limit: 8},
				{at: 300 * ms, status: 200, limit: 8},
			},
		},
		{
			// the first 429's guess: the 20 accepted since the start,
			// spread until the pause ends (3.1 s)
			name: "429s alone: the first measures what passed until the pause ends",
			rtt:  100 * ms,
			steps: append(accepted(100*ms, 100*ms, 20, 0),
				step{at: 2100 * ms, status: 429, header: []string{"Retry-After", "1"}, paused: time.Second, pace: 20 / 3.1, limit: 3},
				// then it creeps up 15% a second: 1.4 s later
				step{at: 3500 * ms, status: 200, pace: 20 / 3.1 * (1 + 0.15*1.4)},
			),
		},
		{
			name: "429s alone: a storm lifts the pace and halves the bound",
			rtt:  100 * ms,
			steps: []step{
				{at: 100 * ms, status: 200},
				{at: 200 * ms, status: 429, header: []string{"Retry-After", "1"}, paused: time.Second, limit: 1},
			},
		},
		{
			// the first answer with headers is taken for a bucket: its
			// refill (what is used of the allowance, Remaining + 1, over
			// Reset, raised 2% since it is nearly whole) plus what a
			// request sent now finds (Remaining and a round trip's
			// refill) beyond a reserve of 2, spent within the round
			// trip; a 429
			// when 50 were left proves the headers wrong, and from then
			// on they are ignored: the pace waits for 429s to measure it
			name: "headers proved wrong are dropped for good",
			rtt:  100 * ms,
			steps: []step{
				{at: 100 * ms, status: 200, header: []string{"RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "10"}, pace: 1.0/10*1.02 + (50+1.0/10*1.02*0.1-2)/0.1},
				{at: 200 * ms, status: 429, header: []string{"RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "10", "Retry-After", "1"}, paused: time.Second},
				{at: 1300 * ms, status: 200, header: []string{"RateLimit-Limit", "100", "RateLimit-Remaining", "99", "RateLimit-Reset", "10"}},
			},
		},
		{
			name: "429s alone: a slow pace is never under one request per 2 s",
			rtt:  100 * ms,
			steps: append(accepted(100*ms, 100*ms, 4, 0),
				step{at: 500 * ms, status: 429, header: []string{"Retry-After", "60"}, paused: time.Minute, pace: 0.5}),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				play(t, New(tc.cfg), tc.rtt, tc.steps)
			})
		})
	}
}

// TestAcquireBoundsTheBatchesInProgress: with Concurrency 1, a second
// batch waits until the first releases its slot, or until its context
// ends.
func TestAcquireBoundsTheBatchesInProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Concurrency: 1})
		require.NoError(t, p.Acquire(context.Background()))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		assert.ErrorIs(t, p.Acquire(ctx), context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start), "it waited for its context")

		go func() {
			time.Sleep(3 * time.Second)
			p.Release()
		}()
		start = time.Now()
		require.NoError(t, p.Acquire(context.Background()))
		assert.Equal(t, 3*time.Second, time.Since(start), "it took the slot released")
	})
}

// TestDoWaitsOutA429: after a 429 asking for 2 s, the next request leaves
// 2 s later, not sooner; a request whose context ends first is not sent.
func TestDoWaitsOutA429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{})
		var sent []time.Time
		next := func(status int, retryAfter string) func(*http.Request) (*http.Response, error) {
			return func(*http.Request) (*http.Response, error) {
				sent = append(sent, time.Now())
				time.Sleep(10 * time.Millisecond)
				h := http.Header{"Date": {time.Now().UTC().Format(http.TimeFormat)}}
				if retryAfter != "" {
					h.Set("Retry-After", retryAfter)
				}
				return &http.Response{StatusCode: status, Header: h}, nil
			}
		}
		req, err := http.NewRequest("POST", "https://commet.test/api/v1/customers/batch", nil)
		require.NoError(t, err)
		resp, err := p.Do(req, next(429, "2"))
		require.NoError(t, err)
		assert.Equal(t, 429, resp.StatusCode)

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = p.Do(req.WithContext(ctx), next(200, ""))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Len(t, sent, 1, "not sent: its context ended during the pause")

		_, err = p.Do(req, next(200, ""))
		require.NoError(t, err)
		require.Len(t, sent, 2)
		assert.Equal(t, 2*time.Second+10*time.Millisecond, sent[1].Sub(sent[0]), "sent when the pause ended")
	})
}

// TestDoSpacesRequestsAtThePace: at a RequestsPerSecond of 10, requests
// leave 100 ms apart, however many wait.
func TestDoSpacesRequestsAtThePace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Concurrency: 5, RequestsPerSecond: 10})
		sent := make(chan time.Time, 20)
		next := func(*http.Request) (*http.Response, error) {
			sent <- time.Now()
			time.Sleep(30 * time.Millisecond)
			return &http.Response{StatusCode: 200, Header: http.Header{}}, nil
		}
		req, err := http.NewRequest("GET", "https://commet.test/", nil)
		require.NoError(t, err)
		start := time.Now()
		var batches sync.WaitGroup
		for range 5 {
			batches.Go(func() {
				for range 4 {
					p.Do(req, next)
				}
			})
		}
		batches.Wait()
		close(sent)
		var got []time.Duration
		for at := range sent {
			got = append(got, at.Sub(start))
		}
		require.Len(t, got, 20)
		for i := 1; i < len(got); i++ {
			assert.Equal(t, 100*time.Millisecond, got[i]-got[i-1], "request %d", i)
		}
	})
}
