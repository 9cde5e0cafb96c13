package commet

import (
	"net/http"

	"github.com/commet-go/commet/internal/pace"
)

// Import paces its requests with package pace: a batch holds one of the
// pacer's slots through its retries, and each of its attempts goes through
// the pacer's Do, as a middleware of the batch's call.

// newPacer is the pacer of one Import with params p.
func newPacer(p ImportCustomersParams) *pace.Pacer {
	return pace.New(pace.Config{Concurrency: p.Concurrency, RequestsPerSecond: p.RequestsPerSecond, MaxPause: maxImportRetryAfter})
}

// paced is the middleware that sends every attempt through p.
func paced(p *pace.Pacer) Middleware {
	return func(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
		return p.Do(req, next)
	}
}

// pacedBy sends every attempt of a batch through p, and not through the
// client's shared pacing: Import keeps a pacer of its own, which bounds
// its batches in progress through their retries and waits out 429s with
// Import's patience, where the client's pacer serves calls that each
// send one request.
func pacedBy(p *pace.Pacer) CallOption {
	return callOption(func(c *callConfig) {
		c.middleware = append(c.middleware[:len(c.middleware):len(c.middleware)], paced(p))
		c.ownPacing = true
	})
}
