// Package pacetest simulates Commet's rate limiters, for the tests of
// package pace and for the SDK's pacing grid: token buckets, fixed
// windows, sliding logs and counters, stacked windows, each behind a
// Server that answers as an http.RoundTripper on the clock of the synctest
// bubble it runs in (a request travels half its latency, is decided on the
// server's clock, and its answer travels the other half), writing its
// RateLimit-* and Retry-After headers honestly or in one of the ways
// servers misstate them (HeaderStyle), in the older triple, the IETF
// draft's structured fields, or both (Fields).
package pacetest

import (
	"bytes"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Verdict is a limiter's decision on one request, and its state after it.
type Verdict struct {
	OK         bool          // the request passes
	Limit      int           // RateLimit-Limit
	Remaining  int           // RateLimit-Remaining
	Reset      time.Duration // RateLimit-Reset, as each limiter means it (see its type)
	RetryAfter time.Duration // when refused: until a request would pass
	Window     time.Duration // the window's length, as RateLimit-Policy's w states it
	// All are the verdicts of every limiter of a Stacked, in order, for
	// the draft's fields, which name every policy; nil for one limiter.
	All []Verdict
}

// Limiter decides requests arriving at a moment of the server's clock.
type Limiter interface {
	// Take decides a request arriving at now, and counts it if it passes.
	Take(now time.Time) Verdict
}

// TokenBucket holds burst tokens and refills Rate(t) a second. Reset is
// the time until the bucket is full.
type TokenBucket struct {
	// Rate is the refill rate at a moment; NewTokenBucket makes it constant.
	Rate   func(t time.Time) float64
	burst  float64
	tokens float64
	last   time.Time
}

// NewTokenBucket is a full bucket of burst tokens refilled at rate a
// second.
func NewTokenBucket(rate float64, burst int) *TokenBucket {
	return &TokenBucket{Rate: func(time.Time) float64 { return rate }, burst: float64(burst), tokens: float64(burst)}
}

// Take implements Limiter.
func (b *TokenBucket) Take(now time.Time) Verdict {
	r := b.Rate(now)
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*r)
	}
	b.last = now
	v := Verdict{Limit: int(b.burst)}
	if r > 0 {
		v.Window = secs(b.burst / r)
	}
	if b.tokens >= 1-1e-9 {
		v.OK = true
		b.tokens = max(0, b.tokens-1)
	} else {
		v.RetryAfter = secs((1 - b.tokens) / r)
	}
	v.Remaining = int(math.Floor(b.tokens + 1e-9))
	v.Reset = secs((b.burst - b.tokens) / r)
	return v
}

// FixedWindow allows N requests in each window of length W, the windows
// aligned to multiples of W since the Unix epoch on the server's clock.
// Reset is the time until the window ends.
type FixedWindow struct {
	N     int
	W     time.Duration
	start time.Time
	count int
}

// Take implements Limiter.
func (f *FixedWindow) Take(now time.Time) Verdict {
	if start := now.Truncate(f.W); !start.Equal(f.start) {
		f.start, f.count = start, 0
	}
	end := f.start.Add(f.W).Sub(now)
	v := Verdict{Limit: f.N, Reset: end, Window: f.W}
	if f.count < f.N {
		v.OK = true
		f.count++
	} else {
		v.RetryAfter = end
	}
	v.Remaining = f.N - f.count
	return v
}

// SlidingLog allows N requests in any span of length W: it keeps the
// times of the requests it let through (a refused request is not
// counted). Reset is the time until the oldest of them leaves the span,
// when the allowance grows again.
type SlidingLog struct {
	N   int
	W   time.Duration
	log []time.Time
}

// Take implements Limiter.
func (s *SlidingLog) Take(now time.Time) Verdict {
	for len(s.log) > 0 && !s.log[0].Add(s.W).After(now) {
		s.log = s.log[1:]
	}
	v := Verdict{Limit: s.N, Window: s.W}
	if len(s.log) < s.N {
		v.OK = true
		s.log = append(s.log, now)
	}
	v.Remaining = s.N - len(s.log)
	if len(s.log) > 0 {
		v.Reset = s.log[0].Add(s.W).Sub(now)
	}
	if !v.OK {
		v.RetryAfter = v.Reset
	}
	return v
}

// SlidingCounter is the sliding window of many gateways: the count of
// the current fixed window plus the previous one's, weighted by how much
// of it the sliding span still covers, the weighted part truncated to a
// whole count (as github.com/RussellLuo/slidingwindow does): a request
// passes when that count plus one is within n, and Remaining is n minus
// the count. So it sustains n a window (the n-th of a window passes once
// the previous window's weight has fallen below one request), and never
// more. Reset is the end of the current fixed window.
type SlidingCounter struct {
	N           int
	W           time.Duration
	start       time.Time
	prev, count int
}

// Take implements Limiter.
func (s *SlidingCounter) Take(now time.Time) Verdict {
	if start := now.Truncate(s.W); !start.Equal(s.start) {
		if start.Sub(s.start) == s.W {
			s.prev = s.count
		} else {
			s.prev = 0
		}
		s.start, s.count = start, 0
	}
	frac := float64(now.Sub(s.start)) / float64(s.W)
	used := int(float64(s.prev)*(1-frac)) + s.count
	v := Verdict{Limit: s.N, Reset: s.start.Add(s.W).Sub(now), Window: s.W}
	if used+1 <= s.N {
		v.OK = true
		s.count++
		used++
	} else {
		// until the previous window's weight falls below n - count, or,
		// when the current window alone is full, the next window
		v.RetryAfter = v.Reset
		if room := s.N - s.count; room > 0 && s.prev > 0 {
			v.RetryAfter = time.Duration((1-float64(room)/float64(s.prev))*float64(s.W)) - now.Sub(s.start) + time.Nanosecond
		}
	}
	v.Remaining = max(0, s.N-used)
	return v
}

// Stacked limits with every one of its limiters: a request passes when
// all let it (and then counts in all). The headers name whichever is
// nearest exhaustion, as a share of its limit.
type Stacked []Limiter

// Peeker is a Limiter that can say what it would decide without counting;
// a Stacked's limiters must be Peekers.
type Peeker interface {
	Limiter
	// Peek is what Take would decide at now, without counting.
	Peek(now time.Time) Verdict
}

// Peek implements Peeker.
func (f *FixedWindow) Peek(now time.Time) Verdict {
	c := *f
	return c.Take(now)
}

// Take implements Limiter.
func (s Stacked) Take(now time.Time) Verdict {
	var vs []Verdict
	ok := true
	for _, l := range s {
		v := l.(Peeker).Peek(now)
		ok = ok && v.OK
		vs = append(vs, v)
	}
	if ok {
		for i, l := range s {
			vs[i] = l.Take(now)
		}
	}
	named := vs[0]
	for _, v := range vs[1:] {
		if float64(v.Remaining)/float64(v.Limit) < float64(named.Remaining)/float64(named.Limit) {
			named = v
		}
	}
	named.OK = ok
	named.All = vs
	if !ok {
		named.RetryAfter = 0
		for _, v := range vs {
			if !v.OK {
				named.RetryAfter = max(named.RetryAfter, v.RetryAfter)
			}
		}
	}
	return named
}

// HeaderStyle is how a server writes (or misstates) its limiter's state.
type HeaderStyle int

const (
	Honest           HeaderStyle = iota // RateLimit-* in whole seconds, Retry-After in seconds
	ResetUnix                           // RateLimit-Reset as a Unix time; Retry-After as an HTTP date
	NoHeaders                           // Retry-After only
	LimitLies                           // RateLimit-Limit: 1000000
	RemainingAtLimit                    // RateLimit-Remaining always equal to the limit
	RemainingZero                       // RateLimit-Remaining always 0
	OddHeaders                          // RateLimit-* on two answers of three, fractional Reset, Retry-After as a date
	// TripleRemainingAtLimit: the triple's RateLimit-Remaining always
	// equal to the limit, the draft's fields honest: with BothFields, the
	// two forms disagree.
	TripleRemainingAtLimit
)

// Fields is the form a Server writes its limiter's state in.
type Fields int

const (
	LegacyFields Fields = iota // RateLimit-Limit, -Remaining and -Reset
	// DraftFields are the IETF draft's structured fields only:
	// RateLimit-Policy ("default";q=Limit;w=Window, or "p0", "p1", ...
	// for each limiter of a Stacked) and RateLimit (r=Remaining;t=Reset,
	// in whole seconds, for each policy).
	DraftFields
	BothFields // both forms, saying the same
)

// Server is Commet behind a Limiter, as an http.RoundTripper for a
// synctest bubble: every request, whatever its method and path, is one
// request to the limiter.
type Server struct {
	limiter Limiter
	style   HeaderStyle
	latency time.Duration // round trip
	// Jitter is the share by which each way varies, at most (0.1 by
	// default).
	Jitter float64
	// Skew is the server's clock minus this machine's.
	Skew time.Duration
	// Fields is the form of the RateLimit headers (LegacyFields by
	// default); the HeaderStyle misstates either form alike.
	Fields Fields
	// Respond, if set, writes the answer's status and body from the
	// request's body and the limiter's verdict, at now on the server's
	// clock; by default a request that passes is answered 200 with {}, and
	// one refused 429 with Commet's rate_limited error.
	Respond func(body []byte, ok bool, now time.Time) (status int, answer []byte)

	mu       sync.Mutex
	rng      *mrand.Rand
	arrivals []Arrival
}

// Arrival is a request as the server saw it.
type Arrival struct {
	At      time.Time // on this machine's clock
	Limited bool      // answered 429
}

// NewServer is a Server behind l that writes its headers in style, with
// the round trip latency.
func NewServer(l Limiter, style HeaderStyle, latency time.Duration) *Server {
	return &Server{limiter: l, style: style, latency: latency, Jitter: 0.1, rng: mrand.New(mrand.NewPCG(1, 2))}
}

// Arrivals are the requests the server saw, in the order it decided them.
func (s *Server) Arrivals() []Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Arrival(nil), s.arrivals...)
}

func (s *Server) oneWay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(float64(s.latency) / 2 * (1 + s.Jitter*(2*s.rng.Float64()-1)))
}

// RoundTrip implements http.RoundTripper.
func (s *Server) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	time.Sleep(s.oneWay())
	local := time.Now()
	now := local.Add(s.Skew)
	s.mu.Lock()
	v := s.limiter.Take(now)
	s.arrivals = append(s.arrivals, Arrival{At: local, Limited: !v.OK})
	n := s.rng.IntN(3)
	s.mu.Unlock()

	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Request-Id", "req_sim")
	s.writeHeaders(h, v, now, n)
	status, b := http.StatusOK, []byte("{}")
	if !v.OK {
		status, b = http.StatusTooManyRequests, []byte(`{"success":false,"code":"rate_limited","message":"Too many requests"}`)
	}
	if s.Respond != nil {
		status, b = s.Respond(body, v.OK, now)
	}
	time.Sleep(s.oneWay())
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Header: h, Request: req,
		Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// writeHeaders writes v's RateLimit-* and Retry-After headers in s's
// style and form; n is a random 0, 1 or 2.
func (s *Server) writeHeaders(h http.Header, v Verdict, now time.Time, n int) {
	limit, remaining := v.Limit, v.Remaining
	reset := strconv.Itoa(seconds(v.Reset.Seconds()))
	retryAfter := strconv.Itoa(max(1, seconds(v.RetryAfter.Seconds())))
	date := func(d time.Duration) string { return now.Add(d).UTC().Format(http.TimeFormat) }
	switch s.style {
	case NoHeaders:
		limit = 0
	case ResetUnix:
		reset = strconv.FormatInt(now.Add(v.Reset+time.Second-1).Unix(), 10)
		retryAfter = date(v.RetryAfter + time.Second - 1)
	case LimitLies:
		limit = 1_000_000
	case RemainingAtLimit, TripleRemainingAtLimit:
		remaining = limit
	case RemainingZero:
		remaining = 0
	case OddHeaders:
		if n == 0 {
			limit = 0
		}
		reset = strconv.FormatFloat(math.Ceil(v.Reset.Seconds()*100-1e-9)/100, 'f', 2, 64) // rounded up, as seconds are
		retryAfter = date(v.RetryAfter + time.Second - 1)
	}
	if limit > 0 && s.Fields != DraftFields {
		h.Set("RateLimit-Limit", strconv.Itoa(limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("RateLimit-Reset", reset)
	}
	if limit > 0 && s.Fields != LegacyFields {
		s.writeDraft(h, v)
	}
	if !v.OK {
		h.Set("Retry-After", retryAfter)
	}
}

// writeDraft writes the draft's RateLimit-Policy and RateLimit fields
// for v (every limiter of a Stacked), misstated as s's style says; the
// draft's t is always whole seconds from now, whatever the style.
func (s *Server) writeDraft(h http.Header, v Verdict) {
	all, names := []Verdict{v}, []string{`"default"`}
	if v.All != nil {
		all, names = v.All, nil
		for i := range all {
			names = append(names, `"p`+strconv.Itoa(i)+`"`)
		}
	}
	var policy, status []string
	for i, w := range all {
		limit, remaining := w.Limit, w.Remaining
		switch s.style {
		case LimitLies:
			limit = 1_000_000
		case RemainingAtLimit:
			remaining = limit
		case RemainingZero:
			remaining = 0
		}
		policy = append(policy, names[i]+";q="+strconv.Itoa(limit)+";w="+strconv.Itoa(max(1, seconds(w.Window.Seconds()))))
		status = append(status, names[i]+";r="+strconv.Itoa(remaining)+";t="+strconv.Itoa(seconds(w.Reset.Seconds())))
	}
	h.Set("RateLimit-Policy", strings.Join(policy, ", "))
	h.Set("RateLimit", strings.Join(status, ", "))
}

// secs is a Duration of s seconds.
func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// seconds rounds a number of seconds up to a whole one, as servers write
// them.
func seconds(s float64) int { return int(math.Ceil(s - 1e-9)) }
