package commet

import (
	"net/http"
	"sync"
	"time"
)

// serverClock places this machine's moments on Commet's clock, so that an
// import tells the customers it created from those that existed by
// Commet's own clock, however far this machine's is off. Every answer's
// Date (Commet's time, to the second) was written between the request
// leaving and its answer arriving, so Date minus the arrival time is a
// lower bound of the offset between the clocks; the largest bound seen is
// within about a round trip of the truth once answers have crossed a few
// second boundaries.
type serverClock struct {
	mu    sync.Mutex
	known bool
	low   time.Duration // Commet's clock minus this machine's, at least
}

// middleware records when the first attempt of a call leaves, in *first,
// and learns the offset from every answer.
func (c *serverClock) middleware(first *time.Time) Middleware {
	return func(req *http.Request, a Attempt, next MiddlewareNext) (*http.Response, error) {
		if a.Number == 1 {
			*first = time.Now()
		}
		resp, err := next(req)
		if err == nil {
			c.observe(resp.Header.Get("Date"), time.Now())
		}
		return resp, err
	}
}

func (c *serverClock) observe(date string, arrived time.Time) {
	d, err := http.ParseTime(date)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if off := d.Sub(arrived); !c.known || off > c.low {
		c.known, c.low = true, off
	}
}

// commet returns the local moment t on Commet's clock, never later than it
// was there; with no Date seen yet, on this machine's clock.
func (c *serverClock) commet(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return t.Add(c.low)
}
