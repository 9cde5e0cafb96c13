package commettest

import (
	"net/http"
	"net/http/httptest"
	"sync"
)

// Server is a fake Commet API, like httptest.Server, reached in memory
// (Client, Transport) or over a loopback socket (URL). Close it when done.
//
// Client and Transport open no socket and start no goroutine, so they work
// inside a testing/synctest bubble. URL starts a real listener on first
// use, whose goroutines a bubble cannot wait for: do not call URL inside a
// synctest bubble.
type Server struct {
	// Handler serves the requests and holds the state: its methods
	// (InjectFault, Faults, UnfiredFaults, RequireFaultsFired, ClearFaults,
	// Reset, Len, Requests, [Stats]) are the server's. Mount it on a server
	// of your own with its ServeHTTP, or serve the control endpoints with
	// its ControlHandler.
	*Handler

	mu     sync.Mutex
	ts     *httptest.Server // started by the first URL call
	closed bool
}

// NewServer returns a fake Commet API. It listens on no port until URL is
// called.
func NewServer(opts ...Option) *Server {
	return &Server{Handler: NewHandler(opts...)}
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
		s.ts = httptest.NewServer(s.Handler)
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
// see [Handler.Transport]. Once the server is closed, it fails every request.
func (s *Server) Transport() http.RoundTripper { return serverTransport{s} }

// serverTransport is the in-memory transport of a [Server].
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
	return memTransport{t.s.Handler}.RoundTrip(req)
}
