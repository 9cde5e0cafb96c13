package commet

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Environment selects which Commet deployment a client talks to.
type Environment string

const (
	// Sandbox is Commet's test environment, where no real money moves.
	// It is the default for a new client.
	Sandbox Environment = "sandbox"
	// Production is Commet's live environment.
	Production Environment = "production"
)

// DefaultAPIVersion is the Commet-Version sent unless WithAPIVersion pins another.
const DefaultAPIVersion = "2026-05-01"

// Defaults of the retry policy, as Commet documents it, and of the bound
// on each attempt.
const (
	DefaultMaxRetries     = 3
	DefaultInitialBackoff = 1 * time.Second
	DefaultMaxBackoff     = 8 * time.Second
	// DefaultTimeout bounds each attempt unless WithTimeout says otherwise,
	// as Commet's own SDKs do: without it a hung attempt would never be
	// cut, so never retried.
	DefaultTimeout = 30 * time.Second
)

var environmentURLs = map[Environment]string{
	Sandbox:    "https://sandbox.commet.co",
	Production: "https://commet.co",
}

// An Option configures a Client when passed to NewClient, or a single call
// when passed to a method, where it overrides the client's setting for that
// call only.
type Option func(*config)

// config is the resolved configuration of a client or of one call. It is
// copied for every call, so options never change a client after NewClient.
type config struct {
	baseURL        string // scheme, host and optional path prefix, without a trailing slash
	httpClient     *http.Client
	apiVersion     string
	maxRetries     int
	initialBackoff time.Duration
	maxBackoff     time.Duration
	timeout        time.Duration
	idempotencyKey string
	header         http.Header
	logger         *slog.Logger
	responseInto   *Response
	retryObserver  func(*APIError, time.Duration)

	errs []error // invalid options, reported by NewClient or by the call
}

func defaultConfig() config {
	return config{
		baseURL:        environmentURLs[Sandbox],
		apiVersion:     DefaultAPIVersion,
		maxRetries:     DefaultMaxRetries,
		initialBackoff: DefaultInitialBackoff,
		maxBackoff:     DefaultMaxBackoff,
		timeout:        DefaultTimeout,
	}
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// apply returns a copy of c with opts applied, and an error wrapping
// ErrInvalidConfig if any option was invalid.
func (c config) apply(opts []Option) (config, error) {
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	if len(c.errs) > 0 {
		err := fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(c.errs...))
		c.errs = nil
		return c, err
	}
	return c, nil
}

// WithEnvironment selects Sandbox (the default) or Production. It replaces
// any base URL set before it.
func WithEnvironment(env Environment) Option {
	return func(c *config) {
		base, ok := environmentURLs[env]
		if !ok {
			c.fail("unknown environment %q (want commet.Sandbox or commet.Production)", env)
			return
		}
		c.baseURL = base
	}
}

// WithBaseURL sends requests to base instead of Commet's hosts, for a proxy
// or a local fake such as commettest. The scheme must be https; plain http is
// accepted only for loopback hosts (localhost, 127.0.0.0/8, ::1). A path in
// base is kept as a prefix and /api/v1 is appended to it.
func WithBaseURL(base string) Option {
	return func(c *config) {
		u, err := parseBaseURL(base)
		if err != nil {
			c.fail("base URL: %w", err)
			return
		}
		c.baseURL = u
	}
}

func parseBaseURL(raw string) (string, error) {
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
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return "", fmt.Errorf("plain http is only allowed for loopback hosts, not %q", u.Hostname())
	default:
		return "", fmt.Errorf("scheme %q is not https", u.Scheme)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithHTTPClient sends requests through hc, so its transport, proxy, TLS
// settings and timeout apply. The SDK never modifies hc; it sends through a
// shallow copy whose redirect policy strips the API key from any redirect
// to another host.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc == nil {
			c.fail("WithHTTPClient: nil *http.Client")
			return
		}
		c.httpClient = protectRedirects(hc)
	}
}

// WithAPIVersion pins the Commet-Version header (default DefaultAPIVersion).
func WithAPIVersion(version string) Option {
	return func(c *config) {
		if !isToken(version, 64) {
			c.fail("WithAPIVersion: want a version such as %q, got %q", DefaultAPIVersion, printable(version, 64))
			return
		}
		c.apiVersion = version
	}
}

// WithMaxRetries sets how many times a failed attempt is retried (default
// DefaultMaxRetries); 0 disables retries.
func WithMaxRetries(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.fail("WithMaxRetries: %d is negative", n)
			return
		}
		c.maxRetries = n
	}
}

// WithRetryBackoff sets the exponential backoff between retries: the first
// wait is about initial, each next one doubles, and none exceeds max. Each
// wait is jittered down by up to half, so concurrent clients spread out.
func WithRetryBackoff(initial, max time.Duration) Option {
	return func(c *config) {
		if initial <= 0 || max < initial {
			c.fail("WithRetryBackoff: want 0 < initial <= max, got %v and %v", initial, max)
			return
		}
		c.initialBackoff, c.maxBackoff = initial, max
	}
}

// WithTimeout bounds each attempt (one HTTP request and the reading of its
// answer) to d, DefaultTimeout unless set; an attempt that times out is
// retried. Zero lifts the bound. The deadline of the call's context bounds
// the whole call, retries and waits included.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail("WithTimeout: %v is negative", d)
			return
		}
		c.timeout = d
	}
}

// WithIdempotencyKey sets the Idempotency-Key of one POST call; without it,
// the SDK generates a random key per call. The same key is sent on every
// retry of the call. It is a per-call option: NewClient rejects it.
func WithIdempotencyKey(key string) Option {
	return func(c *config) {
		if !isToken(key, 255) {
			c.fail("WithIdempotencyKey: the key must be 1 to 255 printable ASCII characters, without spaces")
			return
		}
		c.idempotencyKey = key
	}
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
	return func(c *config) {
		canonical := http.CanonicalHeaderKey(strings.TrimSpace(key))
		if owner, ok := reservedHeaders[canonical]; ok {
			c.fail("WithHeader: %s is set by %s", canonical, owner)
			return
		}
		if !isToken(canonical, 256) || strings.ContainsAny(canonical, "()<>@,;:\\\"/[]?={}") {
			c.fail("WithHeader: %q is not a valid header name", printable(key, 64))
			return
		}
		for _, r := range value {
			if r < ' ' && r != '\t' || r == 0x7f {
				c.fail("WithHeader: the value of %s holds a control character", canonical)
				return
			}
		}
		c.header = c.header.Clone() // never write to a map another call shares
		if c.header == nil {
			c.header = make(http.Header)
		}
		c.header.Set(canonical, value)
	}
}

// WithLogger logs one Debug record per attempt (method, path, status,
// attempt, request ID, duration) to l. Records never hold headers, bodies,
// query strings or the API key. A nil l disables logging, the default.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithResponseInto fills *r when the call ends, whether it succeeded or
// not: the status, headers and request ID of its final answer, the number
// of requests it sent, and the raw JSON of a success. It is a per-call
// option: NewClient rejects it.
func WithResponseInto(r *Response) Option {
	return func(c *config) {
		if r == nil {
			c.fail("WithResponseInto: nil *Response")
			return
		}
		c.responseInto = r
	}
}

// withRetryObserver has f called before each wait caused by a retryable
// API error; Import uses it to pause all its workers on a 429.
func withRetryObserver(f func(*APIError, time.Duration)) Option {
	return func(c *config) { c.retryObserver = f }
}
