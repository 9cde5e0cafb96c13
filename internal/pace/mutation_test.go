package pace

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet/internal/ratelimit"
)

// These tests hold the pacer's parts at their edges: each bound exactly
// at it and one step past, each formula on values worked out by hand.

// A refill span is measured once it holds 4 answers over a quarter of a
// second or more: (last - first + charged) / duration, never below 0; a
// second measure is averaged with the first.
func TestMeasureEdges(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	span := func(answers int, d time.Duration, first, last, charged int) refillSpan {
		return refillSpan{start: at, end: at.Add(d), first: first, last: last, charged: charged, answers: answers}
	}
	for name, s := range map[string]refillSpan{
		"3 answers":           span(3, time.Second, 10, 8, 6),
		"under 0.25 s":        span(4, 250*time.Millisecond-time.Nanosecond, 10, 8, 6),
		"no answer, no time":  span(0, 0, 10, 8, 6),
		"many answers, no ms": span(100, 0, 10, 8, 6),
	} {
		a := &allowance{span: s}
		a.measure()
		assert.False(t, a.measured, name)
		assert.Zero(t, a.refill, name)
	}

	a := &allowance{span: span(4, 250*time.Millisecond, 10, 8, 6)}
	a.measure()
	require.True(t, a.measured, "4 answers over 0.25 s are a measure")
	assert.InDelta(t, (8-10+6)/0.25, a.refill, 1e-9)

	a.span = span(5, 2*time.Second, 8, 9, 3)
	a.measure()
	assert.InDelta(t, ((8-10+6)/0.25+(9-8+3)/2.0)/2, a.refill, 1e-9, "averaged with the first")

	a = &allowance{span: span(4, time.Second, 10, 0, 2)}
	a.measure()
	assert.True(t, a.measured)
	assert.Zero(t, a.refill, "a span that lost more than it was charged refills nothing")
}

// A window resets all at once (fixed) when it jumps at resets, is not
// sliding, has a length, was measured, and refills under a tenth of its
// allowance over its length between resets.
func TestFixedWindowEdges(t *testing.T) {
	fixed := func() *allowance {
		return &allowance{jumps: true, window: 10 * time.Second, measured: true, whole: 100}
	}
	// a tenth of 100 over 10 s is 1 a second
	for refill, want := range map[float64]bool{0: true, 0.99: true, 1: false, 5: false} {
		a := fixed()
		a.refill = refill
		assert.Equal(t, want, a.fixedWindow(), "a refill of %v", refill)
	}
	a := fixed()
	a.window = 0
	assert.False(t, a.fixedWindow(), "a window of no length")
	a = fixed()
	a.jumps = false
	assert.False(t, a.fixedWindow())
	a = fixed()
	a.sliding = true
	assert.False(t, a.fixedWindow())
	a = fixed()
	a.measured = false
	assert.False(t, a.fixedWindow())
}

// countSince counts the accepted answers written strictly after t, the
// oldest included.
func TestCountSinceEdges(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &Pacer{acceptedAt: []time.Time{at.Add(time.Second), at.Add(2 * time.Second), at.Add(3 * time.Second)}}
	for since, want := range map[time.Duration]int{0: 3, time.Second - 1: 3, time.Second: 2, 2 * time.Second: 1, 3 * time.Second: 0} {
		assert.Equal(t, want, p.countSince(at.Add(since)), "since %v", since)
	}
	assert.Zero(t, (&Pacer{}).countSince(at))
}

// promised is the least Remaining, less the requests in flight, over the
// windows named within two window lengths and 10 s; 0 when none is.
func TestPromisedEdges(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stale := 2*10*time.Second + 10*time.Second // a window of 10 s
	p := &Pacer{inFlight: 2, offset: time.Second, allowances: []*allowance{
		{remaining: 5, window: 10 * time.Second, server: now.Add(time.Second - stale)},
		{remaining: 9, window: 10 * time.Second, server: now},
	}}
	assert.InDelta(t, 5.0-2, p.promised(now), 1e-9, "named exactly the bound ago: still counted")
	p.allowances[0].server = p.allowances[0].server.Add(-1)
	assert.InDelta(t, 9.0-2, p.promised(now), 1e-9, "named longer ago: not counted")
	p.allowances = p.allowances[:1]
	assert.Zero(t, p.promised(now), "no window counted: nothing promised")
}

// windowRate is the least allowance over its length (in whole seconds
// rounded up) over the windows named within two window lengths and 10 s,
// when more than one is; 0 when a window's length is unknown.
func TestWindowRateEdges(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stale := 2*time.Second + 10*time.Second // a window of 1 s
	old := &allowance{whole: 3, window: time.Second, server: now.Add(time.Second - stale)}
	cur := &allowance{whole: 30, window: 1500 * time.Millisecond, server: now}
	p := &Pacer{offset: time.Second, allowances: []*allowance{old, cur}}
	assert.InDelta(t, 3.0, p.windowRate(now), 1e-9, "named exactly the bound ago: it binds")
	old.server = old.server.Add(-1)
	assert.InDelta(t, 30/2.0, p.windowRate(now), 1e-9, "named longer ago: the other binds, over 2 whole seconds")
	p.allowances = []*allowance{old}
	assert.InDelta(t, 3.0, p.windowRate(now), 1e-9, "a window alone binds however old")
	old.window = 0
	assert.Zero(t, p.windowRate(now), "a window of unknown length")
	p.allowances = nil
	assert.Zero(t, p.windowRate(now), "no window")
	old.window = time.Nanosecond
	p.allowances = []*allowance{old}
	assert.InDelta(t, 3.0, p.windowRate(now), 1e-9, "a window of 1 ns is read as 1 s")
}

// rate: sliding windows pace at windowShare of their allowance over their
// length; a bucket at the most of its pace and that; both at least one
// request per maxPaceInterval; RequestsPerSecond caps any pace.
func TestRateOfEachKind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		sliding := func(whole int, window time.Duration) *Pacer {
			return &Pacer{headers: true, allowances: []*allowance{{whole: whole, window: window, server: now, sliding: true}}}
		}
		r, _ := sliding(20, time.Second).rate(now)
		assert.InDelta(t, windowShare*20, r, 1e-9)
		r, _ = sliding(1, 4*time.Second).rate(now)
		assert.InDelta(t, 1/maxPaceInterval.Seconds(), r, 1e-9, "never under one request per 2 s")

		p := &Pacer{headers: true, allowances: []*allowance{{whole: 20, window: time.Second, server: now}}, bucket: bucketPace{pace: 7}}
		r, _ = p.rate(now)
		assert.InDelta(t, windowShare*20, r, 1e-9, "a bucket is paced at least at its window's share")
		p.bucket.pace = 30
		r, _ = p.rate(now)
		assert.InDelta(t, 30, r, 1e-9)
		p.allowances[0].whole = 0
		p.bucket.pace = 0.1
		r, _ = p.rate(now)
		assert.InDelta(t, 1/maxPaceInterval.Seconds(), r, 1e-9)

		for capped, want := range map[float64]float64{10: 10, 30: 30, 40: 30} {
			p.bucket.pace, p.cap = 30, capped
			r, _ = p.rate(now)
			assert.InDelta(t, want, r, 1e-9, "a cap of %v", capped)
		}
		p = &Pacer{cap: 4}
		r, _ = p.rate(now)
		assert.InDelta(t, 4, r, 1e-9, "the cap alone paces")
	})
}

// learn: a 500 is a failure as much as a 503 or a 408 (the bound halves);
// the latency is a moving average, 7/8 the old and 1/8 the new; accepted
// answers are kept for exactly stockHorizon.
func TestLearnEdges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for status, halves := range map[int]bool{499: false, 500: true, 408: true, 200: false} {
			p := New(Config{})
			p.limit = 8
			p.learn(time.Now(), time.Now(), &http.Response{StatusCode: status, Header: http.Header{}}, nil)
			assert.Equal(t, halves, p.limit == 4, "%d", status)
		}

		p := New(Config{})
		now := time.Now()
		p.learn(now.Add(-100*time.Millisecond), now, &http.Response{StatusCode: 200, Header: http.Header{}}, nil)
		assert.Equal(t, 100*time.Millisecond, p.latency, "the first answer's time")
		p.learn(now.Add(-900*time.Millisecond), now, &http.Response{StatusCode: 200, Header: http.Header{}}, nil)
		assert.Equal(t, 200*time.Millisecond, p.latency, "(7 × 100 ms + 900 ms) / 8")

		p = New(Config{})
		p.acceptedAt = []time.Time{now.Add(-stockHorizon - 1), now.Add(-stockHorizon)}
		p.learn(now, now, &http.Response{StatusCode: 200, Header: http.Header{}}, nil)
		assert.Equal(t, []time.Time{now.Add(-stockHorizon), now}, p.acceptedAt, "an answer exactly stockHorizon old is kept")
	})
}

// The clock offset is the largest Date minus arrival seen: a later Date
// moves it up, an earlier one never down.
func TestLearnOffset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{})
		now := time.Now().Truncate(time.Second).Add(time.Second)
		time.Sleep(time.Until(now))
		answer := func(date time.Time) {
			p.learn(now, now, &http.Response{StatusCode: 200, Header: http.Header{"Date": {date.UTC().Format(http.TimeFormat)}}}, nil)
		}
		answer(now.Add(-3 * time.Second))
		assert.Equal(t, -3*time.Second, p.offset, "the first Date sets it, even behind")
		answer(now.Add(-5 * time.Second))
		assert.Equal(t, -3*time.Second, p.offset, "an earlier Date never moves it down")
		answer(now.Add(2 * time.Second))
		assert.Equal(t, 2*time.Second, p.offset)
	})
}

// fitConcurrency: with no pace, the bound grows by one an answer only
// while every slot is taken; with a pace, it is rate × latency × 1.5,
// rounded up, plus 2.
func TestFitConcurrencyEdges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		for slots, want := range map[int]int{3: 4, 4: 5, 2: 4} {
			p := New(Config{})
			p.limit, p.slots = 4, slots
			p.fitConcurrency(now, false)
			assert.Equal(t, want, p.limit, "%d slots taken of 4", slots)
		}
		p := New(Config{})
		p.limit, p.slots = 4, 4
		p.fitConcurrency(now, true)
		assert.Equal(t, 4, p.limit, "a 429 grows nothing")

		p = New(Config{RequestsPerSecond: 10})
		p.latency = 700 * time.Millisecond
		p.fitConcurrency(now, false)
		assert.Equal(t, 13, p.limit, "⌈10 × 0.7 × 1.5⌉ + 2")
	})
}

// A request that may leave within one interval of its turn keeps the
// schedule (the next leaves one interval after its turn); one later than
// that starts the schedule again from now.
func TestDoKeepsTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Concurrency: 1, RequestsPerSecond: 10})
		start := time.Now()
		p.lastSent = start.Add(-100 * time.Millisecond) // its turn is now
		require.NoError(t, p.waitTurn(t.Context()))
		assert.Equal(t, start, p.lastSent, "on its turn: the schedule is kept")

		p.inFlight = 0
		time.Sleep(199 * time.Millisecond) // 99 ms past its turn
		require.NoError(t, p.waitTurn(t.Context()))
		assert.Equal(t, start.Add(100*time.Millisecond), p.lastSent, "within an interval of its turn: kept")

		p.inFlight = 0
		time.Sleep(101 * time.Millisecond) // exactly an interval past its turn
		require.NoError(t, p.waitTurn(t.Context()))
		assert.Equal(t, time.Now(), p.lastSent, "an interval late: the schedule starts again")
	})
}

// After the first, a 429 measures the limit again only once
// max(0.5 s, 4 × latency) has passed since the last measure.
func TestFollowLimitsMeasuresAgainAfterTheBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range []struct {
			latency, since time.Duration
			measures       bool
		}{
			{200 * time.Millisecond, 800 * time.Millisecond, true},
			{200 * time.Millisecond, 800*time.Millisecond - 1, false},
			{0, 500 * time.Millisecond, true},
			{0, 500*time.Millisecond - 1, false},
			{100 * time.Millisecond, 500 * time.Millisecond, true},
		} {
			p := New(Config{})
			now := p.start.Add(10 * time.Second)
			p.latency = tc.latency
			last := now.Add(-tc.since)
			p.blind = blindPace{pace: 3, limitedAt: last, resumedAt: last, raisedAt: last}
			p.pauseUntil = now.Add(time.Second)
			p.followLimits(now, true)
			assert.Equal(t, tc.measures, p.blind.limitedAt.Equal(now), "a latency of %v, %v after the last", tc.latency, tc.since)
		}
	})
}

// The first 429's guess is the answers accepted since the pacer relied
// on 429s, over the time until the pause ends; a pause that ended before
// them measures nothing.
func TestFollowLimitsFirstGuess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{})
		now := p.start.Add(3 * time.Second)
		p.accepted, p.blind.acceptedSince = 25, 5
		p.pauseUntil = now.Add(time.Second)
		p.followLimits(now, true)
		assert.InDelta(t, 20/4.0, p.blind.pace, 1e-9, "20 accepted, until 4 s after the start")
		assert.Equal(t, now, p.blind.limitedAt)

		p = New(Config{})
		p.latency = 100 * time.Millisecond
		p.accepted = 25
		p.pauseUntil = p.start
		p.followLimits(p.start, true)
		assert.Zero(t, p.blind.pace, "no time to measure over")
		assert.True(t, p.blind.limitedAt.IsZero(), "nothing measured")
	})
}

// A later 429 measures what passed over the last blindSpan (or since the
// pause ended, if sooner), raised by half the creep over that span.
func TestFollowLimitsMeasure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{})
		now := p.start.Add(time.Minute)
		p.latency = 50 * time.Millisecond
		p.blind = blindPace{pace: 3, creep: 0.1, limitedAt: now.Add(-5 * time.Second), resumedAt: now.Add(-2 * time.Second), raisedAt: now}
		for i := range 12 { // 10 within the last 2 s, 2 before
			p.acceptedAt = append(p.acceptedAt, now.Add(-2300*time.Millisecond+time.Duration(i)*200*time.Millisecond))
		}
		p.pauseUntil = now.Add(time.Second)
		p.followLimits(now, true)
		measure := 10 / 2.0 * (1 + 0.1*2/2)
		assert.InDelta(t, measure, p.blind.measure, 1e-9)
		assert.InDelta(t, blindShare*measure, p.blind.pace, 1e-9)
		assert.Equal(t, now.Add(time.Second), p.blind.resumedAt)
		assert.Zero(t, p.blind.creep)
	})
}

// Between 429s the pace creeps up once 0.1 s has passed, and only when
// there is a pace: 15% a second from the first guess, 0.1% near the
// measure (0.98 to 1.05 of it), 5% elsewhere.
func TestFollowLimitsCreep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		for _, tc := range []struct {
			pace, measure float64
			since         time.Duration
			creep         float64
		}{
			{10, 0, time.Second, 0.15},
			{10, 0, 100 * time.Millisecond, 0.15},
			{10, 0, 100*time.Millisecond - 1, 0},
			{0, 0, time.Second, 0},
			{9.8, 10, time.Second, 0.001},
			{10.5, 10, time.Second, 0.001},
			{9.7, 10, time.Second, 0.05},
			{10.6, 10, time.Second, 0.05},
		} {
			p := New(Config{})
			p.blind = blindPace{pace: tc.pace, measure: tc.measure, limitedAt: now.Add(-time.Minute), raisedAt: now.Add(-tc.since)}
			p.followLimits(now, false)
			assert.InDelta(t, tc.pace*(1+tc.creep*tc.since.Seconds()), p.blind.pace, 1e-9, "%+v", tc)
			assert.InDelta(t, tc.creep, p.blind.creep, 1e-12, "%+v", tc)
		}
	})
}

// The bucket pace: the refill (at least what the Reset says is used, over
// it in whole seconds; then measured over a second or more from how
// Remaining moves against the requests charged), plus twice the stock
// beyond the requests in flight and a reserve of a fifth (2 at least).
func TestFollowRemaining(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{})
		now := time.Now()
		rl := func(remaining int, reset time.Duration) ratelimit.Limit {
			return ratelimit.Limit{Limit: 100, Remaining: remaining, Reset: reset, HasReset: true}
		}
		p.inFlight = 3
		p.latency = 100 * time.Millisecond
		p.followRemaining(now, 100, rl(50, 10*time.Second), false)
		assert.InDelta(t, 50/10.0, p.bucket.refill, 1e-9, "used 50 over 10 s")
		// the refill, plus what a request sent now finds (50 left and a
		// round trip's refill) beyond those in flight and a reserve of 2,
		// spent within the round trip
		assert.InDelta(t, 5+(50+5*0.1-3-2)/0.1, p.bucket.pace, 1e-9)

		p.inFlight = 0
		p.followRemaining(now.Add(time.Second), 100, rl(52, 9*time.Second), false)
		// after 1 s: 52 - 50 + 2 charged - 1 (the first is not) = 3 a second
		assert.True(t, p.bucket.measured)
		assert.InDelta(t, 3, p.bucket.refill, 1e-9)
		assert.InDelta(t, 3+(52+3*0.1-0-2)/0.1, p.bucket.pace, 1e-9)

		p.followRemaining(now.Add(2*time.Second), 100, rl(51, 8*time.Second), false)
		// at least 49/8 from the Reset, then averaged with (51 - 52 + 1 - 1) / 1
		assert.InDelta(t, (49/8.0-1)/2, p.bucket.refill, 1e-9)

		p.followRemaining(now.Add(2500*time.Millisecond), 100, rl(40, 7500*time.Millisecond), false)
		assert.InDelta(t, max((49/8.0-1)/2, 60/8.0), p.bucket.refill, 1e-9, "a Reset of 7.5 s counts as 8")
	})
}

// A bucket's spare allowance is spent within a round trip, but over 20 ms
// at least, and what a request finds is never more than the whole.
func TestFollowRemainingSpendsWithinARoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rl := ratelimit.Limit{Limit: 100, Remaining: 90, Reset: 10 * time.Second, HasReset: true}
		p := New(Config{})
		p.latency = time.Millisecond
		p.followRemaining(time.Now(), 100, rl, false)
		assert.InDelta(t, 1, p.bucket.refill, 1e-9, "10 used over 10 s")
		assert.InDelta(t, 1+(90+1*0.001-2)/0.02, p.bucket.pace, 1e-9)

		p = New(Config{})
		p.latency = 20 * time.Second // a round trip refills past the whole
		p.followRemaining(time.Now(), 100, rl, false)
		assert.InDelta(t, 1+(100-2)/20.0, p.bucket.pace, 1e-9)

		// a round trip's refill larger than the bucket passes through it
		// all the same (as it arrives, the requests in flight take it):
		// 10 a second over 2 s finds 20, not the bucket's 10
		p = New(Config{})
		p.latency = 2 * time.Second
		p.followRemaining(time.Now(), 10, ratelimit.Limit{Limit: 10, Remaining: 0, Reset: time.Second, HasReset: true}, false)
		assert.InDelta(t, 10, p.bucket.refill, 1e-9)
		assert.InDelta(t, 10+(20-2)/2.0, p.bucket.pace, 1e-9)
	})
}

// A Reset of 0 says nothing of the refill: the bucket has no pace yet.
func TestFollowRemainingResetZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{})
		p.followRemaining(time.Now(), 100, ratelimit.Limit{Limit: 100, Remaining: 50, HasReset: true}, false)
		assert.Zero(t, p.bucket.refill)
		assert.Zero(t, p.bucket.pace)
	})
}

// follower is a pacer with one window of the given allowance already
// followed, answered at server (on Commet's clock: no offset).
func follower(server time.Time, whole int, window time.Duration) (*Pacer, *allowance) {
	p := New(Config{})
	p.headers = true
	a := &allowance{limit: 100, whole: whole, remaining: whole - 1, window: window, server: server,
		span: refillSpan{start: server, end: server, first: whole - 1, last: whole - 1}}
	p.allowances = []*allowance{a}
	return p, a
}

// A 429 proves the headers wrong when they promised 3 requests or more
// beyond those in flight.
func TestFollowDistrustsAPromiseOfThree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		for remaining, distrusts := range map[int]bool{2: false, 3: true} {
			p, a := follower(now, 10, time.Second)
			a.remaining = remaining
			p.follow(now, http.Header{}, ratelimit.Limit{Limit: 100, Remaining: 0}, true)
			assert.Equal(t, distrusts, p.distrusted, "%d promised", remaining)
		}
	})
}

// Remaining: 0 on accepted answer after accepted answer proves the headers
// say nothing: after stuckAnswers/5 when the allowance is 1, after
// stuckAnswers when more requests passed over the last window (a second
// at least) than it allows, with a slack of a tenth (2 at least).
func TestFollowDistrustsAStuckRemaining(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		stuck := func(p *Pacer, answers int) {
			for range answers {
				p.accepted++
				p.follow(now, http.Header{}, ratelimit.Limit{Limit: 100, Remaining: 0}, false)
			}
		}
		for whole, want := range map[int]bool{1: true, 2: false} {
			p, _ := follower(now, whole, time.Second)
			stuck(p, stuckAnswers/5-1)
			assert.False(t, p.distrusted, "an allowance of %d, %d answers", whole, stuckAnswers/5-1)
			stuck(p, 1)
			assert.Equal(t, want, p.distrusted, "an allowance of %d, %d answers", whole, stuckAnswers/5)
		}

		// an allowance of 30 allows 30 + 3 over the last second
		for passed, want := range map[int]bool{33: false, 34: true} {
			p, _ := follower(now, 30, 500*time.Millisecond)
			for range passed {
				p.acceptedAt = append(p.acceptedAt, now.Add(-900*time.Millisecond))
			}
			stuck(p, stuckAnswers-1)
			assert.False(t, p.distrusted, "%d passed, %d answers", passed, stuckAnswers-1)
			stuck(p, 1)
			assert.Equal(t, want, p.distrusted, "%d passed, %d answers", passed, stuckAnswers)
		}
	})
}

// At a reset, a window jumps when Remaining rose beyond what was charged
// by more than a quarter of its allowance (2 at least).
func TestFollowJumpsAtAReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		// an allowance of 40: a jump is more than 10
		for remaining, jumps := range map[int]bool{14: false, 15: true} {
			p, a := follower(now.Add(-time.Second), 40, time.Second)
			a.remaining, a.resetAt = 5, now
			p.accepted++ // one charged
			p.follow(now, http.Header{}, ratelimit.Limit{Limit: 100, Remaining: remaining}, false)
			assert.Equal(t, jumps, a.jumps, "from 5 to %d, one charged", remaining)
		}
	})
}

// Between resets, a refill span ends after exactly a second.
func TestFollowEndsASpanAfterASecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		for after, ends := range map[time.Duration]bool{time.Second - 1: false, time.Second: true} {
			p, a := follower(start, 10, 0)
			p.follow(start.Add(after), http.Header{}, ratelimit.Limit{Limit: 100, Remaining: 5}, false)
			assert.Equal(t, ends, a.span.start.Equal(start.Add(after)), "%v after its start", after)
		}
	})
}

// A window is sliding once, for longer than its length, no answer showed
// more requests over the last window length (rounded up to whole seconds)
// than it allows, nor a Remaining above what they leave, with a slack of
// a tenth of the allowance (2 at least). An allowance of 1 is never taken
// for one.
func TestFollowFindsASlidingWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		window := 1500 * time.Millisecond // 2 s rounded up
		slid := func(passed, remaining int, unslid time.Time) *allowance {
			p, a := follower(now.Add(-10*time.Millisecond), 50, window)
			a.unslid = unslid
			for range passed {
				p.acceptedAt = append(p.acceptedAt, now.Add(-1800*time.Millisecond))
			}
			p.follow(now, http.Header{}, ratelimit.Limit{Limit: 100, Remaining: remaining}, false)
			return a
		}
		long := now.Add(-time.Minute)
		// 10 passed of 50: Remaining up to 50 - 10 + 5 fits
		assert.Equal(t, long, slid(10, 45, long).unslid)
		assert.Equal(t, now, slid(10, 46, long).unslid)
		// 50 + 5 passed fits
		assert.Equal(t, long, slid(55, 0, long).unslid)
		assert.Equal(t, now, slid(56, 0, long).unslid)

		assert.True(t, slid(10, 45, now.Add(-window-1)).sliding)
		assert.False(t, slid(10, 45, now.Add(-window)).sliding, "unslid exactly a window ago")

		p, a := follower(now, 1, window)
		p.follow(now, http.Header{}, ratelimit.Limit{Limit: 100, Remaining: 0}, false)
		assert.False(t, a.sliding, "an allowance of 1")
		assert.True(t, a.unslid.IsZero())
	})
}

// Until the refill is measured, the Reset seeds it: the allowance used
// over the Reset; a Reset of 0 seeds nothing.
func TestFollowSeedsTheRefill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		p, a := follower(now, 30, time.Second)
		p.follow(now, http.Header{}, ratelimit.Limit{Limit: 100, Remaining: 20, Reset: 5 * time.Second, HasReset: true}, false)
		assert.InDelta(t, (30-20)/5.0, a.seed, 1e-9)
		p.follow(now, http.Header{}, ratelimit.Limit{Limit: 100, Remaining: 10, HasReset: true}, false)
		assert.InDelta(t, (30-20)/5.0, a.seed, 1e-9, "a Reset of 0 seeds nothing")
		a.measured = true
		p.follow(now, http.Header{}, ratelimit.Limit{Limit: 100, Remaining: 0, Reset: time.Second, HasReset: true}, false)
		assert.InDelta(t, (30-20)/5.0, a.seed, 1e-9, "measured: no more seeds")
	})
}

// headerRate skips a window not named for two window lengths and 10 s
// only when another is named; the stock grows by the refill since the
// last answer; a window that refills is paced at its refill plus its
// spare stock over the longer of tau (the latency, 200 ms at least) and
// the time to its reset.
func TestHeaderRateRefilling(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stale := 2*10*time.Second + 10*time.Second
	old := func(ago time.Duration) *allowance {
		// stock 0 + 1/s × 30 s, at most 10; reserve 1: 1 + 9 / 0.2 s
		return &allowance{whole: 10, window: 10 * time.Second, refill: 1, measured: true, server: now.Add(-ago)}
	}
	cur := &allowance{whole: 100, remaining: 100, window: time.Second, refill: 5, measured: true, server: now}
	p := &Pacer{allowances: []*allowance{old(stale), cur}}
	r, until := p.headerRate(now)
	assert.InDelta(t, 1+9/0.2, r, 1e-9, "named exactly the bound ago: it binds")
	assert.True(t, until.IsZero())
	p.allowances = []*allowance{old(stale + 1), cur}
	r, _ = p.headerRate(now)
	assert.InDelta(t, 5+98/0.2, r, 1e-9, "named longer ago: the other binds")
	p.allowances = []*allowance{old(stale + 1)}
	r, _ = p.headerRate(now)
	assert.InDelta(t, 1+9/0.2, r, 1e-9, "a window alone binds however old")

	// 3 s of refill at 1/s: a stock of 3, reserve 1
	p.allowances = []*allowance{old(3 * time.Second)}
	r, _ = p.headerRate(now)
	assert.InDelta(t, 1+2/0.2, r, 1e-9)
	p.latency = 400 * time.Millisecond // tau: the latency, and the answer arrives 0.4 s later
	r, _ = p.headerRate(now)
	assert.InDelta(t, 1+(3.4-1)/0.4, r, 1e-9)
	p.latency = 0
	p.allowances[0].resetAt = now.Add(4 * time.Second)
	r, _ = p.headerRate(now)
	assert.InDelta(t, 1+2/4.0, r, 1e-9, "spread until the reset")

	// nothing left and no refill, and no reset known: one request per tau
	p.allowances = []*allowance{{whole: 10, window: time.Second, measured: true, server: now}}
	r, until = p.headerRate(now)
	assert.InDelta(t, 1/0.2, r, 1e-9)
	assert.True(t, until.IsZero())
}

// A fixed window is paced at 0.98 of its allowance over its length, or
// faster to spend a stock beyond its reserve before a reset more than two
// tau away; when the stock is spent, nothing leaves until it would arrive
// just after the reset (a latency less an eighth, plus 10 ms, early of
// the offset).
func TestHeaderRateFixedWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fixed := func(remaining int, left time.Duration) *Pacer {
		a := &allowance{whole: 100, remaining: remaining, window: 10 * time.Second, jumps: true, measured: true, server: now}
		if left > 0 {
			a.resetAt = now.Add(left)
		}
		require.True(t, a.fixedWindow())
		return &Pacer{allowances: []*allowance{a}}
	}
	for _, tc := range []struct {
		remaining int
		left      time.Duration
		rate      float64
	}{
		{99, 2 * time.Second, 97 / 2.0}, // reserve 2
		{99, 400 * time.Millisecond, 9.8},
		{99, 400*time.Millisecond + time.Millisecond, 97 / 0.401},
		{2, 2 * time.Second, 9.8}, // nothing spare, nothing missing
		{0, 0, 9.8},               // no reset known: the window's pace
	} {
		r, until := fixed(tc.remaining, tc.left).headerRate(now)
		assert.InDelta(t, tc.rate, r, 1e-9, "%+v", tc)
		assert.True(t, until.IsZero(), "%+v", tc)
	}

	p := fixed(1, 2*time.Second)
	r, until := p.headerRate(now)
	assert.Zero(t, r, "the stock is spent")
	assert.Equal(t, now.Add(2*time.Second+10*time.Millisecond), until)

	p = fixed(1, 5*time.Second)
	p.offset, p.latency = time.Second, 800*time.Millisecond
	_, until = p.headerRate(now)
	assert.Equal(t, now.Add(5*time.Second-time.Second-800*time.Millisecond+100*time.Millisecond+10*time.Millisecond), until)
}

// Sliding windows none of which was named for long pace nothing: the
// pacer waits for an answer to name one again.
func TestSlidingWindowsAllStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		stale := now.Add(-time.Minute)
		p := &Pacer{headers: true, allowances: []*allowance{
			{whole: 20, window: time.Second, server: stale, sliding: true},
			{whole: 40, window: time.Second, server: stale, sliding: true},
		}}
		assert.False(t, p.slidingWindows())
		r, until := p.rate(now)
		assert.Zero(t, r)
		assert.True(t, until.IsZero())
		p.allowances[1].server = now
		assert.True(t, p.slidingWindows())
	})
}

// A window of unknown length beside a known one makes the window rate
// unknown, not the other's.
func TestWindowRateUnknownBesideKnown(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &Pacer{allowances: []*allowance{{whole: 5, server: now}, {whole: 30, window: time.Second, server: now}}}
	assert.Zero(t, p.windowRate(now))
}

// A refill measured over 2 s is per second: divided by the span.
func TestFollowRemainingOverTwoSeconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{})
		now := time.Now()
		p.followRemaining(now, 100, ratelimit.Limit{Limit: 100, Remaining: 50}, false)
		p.followRemaining(now.Add(2*time.Second), 100, ratelimit.Limit{Limit: 100, Remaining: 54}, false)
		assert.InDelta(t, (54-50+2-1)/2.0, p.bucket.refill, 1e-9)
	})
}

// A 429 that proves the headers wrong is the first one the pace from 429s
// alone measures: what passed since the start, spread until the pause
// ends. Measured from the moment of distrust instead, nothing has passed:
// the pace is lifted, and the next burst measures a bucket's burst over a
// few milliseconds as its rate.
func TestDistrustMeasuresFromTheStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{})
		answer := func(status int, extra ...string) {
			time.Sleep(50 * time.Millisecond)
			now := time.Now()
			h := http.Header{"Date": {now.UTC().Format(http.TimeFormat)},
				"Ratelimit-Limit": {"20"}, "Ratelimit-Remaining": {"20"}, "Ratelimit-Reset": {"1"}}
			for i := 0; i+1 < len(extra); i += 2 {
				h.Set(extra[i], extra[i+1])
			}
			p.mu.Lock()
			p.inFlight++
			p.mu.Unlock()
			p.learn(now.Add(-20*time.Millisecond), now, &http.Response{StatusCode: status, Header: h}, nil)
		}
		for range 20 {
			answer(http.StatusOK) // Remaining: 20, always
		}
		answer(http.StatusTooManyRequests, "Retry-After", "1") // at 1.05 s: 20 were promised
		p.mu.Lock()
		defer p.mu.Unlock()
		require.True(t, p.distrusted)
		rate, until := p.rate(time.Now())
		assert.True(t, until.IsZero())
		assert.InDelta(t, 20/2.05, rate, 1e-9, "20 accepted from the start until the pause ends")
	})
}
