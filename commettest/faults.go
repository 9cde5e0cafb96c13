package commettest

import (
	"net/http"
	"sync"
	"time"
)

// Fault makes requests fail the way networks and servers do, so that a test
// can prove its code survives a 503 storm, a rate limit, a slow answer or a
// dropped connection. A fault is checked before anything else and leaves
// the server's state untouched.
type Fault struct {
	// Method, if set, limits the fault to requests with this method.
	Method string
	// Path, if set, limits the fault to requests for exactly this path,
	// e.g. "/api/v1/customers/batch".
	Path string
	// Times is how many matching requests the fault applies to (0 means 1).
	Times int
	// Status, if set, answers with this status and a JSON error envelope.
	Status int
	// RetryAfter, if set, is sent as the Retry-After header with Status.
	RetryAfter string
	// Delay waits this long (or until the client gives up) before the
	// request is answered; alone, the request is then handled normally.
	Delay time.Duration
	// Drop closes the connection without any answer.
	Drop bool
}

// faults is the FIFO queue of injected faults.
type faults struct {
	mu    sync.Mutex
	queue []*pendingFault
}

type pendingFault struct {
	Fault
	left int
}

func (f *faults) add(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, &pendingFault{Fault: fault, left: max(fault.Times, 1)})
}

func (f *faults) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = nil
}

// take returns the first fault matching r, using up one of its times.
func (f *faults) take(r *http.Request) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.queue {
		if (p.Method == "" || p.Method == r.Method) && (p.Path == "" || p.Path == r.URL.Path) {
			if p.left--; p.left == 0 {
				f.queue = append(f.queue[:i], f.queue[i+1:]...)
			}
			return p.Fault, true
		}
	}
	return Fault{}, false
}

// apply carries out fault on the request; handled is false when the
// request must still be handled normally (a Delay alone).
func (h *Handler) applyFault(w http.ResponseWriter, r *http.Request, fault Fault) (handled bool) {
	if fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case fault.Drop:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return true
		}
		// No hijacking (HTTP/2): this panic value is net/http's documented
		// way to abort a response; it is recovered and not logged.
		panic(http.ErrAbortHandler)
	case fault.Status != 0:
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		code := "injected_fault"
		switch {
		case fault.Status == http.StatusTooManyRequests:
			code = "rate_limited"
		case fault.Status >= 500:
			code = "server_error"
		}
		writeAnswer(w, errorAnswer(fault.Status, code, "Injected fault: "+http.StatusText(fault.Status), nil))
		return true
	}
	return false
}
