package commet

import (
	"net/http"
	"time"

	"github.com/commet-go/commet/internal/pace"
)

// Import paces its requests with package pace: a batch holds one of the
// pacer's slots through its retries, and each of its attempts goes through
// the pacer's Do, as a middleware of the batch's call.

// newPacer is the pacer of one Import with params p.
func newPacer(p ImportCustomersParams) *pace.Pacer {
	return pace.New(pace.Config{Concurrency: p.Concurrency, RequestsPerSecond: p.RequestsPerSecond, MaxPause: maxImportRetryAfter})
}

// minReportedWait is the shortest pacer's wait told to [Hooks].Wait:
// shorter ones are the pacer's own bookkeeping, not a wait.
const minReportedWait = time.Millisecond

// paced is the middleware that sends every attempt through p, and tells
// hooks of the waits for its turn.
func paced(p *pace.Pacer, hooks []Hooks) Middleware {
	if len(hooks) == 0 {
		return func(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
			return p.Do(req, next)
		}
	}
	return func(req *http.Request, a Attempt, next MiddlewareNext) (*http.Response, error) {
		return p.Do(req, afterPacerWait(hooks, a, time.Now(), next))
	}
}

// afterPacerWait is next, once a pacer lets attempt a go: it tells hooks
// of the time waited since start, when long enough to be a wait.
func afterPacerWait(hooks []Hooks, a Attempt, start time.Time, next MiddlewareNext) MiddlewareNext {
	return func(r *http.Request) (*http.Response, error) {
		if d := time.Since(start); d >= minReportedWait {
			noticeWait(r.Context(), hooks, Wait{Reason: WaitPacer, Start: start, Duration: d, Attempt: a.Number})
		}
		return next(r)
	}
}

// pacedBy sends every attempt of a batch through p (telling hooks of its
// waits), and not through the client's shared pacing: Import keeps a
// pacer of its own, which bounds its batches in progress through their
// retries and waits out 429s with Import's patience, where the client's
// pacer serves calls that each send one request.
func pacedBy(p *pace.Pacer, hooks []Hooks) CallOption {
	return callOption(func(c *callConfig) {
		c.middleware = append(c.middleware[:len(c.middleware):len(c.middleware)], paced(p, hooks))
		c.ownPacing = true
	})
}
