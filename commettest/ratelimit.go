package commettest

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter holds a token bucket per API key; see [WithRateLimit].
type rateLimiter struct {
	perSecond float64
	burst     float64

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket is one key's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// epsilon absorbs float rounding: a bucket refilled for exactly the time
// one token takes holds 1 token, not 0.9999999.
const epsilon = 1e-9

// maxBuckets is how many keys are remembered before full buckets (which
// are the same as no bucket) are dropped.
const maxBuckets = 10_000

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	return &rateLimiter{perSecond: perSecond, burst: float64(burst), buckets: map[string]*bucket{}}
}

// rateDecision is the outcome of one request under the limit.
type rateDecision struct {
	allowed    bool
	limit      int
	remaining  int // whole tokens left
	reset      int // seconds until the bucket is full
	retryAfter int // seconds until one token is available, when refused
}

// take refills key's bucket up to now and takes a token if there is one.
func (l *rateLimiter) take(key string, now time.Time) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 { // a clock set back refills nothing
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.perSecond)
		b.last = now
	}
	d := rateDecision{limit: int(l.burst)}
	if b.tokens+epsilon < 1 {
		d.retryAfter = max(1, l.seconds(1-b.tokens))
	} else {
		d.allowed = true
		b.tokens = max(0, b.tokens-1)
	}
	d.remaining = int(math.Floor(b.tokens + epsilon))
	d.reset = l.seconds(l.burst - b.tokens)
	return d
}

// seconds returns how many whole seconds refill tokens, rounded up.
func (l *rateLimiter) seconds(tokens float64) int {
	s := math.Ceil(tokens/l.perSecond - epsilon)
	return int(min(max(s, 0), math.MaxInt32))
}

// sweep drops the buckets that are full by now. Called with mu held.
func (l *rateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.perSecond >= l.burst {
			delete(l.buckets, k)
		}
	}
}

func (l *rateLimiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets = map[string]*bucket{}
}

// window is the window of the bucket's policy, in whole seconds: the time
// an empty bucket takes to fill, rounded up, at least 1.
func (l *rateLimiter) window() int {
	return max(1, l.seconds(l.burst))
}

// setHeaders writes the rate-limit headers of d in form, and Retry-After
// when the request was refused; window is the policy's w.
func (d rateDecision) setHeaders(h http.Header, form RateLimitHeaders, window int) {
	if form != HeadersDraft {
		h.Set("RateLimit-Limit", strconv.Itoa(d.limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(d.remaining))
		h.Set("RateLimit-Reset", strconv.Itoa(d.reset))
	}
	if form != HeadersLegacy {
		h.Set("RateLimit-Policy", `"default";q=`+strconv.Itoa(d.limit)+";w="+strconv.Itoa(window))
		h.Set("RateLimit", `"default";r=`+strconv.Itoa(d.remaining)+";t="+strconv.Itoa(d.reset))
	}
	if !d.allowed {
		h.Set("Retry-After", strconv.Itoa(d.retryAfter))
	}
}
