package cmdutil

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/internal/ratelimit"
)

// Factory carries what commands need from outside: the IO streams,
// the environment (a map given by main or a test, never read from the
// process behind its back) and a client built only when a command first
// asks for it, so that --help and usage errors need no API key.
type Factory struct {
	IO *IOStreams
	// Env is the environment: COMMET_API_KEY and COMMET_BASE_URL.
	Env map[string]string
	// HTTPClient, if set, sends every request (a test's commettest transport).
	HTTPClient *http.Client

	// APIKey, BaseURL and Verbose are the root command's flags.
	APIKey, BaseURL string
	Verbose         bool

	// Requests counts every HTTP request the client sends, retries included.
	Requests RequestStats

	once      sync.Once
	client    *commet.Client
	clientErr error

	stop *Interrupts
}

// NewFactory returns a factory over io and env whose interrupts are it.
func NewFactory(io *IOStreams, env map[string]string, it *Interrupts) *Factory {
	if env == nil {
		env = map[string]string{}
	}
	if it == nil {
		it = NewInterrupts(nil)
	}
	return &Factory{IO: io, Env: env, stop: it}
}

// Interrupts is how Ctrl-C reaches the command running.
func (f *Factory) Interrupts() *Interrupts { return f.stop }

// apiKey is the key of --api-key, else COMMET_API_KEY.
func (f *Factory) apiKey() string {
	if f.APIKey != "" {
		return f.APIKey
	}
	return f.Env["COMMET_API_KEY"]
}

// KeyHint says what to check after Commet refused the API key (401) or
// what it may do (403): where the key came from, whether it is a sandbox
// key, and what decides its environment. It never shows the key.
func (f *Factory) KeyHint() string {
	from := "COMMET_API_KEY"
	if f.APIKey != "" {
		from = "--api-key"
		if f.Env["COMMET_API_KEY"] != "" {
			from += " (it wins over COMMET_API_KEY, which is set too)"
		}
	}
	kind := "not a sandbox key, so it reaches only live data"
	if f.IsSandboxKey() {
		kind = "a sandbox key (ck_sandbox_...), so it reaches only sandbox data"
	}
	return fmt.Sprintf("Check the API key: it came from %s and is %s. A key belongs to one organization\n"+
		"and one environment, starts with ck_, and may have been revoked (see commet help exit-codes).", from, kind)
}

// IsSandboxKey reports whether the API key is a sandbox key, which only
// reaches sandbox data.
func (f *Factory) IsSandboxKey() bool { return strings.HasPrefix(f.apiKey(), "ck_sandbox_") }

// Client returns the client, built on first use. A missing or refused key,
// or a refused base URL, is a configuration error (exit 2).
func (f *Factory) Client() (*commet.Client, error) {
	f.once.Do(func() {
		key := f.apiKey()
		if key == "" {
			// Never let NewClient read COMMET_API_KEY from the process:
			// the environment is f.Env.
			f.clientErr = ConfigError(errors.New("no API key: set COMMET_API_KEY or pass --api-key"))
			return
		}
		opts := []commet.ClientOption{commet.WithMiddleware(f.Requests.middleware)}
		base := f.BaseURL
		if base == "" {
			base = f.Env["COMMET_BASE_URL"]
		}
		if base != "" {
			opts = append(opts, commet.WithBaseURL(base))
		}
		if f.HTTPClient != nil {
			opts = append(opts, commet.WithHTTPClient(f.HTTPClient))
		}
		if f.Verbose {
			opts = append(opts, commet.WithLogger(slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		}
		c, err := commet.NewClient(key, opts...)
		if err != nil {
			f.clientErr = ConfigError(err)
			return
		}
		f.client = c
	})
	return f.client, f.clientErr
}

// ConfirmWrite lets a command write with the key: at once with a sandbox
// key or with yes (--yes); after a yes on a terminal otherwise. Without a
// terminal to ask on, a key that is not a sandbox key needs --yes.
func (f *Factory) ConfirmWrite(yes bool, what string) error {
	if f.IsSandboxKey() || yes {
		return nil
	}
	if !f.IO.CanPrompt() {
		return ConfigError(fmt.Errorf("the API key is not a sandbox key (ck_sandbox_...): %s would change live data; pass --yes to go on", what))
	}
	fmt.Fprintf(f.IO.ErrOut, "The API key is not a sandbox key: %s will change live data. Go on? [y/N] ", what)
	var answer string
	fmt.Fscanln(f.IO.In, &answer)
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return Cancelled(errors.New("cancelled: nothing was sent"))
	}
	return nil
}

// RequestStats counts requests and rate-limit answers, through a
// middleware that sees every attempt.
type RequestStats struct {
	requests, limited atomic.Int64
	waitUntil         atomic.Int64 // unix nanoseconds
}

func (s *RequestStats) middleware(req *http.Request, _ commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
	resp, err := next(req)
	s.requests.Add(1)
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		s.limited.Add(1)
		// what Retry-After asks (seconds, or a date read against the
		// answer's Date); a second when it asks for nothing
		wait := time.Second
		if d, ok := ratelimit.RetryAfter(resp.Header, time.Now()); ok && d > 0 {
			wait = d
		}
		s.waitUntil.Store(time.Now().Add(wait).UnixNano())
	}
	return resp, err
}

// Sent is the number of requests sent, answered or not.
func (s *RequestStats) Sent() int64 { return s.requests.Load() }

// RateLimited is the number of answers that were 429.
func (s *RequestStats) RateLimited() int64 { return s.limited.Load() }

// Waiting is how much longer the last 429 asked to wait; 0 when none.
func (s *RequestStats) Waiting() time.Duration {
	until := s.waitUntil.Load()
	if until == 0 {
		return 0
	}
	return max(0, time.Until(time.Unix(0, until)))
}
