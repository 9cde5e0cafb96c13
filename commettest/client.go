package commettest

import (
	"fmt"

	"github.com/commet-go/commet"
)

// TestAPIKey is the key Client uses unless WithAPIKey set another.
const TestAPIKey = "ck_test_commettest"

// Client returns a commet client pointed at the server. opts come after
// the server's base URL, so they may add to it (retries, a logger) but
// should not replace it. Like httptest, it panics if the options are
// invalid: that is a bug in the calling test, not a condition to handle.
func (s *Server) Client(opts ...commet.ClientOption) *commet.Client {
	key := s.h.apiKey
	if key == "" {
		key = TestAPIKey
	}
	c, err := commet.NewClient(key, append([]commet.ClientOption{commet.WithBaseURL(s.URL)}, opts...)...)
	if err != nil {
		panic(fmt.Sprintf("commettest: Server.Client: %v", err))
	}
	return c
}
