package commet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Simulated rate limiters for the pacing tests and the grid. Each answers
// Commet's batch endpoint as an http.RoundTripper on the clock of the
// synctest bubble it runs in: a request travels half its latency, is
// decided on the server's clock, and its answer travels the other half.

// verdict is a limiter's decision on one request, and its state after it.
type verdict struct {
	ok         bool
	limit      int
	remaining  int
	reset      time.Duration // RateLimit-Reset, as each limiter means it (see its type)
	retryAfter time.Duration // when refused: until a request would pass
}

// limiter decides requests arriving at a moment of the server's clock.
type limiter interface {
	take(now time.Time) verdict
}

// tokenBucket holds burst tokens and refills rate(t) a second.
type tokenBucket struct {
	rate   func(t time.Time) float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	return &tokenBucket{rate: func(time.Time) float64 { return rate }, burst: float64(burst), tokens: float64(burst)}
}

func (b *tokenBucket) take(now time.Time) verdict {
	r := b.rate(now)
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*r)
	}
	b.last = now
	v := verdict{limit: int(b.burst)}
	if b.tokens >= 1-1e-9 {
		v.ok = true
		b.tokens = max(0, b.tokens-1)
	} else {
		v.retryAfter = secs((1 - b.tokens) / r)
	}
	v.remaining = int(math.Floor(b.tokens + 1e-9))
	v.reset = secs((b.burst - b.tokens) / r)
	return v
}

// fixedWindow allows n requests in each window of length w, the windows
// aligned to multiples of w since the Unix epoch on the server's clock.
type fixedWindow struct {
	n     int
	w     time.Duration
	start time.Time
	count int
}

func (f *fixedWindow) take(now time.Time) verdict {
	if start := now.Truncate(f.w); !start.Equal(f.start) {
		f.start, f.count = start, 0
	}
	end := f.start.Add(f.w).Sub(now)
	v := verdict{limit: f.n, reset: end}
	if f.count < f.n {
		v.ok = true
		f.count++
	} else {
		v.retryAfter = end
	}
	v.remaining = f.n - f.count
	return v
}

// slidingLog allows n requests in any span of length w: it keeps the
// times of the requests it let through (a refused request is not
// counted). Reset is the time until the oldest of them leaves the span,
// when the allowance grows again.
type slidingLog struct {
	n   int
	w   time.Duration
	log []time.Time
}

func (s *slidingLog) take(now time.Time) verdict {
	for len(s.log) > 0 && !s.log[0].Add(s.w).After(now) {
		s.log = s.log[1:]
	}
	v := verdict{limit: s.n}
	if len(s.log) < s.n {
		v.ok = true
		s.log = append(s.log, now)
	}
	v.remaining = s.n - len(s.log)
	if len(s.log) > 0 {
		v.reset = s.log[0].Add(s.w).Sub(now)
	}
	if !v.ok {
		v.retryAfter = v.reset
	}
	return v
}

// slidingCounter is the sliding window of many gateways: the count of
// the current fixed window plus the previous one's, weighted by how much
// of it the sliding span still covers, the weighted part truncated to a
// whole count (as github.com/RussellLuo/slidingwindow does): a request
// passes when that count plus one is within n, and Remaining is n minus
// the count. So it sustains n a window (the n-th of a window passes once
// the previous window's weight has fallen below one request), and never
// more. Reset is the end of the current fixed window.
type slidingCounter struct {
	n           int
	w           time.Duration
	start       time.Time
	prev, count int
}

func (s *slidingCounter) take(now time.Time) verdict {
	if start := now.Truncate(s.w); !start.Equal(s.start) {
		if start.Sub(s.start) == s.w {
			s.prev = s.count
		} else {
			s.prev = 0
		}
		s.start, s.count = start, 0
	}
	frac := float64(now.Sub(s.start)) / float64(s.w)
	used := int(float64(s.prev)*(1-frac)) + s.count
	v := verdict{limit: s.n, reset: s.start.Add(s.w).Sub(now)}
	if used+1 <= s.n {
		v.ok = true
		s.count++
		used++
	} else {
		// until the previous window's weight falls below n - count, or,
		// when the current window alone is full, the next window
		v.retryAfter = v.reset
		if room := s.n - s.count; room > 0 && s.prev > 0 {
			v.retryAfter = time.Duration((1-float64(room)/float64(s.prev))*float64(s.w)) - now.Sub(s.start) + time.Nanosecond
		}
	}
	v.remaining = max(0, s.n-used)
	return v
}

// stacked limits with every one of its limiters: a request passes when
// all let it (and then counts in all). The headers name whichever is
// nearest exhaustion, as a share of its limit.
type stacked []limiter

// peeker is a limiter that can say what it would decide without counting.
type peeker interface {
	limiter
	peek(now time.Time) verdict
}

func (f *fixedWindow) peek(now time.Time) verdict {
	c := *f
	return c.take(now)
}

func (s stacked) take(now time.Time) verdict {
	var vs []verdict
	ok := true
	for _, l := range s {
		v := l.(peeker).peek(now)
		ok = ok && v.ok
		vs = append(vs, v)
	}
	if ok {
		for i, l := range s {
			vs[i] = l.take(now)
		}
	}
	named := vs[0]
	for _, v := range vs[1:] {
		if float64(v.remaining)/float64(v.limit) < float64(named.remaining)/float64(named.limit) {
			named = v
		}
	}
	named.ok = ok
	if !ok {
		named.retryAfter = 0
		for _, v := range vs {
			if !v.ok {
				named.retryAfter = max(named.retryAfter, v.retryAfter)
			}
		}
	}
	return named
}

// headerStyle is how a server writes (or misstates) its limiter's state.
type headerStyle int

const (
	honest           headerStyle = iota // RateLimit-* in whole seconds, Retry-After in seconds
	resetUnix                           // RateLimit-Reset as a Unix time; Retry-After as an HTTP date
	noHeaders                           // Retry-After only
	limitLies                           // RateLimit-Limit: 1000000
	remainingAtLimit                    // RateLimit-Remaining always equal to the limit
	remainingZero                       // RateLimit-Remaining always 0
	oddHeaders                          // RateLimit-* on two answers of three, fractional Reset, Retry-After as a date
)

// simServer is Commet's batch endpoint behind a limiter, as an
// http.RoundTripper for the synctest bubble.
type simServer struct {
	limiter limiter
	style   headerStyle
	latency time.Duration // round trip
	jitter  float64       // each way varies by up to this share
	skew    time.Duration // the server's clock minus this machine's

	mu       sync.Mutex
	rng      *mrand.Rand
	arrivals []arrival
	created  int
}

// arrival is a request as the server saw it.
type arrival struct {
	at      time.Time // this machine's clock
	limited bool
}

func newSimServer(l limiter, style headerStyle, latency time.Duration) *simServer {
	return &simServer{limiter: l, style: style, latency: latency, jitter: 0.1, rng: mrand.New(mrand.NewPCG(1, 2))}
}

func (s *simServer) oneWay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(float64(s.latency) / 2 * (1 + s.jitter*(2*s.rng.Float64()-1)))
}

func (s *simServer) RoundTrip(req *http.Request) (*http.Response, error) {
	var body struct {
		Customers []CreateCustomerParams `json:"customers"`
	}
	if req.Body != nil {
		err := json.NewDecoder(req.Body).Decode(&body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	time.Sleep(s.oneWay())
	local := time.Now()
	now := local.Add(s.skew)
	s.mu.Lock()
	v := s.limiter.take(now)
	s.arrivals = append(s.arrivals, arrival{at: local, limited: !v.ok})
	first := s.created
	if v.ok {
		s.created += len(body.Customers)
	}
	n := s.rng.IntN(3)
	s.mu.Unlock()

	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Request-Id", "req_sim")
	s.writeHeaders(h, v, now, n)
	var out any
	status := http.StatusOK
	if v.ok {
		successful := make([]any, len(body.Customers))
		for i, c := range body.Customers {
			cust := customerJSON(fmt.Sprintf("cus_%d", first+i), c.ID, c.Email)
			cust["createdAt"] = now.UTC().Format(time.RFC3339Nano)
			successful[i] = cust
		}
		out = envelope(map[string]any{"successful": successful, "failed": []any{}})
	} else {
		status = http.StatusTooManyRequests
		out = map[string]any{"success": false, "code": "rate_limited", "message": "Too many requests"}
	}
	b, _ := json.Marshal(out)
	time.Sleep(s.oneWay())
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Header: h, Request: req,
		Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// writeHeaders writes v's RateLimit-* and Retry-After headers in s's
// style; n is a random 0, 1 or 2.
func (s *simServer) writeHeaders(h http.Header, v verdict, now time.Time, n int) {
	limit, remaining := v.limit, v.remaining
	reset := strconv.Itoa(seconds(v.reset.Seconds()))
	retryAfter := strconv.Itoa(max(1, seconds(v.retryAfter.Seconds())))
	date := func(d time.Duration) string { return now.Add(d).UTC().Format(http.TimeFormat) }
	switch s.style {
	case noHeaders:
		limit = 0
	case resetUnix:
		reset = strconv.FormatInt(now.Add(v.reset+time.Second-1).Unix(), 10)
		retryAfter = date(v.retryAfter + time.Second - 1)
	case limitLies:
		limit = 1_000_000
	case remainingAtLimit:
		remaining = limit
	case remainingZero:
		remaining = 0
	case oddHeaders:
		if n == 0 {
			limit = 0
		}
		reset = strconv.FormatFloat(math.Ceil(v.reset.Seconds()*100-1e-9)/100, 'f', 2, 64) // rounded up, as seconds are
		retryAfter = date(v.retryAfter + time.Second - 1)
	}
	if limit > 0 {
		h.Set("RateLimit-Limit", strconv.Itoa(limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("RateLimit-Reset", reset)
	}
	if !v.ok {
		h.Set("Retry-After", retryAfter)
	}
}

// secs is a Duration of s seconds.
func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// seconds rounds a number of seconds up to a whole one, as servers write
// them.
func seconds(s float64) int { return int(math.Ceil(s - 1e-9)) }
