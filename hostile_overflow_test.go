package commet

import (
	"context"
	"math"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBackoffNeverOverflows: doubling a wait must not wrap negative,
// whatever the caller asked for; the jitter would panic on it.
func TestBackoffNeverOverflows(t *testing.T) {
	for _, b := range []struct{ initial, max time.Duration }{
		{time.Millisecond, math.MaxInt64},
		{time.Duration(math.MaxInt64 / 3), math.MaxInt64},
		{math.MaxInt64, math.MaxInt64},
		{1, 1},
	} {
		s := settings{}
		s.initialBackoff, s.maxBackoff = b.initial, b.max
		for n := 1; n <= 200; n++ {
			var d time.Duration
			require.NotPanics(t, func() { d = s.backoff(n) }, "%v, retry %d", b, n)
			require.Greater(t, d, time.Duration(0), "%v, retry %d", b, n)
			require.LessOrEqual(t, d, b.max, "%v, retry %d", b, n)
		}
	}
}

// TestHugeBackoffEndsWithTheContext runs the overflowing configuration of
// the issue end to end: the call waits (on the fake clock) and ends with
// its context, without a panic.
func TestHugeBackoffEndsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t, WithRetryBackoff(time.Millisecond, math.MaxInt64), WithMaxRetries(math.MaxInt))
		mock.RegisterResponder("GET", custURL+"/x", status(503, nil))
		ctx, cancel := context.WithTimeout(context.Background(), 1000*time.Hour)
		defer cancel()
		_, err := c.Customers.Get(ctx, "x")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, ErrServer, "the last answer is kept")
	})
}

// TestRetryAfterValues: every Retry-After a server can send is read as a
// wait that is never negative, never wraps, and is the server's own value;
// one beyond the 30 s cap ends the call at once (retrying sooner than asked
// only burns the caller's time), with that value on the error.
func TestRetryAfterValues(t *testing.T) {
	const maxDur = time.Duration(math.MaxInt64)
	date := func(d time.Duration) func(time.Time) string {
		return func(now time.Time) string { return now.Add(d).UTC().Format(http.TimeFormat) }
	}
	fixed := func(v string) func(time.Time) string { return func(time.Time) string { return v } }
	cases := []struct {
		name     string
		header   func(now time.Time) string
		wait     time.Duration
		valid    bool
		requests int // of a GET with 3 retries answered 429 every time
	}{
		{"0", fixed("0"), 0, true, 4},
		{"2", fixed("2"), 2 * time.Second, true, 4},
		{"30 with spaces", fixed(" 30 "), 30 * time.Second, true, 4},
		{"31", fixed("31"), 31 * time.Second, true, 1},
		{"120", fixed("120"), 120 * time.Second, true, 1},
		{"largest in range", fixed("9223372036"), 9223372036 * time.Second, true, 1},
		{"just beyond a Duration", fixed("9223372037"), maxDur, true, 1},
		{"MaxInt64", fixed("9223372036854775807"), maxDur, true, 1},
		{"beyond int64", fixed("99999999999999999999999"), maxDur, true, 1},
		{"negative", fixed("-1"), 0, false, 1},
		{"fraction", fixed("1.5"), 0, false, 1},
		{"exponent", fixed("1e3"), 0, false, 1},
		{"plus sign", fixed("+5"), 0, false, 1},
		{"empty", fixed(""), 0, false, 1},
		{"word", fixed("soon"), 0, false, 1},
		{"date in 10 s", date(10 * time.Second), 10 * time.Second, true, 4},
		{"date in the past", date(-time.Hour), 0, true, 4},
		{"date in an hour", date(time.Hour), time.Hour, true, 1},
		{"year 9999", fixed("Fri, 31 Dec 9999 23:59:59 GMT"), -1, true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
			wait, ok := parseRetryAfter(tc.header(now), now)
			assert.Equal(t, tc.valid, ok)
			if tc.wait >= 0 {
				assert.Equal(t, tc.wait, wait)
			} else {
				assert.Equal(t, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Sub(now), wait)
			}

			synctest.Test(t, func(t *testing.T) {
				c, mock := newMockClient(t, WithMaxRetries(3))
				rec := answers(withRetryAfter(429, tc.header(time.Now())))
				mock.RegisterResponder("GET", custURL+"/x", rec.responder)
				start := time.Now()
				_, err := c.Customers.Get(context.Background(), "x")
				assert.ErrorIs(t, err, ErrRateLimited)
				assert.Len(t, rec.requests(), tc.requests)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				if tc.requests == 1 {
					assert.Zero(t, time.Since(start), "the call ends at once")
				}
				if tc.valid && tc.wait > maxRetryAfter {
					assert.Equal(t, tc.wait, apiErr.RetryAfter, "the server's own value, for the caller to pass on")
				}
			})
		})
	}
}

// TestLongRetryAfterOnA503: the cap applies to every retryable answer.
func TestLongRetryAfterOnA503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(withRetryAfter(503, "120"))
		mock.RegisterResponder("GET", custURL+"/x", rec.responder)
		_, err := c.Customers.Get(context.Background(), "x")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 120*time.Second, apiErr.RetryAfter)
		assert.Len(t, rec.requests(), 1)
	})
}

// TestOutOfRangeSettingsAreRefused: counts and sizes a caller gives are
// checked when given.
func TestOutOfRangeSettingsAreRefused(t *testing.T) {
	ctx := context.Background()
	c, mock := newMockClient(t)
	for name, call := range map[string]func() error{
		"List limit MaxInt": func() error { _, err := c.Customers.List(ctx, &ListCustomersParams{Limit: math.MaxInt}); return err },
		"List limit MinInt": func() error { _, err := c.Customers.List(ctx, &ListCustomersParams{Limit: math.MinInt}); return err },
		"All limit MaxInt":  func() error { return firstErr(c.Customers.All(ctx, &ListCustomersParams{Limit: math.MaxInt})) },
		"huge backoff pair": func() error {
			_, err := c.Customers.Get(ctx, "x", WithRetryBackoff(math.MaxInt64, time.Second))
			return err
		},
		"negative timeout": func() error { _, err := c.Customers.Get(ctx, "x", WithTimeout(math.MinInt64)); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			assert.Error(t, err)
		})
	}
	assert.Zero(t, mock.GetTotalCallCount())
}
