package commet

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/commet-go/commet/internal/pace"
)

// A Client's calls share what their answers say of Commet's rate limit
// (see [WithSharedPacing]): each attempt of a single call goes through the
// client's sharedPacer, between the call's own middleware and the
// client's, so that a client's middleware sees an attempt when it leaves,
// not while it waits its turn.
//
// The sharedPacer is in one of two states:
//
//   - paced: every attempt takes one of a pace.Pacer's slots and goes
//     through its Do, which spaces the attempts at what the answers'
//     RateLimit-* headers and 429s bear out, holds them all for a 429's
//     Retry-After and then spreads them at that pace instead of releasing
//     them together, and bounds those in flight, starting at two and
//     doubling each round trip while nothing limits them (slow start). A
//     client starts paced, and a paced client whose answers show room for
//     openAfter answers in a row (no 429, no call waiting for a slot, and
//     RateLimit-Remaining, if sent, at least half the limit) goes open.
//   - open: nothing is waited for; each attempt costs two atomic counts
//     and a look at its answer's status and RateLimit-Remaining. An answer
//     that is a 429, or whose Remaining is low (under a quarter of the
//     limit, or under twice the attempts in flight), and more attempts in
//     flight than the last answers showed room for (openWindow), pace the
//     client again, with a new pace.Pacer that starts slowly.
//
// Import paces its batches with its own pace.Pacer (see import_pacing.go)
// and does not go through the client's.

const (
	// openAfter is how many answers in a row must show room before a
	// paced client goes open.
	openAfter = 16
	// openWindowUnknown bounds the attempts in flight of an open client
	// whose answers carry no RateLimit-Remaining.
	openWindowUnknown = 16
)

// sharedPacer is what a Client's calls share of the rate limit; see above.
type sharedPacer struct {
	paced   atomic.Pointer[pace.Pacer] // nil while open
	roomy   atomic.Int32               // answers in a row that showed room, while paced
	waiting atomic.Int32               // attempts waiting for a slot, while paced
	open    atomic.Int32               // attempts in flight while open
	window  atomic.Int32               // attempts in flight an open client allows
}

// newSharedPacer returns a sharedPacer that starts paced, slowly.
func newSharedPacer() *sharedPacer {
	s := &sharedPacer{}
	s.paced.Store(newSharedPace())
	s.window.Store(openWindowUnknown)
	return s
}

// newSharedPace is the pace.Pacer of a client's calls: a 429 holds them
// all for its Retry-After, when no longer than a single call waits for;
// a longer one holds none, since each call would end at once on it.
func newSharedPace() *pace.Pacer {
	return pace.New(pace.Config{MaxPause: maxRetryAfter, SkipLongPauses: true})
}

// send sends req with next when its turn comes, or returns the error of
// req's context if it ends first: then nothing was sent.
func (s *sharedPacer) send(req *http.Request, next MiddlewareNext) (*http.Response, error) {
	ctx := req.Context()
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		<-ctx.Done() // due now: its timer is about to fire
	}
	if err := ctx.Err(); err != nil {
		return nil, err // never sent once the caller gave up, even when nothing holds it
	}
	p := s.paced.Load()
	if p == nil {
		if n := s.open.Add(1); n <= s.window.Load() {
			start := time.Now()
			resp, err := next(req)
			s.open.Add(-1)
			if err == nil && s.near(resp, n) {
				s.engage().Learn(start, time.Now(), resp, nil)
			}
			return resp, err
		}
		s.open.Add(-1) // more at once than the last answers showed room for
		p = s.engage()
	}
	s.waiting.Add(1)
	err := p.Acquire(req.Context())
	waiting := s.waiting.Add(-1)
	if err != nil {
		return nil, err
	}
	defer p.Release()
	resp, err := p.Do(req, next)
	switch {
	case err != nil || waiting > 0 || !roomy(resp):
		s.roomy.Store(0)
	case s.roomy.Add(1) >= openAfter:
		if s.paced.CompareAndSwap(p, nil) {
			s.roomy.Store(0)
			s.window.Store(openWindow(resp.Header))
		}
	}
	return resp, err
}

// engage paces the client again, with a new pace.Pacer, unless another
// attempt just did, and returns the pacer.
func (s *sharedPacer) engage() *pace.Pacer {
	p := newSharedPace()
	if s.paced.CompareAndSwap(nil, p) {
		return p
	}
	if q := s.paced.Load(); q != nil {
		return q
	}
	return p // opened again meanwhile: this attempt alone is paced by p
}

// near reports whether an answer, with inFlight attempts in flight when
// it was sent, says the open client is near the limit.
func (s *sharedPacer) near(resp *http.Response, inFlight int32) bool {
	if resp.StatusCode == http.StatusTooManyRequests {
		return true
	}
	limit, remaining, ok := remainingOf(resp.Header)
	if !ok {
		return false
	}
	s.window.Store(openWindow(resp.Header))
	return remaining < limit/4 || remaining < 2*int(inFlight)
}

// roomy reports whether a paced answer shows room: accepted, with
// RateLimit-Remaining at least half the limit, if sent.
func roomy(resp *http.Response) bool {
	if resp.StatusCode == http.StatusTooManyRequests {
		return false
	}
	limit, remaining, ok := remainingOf(resp.Header)
	return !ok || 2*remaining >= limit
}

// openWindow is how many attempts at once an open client allows after
// an answer with headers h: half the requests it says are left.
func openWindow(h http.Header) int32 {
	_, remaining, ok := remainingOf(h)
	if !ok {
		return openWindowUnknown
	}
	return int32(min(max(remaining/2, 1), 1<<20))
}

// remainingOf reads RateLimit-Limit and -Remaining, cheaply: ok is false
// when either is missing or makes no sense.
func remainingOf(h http.Header) (limit, remaining int, ok bool) {
	r := h["Ratelimit-Remaining"]
	if len(r) == 0 {
		return 0, 0, false
	}
	l := h["Ratelimit-Limit"]
	if len(l) == 0 {
		return 0, 0, false
	}
	remaining, err1 := strconv.Atoi(r[0])
	limit, err2 := strconv.Atoi(l[0])
	if err1 != nil || err2 != nil || limit <= 0 || remaining < 0 || remaining > limit {
		return 0, 0, false
	}
	return limit, remaining, true
}
