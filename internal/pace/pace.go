// Package pace paces requests to what Commet allows: those of one import,
// and those of a client's single calls. A Pacer bounds the batches (or
// calls) in progress (Acquire, Release) and spaces every request they
// send, retries included (Do), learning from each answer's status,
// RateLimit-* headers and Retry-After (read by package ratelimit), and
// from answers to requests it let by (Learn). It knows nothing of the
// SDK's types: the SDK adapts Do to its middleware.
package pace

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/commet-go/commet/internal/ratelimit"
)

// Bounds of the adaptive pacing.
const (
	startConcurrency = 2
	// MaxConcurrency is the most batches an adaptive Pacer lets be in
	// progress at once: the workers a caller needs at most.
	MaxConcurrency = 64
	// maxAllowances is how many of Commet's windows (told apart by their
	// RateLimit-Limit) the pacer follows at once.
	maxAllowances = 4
	// stockHorizon is the longest time a stock of requests is spread
	// over: what a window of a day allows is spent at the pace the
	// shorter windows allow, not over the day.
	stockHorizon = time.Minute
	// maxPaceInterval is the longest one request waits on a pace learned
	// from 429s alone; a slower limit shows itself with its own 429s.
	maxPaceInterval = 2 * time.Second
	// stuckAnswers is how many accepted answers in a row saying
	// RateLimit-Remaining: 0 prove that the header says nothing.
	stuckAnswers = 20
	// windowShare is the share of a refilling window's allowance over its
	// length that is paced: the rest absorbs the jitter of arrivals.
	windowShare = 0.97
	// blindShare is the share of the limit a 429 measured that is paced.
	blindShare = 0.98
	// blindSpan is how far back a 429 looks to measure the limit.
	blindSpan = 4 * time.Second
	// firstWindowSpan is the shortest time a bucket's spare allowance
	// is spread over.
	firstWindowSpan = 20 * time.Millisecond
)

// Pacer paces the requests of one import to what Commet allows. Its Do
// governs every attempt, retries included:
//
//   - a 429 pauses every request for the wait it asks for (ratelimit.Wait,
//     at most Config.MaxPause),
//     and at least the time Commet takes to answer;
//   - the batches in progress are bounded (each holds a slot, from Acquire
//     to Release, through its retries); unless Config.Concurrency fixes the
//     bound, it starts at
//     startConcurrency, doubles while throughput is bounded by latency
//     rather than by Commet, halves when Commet fails (5xx, timeouts), and
//     is kept near what the pace needs (rate × latency) once there is one;
//   - requests leave evenly at a pace. With RateLimit-* headers, the pacer
//     keeps a model of each of Commet's windows (see allowance), told
//     apart by their Limit: what is left, when it resets (Date + Reset,
//     on Commet's clock), and whether it resets all at once. A window that
//     does (a fixed window) is paced at what answers bear out as its limit
//     over its length, which fills every window whatever its phase, and
//     nothing is sent once its stock is spent until it resets; a stock
//     on a long window (a day's) is spent at the pace of the shorter ones.
//     A window whose Remaining is, over a whole window length, what the
//     requests accepted over the last window length leave (a sliding
//     log or counter) is paced evenly at windowShare of what answers
//     bear out as its allowance over its length (the window a
//     RateLimit-Policy states, or the longest Reset if longer):
//     a stock spent faster would come back as a burst a window later,
//     and a 429 pauses everyone for a whole-second Retry-After. Any
//     other window that refills as it goes (a token bucket) is paced at
//     its refill rate, estimated from how Remaining moves, plus a term
//     that keeps a little of the allowance unspent (see bucketPace), and
//     never below that even pace. Headers are trusted only as far as
//     answers bear them out: the Limit sent is only a name; a 429 where
//     they promised room, or Remaining: 0 on answer after accepted
//     answer beyond what any window of that allowance passes, and they
//     are dropped for the pace learned from 429s alone (see blindPace);
//   - Config.RequestsPerSecond, if set, caps everything.
//
// The pace is worked out again whenever a request may leave, and a
// request waiting its turn wakes when an answer revises it.
type Pacer struct {
	fixed    bool    // the caller fixed the batches in progress (Concurrency)
	cap      float64 // RequestsPerSecond; 0 for none
	maxPause time.Duration
	skipLong bool // Config.SkipLongPauses
	start    time.Time

	mu         sync.Mutex
	limit      int           // batches allowed in progress
	slots      int           // batches in progress
	inFlight   int           // requests in flight
	wake       chan struct{} // closed and replaced when a slot may be free or the pace changed
	pauseUntil time.Time     // set by a 429
	lastSent   time.Time     // when the last request left
	latency    time.Duration // moving average of answer times
	accepted   int           // answers that were not 429

	offset      time.Duration // Commet's clock minus this machine's, at least (from Date)
	offsetKnown bool

	headers    bool // Commet sent RateLimit-* headers we follow
	distrusted bool // they proved wrong: ignored from then on
	allowances []*allowance

	blind blindPace // the pace from 429s alone
	// acceptedAt is when Commet wrote the accepted answers of the last
	// stockHorizon, on its clock: what a sliding window still counts.
	acceptedAt []time.Time
	bucket     bucketPace // the pace from headers of windows that refill as they go
}

// allowance is the pacer's model of one of Commet's windows, from the
// answers whose RateLimit-Limit names it: what is left (Remaining), when
// it is whole again (Reset, on Commet's clock), how fast it refills
// between resets (measured from how Remaining moves against the requests
// accepted), and whether it resets all at once (a fixed window) or refills
// as it goes (a token bucket, a sliding window).
type allowance struct {
	limit     int           // RateLimit-Limit as sent: the window's name only
	whole     int           // what answers bear out: the largest Remaining seen, plus one
	remaining int           // as of the last answer
	server    time.Time     // when Commet wrote the last answer, on its clock (arrival + offset)
	resetAt   time.Time     // when it said the window is whole again, on its clock; zero if it did not
	window    time.Duration // the window's length: as a policy states it, or the longest Reset seen, if longer
	refill    float64       // requests per second between resets, as measured
	measured  bool          // refill was measured; until then, seed stands for it
	seed      float64       // what the first Reset says, if the window refills evenly
	jumps     bool          // Remaining was seen to jump up at a reset
	accepted  int           // pacer.accepted as of the last answer
	same      int           // accepted answers in a row saying Remaining: 0
	// sliding: the answers of the last window length bore out a sliding
	// window of whole requests per window: Remaining was what the
	// requests accepted over the last window length leave, or less.
	sliding bool
	unslid  time.Time // when an answer last did not (Commet's clock)

	span refillSpan
}

// refillSpan measures the refill rate over answers between two resets:
// (Remaining at the end - Remaining at the start + requests accepted in
// between) / duration.
type refillSpan struct {
	start, end  time.Time // on Commet's clock
	first, last int       // Remaining at the start and at the end
	charged     int       // requests accepted after the start, up to the end
	answers     int       // after the start
}

// blindPace finds the pace from 429s alone. Each 429 (but those of a
// storm) measures the limit: the answers accepted over the last
// blindSpan, or since the last pause ended if sooner, over that time,
// raised by half of what the pace crept up over it. The
// pace is then a little under the measure, and creeps up to find where
// the limit moved: slowly near the measure (0.1% a second), since a 429
// costs every request its pause (a whole window, when Retry-After is
// rounded up to one); fast (5% a second) below it, or beyond it once well
// clear of it with no 429; faster still (15%) from the first 429's guess,
// which is only what passed before the first pause.
type blindPace struct {
	since         time.Time // when the pacer began to rely on 429s alone
	acceptedSince int
	pace          float64
	measure       float64   // the limit as the last 429 measured it; 0 until then
	limitedAt     time.Time // of the 429 the last measure started from
	resumedAt     time.Time // when the pause that 429 began ended
	raisedAt      time.Time
	creep         float64 // the share a second the pace last crept up by
}

// bucketPace is the pace from RateLimit-* headers for a window that
// refills as it goes (a token bucket, a sliding window): the estimated
// refill rate of the allowance, plus what a request sent now finds of it
// (what is left, and what refills in a round trip) beyond the requests in
// flight and a small reserve, spent within a round trip: a bucket's first
// allowance (its burst) is spent as soon as the first answers show it.
type bucketPace struct {
	pace     float64
	refill   float64 // estimated refill rate, per second; 0 until known
	measured bool    // refill was measured over a window in which the allowance never filled
	window   remainingWindow
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

// Config is what the caller fixes of a Pacer.
type Config struct {
	// Concurrency, if positive, fixes the batches in progress; else they
	// adapt, from startConcurrency up to MaxConcurrency.
	Concurrency int
	// RequestsPerSecond, if positive, caps the pace.
	RequestsPerSecond float64
	// MaxPause is the longest pause one 429 holds every request for;
	// 0 for no bound.
	MaxPause time.Duration
	// SkipLongPauses makes a 429 that asks for a wait over MaxPause hold
	// nothing, where by default it holds every request for MaxPause: the
	// requests of callers that would give up on such a wait (a single
	// call ends at once) go and read their own answers, rather than wait
	// out MaxPause for one that tells them the same.
	SkipLongPauses bool
}

// New returns a Pacer with the settings c, starting now.
func New(c Config) *Pacer {
	p := &Pacer{
		fixed:    c.Concurrency > 0,
		limit:    c.Concurrency,
		cap:      max(c.RequestsPerSecond, 0),
		maxPause: c.MaxPause,
		skipLong: c.SkipLongPauses,
		start:    time.Now(),
		wake:     make(chan struct{}),
	}
	if !p.fixed {
		p.limit = startConcurrency
	}
	return p
}

// Acquire waits for a free slot among the batches in progress, or until
// ctx ends (then it returns ctx's error and holds no slot). A batch holds
// its slot through its retries, so that batches failing again and again
// cannot pile up; Release frees it.
func (p *Pacer) Acquire(ctx context.Context) error {
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

// Release frees a slot Acquire took.
func (p *Pacer) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.slots--
	p.signal()
}

// Do waits for the request's turn (or until its context ends: then it
// returns the context's error and sends nothing), sends it with next, and
// learns from the answer.
func (p *Pacer) Do(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	if err := p.waitTurn(req.Context()); err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := next(req)
	p.learn(start, time.Now(), resp, err)
	return resp, err
}

// Learn learns from the answer to a request that did not go through Do
// (sent at sent, answered at now, or failed with err), as Do would have:
// a caller that lets some requests pass unpaced still teaches the pacer.
func (p *Pacer) Learn(sent, now time.Time, resp *http.Response, err error) {
	p.mu.Lock()
	p.inFlight++ // learn counts it answered
	p.mu.Unlock()
	p.learn(sent, now, resp, err)
}

// waitTurn waits until no pause holds and the pace lets a request go. It
// wakes when an answer may have changed either.
func (p *Pacer) waitTurn(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := time.Now()
		var at time.Time // when the request may go
		if now.Before(p.pauseUntil) {
			at = p.pauseUntil
		} else {
			rate, until := p.rate(now)
			switch {
			case !until.IsZero():
				at = until
			case rate > 0:
				interval := time.Duration(float64(time.Second) / rate)
				at = p.lastSent.Add(interval)
				if !now.Before(at) {
					if now.Sub(at) < interval { // on schedule: keep it
						p.lastSent = at
					} else {
						p.lastSent = now
					}
					at = time.Time{}
				}
			default:
				p.lastSent = now
			}
		}
		if at.IsZero() || !now.Before(at) {
			p.inFlight++
			p.mu.Unlock()
			return nil
		}
		wake := p.wake
		p.mu.Unlock()
		t := time.NewTimer(at.Sub(now))
		select {
		case <-t.C:
		case <-wake:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// rate is the pace at now, in requests per second (0 for none), or, when
// nothing may be sent until a window resets, the moment to send again.
// Called with p.mu held.
func (p *Pacer) rate(now time.Time) (float64, time.Time) {
	r, until := 0.0, time.Time{}
	switch {
	case p.headers && !p.distrusted && p.fixedWindows():
		r, until = p.headerRate(now)
	case p.headers && !p.distrusted && p.slidingWindows():
		r = max(windowShare*p.windowRate(now), 1/maxPaceInterval.Seconds())
	case p.headers && !p.distrusted && p.bucket.pace > 0:
		r = max(p.bucket.pace, windowShare*p.windowRate(now), 1/maxPaceInterval.Seconds())
	case p.blind.pace > 0:
		r = max(p.blind.pace, 1/maxPaceInterval.Seconds())
	}
	if p.cap > 0 && (r == 0 || p.cap < r) {
		r = p.cap
	}
	return r, until
}

// headerRate is the pace the windows' models allow: the least of theirs.
// Called with p.mu held.
func (p *Pacer) headerRate(now time.Time) (float64, time.Time) {
	// A request sent now reaches Commet about a round trip later on its
	// clock as the offset places it (biased early by half a round trip).
	arrives := now.Add(p.offset + p.latency)
	tau := max(p.latency, 200*time.Millisecond)
	rate, until := math.Inf(1), time.Time{}
	for _, a := range p.allowances {
		if arrives.Sub(a.server) > 2*a.window+10*time.Second && len(p.allowances) > 1 {
			continue // not named for long: some other window binds
		}
		reserve := max(1, float64(a.whole)/50)
		refill := a.rate()
		stock := float64(a.remaining) + refill*max(arrives.Sub(a.server), 0).Seconds()
		left := time.Duration(0) // until the window resets
		resetAt := a.resetAt
		if !resetAt.IsZero() && !arrives.Before(resetAt) {
			resetAt = time.Time{}
			if a.fixedWindow() { // it reset since it last answered: whole again
				stock = float64(a.whole)
				for resetAt = a.resetAt; !arrives.Before(resetAt); {
					resetAt = resetAt.Add(a.window)
				}
			}
		}
		stock = min(stock, float64(a.whole)) - float64(p.inFlight)
		if !resetAt.IsZero() {
			left = resetAt.Sub(arrives)
		}
		var r float64
		switch spare := stock - reserve; {
		case a.fixedWindow():
			// paced at its limit over its length, the window fills
			// whatever its phase; a stock beyond may go faster
			r = 0.98 * float64(a.whole) / a.window.Seconds()
			if left > 2*tau {
				r = max(r, spare/min(left, stockHorizon).Seconds())
			}
			if spare < 0 && left > 0 {
				r = 0
			}
		default:
			r = refill + max(spare, 0)/min(max(left, tau), stockHorizon).Seconds()
		}
		if r <= 0 {
			// nothing left until the reset: send so as to arrive after it
			if left <= 0 {
				r = 1 / tau.Seconds()
			} else if u := resetAt.Add(-p.offset - p.latency + p.latency/8 + 10*time.Millisecond); until.IsZero() || u.After(until) {
				until = u
			}
		}
		rate = min(rate, r)
	}
	if !until.IsZero() {
		return 0, until
	}
	if math.IsInf(rate, 1) {
		return 0, time.Time{}
	}
	return rate, time.Time{}
}

// windowRate is the least, over the windows the headers name, of what answers
// bear out as the window's allowance over its length (as a policy states it,
// or the longest Reset seen, in whole seconds): the rate a sliding window
// sustains, and at most what a token bucket does once drained. 0 when unknown.
// Called with p.mu held.
func (p *Pacer) windowRate(now time.Time) float64 {
	rate := math.Inf(1)
	for _, a := range p.allowances {
		if now.Add(p.offset).Sub(a.server) > 2*a.window+10*time.Second && len(p.allowances) > 1 {
			continue // not named for long: some other window binds
		}
		if a.window <= 0 {
			return 0
		}
		rate = min(rate, float64(a.whole)/math.Ceil(a.window.Seconds()))
	}
	if math.IsInf(rate, 1) {
		return 0
	}
	return rate
}

// slidingWindows reports whether every window the headers name bears out
// a sliding window: then it is paced evenly at its allowance over its
// length, since a stock spent faster comes back as a burst a window
// later. Called with p.mu held.
func (p *Pacer) slidingWindows() bool {
	if len(p.allowances) == 0 {
		return false
	}
	for _, a := range p.allowances {
		if !a.sliding {
			return false
		}
	}
	return p.windowRate(time.Now()) > 0
}

// countSince is how many accepted answers Commet wrote after t (its clock).
func (p *Pacer) countSince(t time.Time) int {
	n := 0
	for i := len(p.acceptedAt) - 1; i >= 0 && p.acceptedAt[i].After(t); i-- {
		n++
	}
	return n
}

// fixedWindow reports whether the window resets all at once and refills
// nothing in between. A sliding window that was sent a burst gives it
// back all at once a window later too, but it alone leaves no more than
// the requests of the last window length allow.
func (a *allowance) fixedWindow() bool {
	return a.jumps && !a.sliding && a.window > 0 && a.measured && a.refill < 0.1*float64(a.whole)/a.window.Seconds()
}

// rate is the refill rate between resets: as measured, or as seeded.
func (a *allowance) rate() float64 {
	if a.measured {
		return a.refill
	}
	return a.seed
}

// learn adjusts the pace and the batches in progress to an answer.
func (p *Pacer) learn(sent, now time.Time, resp *http.Response, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	defer p.signal()
	if err != nil || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout {
		p.halveLimit() // Commet is struggling, or the way to it: fewer at once
		return
	}
	took := now.Sub(sent)
	if p.latency == 0 {
		p.latency = took
	} else {
		p.latency = (p.latency*7 + took) / 8
	}
	if d, ok := ratelimit.Date(resp.Header); ok {
		if off := d.Sub(now); !p.offsetKnown || off > p.offset {
			p.offset, p.offsetKnown = off, true
		}
	}
	limited := resp.StatusCode == http.StatusTooManyRequests
	if limited {
		p.pause(now, resp.Header)
	} else {
		p.accepted++
		server := now.Add(p.offset)
		drop := 0
		for drop < len(p.acceptedAt) && server.Sub(p.acceptedAt[drop]) > stockHorizon {
			drop++
		}
		p.acceptedAt = append(p.acceptedAt[drop:], server)
	}
	if rl, ok := ratelimit.Read(resp.Header, now); ok && !p.distrusted {
		p.headers = true
		p.follow(now, resp.Header, rl, limited)
	} else if !p.headers || p.distrusted {
		p.followLimits(now, limited)
	}
	p.fitConcurrency(now, limited)
}

// pause holds every request for the wait a 429 asks for (ratelimit.Wait),
// and at least for the time Commet takes to answer: a 429 that asks for
// no wait still means "not yet". Called with p.mu held.
func (p *Pacer) pause(now time.Time, h http.Header) {
	wait, ok := ratelimit.Wait(h, now)
	if !ok {
		return
	}
	if p.maxPause > 0 && p.skipLong && wait > p.maxPause {
		return
	}
	wait = max(wait, p.latency)
	if p.maxPause > 0 {
		wait = min(wait, p.maxPause)
	}
	p.pauseUntil = maxTime(p.pauseUntil, now.Add(wait))
}

// follow updates the model of the window an answer's RateLimit-* headers
// name, and drops the headers when the answer proves them wrong. Called
// with p.mu held.
func (p *Pacer) follow(now time.Time, h http.Header, rl ratelimit.Limit, limited bool) {
	// When Commet wrote the answer, on its clock: its arrival moved by the
	// offset, which is biased early by the time an answer travels. Date,
	// in whole seconds, places the reset: an exact moment when windows
	// end on whole seconds, as they do.
	server := now.Add(p.offset)
	date := server
	if d, ok := ratelimit.Date(h); ok {
		date = d
	}
	if limited {
		if promised := p.promised(now); promised >= 3 {
			// It said there was room, and there was none: this 429 is the
			// first the pace from 429s alone measures, over all that
			// passed since the start. Measured from now, nothing has
			// passed: the pace would be lifted, and the burst a bucket
			// refilled during the pause, passing in a few milliseconds,
			// taken for its rate.
			p.distrust(true)
			p.followLimits(now, true)
			return
		}
	}
	var a *allowance
	for _, b := range p.allowances {
		if b.limit == rl.Limit {
			a = b
		}
	}
	if a == nil {
		a = &allowance{limit: rl.Limit}
		if len(p.allowances) == maxAllowances {
			oldest := 0
			for i, b := range p.allowances {
				if b.server.Before(p.allowances[oldest].server) {
					oldest = i
				}
			}
			p.allowances = append(p.allowances[:oldest], p.allowances[oldest+1:]...)
		}
		p.allowances = append(p.allowances, a)
		a.remaining, a.server, a.accepted = rl.Remaining, server, p.accepted
		a.span = refillSpan{start: server, end: server, first: rl.Remaining, last: rl.Remaining}
	}
	charged := p.accepted - a.accepted
	crossed := !a.resetAt.IsZero() && !date.Before(a.resetAt)
	switch {
	case rl.Remaining > 0 || limited:
		a.same = 0
	case charged > 0:
		// Nothing left, it says, and yet the requests keep passing: a
		// well-paced window keeps a reserve, so this one says nothing.
		// An honest sliding window at its limit says 0 on answer after
		// answer too, but never accepts more than its allowance in one
		// window length.
		// window. Remaining never above 0 says nothing about the pace
		// either: it is dropped sooner.
		a.same++
		if a.whole <= 1 && a.same >= stuckAnswers/5 || a.same >= stuckAnswers && p.countSince(server.Add(-max(a.window, time.Second))) > a.whole+max(2, a.whole/10) {
			p.distrust(false)
			return
		}
	}
	if crossed {
		if rl.Remaining+charged-a.remaining > max(2, a.whole/4) {
			a.jumps = true
		}
		a.measure()
		a.span = refillSpan{start: server, end: server, first: rl.Remaining, last: rl.Remaining}
	} else {
		s := &a.span
		s.charged += charged
		s.answers++
		s.end, s.last = server, rl.Remaining
		if s.end.Sub(s.start) >= time.Second {
			a.measure()
			a.span = refillSpan{start: server, end: server, first: rl.Remaining, last: rl.Remaining}
		}
	}
	a.whole = max(a.whole, rl.Remaining+1)
	if a.window > 0 && a.whole > 1 {
		// a sliding window of whole per window leaves whole minus what
		// it accepted over the last window; a window that refills
		// faster (a token bucket) leaves more
		slack := max(2, a.whole/10)
		n := p.countSince(server.Add(-time.Duration(math.Ceil(a.window.Seconds())) * time.Second))
		if n > a.whole+slack || rl.Remaining > a.whole-n+slack {
			a.unslid = server
		}
		a.sliding = server.Sub(a.unslid) > a.window
	}
	p.followRemaining(now, a.whole, rl, limited)
	a.remaining, a.server, a.accepted = rl.Remaining, server, p.accepted
	a.resetAt = time.Time{}
	a.window = max(a.window, statedWindow(rl))
	if rl.HasReset {
		a.resetAt = date.Add(rl.Reset)
		a.window = max(a.window, min(rl.Reset, 24*time.Hour))
		if !a.measured && rl.Reset > 0 {
			// until measured: what the reset says if the window refills
			// evenly, as a token bucket does
			a.seed = float64(a.whole-rl.Remaining) / rl.Reset.Seconds()
		}
	}
}

// statedWindow is the window's length a RateLimit-Policy states (its w,
// at most a day), or 0: the window's length is then known from the first
// answer, where the longest Reset seen only bounds it from below.
func statedWindow(rl ratelimit.Limit) time.Duration {
	return min(rl.Window, 24*time.Hour)
}

// measure ends a's refill span, if it is long enough to mean something.
func (a *allowance) measure() {
	s := a.span
	d := s.end.Sub(s.start).Seconds()
	if s.answers < 4 || d < 0.25 {
		return
	}
	sample := max(0, float64(s.last-s.first+s.charged)/d)
	if !a.measured {
		a.refill, a.measured = sample, true
	} else {
		a.refill = (a.refill + sample) / 2
	}
}

// promised is how many requests the models said were left beyond those
// in flight, when a request was sent; a 429 proves the headers wrong when
// it was several. Called with p.mu held.
func (p *Pacer) promised(now time.Time) float64 {
	least := math.Inf(1)
	for _, a := range p.allowances {
		if now.Add(p.offset).Sub(a.server) > 2*a.window+10*time.Second {
			continue
		}
		least = min(least, float64(a.remaining-p.inFlight))
	}
	if math.IsInf(least, 1) {
		return 0
	}
	return least
}

// distrust drops the RateLimit-* headers for good: the pace comes from
// 429s alone, measuring what is accepted from now on, or, fromStart,
// since the pacer started. Called with p.mu held.
func (p *Pacer) distrust(fromStart bool) {
	p.distrusted = true
	p.allowances = nil
	p.blind = blindPace{since: p.start}
	if !fromStart {
		p.blind = blindPace{since: time.Now(), acceptedSince: p.accepted}
	}
}

// fixedWindows reports whether a window the headers name resets all at
// once: then the windows' models pace; else the bucket pace does.
// Called with p.mu held.
func (p *Pacer) fixedWindows() bool {
	for _, a := range p.allowances {
		if a.fixedWindow() {
			return true
		}
	}
	return false
}

// followLimits sets the pace from 429s alone (see blindPace). When too
// few answers were accepted to measure anything (a storm of 429s, not a
// rate), the pace is lifted and the batches in progress are halved
// instead, to grow again as answers come. Called with p.mu held.
func (p *Pacer) followLimits(now time.Time, limited bool) {
	const enough = 4 // accepted answers that make a measure
	b := &p.blind
	first := limited && b.limitedAt.IsZero()
	if first && b.since.IsZero() {
		b.since = p.start
	}
	if first || limited && now.Sub(b.limitedAt) >= max(time.Second/2, 4*p.latency) {
		// At the first, the pace is what was accepted so far, spread
		// until the pause ends. Later, the limit is what passed just
		// before: over the last blindSpan, or since the last pause ended
		// if that is sooner.
		d := min(blindSpan, now.Sub(b.resumedAt))
		n := p.countSince(now.Add(p.offset - d))
		if first {
			d, n = p.pauseUntil.Sub(b.since), p.accepted-b.acceptedSince
		}
		if d <= 0 {
			return // sent before the pause ended: nothing new
		}
		switch {
		case n < enough:
			b.pace = 0
			p.halveLimit()
		case first:
			b.pace = float64(n) / max(d, p.latency).Seconds()
		default:
			// a pace that crept up over the span was, at its end,
			// above the span's average by about half the creep
			b.measure = float64(n) / max(d, p.latency).Seconds() * (1 + b.creep*d.Seconds()/2)
			b.pace = blindShare * b.measure
		}
		b.limitedAt, b.resumedAt, b.raisedAt, b.creep = now, p.pauseUntil, now, 0
		return
	}
	if d := now.Sub(b.raisedAt).Seconds(); !limited && b.pace > 0 && d >= 0.1 {
		creep := 0.05 // a second
		switch {
		case b.measure == 0: // only the first 429's guess
			creep = 0.15
		case b.pace >= blindShare*b.measure && b.pace <= 1.05*b.measure:
			creep = 0.001
		}
		b.pace *= 1 + creep*d
		b.raisedAt, b.creep = now, creep
	}
}

// followRemaining sets the bucket pace from an answer's RateLimit-*
// headers, read against what answers bear out (a.whole, not the Limit
// sent). The refill rate is read from how Remaining moves: over a second
// or more, refill = (Remaining at the end - at the start + requests
// charged in between) / duration. When the allowance was whole at some
// point in the window, refills were lost, so the figure is only a lower
// bound; so is the allowance used over the time until it is whole again.
// While the allowance stays whole the pace is below the limit, and the
// estimate creeps up until it is not. Called with p.mu held.
func (p *Pacer) followRemaining(now time.Time, whole int, rl ratelimit.Limit, limited bool) {
	b := &p.bucket
	remaining := rl.Remaining
	if reset := rl.Reset.Seconds(); remaining < whole && rl.HasReset && reset > 0 {
		b.refill = max(b.refill, float64(whole-remaining)/math.Ceil(reset))
	}
	full := remaining >= whole-1
	w := &b.window
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
			b.refill = max(b.refill, sample)
		case !b.measured:
			b.refill, b.measured = sample, true
		default:
			b.refill = (b.refill + sample) / 2
		}
		*w = remainingWindow{start: now, first: remaining}
	}
	switch {
	case limited:
		b.refill *= 0.9
	case full:
		b.refill *= 1.02
	}
	if b.refill == 0 {
		return // the allowance is whole: nothing limits the pace yet
	}
	// What a request sent now finds, a round trip after Commet wrote
	// this answer (the requests in flight reach it first, and the
	// allowance refills meanwhile), beyond a reserve, is spent within a
	// round trip (firstWindowSpan at least): the allowance a bucket holds
	// at the start, its burst, is there to be spent, and the refill it
	// lets through meanwhile would be lost once it is full. The bucket
	// caps what is left, but not a round trip's refill, which the
	// requests in flight take as it arrives (a bucket of 10 at 50 a
	// second and 300 ms of round trip passes 15 a trip).
	reserve := max(2, float64(whole)/50)
	trip := b.refill * p.latency.Seconds()
	stock := min(float64(remaining)+trip, max(float64(whole), trip))
	spare := stock - float64(p.inFlight) - reserve
	b.pace = max(b.refill+spare/max(p.latency, firstWindowSpan).Seconds(), b.refill/4)
}

// fitConcurrency keeps the batches in progress where the pace needs them,
// unless the caller fixed them: doubling while nothing limits the pace,
// then rate × latency with room to spare. Called with p.mu held.
func (p *Pacer) fitConcurrency(now time.Time, limited bool) {
	if p.fixed {
		return
	}
	rate, until := p.rate(now)
	switch {
	case rate == 0 && until.IsZero():
		if !limited && p.slots >= p.limit {
			p.limit = min(p.limit+1, MaxConcurrency) // +1 per answer: doubles each round trip
		}
	case rate > 0:
		need := rate * p.latency.Seconds()
		p.limit = min(max(int(math.Ceil(need*1.5))+2, 1), MaxConcurrency)
	}
}

// halveLimit halves the batches in progress, unless the caller fixed them.
func (p *Pacer) halveLimit() {
	if !p.fixed {
		p.limit = max(1, p.limit/2)
	}
}

func (p *Pacer) signal() {
	close(p.wake)
	p.wake = make(chan struct{})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
