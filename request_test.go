package commet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileAnswersOverTheSizeLimit: an answer too large to read is a bad
// response that keeps its status (a huge 404 is still a 404), and it is
// never fetched again: the next answer would be just as large.
func TestHostileAnswersOverTheSizeLimit(t *testing.T) {
	huge := bytes.Repeat([]byte(" "), maxResponseBytes+10)
	for _, code := range []int{200, 404, 503} {
		c, mock := newMockClient(t)
		mock.RegisterResponder("GET", custURL+"/x", func(*http.Request) (*http.Response, error) {
			resp := httpmock.NewBytesResponse(code, huge)
			resp.Header.Set("X-Request-Id", "req_huge")
			return resp, nil
		})
		_, err := c.Customers.Get(context.Background(), "x")
		assert.ErrorIs(t, err, ErrBadResponse, "%d", code)
		assert.NotErrorIs(t, err, ErrNetwork, "%d", code)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, "%d", code)
		assert.Equal(t, code, apiErr.StatusCode)
		assert.Equal(t, "req_huge", apiErr.RequestID)
		assert.Contains(t, err.Error(), "larger than")
		assert.Equal(t, 1, mock.GetTotalCallCount(), "%d: never fetched again", code)
		if code == 404 {
			assert.ErrorIs(t, err, ErrNotFound, "a huge 404 is still a 404")
		}
	}
	// The buffer that read the huge answers is not kept for the next call.
	for range 8 {
		buf := getBuffer()
		assert.LessOrEqual(t, buf.Cap(), maxPooledBuffer)
		putBuffer(buf)
	}
}

// TestHostileAPIErrorIsOneSafeLine: a server's message reaches logs through
// Error(): it must stay one line, free of terminal escapes, and short,
// while the full text stays in Message.
func TestHostileAPIErrorIsOneSafeLine(t *testing.T) {
	long := strings.Repeat("blah ", 2000)
	for name, msg := range map[string]string{
		"newlines":      "bad\nrequest\r\nX-Injected: yes",
		"ANSI escapes":  "\x1b[31mred\x1b[0m \x1b]0;title\x07",
		"bidi override": "evil \u202egnp.exe",
		"NUL and DEL":   "a\x00b\x7fc",
		"C1 controls":   "a\u0085b\u009bc",
		"long":          long,
	} {
		t.Run(name, func(t *testing.T) {
			c, mock := newMockClient(t)
			mock.RegisterResponder("GET", custURL+"/x", status(400, map[string]any{"code": "bad\ncode", "message": msg}))
			_, err := c.Customers.Get(context.Background(), "x")
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			line := err.Error()
			assert.LessOrEqual(t, len(line), 400)
			for _, r := range line {
				assert.False(t, unicode.IsControl(r) || unicode.Is(unicode.Cf, r), "%q in %q", r, line)
			}
			assert.Equal(t, msg, apiErr.Message, "the full text is kept")
		})
	}
}

// TestHostileResponseCountsEveryRequest: Attempts counts every HTTP request,
// answered or not, and the final attempt's answer (none here) is what
// the Response describes.
func TestHostileResponseCountsEveryRequest(t *testing.T) {
	c, mock := newMockClient(t, WithMaxRetries(1))
	mock.RegisterResponder("GET", custURL+"/x", answers(status(503, nil), netError).responder)
	var resp Response
	_, err := c.Customers.Get(context.Background(), "x", WithResponseInto(&resp))
	assert.ErrorIs(t, err, ErrNetwork)
	assert.Equal(t, 2, resp.Attempts)
	assert.Zero(t, resp.StatusCode, "the last attempt got no answer")
	assert.Empty(t, resp.RequestID)

	c, mock = newMockClient(t, WithMaxRetries(2))
	mock.RegisterResponder("GET", custURL+"/x", answers(netError, status(503, nil), okCustomer).responder)
	_, err = c.Customers.Get(context.Background(), "x", WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, 3, resp.Attempts)
	assert.Equal(t, 200, resp.StatusCode)
}

// TestHostileDefaultAttemptTimeout: without WithTimeout, a hung attempt is cut
// after DefaultTimeout and retried, as the contract retries timeouts.
func TestHostileDefaultAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		var calls atomic.Int32
		mock.RegisterResponder("GET", custURL+"/x", func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				<-r.Context().Done() // a server that never answers
				return nil, r.Context().Err()
			}
			return okCustomer(r)
		})
		start := time.Now()
		_, err := c.Customers.Get(context.Background(), "x")
		require.NoError(t, err)
		assert.EqualValues(t, 2, calls.Load())
		assert.GreaterOrEqual(t, time.Since(start), DefaultTimeout)
		assert.Less(t, time.Since(start), DefaultTimeout+time.Second)

		// WithTimeout(0) lifts the limit: the context alone bounds the call.
		calls.Store(0)
		ctx, cancel := context.WithTimeout(context.Background(), 10*DefaultTimeout)
		defer cancel()
		start = time.Now()
		_, err = c.Customers.Get(ctx, "x", WithTimeout(0), WithMaxRetries(0))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 10*DefaultTimeout, time.Since(start))
	})
}

// TestHostileAttemptTimeoutIsNotTheCallersDeadline: an attempt cut by the
// per-attempt timeout is a network error, not the caller's own deadline.
func TestHostileAttemptTimeoutIsNotTheCallersDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t, WithMaxRetries(0), WithTimeout(time.Second))
		mock.RegisterResponder("GET", custURL+"/x", func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		_, err := c.Customers.Get(context.Background(), "x")
		assert.ErrorIs(t, err, ErrNetwork)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "timed out")
	})
}

// TestHostileIdempotencyInProgressIsRetried: the contract's 409
// idempotency_in_progress means "retry the same request with the same key
// after a short delay"; idempotency_key_mismatch is never retried.
func TestHostileIdempotencyInProgressIsRetried(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(status(409, map[string]any{"success": false, "code": "idempotency_in_progress", "message": "busy"}), okCustomer)
	mock.RegisterResponder("POST", custURL, rec.responder)
	_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"})
	require.NoError(t, err)
	reqs := rec.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"))

	c, mock = newMockClient(t)
	rec = answers(status(409, map[string]any{"success": false, "code": "idempotency_key_mismatch", "message": "reused"}))
	mock.RegisterResponder("POST", custURL, rec.responder)
	_, err = c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"})
	assert.ErrorIs(t, err, ErrConflict)
	assert.Len(t, rec.requests(), 1)
}

// TestHostileEveryAnswerMatchesASentinel: whatever the status, an error from an
// answer matches one of the SDK's sentinels.
func TestHostileEveryAnswerMatchesASentinel(t *testing.T) {
	for _, code := range []int{100, 204, 300, 304, 400, 402, 405, 406, 410, 411, 413, 415, 418, 422, 451, 499, 505, 599, 600, 999} {
		c, mock := newMockClient(t, WithMaxRetries(0))
		mock.RegisterResponder("GET", custURL+"/x", rawAnswer(code, `{"success":false,"code":"x","message":"y"}`))
		_, err := c.Customers.Get(context.Background(), "x")
		if code == 204 {
			assert.ErrorIs(t, err, ErrBadResponse, "a 204 has no customer")
			continue
		}
		require.Error(t, err, "%d", code)
		assert.True(t, matchesASentinel(err), "%d: %v", code, err)
	}
}

var sentinels = []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrRateLimited, ErrValidation,
	ErrBadRequest, ErrServer, ErrNetwork, ErrBadResponse, ErrPagination}

func matchesASentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// TestCallEndedBeforeItsAnswerSaysWhatWasDone: a call its context ends
// between attempts is judged by what its answers prove. Only 429s from the
// rate limiter (which refuses before any work): nothing was done, so it
// matches ErrNotSent (with the 429 and the context's error), though
// Response.Attempts counts the requests sent. A 503, a 409
// idempotency_in_progress or a lost answer may have been acted on: a write
// is an outcome unknown, a read neither. A call that gives up on 429s alone
// did nothing either.
func TestCallEndedBeforeItsAnswerSaysWhatWasDone(t *testing.T) {
	inProgress := status(409, map[string]any{"success": false, "code": "idempotency_in_progress", "message": "busy"})
	for _, tc := range []struct {
		name   string
		answer func(*http.Request) (*http.Response, error)
		get    bool
		want   []error
		not    []error
	}{
		{"429s", withRetryAfter(429, "20"), false, []error{ErrNotSent, ErrRateLimited, context.Canceled}, []error{ErrOutcomeUnknown}},
		{"429s, a read", withRetryAfter(429, "20"), true, []error{ErrNotSent, ErrRateLimited, context.Canceled}, []error{ErrOutcomeUnknown}},
		{"503s", withRetryAfter(503, "20"), false, []error{ErrOutcomeUnknown, ErrServer, context.Canceled}, []error{ErrNotSent}},
		{"503s, a read", withRetryAfter(503, "20"), true, []error{ErrServer, context.Canceled}, []error{ErrNotSent, ErrOutcomeUnknown}},
		{"409 idempotency_in_progress", inProgress, false, []error{ErrOutcomeUnknown, ErrConflict, context.Canceled}, []error{ErrNotSent}},
		{"answers lost", netError, false, []error{ErrOutcomeUnknown, context.Canceled}, []error{ErrNotSent}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, mock := newMockClient(t, WithRetryBackoff(20*time.Second, 20*time.Second))
				mock.RegisterResponder("POST", custURL, tc.answer)
				mock.RegisterResponder("GET", custURL+"/x", tc.answer)
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(5*time.Second, cancel)
				var resp Response
				var err error
				if tc.get {
					_, err = c.Customers.Get(ctx, "x", WithResponseInto(&resp))
				} else {
					_, err = c.Customers.Create(ctx, &CreateCustomerParams{Email: "a@example.com"}, WithResponseInto(&resp))
				}
				for _, want := range tc.want {
					assert.ErrorIs(t, err, want)
				}
				for _, not := range tc.not {
					assert.NotErrorIs(t, err, not)
				}
				assert.Equal(t, 1, resp.Attempts, "what was sent, whatever it proved")
			})
		})
	}
	t.Run("gave up on 429s", func(t *testing.T) {
		c, mock := newMockClient(t)
		mock.RegisterResponder("POST", custURL, withRetryAfter(429, "120")) // beyond what a call waits for
		var resp Response
		_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"}, WithResponseInto(&resp))
		assert.ErrorIs(t, err, ErrNotSent)
		assert.ErrorIs(t, err, ErrRateLimited)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown)
		assert.Equal(t, 1, resp.Attempts)
	})
	t.Run("an answer that settles the call is not an interruption", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		c, mock := newMockClient(t, WithMiddleware(func(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
			resp, err := next(req)
			cancel() // the context ends as the refusal comes back
			return resp, err
		}))
		mock.RegisterResponder("POST", custURL, status(400, map[string]any{"success": false, "code": "bad_request", "message": "no"}))
		_, err := c.Customers.Create(ctx, &CreateCustomerParams{Email: "a@example.com"})
		assert.ErrorIs(t, err, ErrBadRequest)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown)
		assert.NotErrorIs(t, err, ErrNotSent)
	})
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
		require.Len(t, rec.requests(), 2, "the 503 and its retry")
		for _, r := range rec.requests() {
			assert.Equal(t, "signup-user_1", r.Header.Get("Idempotency-Key"))
		}
	})
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

// TestContextErrorFindsAWrappedHalt: a context the SDK ended of its own
// accord gives its *haltError alone, even when the cause wraps it.
func TestContextErrorFindsAWrappedHalt(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	halt := &haltError{errors.New("commet: stopped")}
	cancel(fmt.Errorf("import: %w", halt))
	err := contextError(ctx)
	assert.Same(t, halt, err)
	assert.NotErrorIs(t, err, context.Canceled)
}

// TestHeadersStayApartWhenAMiddlewareChangesThem: the SDK's header values
// share one array; a middleware that appends to one of them (a second
// Accept, say) or changes one in place must not change another header.
func TestHeadersStayApartWhenAMiddlewareChangesThem(t *testing.T) {
	var got http.Header
	appendAll := func(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
		got = req.Header.Clone()
		req.Header["Accept"][0] = "text/html"
		got["Accept"][0] = "text/html"
		for _, name := range []string{"X-Api-Key", "Commet-Version", "User-Agent", "Accept", "Content-Type"} {
			req.Header[name] = append(req.Header[name], "extra")
			got[name] = append(got[name], "extra")
		}
		assert.Equal(t, got, req.Header)
		return next(req)
	}
	c, mock := newMockClient(t, WithMiddleware(appendAll))
	mock.RegisterResponder("POST", custURL, func(*http.Request) (*http.Response, error) {
		return jsonResponse(201, envelope(customerJSON("cus_1", "u1", "ada@example.com"))), nil
	})
	_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{ID: "u1", Email: "ada@example.com"}, WithIdempotencyKey("key-1"))
	require.NoError(t, err)
	assert.Equal(t, []string{testKey, DefaultAPIVersion, userAgent, "text/html", "application/json", "key-1"},
		[]string{got["X-Api-Key"][0], got["Commet-Version"][0], got["User-Agent"][0], got["Accept"][0], got["Content-Type"][0], got["Idempotency-Key"][0]})
}
