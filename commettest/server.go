package commettest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Server is a fake Commet API, like httptest.Server, reached in memory
// (Client, Transport) or over a loopback socket (URL). Close it when done.
//
// Client and Transport open no socket and start no goroutine, so they work
// inside a testing/synctest bubble. URL starts a real listener on first
// use, whose goroutines a bubble cannot wait for: do not call URL inside a
// synctest bubble.
type Server struct {
	h *Handler

	mu     sync.Mutex
	ts     *httptest.Server // started by the first URL call
	closed bool
}

// NewServer returns a fake Commet API. It listens on no port until URL is
// called.
func NewServer(opts ...Option) *Server {
	return &Server{h: NewHandler(opts...)}
}

// URL returns the base URL of the server on a loopback port,
// "http://127.0.0.1:port", for commet.WithBaseURL or any HTTP client. The
// first call starts the listener: it opens a real socket, so URL must not
// be called inside a testing/synctest bubble (use Client or Transport
// there). It panics once the server is closed.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		panic("commettest: Server.URL called after Close")
	}
	if s.ts == nil {
		s.ts = httptest.NewServer(s.h)
	}
	return s.ts.URL
}

// Close shuts the server down: the listener, if URL started one, after the
// requests in flight on it; in-memory requests after Close fail with a
// network error. Calling it twice is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	ts := s.ts
	s.closed = true
	s.mu.Unlock()
	if ts != nil {
		ts.Close()
	}
}

// Transport returns an http.RoundTripper that serves requests in memory;
// see Handler.Transport. Once the server is closed, it fails every request.
func (s *Server) Transport() http.RoundTripper { return serverTransport{s} }

// serverTransport is the in-memory transport of a Server.
type serverTransport struct{ s *Server }

// RoundTrip serves req in memory, unless the server is closed.
func (t serverTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.s.mu.Lock()
	closed := t.s.closed
	t.s.mu.Unlock()
	if closed {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errClosed
	}
	return memTransport{t.s.h}.RoundTrip(req)
}

// Handler returns the server's handler, to mount it on a server of your
// own or to reach its state.
func (s *Server) Handler() *Handler { return s.h }

// InjectFault queues a fault; see Handler.InjectFault.
func (s *Server) InjectFault(f Fault) { s.h.InjectFault(f) }

// ClearFaults drops every fault not yet used up.
func (s *Server) ClearFaults() { s.h.ClearFaults() }

// Faults returns the faults not yet used up; see Handler.Faults.
func (s *Server) Faults() []FaultStatus { return s.h.Faults() }

// UnfiredFaults returns the faults that have not fired even once; see
// Handler.UnfiredFaults.
func (s *Server) UnfiredFaults() []Fault { return s.h.UnfiredFaults() }

// RequireFaultsFired fails t at its end for each fault that never fired;
// see Handler.RequireFaultsFired.
func (s *Server) RequireFaultsFired(t testing.TB) {
	t.Helper()
	s.h.RequireFaultsFired(t)
}

// Reset forgets every customer, idempotency key, rate-limit bucket, fault
// and request count; see Handler.Reset.
func (s *Server) Reset() { s.h.Reset() }

// Len returns the number of customers stored, archived ones included.
func (s *Server) Len() int { return s.h.Len() }

// Requests returns the number of API requests received, faulty ones
// included; see Handler.Requests.
func (s *Server) Requests() int { return s.h.Requests() }

// Stats returns the customers stored and the API requests counted by
// method, path and status; see Stats.
func (s *Server) Stats() Stats { return s.h.Stats() }
