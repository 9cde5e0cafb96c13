package commet

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// concurrency answers okCustomer after latency, and keeps the most
// requests it saw in flight at once, and when each arrived.
type concurrency struct {
	latency time.Duration
	first   func(n int) *http.Response // if set and non-nil for request n (from 1), its answer

	mu       sync.Mutex
	inFlight int
	most     int
	arrived  []time.Time
}

func (c *concurrency) responder(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.inFlight++
	c.most = max(c.most, c.inFlight)
	c.arrived = append(c.arrived, time.Now())
	n := len(c.arrived)
	c.mu.Unlock()
	time.Sleep(c.latency)
	c.mu.Lock()
	c.inFlight--
	c.mu.Unlock()
	if c.first != nil {
		if resp := c.first(n); resp != nil {
			return resp, nil
		}
	}
	return okCustomer(req)
}

func (c *concurrency) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.most, c.arrived = 0, nil
}

// getAll runs n Gets at once and returns their errors.
func getAll(c *Client, n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = c.Customers.Get(context.Background(), "user_1") })
	}
	wg.Wait()
	return errs
}

// TestSharedPacingStartsSlowly: a new client's calls start two at a time
// and double with each round trip of answers that show room, as TCP's
// slow start does; without sharing, 50 calls at once send 50 requests at
// once.
func TestSharedPacingStartsSlowly(t *testing.T) {
	for _, shared := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			c, mock := newMockClient(t, WithSharedPacing(shared))
			s := &concurrency{latency: 20 * time.Millisecond}
			mock.RegisterResponder("GET", custURL+"/user_1", s.responder)
			start := time.Now()
			for _, err := range getAll(c, 50) {
				require.NoError(t, err)
			}
			if !shared {
				assert.Equal(t, 50, s.most)
				return
			}
			firstRound := 0
			for _, at := range s.arrived {
				if at.Sub(start) < 20*time.Millisecond {
					firstRound++
				}
			}
			assert.Equal(t, 2, firstRound, "requests sent before the first answer")
			assert.Less(t, time.Since(start), 200*time.Millisecond, "a few round trips, not 25")
		})
	}
}

// TestSharedPacingA429PacesTheOthers: a 429 seen by one call holds the
// client's other calls for its Retry-After; without sharing, the next call
// is sent at once.
func TestSharedPacingA429PacesTheOthers(t *testing.T) {
	for _, shared := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			c, mock := newMockClient(t, WithSharedPacing(shared))
			rec := answers(withRetryAfter(429, "1"), okCustomer)
			mock.RegisterResponder("GET", custURL+"/user_1", rec.responder)
			_, err := c.Customers.Get(context.Background(), "user_1", WithMaxRetries(0))
			require.ErrorIs(t, err, ErrRateLimited)
			start := time.Now()
			_, err = c.Customers.Get(context.Background(), "user_1")
			require.NoError(t, err)
			if shared {
				assert.Equal(t, time.Second, time.Since(start), "held for the Retry-After another call was told")
			} else {
				assert.Zero(t, time.Since(start))
			}
			assert.Len(t, rec.requests(), 2)
		})
	}
}

// TestSharedPacingOpensAndClosesAgain: once the answers show room (16 in
// a row, no one waiting), a client's calls are not paced: 16 calls at once
// send 16 requests at once. A 429 paces them again, from a slow start.
func TestSharedPacingOpensAndClosesAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		var limited atomic.Bool
		s := &concurrency{latency: 20 * time.Millisecond, first: func(int) *http.Response {
			if limited.CompareAndSwap(true, false) {
				resp := jsonResponse(429, map[string]any{"code": "rate_limited", "message": "slow down"})
				resp.Header.Set("Retry-After", "1")
				return resp
			}
			return nil
		}}
		mock.RegisterResponder("GET", custURL+"/user_1", s.responder)
		for range openAfter {
			_, err := c.Customers.Get(context.Background(), "user_1")
			require.NoError(t, err)
		}
		require.Nil(t, c.pacer.paced.Load(), "open")
		s.reset()
		getAll(c, openWindowUnknown)
		assert.Equal(t, openWindowUnknown, s.most, "an open client waits for nothing")

		limited.Store(true)
		_, err := c.Customers.Get(context.Background(), "user_1", WithMaxRetries(0))
		require.ErrorIs(t, err, ErrRateLimited)
		require.NotNil(t, c.pacer.paced.Load(), "paced again")
		s.reset()
		start := time.Now()
		for _, err := range getAll(c, 20) {
			require.NoError(t, err)
		}
		require.NotEmpty(t, s.arrived)
		assert.GreaterOrEqual(t, s.arrived[0].Sub(start), time.Second-20*time.Millisecond, "held for the 429's Retry-After")
		assert.Less(t, s.most, 20, "a slow start again")
	})
}

// TestSharedPacingWaitsAsTheContextAllows: a call waiting its turn behind
// another call's Retry-After ends when its context does, having sent
// nothing: its error matches the context's and ErrNotSent.
func TestSharedPacingWaitsAsTheContextAllows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(withRetryAfter(429, "20"), okCustomer)
		mock.RegisterResponder("GET", custURL+"/user_1", rec.responder)
		_, err := c.Customers.Get(context.Background(), "user_1", WithMaxRetries(0))
		require.ErrorIs(t, err, ErrRateLimited)

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err = c.Customers.Get(ctx, "user_1")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, ErrNotSent)
		assert.Equal(t, 2*time.Second, time.Since(start))
		assert.Len(t, rec.requests(), 1, "nothing sent")
	})
}

// BenchmarkSharedPacerHook is the client's shared pacing alone, around a
// send that answers at once with Commet's headers: open (far from the
// limit, as a client is after 16 roomy answers), paced (a new client's
// first calls, or one near the limit), and no hook at all, side by side.
// A loopback round trip is about 100 µs; the open hook costs nanoseconds:
//
//	go test -run '^$' -bench SharedPacerHook -count 6
func BenchmarkSharedPacerHook(b *testing.B) {
	req, err := http.NewRequest(http.MethodGet, custURL+"/user_1", nil)
	require.NoError(b, err)
	header := http.Header{"Ratelimit-Limit": {"1000"}, "Ratelimit-Remaining": {"990"}, "Ratelimit-Reset": {"1"}}
	next := func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Header: header, Body: http.NoBody}, nil
	}
	b.Run("none", func(b *testing.B) {
		for b.Loop() {
			if _, err := next(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		s := newSharedPacer()
		s.paced.Store(nil)
		for b.Loop() {
			if _, err := s.send(req, next); err != nil {
				b.Fatal(err)
			}
		}
		if s.paced.Load() != nil {
			b.Fatal("paced again")
		}
	})
	b.Run("open-parallel", func(b *testing.B) {
		s := newSharedPacer()
		s.paced.Store(nil)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.send(req, next); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("paced", func(b *testing.B) {
		// answers without RateLimit-* headers, which would pace the
		// requests to what they say: this is the pacer's own work
		plain := func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody}, nil
		}
		p := newSharedPace()
		for b.Loop() {
			if err := p.Acquire(req.Context()); err != nil {
				b.Fatal(err)
			}
			if _, err := p.Do(req, plain); err != nil {
				b.Fatal(err)
			}
			p.Release()
		}
	})
}

// TestSharedPacingLongRetryAfterHoldsNoOne: a 429 asking for longer than
// a single call waits (30 s) ends that call at once, and holds none of the
// client's other calls either: each goes and reads its own answer, so a
// sign-up handler can pass the wait on at once.
func TestSharedPacingLongRetryAfterHoldsNoOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(withRetryAfter(429, "31"), okCustomer)
		mock.RegisterResponder("GET", custURL+"/user_1", rec.responder)
		start := time.Now()
		_, err := c.Customers.Get(context.Background(), "user_1")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 31*time.Second, apiErr.RetryAfter)
		_, err = c.Customers.Get(context.Background(), "user_1")
		require.NoError(t, err)
		assert.Zero(t, time.Since(start), "neither call waited")
		assert.Len(t, rec.requests(), 2)
	})
}
