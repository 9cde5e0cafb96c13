package commet

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientAPIKey(t *testing.T) {
	t.Run("empty key falls back to COMMET_API_KEY", func(t *testing.T) {
		t.Setenv("COMMET_API_KEY", testKey)
		c, err := NewClient("")
		require.NoError(t, err)
		assert.Equal(t, testKey, c.key.value())
	})
	for name, key := range map[string]string{"empty": "", "blank": "  ", "no ck_ prefix": "sk_live_123"} {
		t.Run(name+" key is refused", func(t *testing.T) {
			t.Setenv("COMMET_API_KEY", "")
			c, err := NewClient(key)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			assert.NotErrorIs(t, err, ErrValidation, "a bad key is not bad customer data")
			if key != "" && strings.TrimSpace(key) != "" {
				assert.NotContains(t, err.Error(), key, "the refused key must not be echoed")
			}
		})
	}
}

// TestOptionsReachOnlyWhereTheyMakeSense: which option applies where is a
// matter of types, so a misplaced option does not compile. Per-call options
// are not ClientOptions; client options are not CallOptions; and All, Pages
// and Import, which send many requests, take only Options, so
// WithResponseInto (which one call fills) and WithIdempotencyKey (which one
// request carries) cannot reach them.
func TestOptionsReachOnlyWhereTheyMakeSense(t *testing.T) {
	clientOnly := map[string]any{
		"WithBaseURL":      WithBaseURL("https://x.example"),
		"WithInsecureHTTP": WithInsecureHTTP(), "WithHTTPClient": WithHTTPClient(http.DefaultClient),
		"WithAPIVersion": WithAPIVersion("v"), "WithLogger": WithLogger(nil), "WithMiddleware": WithMiddleware(),
	}
	callOnly := map[string]any{"WithIdempotencyKey": WithIdempotencyKey("k"), "WithResponseInto": WithResponseInto(new(Response))}
	everywhere := map[string]any{
		"WithMaxRetries": WithMaxRetries(1), "WithRetryBackoff": WithRetryBackoff(1, 2),
		"WithTimeout": WithTimeout(1), "WithHeader": WithHeader("X-A", "b"),
	}
	is := func(v any) (client, call, multi bool) {
		_, client = v.(ClientOption)
		_, call = v.(CallOption)
		_, multi = v.(Option)
		return
	}
	for name, opt := range clientOnly {
		client, call, multi := is(opt)
		assert.True(t, client, name)
		assert.False(t, call || multi, "%s must not reach a call", name)
	}
	for name, opt := range callOnly {
		client, call, multi := is(opt)
		assert.True(t, call, name)
		assert.False(t, client, "%s must not reach NewClient", name)
		assert.False(t, multi, "%s must not reach All, Pages or Import", name)
	}
	for name, opt := range everywhere {
		client, call, multi := is(opt)
		assert.True(t, client && call && multi, name)
	}
	c, _ := newMockClient(t)
	option := reflect.TypeFor[Option]()
	for name, method := range map[string]any{"All": c.Customers.All, "Pages": c.Customers.Pages, "Import": c.Customers.Import} {
		typ := reflect.TypeOf(method)
		assert.Equal(t, option, typ.In(typ.NumIn()-1).Elem(), "%s takes ...Option", name)
	}
	callOption := reflect.TypeFor[CallOption]()
	for name, method := range map[string]any{"Create": c.Customers.Create, "Get": c.Customers.Get, "Update": c.Customers.Update,
		"Archive": c.Customers.Archive, "List": c.Customers.List, "CreateBatch": c.Customers.CreateBatch} {
		typ := reflect.TypeOf(method)
		assert.Equal(t, callOption, typ.In(typ.NumIn()-1).Elem(), "%s takes ...CallOption", name)
	}
	assert.Equal(t, reflect.TypeFor[ClientOption](), reflect.TypeOf(NewClient).In(1).Elem())
}

// TestHeadersOnEveryOperation checks the headers of the contract on each of
// the six operations, with Idempotency-Key on the POST only.
func TestHeadersOnEveryOperation(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(okCustomer)
	mock.RegisterRegexpResponder("GET", regexp.MustCompile(`/api/v1/customers`), func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == custPath {
			rec.responder(r)
			return jsonResponse(200, map[string]any{"success": true, "data": []any{}, "hasMore": false}), nil
		}
		return rec.responder(r)
	})
	mock.RegisterRegexpResponder("POST", regexp.MustCompile(`/api/v1/customers`), rec.responder)
	mock.RegisterRegexpResponder("PUT", regexp.MustCompile(`/api/v1/customers`), rec.responder)

	ctx := context.Background()
	_, err := c.Customers.Create(ctx, &CreateCustomerParams{Email: "a@example.com"})
	require.NoError(t, err)
	_, err = c.Customers.Get(ctx, "cus_1")
	require.NoError(t, err)
	_, err = c.Customers.Update(ctx, "cus_1", &UpdateCustomerParams{FullName: Ptr("A")})
	require.NoError(t, err)
	_, err = c.Customers.List(ctx, nil)
	require.NoError(t, err)
	for _, err := range c.Customers.All(ctx, nil) {
		require.NoError(t, err)
	}
	_, err = c.Customers.Archive(ctx, "cus_1")
	require.NoError(t, err)

	reqs := rec.requests()
	require.Len(t, reqs, 6)
	uaPattern := regexp.MustCompile(`^commet-go/` + regexp.QuoteMeta(Version) + ` go/[0-9.]+\S* ` + runtime.GOOS + `/` + runtime.GOARCH + `$`)
	for _, r := range reqs {
		assert.Equal(t, testKey, r.Header.Get("X-Api-Key"), r.Method)
		assert.Equal(t, "2026-05-01", r.Header.Get("Commet-Version"), r.Method)
		assert.Regexp(t, uaPattern, r.Header.Get("User-Agent"))
		if r.Method == "POST" {
			assert.Regexp(t, `^[0-9a-f]{32}$`, r.Header.Get("Idempotency-Key"))
		} else {
			assert.Empty(t, r.Header.Get("Idempotency-Key"), r.Method)
		}
		if len(r.Body) > 0 {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		} else {
			assert.Empty(t, r.Header.Get("Content-Type"))
		}
	}
}

func TestIdempotencyKeys(t *testing.T) {
	t.Run("generated per call, reused on every retry", func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(status(503, nil), status(502, nil), okCustomer, status(500, nil), okCustomer)
		mock.RegisterResponder("POST", custURL, rec.responder)
		params := &CreateCustomerParams{Email: "a@example.com", ID: "user_1"}
		_, err := c.Customers.Create(context.Background(), params)
		require.NoError(t, err)
		_, err = c.Customers.Create(context.Background(), params)
		require.NoError(t, err)

		reqs := rec.requests()
		require.Len(t, reqs, 5)
		first := reqs[0].Header.Get("Idempotency-Key")
		for _, r := range reqs[:3] {
			assert.Equal(t, first, r.Header.Get("Idempotency-Key"))
		}
		second := reqs[3].Header.Get("Idempotency-Key")
		assert.Equal(t, second, reqs[4].Header.Get("Idempotency-Key"))
		assert.NotEqual(t, first, second, "two calls must not share a key")
	})
	t.Run("the caller's key", func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(status(503, nil), okCustomer)
		mock.RegisterResponder("POST", custURL, rec.responder)
		_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"}, WithIdempotencyKey("signup-user_1"))
		require.NoError(t, err)
		for _, r := range rec.requests() {
			assert.Equal(t, "signup-user_1", r.Header.Get("Idempotency-Key"))
		}
	})
}

// TestRetryDecisions is the table of which answers are retried.
func TestRetryDecisions(t *testing.T) {
	cases := []struct {
		name    string
		answer  func(*http.Request) (*http.Response, error)
		retried bool
		is      error
	}{
		{"408", status(408, nil), true, nil},
		{"429 with Retry-After", withRetryAfter(429, "0"), true, ErrRateLimited},
		{"429 without Retry-After", status(429, map[string]any{"code": "quota"}), false, ErrRateLimited},
		{"500", status(500, nil), true, ErrServer},
		{"502", status(502, nil), true, ErrServer},
		{"503", status(503, nil), true, ErrServer},
		{"504", status(504, nil), true, ErrServer},
		{"501", status(501, nil), false, ErrServer},
		{"400", status(400, map[string]any{"code": "validation_error", "message": "bad"}), false, ErrValidation},
		{"401", status(401, nil), false, ErrUnauthorized},
		{"403", status(403, nil), false, ErrForbidden},
		{"404", status(404, nil), false, ErrNotFound},
		{"409", status(409, nil), false, ErrConflict},
		{"network error", netError, true, ErrNetwork},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMockClient(t, WithMaxRetries(2))
			rec := answers(tc.answer)
			mock.RegisterResponder("GET", custURL+"/cus_1", rec.responder)
			_, err := c.Customers.Get(context.Background(), "cus_1")
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			want := 1
			if tc.retried {
				want = 3
			}
			assert.Len(t, rec.requests(), want)
		})
	}
}

func TestRetrySucceedsAndResendsBody(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(status(503, nil), netError, okCustomer)
	mock.RegisterResponder("POST", custURL, rec.responder)
	var resp Response
	params := &CreateCustomerParams{Email: "a@example.com", ID: "user_1", Metadata: map[string]any{"plan": "pro"}}
	cust, err := c.Customers.Create(context.Background(), params, WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, "cus_1", cust.ID)
	assert.Equal(t, 3, resp.Attempts)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "req_test", resp.RequestID)

	want := `{"billingEmail":"a@example.com","externalId":"user_1","metadata":{"plan":"pro"}}`
	for _, r := range rec.requests() {
		assert.JSONEq(t, want, string(r.Body), "every attempt carries the whole body")
	}
}

func TestMaxRetries(t *testing.T) {
	for _, n := range []int{0, 1, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c, mock := newMockClient(t)
			rec := answers(status(500, nil))
			mock.RegisterResponder("GET", custURL+"/x", rec.responder)
			_, err := c.Customers.Get(context.Background(), "x", WithMaxRetries(n))
			assert.ErrorIs(t, err, ErrServer)
			assert.Len(t, rec.requests(), n+1)
		})
	}
}

// TestBackoffTiming checks, on synctest's fake clock, that waits double
// from the initial backoff, stay under the cap, and are jittered.
func TestBackoffTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t, WithRetryBackoff(time.Second, 4*time.Second), WithMaxRetries(4))
		var at []time.Time
		mock.RegisterResponder("GET", custURL+"/x", func(*http.Request) (*http.Response, error) {
			at = append(at, time.Now())
			return jsonResponse(503, nil), nil
		})
		_, err := c.Customers.Get(context.Background(), "x")
		require.ErrorIs(t, err, ErrServer)
		require.Len(t, at, 5)
		nominal := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
		for i, want := range nominal {
			got := at[i+1].Sub(at[i])
			assert.LessOrEqual(t, got, want, "wait %d", i+1)
			assert.GreaterOrEqual(t, got, want/2, "wait %d", i+1)
		}
	})
}

func TestBackoffIsJittered(t *testing.T) {
	cfg := settings{initialBackoff: time.Second, maxBackoff: 8 * time.Second}
	seen := map[time.Duration]bool{}
	for range 50 {
		d := cfg.backoff(3)
		assert.True(t, d >= 2*time.Second && d <= 4*time.Second, "%v", d)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 1, "50 waits were all equal: no jitter")
}

func TestRetryAfter(t *testing.T) {
	date := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	cases := []struct {
		name string
		// header returns the Retry-After value; it runs inside the bubble.
		header func() string
		want   time.Duration
	}{
		{"seconds", func() string { return "3" }, 3 * time.Second},
		{"zero still means not yet: the backoff", func() string { return "0" }, time.Millisecond},
		{"up to 30 s", func() string { return "30" }, 30 * time.Second},
		{"HTTP date", func() string { return date(5 * time.Second) }, 5 * time.Second},
		{"HTTP date in the past: the backoff", func() string { return date(-time.Hour) }, time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, mock := newMockClient(t)
				var at []time.Time
				mock.RegisterResponder("POST", custURL, func(*http.Request) (*http.Response, error) {
					at = append(at, time.Now())
					if len(at) == 1 {
						return withRetryAfter(429, tc.header())(nil)
					}
					return okCustomer(nil)
				})
				_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"})
				require.NoError(t, err)
				require.Len(t, at, 2)
				// HTTP dates have whole seconds, so allow the sub-second truncation.
				assert.InDelta(t, tc.want, at[1].Sub(at[0]), float64(time.Second))
				switch {
				case strings.Contains(tc.name, "backoff"):
					assert.Positive(t, at[1].Sub(at[0]), "a server asking for no wait is never asked again at once")
				case !strings.Contains(tc.name, "date"):
					assert.Equal(t, tc.want, at[1].Sub(at[0]))
				}
			})
		})
	}
	t.Run("garbage on a 429 is no Retry-After: not retried", func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(withRetryAfter(429, "soon"))
		mock.RegisterResponder("GET", custURL+"/x", rec.responder)
		_, err := c.Customers.Get(context.Background(), "x")
		assert.ErrorIs(t, err, ErrRateLimited)
		assert.Len(t, rec.requests(), 1)
	})
	t.Run("honoured on a 503 too", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, mock := newMockClient(t)
			rec := answers(withRetryAfter(503, "7"), okCustomer)
			mock.RegisterResponder("GET", custURL+"/x", rec.responder)
			start := time.Now()
			_, err := c.Customers.Get(context.Background(), "x")
			require.NoError(t, err)
			assert.Equal(t, 7*time.Second, time.Since(start))
		})
	})
}

// TestContextEndsTheWait checks that a call whose context is cancelled
// during a wait returns then, not after the sleep, tries no more, and
// keeps the last answer. (A wait that would outlast a deadline is not
// begun at all: TestHostileWaitOutlastingTheDeadlineEndsAtOnce.)
func TestContextEndsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(withRetryAfter(429, "30"))
		mock.RegisterResponder("GET", custURL+"/x", rec.responder)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(2*time.Second, cancel)
		start := time.Now()
		_, err := c.Customers.Get(ctx, "x")
		assert.Equal(t, 2*time.Second, time.Since(start))
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, err, ErrRateLimited, "the last answer is kept in the error")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 30*time.Second, apiErr.RetryAfter, "the page can say: try again in 30 s")
		assert.Len(t, rec.requests(), 1)
	})
}

func TestNoRetryOnceContextIsDone(t *testing.T) {
	c, mock := newMockClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	rec := answers(func(*http.Request) (*http.Response, error) {
		cancel() // the caller gives up while the first attempt is in flight
		return jsonResponse(503, nil), nil
	})
	mock.RegisterResponder("GET", custURL+"/x", rec.responder)
	_, err := c.Customers.Get(ctx, "x")
	assert.Error(t, err)
	assert.Len(t, rec.requests(), 1)

	// A context that is already done sends nothing at all.
	_, err = c.Customers.Get(ctx, "x")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Len(t, rec.requests(), 1)
}

// TestPerAttemptTimeout checks that WithTimeout bounds each attempt and that
// a timed-out attempt is retried.
func TestPerAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t, WithTimeout(5*time.Second))
		var calls atomic.Int32
		mock.RegisterResponder("GET", custURL+"/x", func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				<-r.Context().Done() // hang until the attempt's deadline
				return nil, r.Context().Err()
			}
			return okCustomer(r)
		})
		start := time.Now()
		_, err := c.Customers.Get(context.Background(), "x")
		require.NoError(t, err)
		assert.EqualValues(t, 2, calls.Load())
		elapsed := time.Since(start)
		assert.GreaterOrEqual(t, elapsed, 5*time.Second)
		assert.Less(t, elapsed, 6*time.Second)
	})
}

// TestAPIKeyNeverLeaks checks errors, log records and printed clients.
func TestAPIKeyNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mock := newMockClient(t, WithLogger(logger), WithMaxRetries(1))
	mock.RegisterResponder("GET", custURL+"/x", status(401, map[string]any{"code": "unauthorized", "message": "bad key"}))
	mock.RegisterResponder("GET", custURL+"/y", netError)
	mock.RegisterResponder("GET", custURL, status(500, nil))

	var errs []error
	_, err := c.Customers.Get(context.Background(), "x")
	errs = append(errs, err)
	_, err = c.Customers.Get(context.Background(), "y")
	errs = append(errs, err)
	_, err = c.Customers.List(context.Background(), &ListCustomersParams{Search: "bob@example.com"})
	errs = append(errs, err)
	for _, err := range errs {
		require.Error(t, err)
		assert.NotContains(t, err.Error(), testKey)
		assert.NotContains(t, fmt.Sprintf("%+v", err), testKey)
	}
	assert.NotContains(t, errs[2].Error(), "bob@example.com", "errors hold no query strings")

	require.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), testKey)
	assert.NotContains(t, logs.String(), "bob@example.com", "logs hold no query strings")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, c), testKey, verb)
		assert.NotContains(t, fmt.Sprintf(verb, *c), testKey, verb)
		assert.NotContains(t, fmt.Sprintf(verb, c.Customers), testKey, verb)
		assert.NotContains(t, fmt.Sprintf(verb, *c.Customers), testKey, verb)
		assert.NotContains(t, fmt.Sprintf(verb, []any{c, c.Customers}), testKey, verb)
	}
	assert.Contains(t, fmt.Sprintf("%+v", c), "redacted")
	js, _ := json.Marshal(c)
	assert.NotContains(t, string(js), testKey)
}

func TestLogRecordPerAttempt(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mock := newMockClient(t, WithLogger(logger))
	mock.RegisterResponder("POST", custURL, answers(status(503, nil), okCustomer).responder)
	_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "person@example.com", Address: &Address{Line1: "1 Secret Road", City: "Austin", PostalCode: "78701", Country: "US"}})
	require.NoError(t, err)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	for i, line := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		assert.Equal(t, "DEBUG", rec["level"])
		assert.Equal(t, "POST", rec["method"])
		assert.Equal(t, "/customers", rec["path"], "a log record names the request as Attempt.Path and errors do")
		assert.EqualValues(t, i+1, rec["attempt"])
		assert.EqualValues(t, []int{503, 200}[i], rec["status"])
		assert.Equal(t, "req_test", rec["request_id"])
		assert.Contains(t, rec, "duration")
	}
	assert.NotContains(t, logs.String(), "person@example.com")
	assert.NotContains(t, logs.String(), "Secret Road")
}

// TestRedirectDropsKeyForOtherHosts follows a real redirect between two
// loopback servers on different ports.
func TestRedirectDropsKeyForOtherHosts(t *testing.T) {
	var otherGotKey, sameGotKey atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherGotKey.Store(r.Header.Get("X-Api-Key"))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(envelope(customerJSON("cus_2", "", "b@example.com")))
	}))
	defer other.Close()
	var origin *httptest.Server
	origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/customers/away":
			http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
		case "/api/v1/customers/home":
			http.Redirect(w, r, origin.URL+"/api/v1/customers/here", http.StatusFound)
		default:
			sameGotKey.Store(r.Header.Get("X-Api-Key"))
			json.NewEncoder(w).Encode(envelope(customerJSON("cus_1", "", "a@example.com")))
		}
	}))
	defer origin.Close()

	hc := &http.Client{}
	c, err := NewClient(testKey, WithBaseURL(origin.URL), WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "away")
	require.NoError(t, err)
	assert.Equal(t, "", otherGotKey.Load(), "the key went to another host")
	_, err = c.Customers.Get(context.Background(), "home")
	require.NoError(t, err)
	assert.Equal(t, testKey, sameGotKey.Load(), "a same-origin redirect keeps the key")
	assert.Nil(t, hc.CheckRedirect, "the caller's client is not modified")
}

// countingTransport counts requests and response bodies closed.
type countingTransport struct {
	next         http.RoundTripper
	sent, closed atomic.Int32
}

type closeCounter struct {
	io.ReadCloser
	closed *atomic.Int32
}

func (c closeCounter) Close() error { c.closed.Add(1); return c.ReadCloser.Close() }

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.sent.Add(1)
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		resp.Body = closeCounter{resp.Body, &t.closed}
	}
	return resp, err
}

func TestBodiesClosedAndCallerClientUsed(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", custURL+"/ok", okCustomer)
	mock.RegisterResponder("GET", custURL+"/gone", status(404, map[string]any{"code": "not_found"}))
	mock.RegisterResponder("GET", custURL+"/flaky", answers(status(503, nil), okCustomer).responder)
	mock.RegisterResponder("GET", custURL+"/garbage", status(200, "not an envelope"))
	ct := &countingTransport{next: mock}
	c, err := NewClient(testKey, WithHTTPClient(&http.Client{Transport: ct}), WithRetryBackoff(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	for _, id := range []string{"ok", "gone", "flaky", "garbage"} {
		_, _ = c.Customers.Get(context.Background(), id)
	}
	assert.EqualValues(t, 5, ct.sent.Load(), "every request went through the caller's transport")
	assert.Equal(t, ct.sent.Load(), ct.closed.Load(), "every response body was closed")
}

// TestDefaultTransportIsCopiedNotShared: a client made without
// WithHTTPClient sends through the SDK's one copy of http.DefaultTransport
// (shared by every such Client), and leaves net/http's own, and
// http.DefaultClient, as they were.
func TestDefaultTransportIsCopiedNotShared(t *testing.T) {
	shared, ok := http.DefaultTransport.(*http.Transport)
	require.True(t, ok)
	before := shared.MaxIdleConnsPerHost
	defaultClient := *http.DefaultClient
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(envelope(customerJSON("cus_1", "u1", "a@example.com")))
	}))
	defer srv.Close()

	c, err := NewClient(testKey, WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "u1")
	require.NoError(t, err)

	own, ok := c.cfg.httpClient.Transport.(*http.Transport)
	require.True(t, ok)
	assert.NotSame(t, shared, own, "the client must not send through the shared transport")
	assert.Equal(t, 32, own.MaxIdleConnsPerHost)
	other, err := NewClient(testKey, WithBaseURL(srv.URL))
	require.NoError(t, err)
	assert.Same(t, c.cfg.httpClient, other.cfg.httpClient, "Clients without WithHTTPClient share one *http.Client")
	assert.Same(t, shared, http.DefaultTransport, "http.DefaultTransport was replaced")
	assert.Equal(t, before, shared.MaxIdleConnsPerHost, "http.DefaultTransport was modified")
	assert.True(t, reflect.DeepEqual(defaultClient, *http.DefaultClient), "http.DefaultClient was modified")
}

func TestBadSuccessBodies(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":     "<html>ok</html>",
		"null data":    `{"success":true,"data":null}`,
		"no data":      `{"success":true}`,
		"wrong shapes": `{"success":true,"data":{"id":5}}`,
		"empty":        ``,
	} {
		t.Run(name, func(t *testing.T) {
			c, mock := newMockClient(t)
			mock.RegisterResponder("GET", custURL+"/x", httpmock.NewStringResponder(200, body))
			cust, err := c.Customers.Get(context.Background(), "x")
			assert.Nil(t, cust)
			assert.ErrorIs(t, err, ErrBadResponse)
		})
	}
}

func TestPerCallOptionsOverrideOnlyThatCall(t *testing.T) {
	c, mock := newMockClient(t, WithHeader("X-Team", "billing"))
	rec := answers(okCustomer)
	mock.RegisterResponder("GET", custURL+"/x", rec.responder)

	_, err := c.Customers.Get(context.Background(), "x", WithHeader("X-Trace", "t1"), WithHeader("X-Team", "payments"))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "x")
	require.NoError(t, err)

	reqs := rec.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "t1", reqs[0].Header.Get("X-Trace"))
	assert.Equal(t, "payments", reqs[0].Header.Get("X-Team"))

	assert.Empty(t, reqs[1].Header.Get("X-Trace"), "a per-call header leaked into the client")
	assert.Equal(t, "billing", reqs[1].Header.Get("X-Team"))
}

func TestConcurrentUse(t *testing.T) {
	c, mock := newMockClient(t)
	mock.RegisterResponder("GET", custURL+"/x", okCustomer)
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			_, err := c.Customers.Get(context.Background(), "x", WithHeader("X-N", fmt.Sprint(i)), WithResponseInto(new(Response)))
			errs <- err
		}()
	}
	for range 32 {
		assert.NoError(t, <-errs)
	}
}

func TestInvalidOptionsSendNothing(t *testing.T) {
	c, mock := newMockClient(t)
	shared := map[string]Option{
		"negative retries":      WithMaxRetries(-1),
		"backoff max < initial": WithRetryBackoff(2*time.Second, time.Second),
		"zero backoff":          WithRetryBackoff(0, time.Second),
		"negative timeout":      WithTimeout(-time.Second),
		"reserved header":       WithHeader("x-api-key", "ck_other"),
		"empty header name":     WithHeader("", "v"),
	}
	calls := map[string]CallOption{
		"blank idempotency key": WithIdempotencyKey(" "),
		"nil response":          WithResponseInto(nil),
	}
	clients := map[string]ClientOption{
		"nil http client": WithHTTPClient(nil),
		"empty version":   WithAPIVersion(""),
		"http base URL":   WithBaseURL("http://commet.example.com"),
		"empty base URL":  WithBaseURL(" "),
		"nil middleware":  WithMiddleware(nil),
	}
	for name, opt := range shared {
		calls[name], clients[name] = opt, opt
		t.Run(name+" in All", func(t *testing.T) {
			err := firstErr(c.Customers.All(context.Background(), nil, opt))
			assert.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
	for name, opt := range calls {
		t.Run(name, func(t *testing.T) {
			_, err := c.Customers.Get(context.Background(), "x", opt)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			assert.NotErrorIs(t, err, ErrValidation)
		})
	}
	for name, opt := range clients {
		t.Run(name, func(t *testing.T) {
			_, err := NewClient(testKey, opt)
			assert.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
	assert.Zero(t, mock.GetTotalCallCount())
}

func TestErrNetworkIsTyped(t *testing.T) {
	c, mock := newMockClient(t, WithMaxRetries(0))
	mock.RegisterResponder("GET", custURL+"/x", netError)
	_, err := c.Customers.Get(context.Background(), "x")
	assert.ErrorIs(t, err, ErrNetwork)
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr))
	assert.Contains(t, err.Error(), "GET /customers/x")
	assert.Contains(t, err.Error(), "connection reset")
}

// TestCertificateErrorsAreNotRetried: a server whose certificate is not
// trusted will not become trusted by retrying.
func TestCertificateErrorsAreNotRetried(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the handshake must fail before any request")
	}))
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := NewClient(testKey, WithBaseURL(srv.URL), WithLogger(logger), WithRetryBackoff(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "x")
	assert.ErrorIs(t, err, ErrNetwork)
	var unknownAuthority x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknownAuthority)
	assert.Equal(t, 1, strings.Count(logs.String(), `"attempt"`), "one attempt, no retry")
}
