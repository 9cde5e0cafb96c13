package commet

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Version is the version of this SDK, sent in the User-Agent header.
const Version = "0.1.0"

var userAgent = fmt.Sprintf("commet-go/%s go/%s %s/%s",
	Version, strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH)

const (
	apiKeyPrefix = "ck_"
	apiKeyEnv    = "COMMET_API_KEY"
	// maxResponseBytes bounds how much of an answer is read: a full page of
	// 100 customers is far below it.
	maxResponseBytes = 8 << 20
	// maxRetryAfter caps the wait a Retry-After header can ask for.
	maxRetryAfter = 30 * time.Second
)

// Client talks to the Commet API. Create one with NewClient and share it: a
// *Client is safe for concurrent use, and holds no global state.
type Client struct {
	// Customers creates, reads, updates, lists and archives customers.
	Customers *CustomersService

	apiKey *secret // behind a pointer: fmt prints nested pointers as addresses
	cfg    config
}

// secret holds the API key. Nothing prints it: fmt reaches it only through
// a pointer, and Format redacts it if it is ever printed directly.
type secret struct{ value string }

// Format prints a redacted placeholder, never the key.
func (secret) Format(s fmt.State, _ rune) { fmt.Fprint(s, apiKeyPrefix+"…(redacted)") }

// NewClient returns a client that authenticates with apiKey. An empty
// apiKey falls back to the COMMET_API_KEY environment variable; a key that
// is still empty or does not start with "ck_" is an error, returned before
// any request. Options set the client's defaults; every method also takes
// options that override them for one call.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		apiKey = os.Getenv(apiKeyEnv)
	}
	apiKey = strings.TrimSpace(apiKey)
	if apiKey == "" {
		return nil, invalid("no API key: pass one to NewClient or set %s", apiKeyEnv)
	}
	if !strings.HasPrefix(apiKey, apiKeyPrefix) {
		return nil, invalid("the API key does not start with %q", apiKeyPrefix)
	}
	cfg, err := defaultConfig().apply(opts)
	if err != nil {
		return nil, err
	}
	if cfg.idempotencyKey != "" || cfg.responseInto != nil {
		return nil, invalid("WithIdempotencyKey and WithResponseInto apply to one call, not to a client")
	}
	if cfg.httpClient == nil {
		cfg.httpClient = protectRedirects(&http.Client{Transport: defaultTransport()})
	}
	c := &Client{apiKey: &secret{apiKey}, cfg: cfg}
	c.Customers = &CustomersService{client: c}
	return c, nil
}

// defaultTransport is a copy of http.DefaultTransport (never the shared one
// itself) that keeps more idle connections per host, for concurrent calls.
func defaultTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil // someone replaced it; a nil Transport uses theirs
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = 32
	return t
}

// protectRedirects returns a shallow copy of hc, which keeps using hc's
// transport, jar and timeout, but never forwards the API key to another
// origin when a redirect is followed.
func protectRedirects(hc *http.Client) *http.Client {
	safe := *hc
	next := hc.CheckRedirect
	safe.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
			req.Header.Del("X-Api-Key")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &safe
}

// Format prints the client without its API key, whatever the verb, so that
// fmt.Printf("%+v", client) is safe to log.
func (c Client) Format(s fmt.State, _ rune) {
	fmt.Fprintf(s, "commet.Client{BaseURL: %s, APIVersion: %s, APIKey: %v}",
		c.cfg.baseURL, c.cfg.apiVersion, secret{})
}

// request describes one API call; services fill it and call Client.do.
type request struct {
	method string
	path   string     // under /api/v1, already escaped
	query  url.Values // may be nil
	body   any        // JSON-encoded once, re-sent on every attempt; nil for none
}

// do runs one API call: it encodes the body once, sends it with retries as
// the contract says, and decodes the success envelope into out.
func (c *Client) do(ctx context.Context, r request, out any, opts []Option) error {
	cfg, err := c.cfg.apply(opts)
	if err != nil {
		return err
	}
	var body []byte
	if r.body != nil {
		if body, err = json.Marshal(r.body); err != nil {
			return invalid("encoding the request: %v", err)
		}
	}
	idemKey := ""
	if r.method == http.MethodPost {
		idemKey = cfg.idempotencyKey
		if idemKey == "" {
			idemKey = newIdempotencyKey()
		}
	}
	target := cfg.baseURL + "/api/v1" + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}

	for attempt := 1; ; attempt++ {
		if ctxErr := ctx.Err(); ctxErr != nil { // never send once the caller gave up
			return fmt.Errorf("commet: %s %s: %w", r.method, r.path, ctxErr)
		}
		resp, err := c.attempt(ctx, &cfg, r, target, body, idemKey, attempt)
		if err != nil {
			err = fmt.Errorf("%w: %s %s: %w", ErrNetwork, r.method, r.path, err)
		} else {
			if cfg.responseInto != nil {
				*cfg.responseInto = Response{StatusCode: resp.status, Header: resp.header,
					RequestID: resp.header.Get("X-Request-Id"), Attempts: attempt}
			}
			if resp.status >= 200 && resp.status < 300 {
				defer resp.release()
				return decodeSuccess(resp, out)
			}
			err = newAPIError(resp.status, resp.header, resp.body.Bytes())
			resp.release()
		}
		wait, retry := retryDelay(err, attempt, &cfg)
		if !retry || attempt > cfg.maxRetries || ctx.Err() != nil {
			return err
		}
		var apiErr *APIError
		if cfg.retryObserver != nil && errors.As(err, &apiErr) {
			cfg.retryObserver(apiErr, wait)
		}
		if ctxErr := sleep(ctx, wait); ctxErr != nil {
			return fmt.Errorf("commet: %s %s: %w while waiting to retry; last attempt: %w", r.method, r.path, ctxErr, err)
		}
	}
}

// answer is a response read in full and closed.
type answer struct {
	status int
	header http.Header
	body   *bytes.Buffer
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (a *answer) release() {
	if a.body.Cap() <= 1<<20 { // don't keep huge buffers alive
		a.body.Reset()
		bufPool.Put(a.body)
	}
}

// attempt sends one HTTP request and reads its answer with a size limit.
// The error it returns is a transport failure, without the request URL,
// whose query may hold an email.
func (c *Client) attempt(ctx context.Context, cfg *config, r request, target string, body []byte, idemKey string, n int) (*answer, error) {
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	var reqBody io.Reader
	if body != nil {
		reqBody = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, reqBody)
	if err != nil {
		return nil, err // only a bad method or URL, which the services never build
	}
	for k, v := range cfg.header {
		req.Header[k] = v
	}
	req.Header.Set("X-Api-Key", c.apiKey.value)
	req.Header.Set("Commet-Version", cfg.apiVersion)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}

	start := time.Now()
	resp, err := cfg.httpClient.Do(req)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		c.log(ctx, cfg, r, n, 0, "", time.Since(start), err)
		return nil, err
	}
	defer resp.Body.Close()
	buf := bufPool.Get().(*bytes.Buffer)
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err == nil && buf.Len() > maxResponseBytes {
		err = fmt.Errorf("the answer is larger than %d bytes", maxResponseBytes)
	}
	reqID := resp.Header.Get("X-Request-Id")
	c.log(ctx, cfg, r, n, resp.StatusCode, reqID, time.Since(start), err)
	if err != nil {
		buf.Reset()
		bufPool.Put(buf)
		return nil, err
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: buf}, nil
}

func (c *Client) log(ctx context.Context, cfg *config, r request, attempt, status int, reqID string, d time.Duration, err error) {
	if cfg.logger == nil || !cfg.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.method),
		slog.String("path", "/api/v1"+r.path),
		slog.Int("attempt", attempt),
		slog.Int("status", status),
		slog.String("request_id", reqID),
		slog.Duration("duration", d),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	cfg.logger.LogAttrs(ctx, slog.LevelDebug, "commet request", attrs...)
}

// decodeSuccess reads a 2xx envelope into out.
func decodeSuccess(a *answer, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(a.body.Bytes(), out); err != nil {
		return fmt.Errorf("%w (status %d, request %s): %w", ErrBadResponse, a.status, a.header.Get("X-Request-Id"), err)
	}
	return nil
}

// retryDelay decides whether the failure err of attempt n is retried, and
// after how long, as Commet's contract says: 408, 429 (only with
// Retry-After), 500, 502, 503, 504 and transport failures are retried.
func retryDelay(err error, n int, cfg *config) (time.Duration, bool) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		if !errors.Is(err, ErrNetwork) || isPermanentTransportError(err) {
			return 0, false
		}
		return backoff(n, cfg), true
	}
	switch apiErr.StatusCode {
	case http.StatusTooManyRequests:
		// Without Retry-After, a 429 is not from the rate limiter.
		return apiErr.RetryAfter, apiErr.hasRetryAfter
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if apiErr.hasRetryAfter {
			return apiErr.RetryAfter, true
		}
		return backoff(n, cfg), true
	}
	return 0, false
}

func isPermanentTransportError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalidCert)
}

// backoff is the wait before retry n: initial·2^(n-1) capped at max, minus a
// random jitter of up to half, so that clients retrying together spread out.
func backoff(n int, cfg *config) time.Duration {
	d := cfg.initialBackoff
	for i := 1; i < n && d < cfg.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, cfg.maxBackoff)
	return d - mrand.N(d/2+1)
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP date,
// capped at maxRetryAfter. ok is false when there is no valid value.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return min(time.Duration(min(secs, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// sleep waits d, or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newIdempotencyKey returns 128 random bits from crypto/rand, hex encoded.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
