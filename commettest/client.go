package commettest

import (
	"fmt"
	"net/http"

	"github.com/commet-go/commet"
)

// TestAPIKey is the key Client uses unless [WithAPIKey] set another. It is
// a sandbox key, as Commet's docs write them ("ck_sandbox_..."): the fake
// stands in for sandbox data, so code that guards live data (asking before
// it writes with a key that is not a sandbox key) treats it as sandbox.
const TestAPIKey = "ck_sandbox_commettest"

// InMemoryBaseURL is the base URL of a client that reaches the fake
// through Transport: the transport ignores the host, and the SDK accepts
// plain http for loopback hosts. A client of your own is pointed at a
// server in memory with two options:
//
//	commet.WithBaseURL(commettest.InMemoryBaseURL)
//	commet.WithHTTPClient(&http.Client{Transport: srv.Transport()})
const InMemoryBaseURL = "http://localhost"

// Client returns a commet client that reaches the server in memory, with
// commet.WithBaseURL([InMemoryBaseURL]) and commet.WithHTTPClient over
// Transport, so it works inside a testing/synctest bubble. opts come after
// those two, so they may add to them (retries, a logger) but should not
// replace them. Like httptest, it panics if the options are invalid: that
// is a bug in the calling test, not a condition to handle.
func (s *Server) Client(opts ...commet.ClientOption) *commet.Client {
	key := s.apiKey
	if key == "" {
		key = TestAPIKey
	}
	opts = append([]commet.ClientOption{
		commet.WithBaseURL(InMemoryBaseURL),
		commet.WithHTTPClient(&http.Client{Transport: s.Transport()}),
	}, opts...)
	c, err := commet.NewClient(key, opts...)
	if err != nil {
		panic(fmt.Sprintf("commettest: Server.Client: %v", err))
	}
	return c
}
