package commettest

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Stats is what a [Handler] holds, and the API requests it has counted since
// it was made or last reset. [Handler.Stats] returns it; the control plane
// answers it at GET /_commettest/stats, in its envelope:
//
//	{"success": true, "data": {"customers": 2, "requests": [
//	    {"method": "POST", "path": "/customers", "status": 201, "count": 2},
//	    {"method": "GET", "path": "/customers/{id}", "status": 404, "count": 1}]}}
type Stats struct {
	// Customers is the number of customers stored, archived ones
	// included, as Len returns it.
	Customers int `json:"customers"`
	// Requests counts the API requests by method, path and status, one
	// entry for each combination seen, sorted by path, then method, then
	// status. It is never nil. Requests to the control plane are not
	// counted. A request is counted before any byte of its answer is sent,
	// or its connection dropped: a client that has its answer, or its
	// network error, finds its request here.
	Requests []RequestCount `json:"requests"`
}

// RequestCount is how many API requests had one method, path and status.
type RequestCount struct {
	// Method is the request's method, as sent.
	Method string `json:"method"`
	// Path names the request's path as the SDK names requests (its
	// Attempt.Path, errors and log records), under /api/v1, with the
	// customer ID collapsed so that counts stay few: "/customers",
	// "/customers/batch", "/customers/{id}". Any other path, one that no
	// operation serves, is given in full and escaped, as sent:
	// "/api/v1/customer", "/api/v2/customers".
	Path string `json:"path"`
	// Status is the status answered, injected faults' included; 0 when no
	// answer was sent: a Drop or DropAnswer fault, or a client that went
	// away before its answer.
	Status int `json:"status"`
	// Count is how many requests had this method, path and status.
	Count int `json:"count"`
}

// requestKey is what a request is counted by.
type requestKey struct {
	method, path string
	status       int
}

// requestStats counts the API requests by requestKey.
type requestStats struct {
	mu     sync.Mutex
	counts map[requestKey]int
}

func (s *requestStats) add(method, path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		s.counts = map[requestKey]int{}
	}
	s.counts[requestKey{method, statsPath(path), status}]++
}

func (s *requestStats) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = nil
}

// list returns the counts sorted by path, method and status.
func (s *requestStats) list() []RequestCount {
	s.mu.Lock()
	out := make([]RequestCount, 0, len(s.counts))
	for k, n := range s.counts {
		out = append(out, RequestCount{Method: k.method, Path: k.path, Status: k.status, Count: n})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b RequestCount) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Method, b.Method), cmp.Compare(a.Status, b.Status))
	})
	return out
}

// statsPath names an escaped request path as [RequestCount].Path says.
func statsPath(escaped string) string {
	switch rest, under := strings.CutPrefix(escaped, apiPrefix+"/"); {
	case escaped == apiPrefix:
		return "/customers"
	case escaped == apiPrefix+"/batch":
		return "/customers/batch"
	case under && rest != "" && !strings.Contains(rest, "/"):
		return "/customers/{id}"
	}
	return escaped
}

// Stats returns the customers stored and the API requests counted since the
// handler was made or last reset; see [Stats].
func (h *Handler) Stats() Stats {
	return Stats{Customers: h.store.len(), Requests: h.stats.list()}
}

// statusWriter counts its request in [Stats] exactly once: when its status
// is written, before any byte of the answer; when its connection is
// dropped, before it closes; or, with status 0, when the handler returns
// without answering. So a client that has its answer, or its network
// error, finds its request counted.
type statusWriter struct {
	http.ResponseWriter
	status int
	count  func(status int) // nil once called
}

// counted counts the request, unless it was counted already.
func (w *statusWriter) counted() {
	if w.count != nil {
		w.count(w.status)
		w.count = nil
	}
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		w.counted()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection, so that Drop
// and DropAnswer faults can close it.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
