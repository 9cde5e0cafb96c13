package commettest

import (
	"net/http/httptest"
)

// Server is a fake Commet API listening on a loopback port, like
// httptest.Server. Close it when done.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:port", to give
	// to commet.WithBaseURL.
	URL string

	h  *Handler
	ts *httptest.Server
}

// NewServer starts a fake Commet API on a loopback port.
func NewServer(opts ...Option) *Server {
	h := NewHandler(opts...)
	ts := httptest.NewServer(h)
	return &Server{URL: ts.URL, h: h, ts: ts}
}

// Close shuts the server down, waiting for the requests in flight.
func (s *Server) Close() { s.ts.Close() }

// Handler returns the server's handler, to mount it on a server of your
// own or to reach its state.
func (s *Server) Handler() *Handler { return s.h }

// InjectFault queues a fault; see Handler.InjectFault.
func (s *Server) InjectFault(f Fault) { s.h.InjectFault(f) }

// ClearFaults drops every fault not yet used.
func (s *Server) ClearFaults() { s.h.ClearFaults() }

// Len returns the number of customers stored, archived ones included.
func (s *Server) Len() int { return s.h.Len() }

// Requests returns the number of requests received, faulty ones included.
func (s *Server) Requests() int { return s.h.Requests() }
