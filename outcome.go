package commet

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/commet-go/commet/internal/ratelimit"
)

// Whether a create made a customer or found one: the rule, for Create and
// for each item of Import, and the evidence of Commet's clock it rests on.

// Outcome says what a create did with one customer.
type Outcome uint8

// The outcomes of Create (Created, Existed, Archived) and of each item of
// Import (all five).
const (
	// OutcomeCreated: Commet made a new customer.
	OutcomeCreated Outcome = iota + 1
	// OutcomeExisted: a customer with the item's ID existed and is active;
	// it was left as it was.
	OutcomeExisted
	// OutcomeArchived: a customer with the item's ID existed but is
	// archived; it was left archived (archiving cannot be undone).
	OutcomeArchived
	// OutcomeRepeated: the item repeats the ID of an earlier item of the
	// same import (see [ImportItemResult].RepeatOf).
	OutcomeRepeated
	// OutcomeFailed: the item was refused or could not be sent; see
	// [ImportItemResult].Err.
	OutcomeFailed
)

// String returns "created", "existed", "archived", "repeated" or "failed".
func (o Outcome) String() string {
	switch o {
	case OutcomeCreated:
		return "created"
	case OutcomeExisted:
		return "existed"
	case OutcomeArchived:
		return "archived"
	case OutcomeRepeated:
		return "repeated"
	case OutcomeFailed:
		return "failed"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// createOutcome says what a create did with c, by what its answer proves:
// archived, then existed by Commet's clock, and only then the status.
func createOutcome(c *Customer, status int, clock *callClock) Outcome {
	existed, _ := clock.existedBefore(c)
	switch {
	case !c.IsActive:
		return OutcomeArchived
	case existed || status != http.StatusCreated:
		return OutcomeExisted
	}
	return OutcomeCreated
}

// batchOutcome says what a batch did with customer c, by what its answer
// proves (a batch answer has no status per item): archived when it is
// archived; with Since, created when its CreatedAt is at or after Since;
// without, existed when its CreatedAt lies before the batch's first
// request left, and created otherwise. That departure is placed on
// Commet's clock by the answer's own Date, at the earliest it can have
// been there, so a customer this batch created is never taken for one that
// existed. (Without a Date, this machine's clock stands in for Commet's.)
func batchOutcome(c *Customer, since time.Time, clock *callClock) Outcome {
	if !c.IsActive {
		return OutcomeArchived
	}
	if !since.IsZero() { // a moment on Commet's clock already
		if c.CreatedAt.Before(since) {
			return OutcomeExisted
		}
		return OutcomeCreated
	}
	if existed, ok := clock.existedBefore(c); existed || !ok && c.CreatedAt.Before(clock.sent()) {
		return OutcomeExisted
	}
	return OutcomeCreated
}

// callClock is what one call's answers say about Commet's clock, so that a
// customer's CreatedAt (Commet's clock, to the millisecond) can be set
// against the moment the call's first request left (this machine's
// clock). Each answer is judged by its own evidence, never by another
// server's: behind a load balancer, each backend has a clock of its own.
//
// An answer's Date is Commet's time when it was written, cut to the whole
// second, and it was written between the request leaving (at sent, here)
// and the answer arriving (at arrived, here). So Commet's clock minus this
// machine's lies between Date - arrived and Date + 1 s - sent: the offset
// is bounded from both sides by one answer alone.
type callClock struct {
	mu        sync.Mutex
	firstSent time.Time // when the call's first attempt left, here
	date      time.Time // the last answer's Date; zero when it had none
	arrived   time.Time // when that answer arrived, here
}

// middleware records when the first attempt leaves and what each answer's
// Date says; the last answer is the one that settles the call. A call that
// sends several requests (a batch split after a 413) keeps the first
// request's departure: a customer created by an earlier request is not
// one that existed before a later one.
func (c *callClock) middleware(req *http.Request, a Attempt, next MiddlewareNext) (*http.Response, error) {
	c.departing(a)
	resp, err := next(req)
	c.answered(resp, err)
	return resp, err
}

// departing records when attempt a leaves, if it is the first; see
// middleware, which Create's attempts go through without the layer (see
// [Client].send).
func (c *callClock) departing(a Attempt) {
	if a.Number == 1 {
		c.mu.Lock()
		if c.firstSent.IsZero() {
			c.firstSent = time.Now()
		}
		c.mu.Unlock()
	}
}

// answered records what an attempt's answer, if any, says of Commet's clock.
func (c *callClock) answered(resp *http.Response, err error) {
	if err == nil {
		date, ok := ratelimit.Date(resp.Header)
		c.mu.Lock()
		c.date, c.arrived = date, time.Now()
		if !ok {
			c.date = time.Time{}
		}
		c.mu.Unlock()
	}
}

// earliest places t, a moment of this machine's clock, on Commet's clock
// at the earliest it can have been there, by the last answer's evidence:
// t + (Date - arrived). ok is false when the answer had no Date.
func (c *callClock) earliest(t time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.date.IsZero() {
		return t, false
	}
	return t.Add(c.date.Sub(c.arrived)), true
}

// sent is when the call's first attempt left, on this machine's clock.
func (c *callClock) sent() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.firstSent
}

// existedBefore reports whether customer c existed before the call's first
// request left, on Commet's clock: its CreatedAt lies before the earliest
// moment that departure can have been there. Without a Date on the answer
// it proves nothing, and says so with ok false.
func (c *callClock) existedBefore(cust *Customer) (existed, ok bool) {
	left, ok := c.earliest(c.sent())
	return ok && cust.CreatedAt.Before(left), ok
}
