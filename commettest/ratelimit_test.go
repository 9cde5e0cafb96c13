package commettest

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/internal/ratelimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limits returns the rate-limit headers of r: limit, remaining, reset and
// Retry-After.
func limits(r reply) [4]string {
	return [4]string{r.Header.Get("RateLimit-Limit"), r.Header.Get("RateLimit-Remaining"),
		r.Header.Get("RateLimit-Reset"), r.Header.Get("Retry-After")}
}

func TestRateLimitTokenBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithRateLimit(2, 3)) // 2 tokens a second, 3 at most
		get := func() reply { return callMem(t, srv, "GET", "/api/v1/customers", nil) }

		for i, want := range [][4]string{{"3", "2", "1", ""}, {"3", "1", "1", ""}, {"3", "0", "2", ""}} {
			r := get()
			assert.Equal(t, 200, r.Status, i)
			assert.Equal(t, want, limits(r), "request %d", i)
		}
		r := get()
		assert.Equal(t, 429, r.Status)
		assert.Equal(t, "rate_limited", r.Body["code"])
		assert.Equal(t, [4]string{"3", "0", "2", "1"}, limits(r), "1 token in 0.5 s: Retry-After rounds up to 1")

		time.Sleep(250 * time.Millisecond) // half a token
		r = get()
		assert.Equal(t, 429, r.Status, "a refused request took no token")
		assert.Equal(t, [4]string{"3", "0", "2", "1"}, limits(r), "0.25 s rounds up to 1; 1.25 s to 2")

		time.Sleep(250 * time.Millisecond) // exactly one token
		r = get()
		assert.Equal(t, 200, r.Status)
		assert.Equal(t, [4]string{"3", "0", "2", ""}, limits(r))

		time.Sleep(time.Hour) // full again, never more than burst
		for i, want := range []string{"2", "1", "0"} {
			assert.Equal(t, want, limits(get())[1], "request %d after the refill", i)
		}

		// Each key has its own bucket.
		r = callMem(t, srv, "GET", "/api/v1/customers", nil, "x-api-key", "ck_test_other")
		assert.Equal(t, [4]string{"3", "2", "1", ""}, limits(r))
	})
}

func TestRateLimitRetryAfterRoundsUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithRateLimit(0.4, 1)) // a token every 2.5 s
		assert.Equal(t, [4]string{"1", "0", "3", ""}, limits(callMem(t, srv, "GET", "/api/v1/customers", nil)))
		r := callMem(t, srv, "GET", "/api/v1/customers", nil)
		assert.Equal(t, 429, r.Status)
		assert.Equal(t, [4]string{"1", "0", "3", "3"}, limits(r), "2.5 s rounds up to 3")
		time.Sleep(2 * time.Second)
		assert.Equal(t, [4]string{"1", "0", "1", "1"}, limits(callMem(t, srv, "GET", "/api/v1/customers", nil)), "0.5 s left: 1")
		time.Sleep(500 * time.Millisecond)
		assert.Equal(t, 200, callMem(t, srv, "GET", "/api/v1/customers", nil).Status, "on time to the nanosecond")
	})
}

func TestRateLimitComesAfterFaultsAndAuthAndChangesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithRateLimit(1, 1))
		srv.InjectFault(Fault{Status: 503})
		r := callMem(t, srv, "GET", "/api/v1/customers", nil)
		assert.Equal(t, 503, r.Status)
		assert.Equal(t, [4]string{"", "", "", ""}, limits(r), "a fault is not counted and has no headers")
		r = callMem(t, srv, "GET", "/api/v1/customers", nil, "x-api-key", "")
		assert.Equal(t, 401, r.Status)
		assert.Equal(t, [4]string{"", "", "", ""}, limits(r), "an unauthenticated request is not counted")

		r = callMem(t, srv, "GET", "/api/v1/nothing", nil)
		assert.Equal(t, 404, r.Status, "the one token goes to a 404")
		assert.Equal(t, [4]string{"1", "0", "1", ""}, limits(r))

		body := map[string]any{"billingEmail": "a@x.com"}
		r = callMem(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k")
		assert.Equal(t, 429, r.Status)
		assert.Zero(t, srv.Len(), "a 429 creates nothing")
		time.Sleep(time.Second)
		r = callMem(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k")
		assert.Equal(t, 201, r.Status, "nor does it keep the Idempotency-Key")
		assert.Empty(t, r.Header.Get("Idempotent-Replayed"))
	})
}

func TestRateLimitThroughTheSDK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithRateLimit(1, 1))
		client := srv.Client(commet.WithSharedPacing(false)) // each call on its own, as the fake's limiter sees it
		start := time.Now()
		for i := range 3 {
			_, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{Email: "a@x.com", ID: string(rune('a' + i))})
			require.NoError(t, err)
		}
		assert.Equal(t, 2*time.Second, time.Since(start), "the SDK waited for Retry-After twice")
		assert.Equal(t, 3, srv.Len())
	})
}

func TestWithRateLimitRefusesNonsense(t *testing.T) {
	assert.Panics(t, func() { WithRateLimit(0, 1) })
	assert.Panics(t, func() { WithRateLimit(1, 0) })
	assert.NotPanics(t, func() { WithRateLimit(0.5, 1) })
}

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithLatency(300 * time.Millisecond))
		start := time.Now()
		assert.Equal(t, 200, callMem(t, srv, "GET", "/api/v1/customers", nil).Status)
		assert.Equal(t, 300*time.Millisecond, time.Since(start))

		srv.InjectFault(Fault{Status: 503, Delay: time.Second})
		start = time.Now()
		assert.Equal(t, 503, callMem(t, srv, "GET", "/api/v1/customers", nil).Status)
		assert.Equal(t, 1300*time.Millisecond, time.Since(start), "faults are delayed too")

		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start = time.Now()
		_, err := srv.Client(commet.WithMaxRetries(0)).Customers.List(ctx, nil)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 100*time.Millisecond, time.Since(start), "the wait ends when the client goes away")
	})
}

// TestRateLimitHeadersForms: WithRateLimitHeaders writes the bucket's
// state in the older triple, the IETF draft's fields, or both, saying the
// same in each; Retry-After comes on a 429 in every form.
func TestRateLimitHeadersForms(t *testing.T) {
	draft := func(r reply) [2]string { return [2]string{r.Header.Get("RateLimit-Policy"), r.Header.Get("RateLimit")} }
	cases := []struct {
		name   string
		opts   []Option
		legacy bool
		draft  bool
	}{
		{"default: legacy", nil, true, false},
		{"legacy", []Option{WithRateLimitHeaders(HeadersLegacy)}, true, false},
		{"draft", []Option{WithRateLimitHeaders(HeadersDraft)}, false, true},
		{"both", []Option{WithRateLimitHeaders(HeadersBoth)}, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := NewServer(append(c.opts, WithRateLimit(2, 3))...) // the bucket fills in 1.5 s: w=2
				for i, want := range []struct {
					legacy [4]string
					draft  [2]string
				}{
					{[4]string{"3", "2", "1", ""}, [2]string{`"default";q=3;w=2`, `"default";r=2;t=1`}},
					{[4]string{"3", "1", "1", ""}, [2]string{`"default";q=3;w=2`, `"default";r=1;t=1`}},
					{[4]string{"3", "0", "2", ""}, [2]string{`"default";q=3;w=2`, `"default";r=0;t=2`}},
					{[4]string{"3", "0", "2", "1"}, [2]string{`"default";q=3;w=2`, `"default";r=0;t=2`}},
				} {
					r := callMem(t, srv, "GET", "/api/v1/customers", nil)
					if !c.legacy {
						want.legacy = [4]string{"", "", "", want.legacy[3]}
					}
					if !c.draft {
						want.draft = [2]string{}
					}
					assert.Equal(t, want.legacy, limits(r), "request %d", i)
					assert.Equal(t, want.draft, draft(r), "request %d", i)
					l, ok := ratelimit.Read(r.Header, time.Now())
					require.True(t, ok, "request %d", i)
					assert.Equal(t, 3, l.Limit, "request %d", i)
					if c.draft {
						assert.Equal(t, 2*time.Second, l.Window, "request %d", i)
					}
				}
			})
		})
	}
}

// TestRateLimitDraftThroughTheSDK: with the draft's fields only, the SDK
// still waits as asked.
func TestRateLimitDraftThroughTheSDK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithRateLimit(1, 1), WithRateLimitHeaders(HeadersDraft))
		client := srv.Client(commet.WithSharedPacing(false)) // each call on its own, as the fake's limiter sees it
		start := time.Now()
		for i := range 3 {
			_, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{Email: "a@x.com", ID: string(rune('a' + i))})
			require.NoError(t, err)
		}
		assert.Equal(t, 2*time.Second, time.Since(start))
		assert.Equal(t, 3, srv.Len())
	})
}

func TestWithRateLimitHeadersRefusesNonsense(t *testing.T) {
	assert.Panics(t, func() { WithRateLimitHeaders(-1) })
	assert.Panics(t, func() { WithRateLimitHeaders(HeadersBoth + 1) })
	assert.NotPanics(t, func() { WithRateLimitHeaders(HeadersDraft) })
}
