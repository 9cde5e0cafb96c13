package commet

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Options come in three kinds, so that an option cannot reach a place
// where it makes no sense: the compiler refuses it.
//
//   - An [Option] ([WithMaxRetries], [WithRetryBackoff], [WithTimeout], [WithHeader])
//     works everywhere: given to [NewClient] it sets the client's default;
//     given to a method, including the multi-request All, Pages and
//     Import, it overrides that default for the call.
//   - A [ClientOption] is an Option or one that only a client can carry
//     ([WithBaseURL], [WithInsecureHTTP], [WithHTTPClient],
//     [WithAPIVersion], [WithLogger], [WithMiddleware], [WithSharedPacing],
//     [WithHooks]). NewClient takes them.
//   - A [CallOption] is an Option or one that only makes sense for a single
//     request ([WithIdempotencyKey], [WithResponseInto]). The methods that send
//     one request (Create, Get, Update, Archive, List, CreateBatch) take
//     them; All, Pages and Import, which send many, do not.
//
// An invalid option is an error matching [ErrInvalidConfig], from [NewClient]
// or from the call, and nothing is sent.

// The three kinds are sealed interfaces, as openai-go's RequestOption is:
// their methods are unexported, so only this package's With functions make
// them, and a nil one (commet.Option(nil), say) is ignored.

// An [Option] sets something a client and a single call can both carry. It
// is a [ClientOption] and a [CallOption], and [CustomersService.All],
// [CustomersService.Pages] and [CustomersService.Import] take it.
type Option interface {
	ClientOption
	CallOption
	applyToSettings(*settings)
}

// A [ClientOption] configures a [Client] in [NewClient].
type ClientOption interface {
	applyToClient(*clientConfig)
}

// A [CallOption] configures one call of a method that sends one request.
type CallOption interface {
	applyToCall(*callConfig)
}

// option is an [Option].
type option func(*settings)

func (o option) applyToSettings(s *settings)   { o(s) }
func (o option) applyToClient(c *clientConfig) { o(&c.settings) }
func (o option) applyToCall(c *callConfig)     { o(&c.settings) }

// clientOption is a [ClientOption] that no call can carry.
type clientOption func(*clientConfig)

func (o clientOption) applyToClient(c *clientConfig) { o(c) }

// callOption is a [CallOption] that no client can carry.
type callOption func(*callConfig)

func (o callOption) applyToCall(c *callConfig) { o(c) }

// DefaultBaseURL is where a client sends its requests unless [WithBaseURL]
// names another: Commet's one host, for live and sandbox data alike. The
// API key decides which: a key belongs to one organization and one
// environment, and a sandbox key ("ck_sandbox_...") only reaches sandbox
// data.
const DefaultBaseURL = "https://commet.co"

// DefaultAPIVersion is the Commet-Version sent unless [WithAPIVersion] pins another.
const DefaultAPIVersion = "2026-05-01"

// Defaults of the retry policy, as Commet documents it, and of the bound
// on each attempt.
const (
	DefaultMaxRetries     = 3
	DefaultInitialBackoff = 1 * time.Second
	DefaultMaxBackoff     = 8 * time.Second
	// DefaultTimeout bounds each attempt unless [WithTimeout] says otherwise,
	// as Commet's own SDKs do: without it a hung attempt would never be
	// cut, so never retried.
	DefaultTimeout = 30 * time.Second
)

// settings is what an [Option] sets: what a client and a call share. It is
// copied for every call, so a call's options never change the client.
type settings struct {
	maxRetries     int
	initialBackoff time.Duration
	maxBackoff     time.Duration
	timeout        time.Duration
	header         http.Header

	errs []error // invalid options, reported by NewClient or by the call
}

func (s *settings) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Errorf(format, args...))
}

// err returns an error matching [ErrInvalidConfig] if an option was invalid.
func (s *settings) err() error {
	if len(s.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(s.errs...))
}

// clientConfig is a client's resolved configuration.
type clientConfig struct {
	settings
	baseURL      string // scheme, host and optional path prefix, without a trailing slash
	rawBaseURL   string // as given to WithBaseURL, checked once every option is known
	insecureHTTP bool
	httpClient   *http.Client
	apiVersion   string
	logger       *slog.Logger
	middleware   []Middleware
	unshared     bool // WithSharedPacing(false)
	hooks        []Hooks
}

// callConfig is one call's resolved configuration.
type callConfig struct {
	settings
	idempotencyKey string
	responseInto   *Response
	rawJSON        bool                        // responseInto gets the raw answer too
	middleware     []Middleware                // the SDK's own (Import's pacing), around the client's
	ownPacing      bool                        // the call paces itself (Import): the client's shared pacing lets it by
	policy         func(*settings) retryPolicy // the caller's (Import's); nil for settings.single
}

// retryPolicy is the call's retry policy, from its settings.
func (c *callConfig) retryPolicy() retryPolicy {
	if c.policy != nil {
		return c.policy(&c.settings)
	}
	return c.settings.single()
}

func newClientConfig(opts []ClientOption) (clientConfig, error) {
	c := clientConfig{
		settings: settings{
			maxRetries:     DefaultMaxRetries,
			initialBackoff: DefaultInitialBackoff,
			maxBackoff:     DefaultMaxBackoff,
			timeout:        DefaultTimeout,
		},
		baseURL:    DefaultBaseURL,
		apiVersion: DefaultAPIVersion,
	}
	for _, opt := range opts {
		if opt != nil {
			opt.applyToClient(&c)
		}
	}
	if c.rawBaseURL != "" {
		u, err := parseBaseURL(c.rawBaseURL, c.insecureHTTP)
		if err != nil {
			c.fail("WithBaseURL: %w", err)
		}
		c.baseURL = u
	}
	if c.httpClient == nil {
		c.httpClient = sharedHTTPClient()
	}
	return c, c.err()
}

// newCallConfig resolves the options of one call over the client's.
func (c *Client) newCallConfig(opts []CallOption) (callConfig, error) {
	if len(opts) == 0 { // the client's settings as they are, without the heap copy that options applied through an interface need
		cc := callConfig{settings: c.cfg.settings}
		cc.errs = nil
		return cc, nil
	}
	cc := callConfig{settings: c.cfg.settings}
	cc.errs = nil
	for _, opt := range opts {
		if opt != nil {
			opt.applyToCall(&cc)
		}
	}
	return cc, cc.err()
}

// callOptions widens the options of a multi-request call, for the calls it
// makes.
func callOptions(opts []Option) []CallOption {
	out := make([]CallOption, len(opts))
	for i, o := range opts {
		if o != nil {
			out[i] = o
		}
	}
	return out
}

// WithBaseURL sends requests to base instead of [DefaultBaseURL], for a proxy
// or a local fake such as commettest. The scheme must be https; plain http
// is accepted for loopback hosts (localhost, 127.0.0.0/8, ::1), and for any
// other host only with [WithInsecureHTTP], since the API key would travel in
// clear. A path in base is kept as a prefix and /api/v1 is appended to it;
// a base that already ends in /api/v1 (as curl examples write it) is taken
// as the API root, and one ending in another API path (/api, /api/v2,
// /api/v1/customers) is refused, so that a misconfigured URL never meets a
// 404 that reads as "no such customer".
func WithBaseURL(base string) ClientOption {
	return clientOption(func(c *clientConfig) {
		c.rawBaseURL = base
		if strings.TrimSpace(base) == "" {
			c.fail("WithBaseURL: empty URL")
		}
	})
}

// WithInsecureHTTP lets [WithBaseURL] name a plain-http URL on a host that is
// not loopback, such as a commet-fake container in docker-compose
// (http://commet-fake:12111). The API key then travels in clear: use it for
// test setups only, never with a live key.
func WithInsecureHTTP() ClientOption {
	return clientOption(func(c *clientConfig) { c.insecureHTTP = true })
}

func parseBaseURL(raw string, insecureHTTP bool) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", errors.New("not a valid URL")
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return "", errors.New("missing host")
	case u.User != nil:
		return "", errors.New("must not carry credentials")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("must not have a query or a fragment")
	case u.Scheme == "https":
	case u.Scheme == "http" && (isLoopback(u.Hostname()) || insecureHTTP):
	case u.Scheme == "http":
		return "", fmt.Errorf("plain http is only allowed for loopback hosts, not %q, unless WithInsecureHTTP is given", printable(u.Hostname(), 64))
	default:
		return "", fmt.Errorf("scheme %q is not https", printable(u.Scheme, 20))
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	switch lower := strings.ToLower(path); {
	case strings.HasSuffix(lower, "/api/v1"): // the API root, as the README's curl lines show it
		path = path[:len(path)-len("/api/v1")]
	case apiPath.MatchString(lower):
		return "", fmt.Errorf("the path %q names an API path: give the host (and a proxy's prefix, if any) without it; the client appends /api/v1 and pins its version with the Commet-Version header", printable(u.Path, 64))
	}
	u.Path, u.RawPath = "", ""
	return strings.TrimRight(u.String(), "/") + path, nil
}

// apiPath matches a base URL's path that ends in an API path other than
// the API root: /api alone, another version, or an endpoint.
var apiPath = regexp.MustCompile(`/api(/v[0-9]+(/.*)?)?$`)

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithHTTPClient sends requests through hc, so its transport, proxy, TLS
// settings and timeout apply. The SDK never modifies hc; it sends through a
// shallow copy with the SDK's redirect policy (no redirects for writes, and
// the key never forwarded to another host).
func WithHTTPClient(hc *http.Client) ClientOption {
	return clientOption(func(c *clientConfig) {
		if hc == nil {
			c.fail("WithHTTPClient: nil *http.Client")
			return
		}
		c.httpClient = protectRedirects(hc)
	})
}

// WithSharedPacing sets whether a client's calls share what their answers
// say of Commet's rate limit; they do unless it is given false. Shared,
// a 429 or a RateLimit-* header seen by one call paces the others: a 429
// holds every call of the client for its Retry-After, and then lets them
// go spread at the pace the answers bear out, rather than all at once;
// the attempts in flight start at two and double with each round trip
// while the answers show room, as TCP's slow start does; and once the
// answers show plenty of room, for sixteen in a row, the client stops
// pacing and each call pays two atomic counts and a look at its answer's
// headers, until a 429, a low RateLimit-Remaining or a burst of calls
// paces it again.
//
// A call waiting its turn waits as long as its context allows: if the
// context ends first, the call fails with an error matching the
// context's error and [ErrNotSent] (nothing was sent). Give a call that
// must answer fast (a sign-up handler) a context deadline.
//
// It paces the calls of one Client. Processes, or Clients, that share an
// API key share its limit without knowing of each other: see
// docs/pacing.md. [CustomersService.Import] paces its batches with a
// pacer of its own, and its requests are not paced by the client's.
func WithSharedPacing(on bool) ClientOption {
	return clientOption(func(c *clientConfig) { c.unshared = !on })
}

// WithAPIVersion pins the Commet-Version header (default [DefaultAPIVersion]).
func WithAPIVersion(version string) ClientOption {
	return clientOption(func(c *clientConfig) {
		if !isToken(version, 64) {
			c.fail("WithAPIVersion: want a version such as %q, got %q", DefaultAPIVersion, printable(version, 64))
			return
		}
		c.apiVersion = version
	})
}

// WithLogger logs one Debug record per attempt (method, path, status,
// attempt, request ID, duration) to l. Records never hold headers, bodies,
// query strings or the API key. A nil l disables logging, the default.
func WithLogger(l *slog.Logger) ClientOption {
	return clientOption(func(c *clientConfig) { c.logger = l })
}

// WithMaxRetries sets how many times a failed attempt is retried (default
// [DefaultMaxRetries]); 0 disables retries.
func WithMaxRetries(n int) Option {
	return option(func(s *settings) {
		if n < 0 {
			s.fail("WithMaxRetries: %d is negative", n)
			return
		}
		s.maxRetries = n
	})
}

// WithRetryBackoff sets the exponential backoff between retries: the first
// wait is about initial, each next one doubles, and none exceeds max. Each
// wait is jittered down by up to half, so concurrent clients spread out.
func WithRetryBackoff(initial, max time.Duration) Option {
	return option(func(s *settings) {
		if initial <= 0 || max < initial {
			s.fail("WithRetryBackoff: want 0 < initial <= max, got %v and %v", initial, max)
			return
		}
		s.initialBackoff, s.maxBackoff = initial, max
	})
}

// WithTimeout bounds each attempt (one HTTP request and the reading of its
// answer) to d, [DefaultTimeout] unless set; an attempt that times out is
// retried. Zero lifts the bound. The deadline of the call's context bounds
// the whole call, retries and waits included.
func WithTimeout(d time.Duration) Option {
	return option(func(s *settings) {
		if d < 0 {
			s.fail("WithTimeout: %v is negative", d)
			return
		}
		s.timeout = d
	})
}

// reservedHeaders are set by the SDK itself, each from its own option, or
// by net/http from the request.
var reservedHeaders = map[string]string{
	"X-Api-Key":         "the key given to NewClient",
	"Commet-Version":    "WithAPIVersion",
	"Idempotency-Key":   "WithIdempotencyKey",
	"Content-Type":      "the SDK",
	"Accept":            "the SDK",
	"User-Agent":        "the SDK",
	"Host":              "net/http",
	"Content-Length":    "net/http",
	"Transfer-Encoding": "net/http",
	"Connection":        "net/http",
}

// WithHeader adds a header to every request it applies to. Headers the SDK
// or net/http set (x-api-key, Commet-Version, Idempotency-Key, Accept,
// Content-Type, User-Agent, Host, Content-Length, Transfer-Encoding,
// Connection) are refused, and so are a name that is not a token and a
// value with control characters (CR, LF, NUL), which no request can carry.
func WithHeader(key, value string) Option {
	return option(func(s *settings) {
		canonical := http.CanonicalHeaderKey(strings.TrimSpace(key))
		if owner, ok := reservedHeaders[canonical]; ok {
			s.fail("WithHeader: %s is set by %s", canonical, owner)
			return
		}
		if !isToken(canonical, 256) || strings.ContainsAny(canonical, "()<>@,;:\\\"/[]?={}") {
			s.fail("WithHeader: %q is not a valid header name", printable(key, 64))
			return
		}
		for _, r := range value {
			if r < ' ' && r != '\t' || r == 0x7f {
				s.fail("WithHeader: the value of %s holds a control character", canonical)
				return
			}
		}
		s.header = s.header.Clone() // never write to a map another call shares
		if s.header == nil {
			s.header = make(http.Header)
		}
		s.header.Set(canonical, value)
	})
}

// WithIdempotencyKey sets the Idempotency-Key of one POST call; without it,
// the SDK generates a random key per call. The same key is sent on every
// retry of the call. A key names one attempt to do one thing: Commet keeps
// it for 24 hours, for every client of the organization, and answers a
// request repeated with it with its first answer, whatever happened since.
// Give your own key only for one piece of work retried across processes (a
// queued job, named by its job ID); never derive one from a user's ID or
// data, which would replay a stale answer to a later request, nor take one
// a browser chose.
func WithIdempotencyKey(key string) CallOption {
	return callOption(func(c *callConfig) {
		if !isToken(key, 255) {
			c.fail("WithIdempotencyKey: the key must be 1 to 255 printable ASCII characters, without spaces")
			return
		}
		c.idempotencyKey = key
	})
}

// WithResponseInto fills *r when the call ends, whether it succeeded or
// not: the status, headers and request ID of its final answer, the number
// of requests it sent, and the raw JSON of a success.
func WithResponseInto(r *Response) CallOption {
	return callOption(func(c *callConfig) {
		if r == nil {
			c.fail("WithResponseInto: nil *Response")
			return
		}
		c.responseInto, c.rawJSON = r, true
	})
}
