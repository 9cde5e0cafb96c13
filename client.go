package commet

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Version is the version of this SDK, sent in the User-Agent header.
const Version = "0.1.0"

var userAgent = fmt.Sprintf("commet-go/%s go/%s %s/%s",
	Version, strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH)

const (
	apiKeyPrefix = "ck_"
	apiKeyEnv    = "COMMET_API_KEY"
)

// Client talks to the Commet API. Create one with [NewClient] and share it: a
// *[Client] is safe for concurrent use, and holds no global state.
type Client struct {
	// Customers creates, reads, updates, lists and archives customers.
	Customers *CustomersService

	key apiKey
	cfg clientConfig

	deprecationNoticed *atomic.Bool // a Deprecation or Sunset header was logged
	pacer              *sharedPacer // what the calls share of the rate limit; nil with WithSharedPacing(false)
}

// NewClient returns a client that authenticates with apiKey. An empty
// apiKey falls back to the COMMET_API_KEY environment variable; a key that
// is still empty, does not start with "ck_", or holds characters a header
// cannot carry is an error matching [ErrInvalidConfig], returned before any
// request. Options set the client's defaults; a call's options override
// them for that call (see [Option] for which option applies where).
//
// A [Client] is cheap to make and to drop: every Client made without
// [WithHTTPClient] sends through one connection pool shared by the whole
// process (a copy of http.DefaultTransport), so a handler that makes a
// Client per request keeps no more connections open than one shared
// Client would. Sharing one Client is still the better habit: its options
// are set once, and its calls share what they learn of the rate limit
// ([WithSharedPacing]).
func NewClient(apiKey string, opts ...ClientOption) (*Client, error) {
	if apiKey == "" {
		apiKey = os.Getenv(apiKeyEnv)
	}
	apiKey = strings.TrimSpace(apiKey)
	switch {
	case apiKey == "":
		return nil, misconfigured("no API key: pass one to NewClient or set %s", apiKeyEnv)
	case !strings.HasPrefix(apiKey, apiKeyPrefix):
		return nil, misconfigured("the API key does not start with %q", apiKeyPrefix)
	case !isToken(apiKey, 1024):
		return nil, misconfigured("the API key holds characters a header cannot carry (or is over 1024 bytes)")
	}
	cfg, err := newClientConfig(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{key: newAPIKey(apiKey), cfg: cfg, deprecationNoticed: new(atomic.Bool)}
	if !cfg.unshared {
		c.pacer = newSharedPacer()
	}
	c.Customers = &CustomersService{client: c}
	return c, nil
}

// sharedHTTPClient is the *http.Client of every [Client] made without
// [WithHTTPClient]: one connection pool for the whole process, as
// net/http's own default is, so that a Client is cheap to make and to
// drop (a handler may make one per request) and idle connections are kept
// once, not once per Client. It sends through a copy of
// http.DefaultTransport (never the shared one itself) that keeps more idle
// connections per host, for concurrent calls, with the SDK's redirect
// policy.
var sharedHTTPClient = sync.OnceValue(func() *http.Client {
	return protectRedirects(&http.Client{Transport: defaultTransport()})
})

// defaultTransport is a copy of http.DefaultTransport that keeps more idle
// connections per host.
func defaultTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil // someone replaced it; a nil Transport uses theirs
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = 32
	return t
}

// Format prints the client without its API key, whatever the verb, so that
// fmt.Printf("%+v", client) is safe to log.
func (c Client) Format(s fmt.State, _ rune) {
	fmt.Fprintf(s, "commet.Client{BaseURL: %s, APIVersion: %s, APIKey: %s}", c.cfg.baseURL, c.cfg.apiVersion, redactedKey)
}
