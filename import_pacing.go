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
