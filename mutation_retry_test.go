package commet

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/commet-go/commet/internal/ratelimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests hold each limit of the retry policy at its edge: exactly at
// the bound, and one past it.

// fixedBackoff is a backoff without jitter: n seconds before retry n.
func fixedBackoff(n int) time.Duration { return time.Duration(n) * time.Second }

// answerErr is the *APIError of an answer with the given status and
// headers, as classify makes it.
func answerErr(status int, header http.Header) *APIError {
	return newAPIError(status, header, []byte(`{"success":false,"code":"x","message":"m"}`), func(s string) string { return s })
}

func retryAfterHeader(d time.Duration) http.Header {
	return http.Header{"Retry-After": {strconv.Itoa(int(d / time.Second))}}
}

func TestRetryPolicyCountsFailuresUpToMaxRetries(t *testing.T) {
	p := retryPolicy{backoff: fixedBackoff, maxRetries: 3, maxRetryAfter: maxRetryAfter}
	for name, err := range map[string]error{
		"network": fmt.Errorf("%w: connection reset", ErrNetwork),
		"503":     answerErr(http.StatusServiceUnavailable, nil),
		"429":     answerErr(http.StatusTooManyRequests, retryAfterHeader(2*time.Second)),
	} {
		var n retryCount
		for i := 1; i <= 3; i++ {
			_, retry := p.next(err, &n)
			assert.True(t, retry, "%s: failure %d of 3 allowed", name, i)
		}
		_, retry := p.next(err, &n)
		assert.False(t, retry, "%s: failure 4 is one past maxRetries", name)
		assert.Equal(t, 4, n.failures, name)
	}
}

func TestRetryPolicyBackoffIsForRetryN(t *testing.T) {
	p := retryPolicy{backoff: fixedBackoff, maxRetries: 5, maxRetryAfter: maxRetryAfter}
	var n retryCount
	for i := 1; i <= 3; i++ {
		wait, retry := p.next(fmt.Errorf("%w: reset", ErrNetwork), &n)
		require.True(t, retry)
		assert.Equal(t, time.Duration(i)*time.Second, wait, "the backoff of retry %d", i)
	}
	wait, retry := p.next(answerErr(http.StatusBadGateway, nil), &n)
	assert.True(t, retry)
	assert.Equal(t, 4*time.Second, wait, "a 502 without Retry-After gets the backoff of its retry")
}

// A single call waits a Retry-After of exactly maxRetryAfter, and ends at
// once on one a second longer, whether a 429 or a 503 asks.
func TestRetryPolicyMaxRetryAfterEdge(t *testing.T) {
	p := retryPolicy{backoff: fixedBackoff, maxRetries: 5, maxRetryAfter: maxRetryAfter}
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		wait, retry := p.next(answerErr(status, retryAfterHeader(maxRetryAfter)), &retryCount{})
		assert.True(t, retry, "%d asking exactly maxRetryAfter", status)
		assert.Equal(t, maxRetryAfter, wait, status)

		wait, retry = p.next(answerErr(status, retryAfterHeader(maxRetryAfter+time.Second)), &retryCount{})
		assert.False(t, retry, "%d asking a second past maxRetryAfter", status)
		assert.Equal(t, maxRetryAfter+time.Second, wait, "%d: the server's ask, as asked", status)
	}
	assert.Equal(t, 30*time.Second, maxRetryAfter, "the contract's bound")
}

// A 503 with Retry-After: 0 gets the backoff, and is retried.
func TestRetryPolicyRetryAfterZeroGetsTheBackoff(t *testing.T) {
	p := retryPolicy{backoff: fixedBackoff, maxRetries: 5, maxRetryAfter: maxRetryAfter}
	var n retryCount
	_, _ = p.next(fmt.Errorf("%w: reset", ErrNetwork), &n)
	wait, retry := p.next(answerErr(http.StatusServiceUnavailable, http.Header{"Retry-After": {"0"}}), &n)
	assert.True(t, retry)
	assert.Equal(t, 2*time.Second, wait, "the backoff of retry 2")
}

// wait takes the server's ask above ratelimit.MinWait, and the backoff when
// the ask is at or below it.
func TestRetryPolicyWaitAtMinRateLimitWait(t *testing.T) {
	p := retryPolicy{backoff: fixedBackoff}
	assert.Equal(t, 2*time.Second, p.wait(ratelimit.MinWait, 2), "an ask of exactly the floor is no ask: the backoff")
	assert.Equal(t, ratelimit.MinWait+time.Millisecond, p.wait(ratelimit.MinWait+time.Millisecond, 2), "an ask one past the floor is the server's")
	small := retryPolicy{backoff: func(int) time.Duration { return time.Millisecond }}
	assert.Equal(t, ratelimit.MinWait, small.wait(ratelimit.MinWait, 1), "the floor when the backoff is shorter")
}

// With rateLimits, 429s are not charged to maxRetries; each wait is cut to
// maxRetryAfter; they end at maxRateLimited of them, or when they add up
// past patience.
func TestRetryPolicyRateLimitsCountAndPatience(t *testing.T) {
	limited := answerErr(http.StatusTooManyRequests, retryAfterHeader(10*time.Second))
	t.Run("count", func(t *testing.T) {
		p := retryPolicy{backoff: fixedBackoff, maxRetries: 0, maxRetryAfter: time.Minute,
			rateLimits: true, patience: time.Hour, maxRateLimited: 3}
		var n retryCount
		for i := 1; i <= 3; i++ {
			wait, retry := p.next(limited, &n)
			assert.True(t, retry, "429 %d of 3", i)
			assert.Equal(t, 10*time.Second, wait)
		}
		_, retry := p.next(limited, &n)
		assert.False(t, retry, "a 4th 429 is one past maxRateLimited")
		assert.Equal(t, 0, n.failures, "429s are not failures")
		assert.Equal(t, 4, n.rateLimited)
	})
	t.Run("patience", func(t *testing.T) {
		p := retryPolicy{backoff: fixedBackoff, maxRetries: 0, maxRetryAfter: time.Minute,
			rateLimits: true, patience: 30 * time.Second, maxRateLimited: 100}
		var n retryCount
		for i := 1; i <= 3; i++ {
			_, retry := p.next(limited, &n)
			assert.True(t, retry, "waits adding up to %v, patience 30s", time.Duration(i)*10*time.Second)
		}
		assert.Equal(t, 30*time.Second, n.waited)
		_, retry := p.next(limited, &n)
		assert.False(t, retry, "40s waited is past a patience of 30s")
	})
	t.Run("cut", func(t *testing.T) {
		p := retryPolicy{backoff: fixedBackoff, maxRetryAfter: 10 * time.Second,
			rateLimits: true, patience: 25 * time.Second, maxRateLimited: 100}
		var n retryCount
		wait, retry := p.next(answerErr(http.StatusTooManyRequests, retryAfterHeader(time.Hour)), &n)
		assert.True(t, retry, "a long ask is cut, not refused")
		assert.Equal(t, 10*time.Second, wait)
		assert.Equal(t, 10*time.Second, n.waited, "the cut wait is what counts against patience")
		_, _ = p.next(answerErr(http.StatusTooManyRequests, retryAfterHeader(time.Hour)), &n)
		_, retry = p.next(answerErr(http.StatusTooManyRequests, retryAfterHeader(time.Hour)), &n)
		assert.False(t, retry, "30s of cut waits is past 25s")
	})
	t.Run("floor", func(t *testing.T) {
		p := retryPolicy{backoff: fixedBackoff, maxRetryAfter: time.Minute,
			rateLimits: true, patience: time.Hour, maxRateLimited: 100}
		var n retryCount
		wait, _ := p.next(answerErr(http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}}), &n)
		assert.Equal(t, time.Second, wait, "a 429 asking no wait gets the backoff of its own count")
		wait, _ = p.next(answerErr(http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}}), &n)
		assert.Equal(t, 2*time.Second, wait)
	})
}

// Import's policy: 429s cut to maxImportRetryAfter, up to maxImport429s,
// within importPatience.
func TestImportRetryPolicyLimits(t *testing.T) {
	s := settings{maxRetries: 2, initialBackoff: time.Second, maxBackoff: time.Second}
	p := importRetryPolicy(&s)
	assert.True(t, p.rateLimits)
	assert.Equal(t, 2, p.maxRetries)
	assert.Equal(t, maxImportRetryAfter, p.maxRetryAfter)
	assert.Equal(t, importPatience, p.patience)
	assert.Equal(t, maxImport429s, p.maxRateLimited)
	single := s.single()
	assert.False(t, single.rateLimits)
	assert.Equal(t, maxRetryAfter, single.maxRetryAfter)
	assert.Equal(t, 2, single.maxRetries)
}

// A 429 that is not from the rate limiter, a 409 other than
// idempotency_in_progress, and a 4xx are not retried, and count nothing.
func TestRetryPolicyAnswersNotRetried(t *testing.T) {
	p := retryPolicy{backoff: fixedBackoff, maxRetries: 5, maxRetryAfter: maxRetryAfter}
	conflict := answerErr(http.StatusConflict, nil)
	inProgress := answerErr(http.StatusConflict, nil)
	inProgress.Code = "idempotency_in_progress"
	var n retryCount
	for _, err := range []error{answerErr(http.StatusTooManyRequests, nil), conflict, answerErr(http.StatusBadRequest, nil)} {
		_, retry := p.next(err, &n)
		assert.False(t, retry, err.Error())
	}
	assert.Equal(t, retryCount{}, n)
	wait, retry := p.next(inProgress, &n)
	assert.True(t, retry)
	assert.Equal(t, time.Second, wait)
}

// The exponential backoff doubles from initial and is capped at max,
// jittered down by at most half.
func TestBackoffDoublesUpToMax(t *testing.T) {
	s := settings{initialBackoff: time.Second, maxBackoff: 10 * time.Second}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second} {
		for range 50 {
			d := s.backoff(n)
			assert.LessOrEqual(t, d, want, "retry %d", n)
			assert.GreaterOrEqual(t, d, want/2, "retry %d", n)
		}
	}
}

// At the edge of the cap: initial == max>>shift doubles to initial<<shift,
// which may be well below max when the shift is large.
func TestBackoffAtTheEdgeOfTheCap(t *testing.T) {
	const shift = 40
	s := settings{initialBackoff: 1, maxBackoff: 1<<shift + (1<<shift - 1)}
	for range 50 {
		d := s.backoff(shift + 1)
		assert.LessOrEqual(t, d, time.Duration(1)<<shift)
		assert.GreaterOrEqual(t, d, time.Duration(1)<<(shift-1))
	}
}

// The jitter takes any value from 0 to half of the wait.
func TestBackoffJitterSpansHalf(t *testing.T) {
	s := settings{initialBackoff: 4, maxBackoff: 4}
	seen := map[time.Duration]bool{}
	for range 300 {
		seen[s.backoff(1)] = true
	}
	assert.Equal(t, map[time.Duration]bool{2: true, 3: true, 4: true}, seen)
}

// sleep of no time on a context already done says so, every time, rather
// than racing the context against a timer that fires at once.
func TestSleepOfNoTimeOnADoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 100 {
		assert.ErrorIs(t, sleep(ctx, 0), context.Canceled)
	}
	assert.NoError(t, sleep(context.Background(), 0))
	assert.NoError(t, sleep(context.Background(), -time.Second))
}
