package commet

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bounds of Import's adaptive pacing.
const (
	startConcurrency    = 2
	maxAdaptiveInFlight = 64
)

// pacer paces the requests of one import to what Commet allows. It is a
// Middleware, so it governs every attempt, retries included:
//
//   - a 429 with Retry-After pauses every request until the wait is over;
//   - the batches in progress are bounded (each holds a slot through its
//     retries); unless the caller fixed the bound, it starts at
//     startConcurrency, doubles while throughput is bounded by latency
//     rather than by Commet, halves when Commet fails (5xx, timeouts), and
//     is kept near what the pace needs (rate × latency) once there is one;
//   - requests leave at a pace: with RateLimit-* headers, the pace tracks
//     Commet's refill rate, estimated from how RateLimit-Remaining moves,
//     plus a term that keeps a little of the allowance unspent; without
//     them, the pace is set from the throughput Commet accepted when it
//     first answered 429, and then creeps up, backing off on every 429;
//   - RequestsPerSecond, if set, caps everything.
type pacer struct {
	fixed bool    // the caller fixed the batches in progress (Concurrency)
	cap   float64 // RequestsPerSecond; 0 for none
	start time.Time

	mu         sync.Mutex
	limit      int           // batches allowed in progress
	slots      int           // batches in progress
	inFlight   int           // requests in flight
	wake       chan struct{} // closed and replaced when a slot may be free
	pauseUntil time.Time     // set by a 429's Retry-After
	pace       float64       // requests per second; 0 until Commet's limit shows
	nextAt     time.Time     // when the pace lets the next request go

	latency  time.Duration // moving average of answer times
	headers  bool          // Commet sent RateLimit-* headers
	refill   float64       // estimated refill rate of Commet's allowance, per second; 0 until known
	measured bool          // refill was measured over a window in which the allowance never filled
	window   remainingWindow
	accepted int // answers that were not 429

	limitedAt       time.Time // of the 429 the last estimate started from
	acceptedAtLimit int       // accepted then
	raisedAt        time.Time
}

// remainingWindow follows RateLimit-Remaining across answers, to estimate
// the refill rate: over a window in which the allowance never filled up,
// refill = (remaining at the end - remaining at the start + requests
// charged in between) / duration.
type remainingWindow struct {
	start   time.Time
	first   int
	charged int  // accepted answers since start, the first included
	full    bool // the allowance was whole at some point
}

func newPacer(concurrency int, requestsPerSecond float64) *pacer {
	p := &pacer{
		fixed: concurrency > 0,
		limit: concurrency,
		cap:   requestsPerSecond,
		start: time.Now(),
		wake:  make(chan struct{}),
	}
	if !p.fixed {
		p.limit = startConcurrency
	}
	return p
}

// acquireSlot waits for a free slot among the batches in progress; a batch
// holds its slot through its retries, so that batches failing again and
// again cannot pile up. releaseSlot frees it.
func (p *pacer) acquireSlot(ctx context.Context) error {
	for {
		p.mu.Lock()
		if p.slots < p.limit {
			p.slots++
			p.mu.Unlock()
			return nil
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (p *pacer) releaseSlot() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.slots--
	p.signal()
}

// middleware waits for the request's turn, sends it, and learns from the
// answer.
func (p *pacer) middleware(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
	if err := p.waitTurn(req.Context()); err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := next(req)
	p.learn(time.Since(start), resp, err)
	return resp, err
}

// waitTurn waits until no pause holds and the pace lets a request go.
func (p *pacer) waitTurn(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := time.Now()
		wait := max(p.pauseUntil.Sub(now), p.nextAt.Sub(now))
		if wait <= 0 {
			p.inFlight++
			if interval := p.interval(); interval > 0 {
				p.nextAt = maxTime(p.nextAt, now).Add(interval)
			}
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// interval is the time between two requests at the pace and the cap; 0
// when nothing paces them. Called with p.mu held.
func (p *pacer) interval() time.Duration {
	r := p.pace
	if p.cap > 0 && (r == 0 || p.cap < r) {
		r = p.cap
	}
	if r == 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / r)
}

// learn adjusts the pace and the batches in progress to an answer.
func (p *pacer) learn(took time.Duration, resp *http.Response, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	defer p.signal()
	if err != nil || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout {
		p.halveLimit() // Commet is struggling, or the way to it: fewer at once
		return
	}
	now := time.Now()
	if p.latency == 0 {
		p.latency = took
	} else {
		p.latency = (p.latency*7 + took) / 8
	}
	limited := resp.StatusCode == http.StatusTooManyRequests
	if limited {
		if wait, ok := rateLimitWait(resp.Header, now); ok {
			p.pauseUntil = maxTime(p.pauseUntil, now.Add(min(wait, maxImportRetryAfter)))
		}
	} else {
		p.accepted++
	}
	if limit, remaining, reset, ok := rateLimitHeaders(resp.Header); ok {
		p.headers = true
		p.followRemaining(now, limit, remaining, reset, limited)
	} else if !p.headers {
		p.followLimits(now, limited)
	}
	p.fitConcurrency(limited)
}

// followRemaining sets the pace from RateLimit-* headers: the estimated
// refill rate of the allowance, plus what is left of it beyond the
// requests in flight and a small reserve, spent over half a second.
//
// The refill rate is read from how Remaining moves: over a second or more,
// refill = (Remaining at the end - at the start + requests charged in
// between) / duration. When the allowance was whole at some point in the
// window, refills were lost, so the figure is only a lower bound; so is the
// allowance used over the time until it is whole again (Reset, which the
// server rounds up). While the allowance stays whole the pace is below the
// limit, and the estimate creeps up until it is not.
func (p *pacer) followRemaining(now time.Time, limit, remaining, reset int, limited bool) {
	if remaining < limit && reset > 0 {
		p.refill = max(p.refill, float64(limit-remaining)/float64(reset))
	}
	full := remaining >= limit-1
	w := &p.window
	if w.start.IsZero() {
		*w = remainingWindow{start: now, first: remaining}
	}
	w.full = w.full || full
	if !limited {
		w.charged++
	}
	if d := now.Sub(w.start).Seconds(); d >= 1 {
		sample := float64(remaining-w.first+w.charged-1) / d
		switch {
		case w.full:
			p.refill = max(p.refill, sample)
		case !p.measured:
			p.refill, p.measured = sample, true
		default:
			p.refill = (p.refill + sample) / 2
		}
		*w = remainingWindow{start: now, first: remaining}
	}
	switch {
	case limited:
		p.refill *= 0.9
	case full:
		p.refill *= 1.02
	}
	if p.refill == 0 {
		return // the allowance is whole: nothing limits the pace yet
	}
	reserve := max(2, float64(limit)/5)
	spare := float64(remaining-p.inFlight) - reserve
	p.pace = max(p.refill+2*spare, p.refill/4)
}

// followLimits sets the pace from 429s alone. At the first, to what was
// accepted so far spread until the pause it asks for ends. Two 429s with
// the allowance spent at both measure the refill rate: the answers
// accepted in between, over the time between. The pace is then a little
// under it, creeping up by 2% a second to find where the limit moved,
// until the next 429. When too few answers were accepted to measure
// anything (a storm of 429s, not a rate), the pace is lifted and the
// batches in progress are halved instead, to grow again as answers come.
func (p *pacer) followLimits(now time.Time, limited bool) {
	const enough = 4 // accepted answers that make a measure
	switch {
	case limited && p.limitedAt.IsZero():
		if p.accepted >= enough {
			p.pace = float64(p.accepted) / max(p.pauseUntil.Sub(p.start), p.latency).Seconds()
		} else {
			p.pace = 0
			p.halveLimit()
		}
		p.limitedAt, p.acceptedAtLimit, p.raisedAt = now, p.accepted, now
	case limited && now.Sub(p.limitedAt) >= max(time.Second/2, 4*p.latency):
		if n := p.accepted - p.acceptedAtLimit; n >= enough {
			p.pace = 0.95 * float64(n) / now.Sub(p.limitedAt).Seconds()
		} else {
			p.pace = 0
			p.halveLimit()
		}
		p.limitedAt, p.acceptedAtLimit, p.raisedAt = now, p.accepted, now
	case !limited && p.pace > 0:
		if d := now.Sub(p.raisedAt).Seconds(); d >= 0.1 {
			p.pace *= 1 + 0.02*d
			p.raisedAt = now
		}
	}
}

// fitConcurrency keeps the batches in progress where the pace needs them,
// unless the caller fixed them: doubling while nothing limits the pace,
// then rate × latency with room to spare.
func (p *pacer) fitConcurrency(limited bool) {
	if p.fixed {
		return
	}
	if p.pace == 0 {
		if !limited && p.slots >= p.limit {
			p.limit = min(p.limit+1, maxAdaptiveInFlight) // +1 per answer: doubles each round trip
		}
	} else {
		need := p.pace * p.latency.Seconds()
		p.limit = min(max(int(math.Ceil(need*1.5))+2, 1), maxAdaptiveInFlight)
	}
}

// halveLimit halves the batches in progress, unless the caller fixed them.
func (p *pacer) halveLimit() {
	if !p.fixed {
		p.limit = max(1, p.limit/2)
	}
}

func (p *pacer) signal() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// rateLimitHeaders reads RateLimit-Limit, -Remaining and -Reset (0 when
// absent or unreadable).
func rateLimitHeaders(h http.Header) (limit, remaining, reset int, ok bool) {
	l, err1 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Limit")))
	r, err2 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining")))
	if err1 != nil || err2 != nil || l <= 0 || r < 0 || r > l {
		return 0, 0, 0, false
	}
	reset, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Reset")))
	if err != nil || reset < 0 {
		reset = 0
	}
	return l, r, reset, true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
