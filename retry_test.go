package commet

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet/internal/ratelimit"
)

// TestHostileDeadlineLandingOnARetryKeepsTheLastAnswer: an admin page with
// a 15 s deadline, Commet answering 429 Retry-After: 5 every time. The
// call ends with the context's error and the last answer, so the page can
// say "try again in 5 s"; never a bare "context deadline exceeded".
func TestHostileDeadlineLandingOnARetryKeepsTheLastAnswer(t *testing.T) {
	for _, deadline := range []time.Duration{14 * time.Second, 12 * time.Second, 7 * time.Second} {
		synctest.Test(t, func(t *testing.T) {
			c, mock := newMockClient(t)
			rec := answers(withRetryAfter(429, "5"))
			mock.RegisterResponder("GET", custURL+"/x", rec.responder)
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			_, err := c.Customers.Get(ctx, "x")
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded, deadline)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr, "%v: %v", deadline, err)
			assert.Equal(t, 5*time.Second, apiErr.RetryAfter)
			assert.LessOrEqual(t, len(rec.requests()), 4)
		})
	}
}

// TestHostileWaitOutlastingTheDeadlineEndsAtOnce: a 3 s deadline and one
// 429 asking for 5 s: Get returns at once with the answer, instead of
// sleeping 3 s to fail all the same.
func TestHostileWaitOutlastingTheDeadlineEndsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(withRetryAfter(429, "5"))
		mock.RegisterResponder("GET", custURL+"/x", rec.responder)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Customers.Get(ctx, "x")
		assert.Zero(t, time.Since(start))
		assert.ErrorIs(t, err, ErrRateLimited)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Len(t, rec.requests(), 1)
	})
}

// TestHostileNoWaitIsNeverAFastLoop: a 429 with Retry-After: 0 (or a date
// already past) forever. A single call ends after its retries, having
// waited between them; an import ends too, bounded by count and time,
// instead of sending as fast as the server answers, forever.
func TestHostileNoWaitIsNeverAFastLoop(t *testing.T) {
	for _, ask := range []string{"0", "Sat, 01 Jan 1990 00:00:00 GMT"} {
		t.Run("call "+ask, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, mock := newMockClient(t)
				rec := answers(withRetryAfter(429, ask))
				mock.RegisterResponder("GET", custURL+"/x", rec.responder)
				start := time.Now()
				_, err := c.Customers.Get(context.Background(), "x")
				assert.ErrorIs(t, err, ErrRateLimited)
				assert.Len(t, rec.requests(), DefaultMaxRetries+1)
				assert.Positive(t, time.Since(start), "it backed off")
			})
		})
		t.Run("import "+ask, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, mock := newMockClient(t, WithRetryBackoff(time.Second, 8*time.Second))
				var n atomic.Int64
				mock.RegisterResponder("POST", custURL+"/batch", func(req *http.Request) (*http.Response, error) {
					n.Add(1)
					return withRetryAfter(429, ask)(req)
				})
				start := time.Now()
				sum, err := c.Customers.Import(context.Background(), people(10, 0), &ImportCustomersParams{FailureBudget: 1})
				require.Error(t, err)
				assert.Equal(t, 10, sum.Failed)
				assert.LessOrEqual(t, n.Load(), int64(maxImport429s+1))
				assert.LessOrEqual(t, time.Since(start), importPatience+10*time.Minute)
			})
		})
	}
}

// TestHostileContextCauseStillMatchesTheContextsError: a cancel with a
// cause of the caller's matches context.Canceled and the cause, from a
// call and from Import, so the README's table holds.
func TestHostileContextCauseStillMatchesTheContextsError(t *testing.T) {
	errShutdown := errors.New("server shutting down")
	c, mock := newMockClient(t)
	mock.RegisterResponder("GET", custURL+"/x", okCustomer)
	mock.RegisterResponder("POST", custURL+"/batch", okCustomer)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errShutdown)
	_, err := c.Customers.Get(ctx, "x")
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, errShutdown)
	assert.ErrorIs(t, err, ErrNotSent, "nothing was sent")

	var results []ImportItemResult
	_, err = c.Customers.Import(ctx, people(3, 0), &ImportCustomersParams{OnResult: func(r ImportItemResult) { results = append(results, r) }})
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, errShutdown)
	require.Len(t, results, 1, "the first item read, not sent")
	assert.ErrorIs(t, results[0].Err, ErrNotSent)
	assert.ErrorIs(t, results[0].Err, errShutdown)
}

// TestSentAndLostWritesSayWhatIsKnown: a call that sent nothing matches
// ErrNotSent; a write whose answer never came matches ErrOutcomeUnknown
// (and ErrNetwork); a read whose answer never came matches neither; a
// write refused by an answer matches neither.
func TestSentAndLostWritesSayWhatIsKnown(t *testing.T) {
	c, mock := newMockClient(t)
	mock.RegisterResponder("POST", custURL, netError)
	mock.RegisterResponder("GET", custURL+"/x", netError)
	mock.RegisterResponder("PUT", custURL+"/x", status(503, nil))
	_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"})
	assert.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.ErrorIs(t, err, ErrNetwork)
	assert.NotErrorIs(t, err, ErrNotSent)
	_, err = c.Customers.Get(context.Background(), "x")
	assert.ErrorIs(t, err, ErrNetwork)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	_, err = c.Customers.Archive(context.Background(), "x")
	assert.ErrorIs(t, err, ErrServer)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	assert.NotErrorIs(t, err, ErrNotSent)

	refused := newLoopbackClient(t, nil) // nothing listens: no connection opens
	_, err = refused.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"}, WithMaxRetries(0))
	assert.ErrorIs(t, err, ErrNotSent, "a connection that never opened sent nothing: %v", err)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
}

// newLoopbackClient returns a client of a loopback listener that serve
// runs; with a nil serve the listener is closed at once, so connections
// are refused.
func newLoopbackClient(t *testing.T, serve func(net.Listener)) *Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	if serve == nil {
		ln.Close()
	} else {
		go serve(ln)
	}
	c, err := NewClient(testKey, WithBaseURL("http://"+ln.Addr().String()), WithRetryBackoff(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	return c
}

// TestHostileAttemptsCountNetHTTPResends: net/http silently re-sends a
// request that carries an Idempotency-Key when the reused connection it
// went out on turns out dead. The server receives two requests for the
// call's one attempt; Response.Attempts says 2.
func TestHostileAttemptsCountNetHTTPResends(t *testing.T) {
	var received atomic.Int64
	c := newLoopbackClient(t, func(ln net.Listener) {
		first := true
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(conn net.Conn, killSecond bool) {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(r)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					received.Add(1)
					if killSecond && n == 1 {
						return // the keep-alive connection dies under the second request, unanswered
					}
					body := `{"success":true,"data":{"id":"cus_1","billingEmail":"a@example.com","isActive":true,"createdAt":"2026-05-01T10:00:00Z"}}`
					fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				}
			}(conn, first)
			first = false
		}
	})
	params := &CreateCustomerParams{Email: "a@example.com", ID: "user_1"}
	var resp Response
	_, err := c.Customers.Create(context.Background(), params, WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, 1, resp.Attempts)
	_, err = c.Customers.Create(context.Background(), params, WithResponseInto(&resp))
	require.NoError(t, err)
	assert.EqualValues(t, 3, received.Load(), "the server saw the re-send")
	assert.Equal(t, 2, resp.Attempts, "what was really sent, re-send included")
}

// TestHostileMiddlewareReturningNothingDuringImport: a middleware that
// returns (nil, nil) makes every attempt a failure to get an answer; no
// layer of the SDK's (the pacer, the clock) dereferences it, on any
// goroutine, and nothing was sent.
func TestHostileMiddlewareReturningNothingDuringImport(t *testing.T) {
	nothing := func(*http.Request, Attempt, MiddlewareNext) (*http.Response, error) { return nil, nil }
	c, _ := newMockClient(t, WithMiddleware(nothing))
	var failed []error
	sum, err := c.Customers.Import(context.Background(), people(250, 0), &ImportCustomersParams{
		OnResult: func(r ImportItemResult) { failed = append(failed, r.Err) },
	}, WithMaxRetries(1))
	require.Error(t, err)
	assert.Equal(t, 250, sum.Failed)
	require.NotEmpty(t, failed)
	assert.ErrorIs(t, failed[0], ErrNetwork)
	assert.ErrorIs(t, failed[0], ErrNotSent, "the middleware sent nothing")
}

// TestDeprecationHeadersWarnOncePerClient: Commet marks only its legacy
// paths with Deprecation and Sunset; an answer that carries them anyway
// gives one Warn record per client, however many answers carry them.
func TestDeprecationHeadersWarnOncePerClient(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, mock := newMockClient(t, WithLogger(logger))
	mock.RegisterResponder("GET", custURL+"/x", func(req *http.Request) (*http.Response, error) {
		resp, _ := okCustomer(req)
		resp.Header.Set("Deprecation", "true")
		resp.Header.Set("Sunset", "Wed, 01 Jul 2026 00:00:00 GMT")
		return resp, nil
	})
	for range 3 {
		_, err := c.Customers.Get(context.Background(), "x")
		require.NoError(t, err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], `"level":"WARN"`)
	assert.Contains(t, lines[0], "Wed, 01 Jul 2026")
	assert.Contains(t, lines[0], `"path":"/customers/x"`)

	other, mock2 := newMockClient(t, WithLogger(logger))
	mock2.RegisterResponder("GET", custURL+"/x", okCustomer)
	_, err := other.Customers.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSpace(logs.String()), "\n"), 1, "no header, no warning")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestHostileBackoffNeverOverflows: doubling a wait must not wrap negative,
// whatever the caller asked for; the jitter would panic on it.
func TestHostileBackoffNeverOverflows(t *testing.T) {
	for _, b := range []struct{ initial, max time.Duration }{
		{time.Millisecond, math.MaxInt64},
		{time.Duration(math.MaxInt64 / 3), math.MaxInt64},
		{math.MaxInt64, math.MaxInt64},
		{1, 1},
	} {
		s := settings{}
		s.initialBackoff, s.maxBackoff = b.initial, b.max
		for n := 1; n <= 200; n++ {
			var d time.Duration
			require.NotPanics(t, func() { d = s.backoff(n) }, "%v, retry %d", b, n)
			require.Greater(t, d, time.Duration(0), "%v, retry %d", b, n)
			require.LessOrEqual(t, d, b.max, "%v, retry %d", b, n)
		}
	}
}

// TestHostileHugeBackoffEndsWithTheContext runs the overflowing configuration of
// the issue end to end: the call waits (on the fake clock) and ends with
// its context, without a panic.
func TestHostileHugeBackoffEndsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t, WithRetryBackoff(time.Millisecond, math.MaxInt64), WithMaxRetries(math.MaxInt))
		mock.RegisterResponder("GET", custURL+"/x", status(503, nil))
		ctx, cancel := context.WithTimeout(context.Background(), 1000*time.Hour)
		defer cancel()
		_, err := c.Customers.Get(ctx, "x")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, ErrServer, "the last answer is kept")
	})
}

// TestHostileRetryAfterValues: every Retry-After a server can send is read as a
// wait that is never negative, never wraps, and is the server's own value;
// one beyond the 30 s cap ends the call at once (retrying sooner than asked
// only burns the caller's time), with that value on the error.
func TestHostileRetryAfterValues(t *testing.T) {
	const maxDur = time.Duration(math.MaxInt64)
	date := func(d time.Duration) func(time.Time) string {
		return func(now time.Time) string { return now.Add(d).UTC().Format(http.TimeFormat) }
	}
	fixed := func(v string) func(time.Time) string { return func(time.Time) string { return v } }
	cases := []struct {
		name     string
		header   func(now time.Time) string
		wait     time.Duration
		valid    bool
		requests int // of a GET with 3 retries answered 429 every time
	}{
		{"0", fixed("0"), 0, true, 4},
		{"2", fixed("2"), 2 * time.Second, true, 4},
		{"30 with spaces", fixed(" 30 "), 30 * time.Second, true, 4},
		{"31", fixed("31"), 31 * time.Second, true, 1},
		{"120", fixed("120"), 120 * time.Second, true, 1},
		{"largest in range", fixed("9223372036"), 9223372036 * time.Second, true, 1},
		{"just beyond a Duration", fixed("9223372037"), maxDur, true, 1},
		{"MaxInt64", fixed("9223372036854775807"), maxDur, true, 1},
		{"beyond int64", fixed("99999999999999999999999"), maxDur, true, 1},
		{"negative", fixed("-1"), 0, false, 1},
		{"fraction", fixed("1.5"), 0, false, 1},
		{"exponent", fixed("1e3"), 0, false, 1},
		{"plus sign", fixed("+5"), 0, false, 1},
		{"empty", fixed(""), 0, false, 1},
		{"word", fixed("soon"), 0, false, 1},
		{"date in 10 s", date(10 * time.Second), 10 * time.Second, true, 4},
		{"date in the past", date(-time.Hour), 0, true, 4},
		{"date in an hour", date(time.Hour), time.Hour, true, 1},
		{"year 9999", fixed("Fri, 31 Dec 9999 23:59:59 GMT"), -1, true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
			wait, ok := ratelimit.ParseRetryAfter(tc.header(now), now)
			assert.Equal(t, tc.valid, ok)
			if tc.wait >= 0 {
				assert.Equal(t, tc.wait, wait)
			} else {
				assert.Equal(t, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Sub(now), wait)
			}

			synctest.Test(t, func(t *testing.T) {
				c, mock := newMockClient(t, WithMaxRetries(3))
				rec := answers(withRetryAfter(429, tc.header(time.Now())))
				mock.RegisterResponder("GET", custURL+"/x", rec.responder)
				start := time.Now()
				_, err := c.Customers.Get(context.Background(), "x")
				assert.ErrorIs(t, err, ErrRateLimited)
				assert.Len(t, rec.requests(), tc.requests)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				if tc.requests == 1 {
					assert.Zero(t, time.Since(start), "the call ends at once")
				}
				if tc.valid && tc.wait > maxRetryAfter {
					assert.Equal(t, tc.wait, apiErr.RetryAfter, "the server's own value, for the caller to pass on")
				}
			})
		})
	}
}

// TestHostileLongRetryAfterOnA503: the cap applies to every retryable answer.
func TestHostileLongRetryAfterOnA503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		rec := answers(withRetryAfter(503, "120"))
		mock.RegisterResponder("GET", custURL+"/x", rec.responder)
		_, err := c.Customers.Get(context.Background(), "x")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 120*time.Second, apiErr.RetryAfter)
		assert.Len(t, rec.requests(), 1)
	})
}

// TestHostileOutOfRangeSettingsAreRefused: counts and sizes a caller gives are
// checked when given.
func TestHostileOutOfRangeSettingsAreRefused(t *testing.T) {
	ctx := context.Background()
	c, mock := newMockClient(t)
	for name, call := range map[string]func() error{
		"List limit MaxInt": func() error { _, err := c.Customers.List(ctx, &ListCustomersParams{Limit: math.MaxInt}); return err },
		"List limit MinInt": func() error { _, err := c.Customers.List(ctx, &ListCustomersParams{Limit: math.MinInt}); return err },
		"All limit MaxInt":  func() error { return firstErr(c.Customers.All(ctx, &ListCustomersParams{Limit: math.MaxInt})) },
		"huge backoff pair": func() error {
			_, err := c.Customers.Get(ctx, "x", WithRetryBackoff(math.MaxInt64, time.Second))
			return err
		},
		"negative timeout": func() error { _, err := c.Customers.Get(ctx, "x", WithTimeout(math.MinInt64)); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			assert.Error(t, err)
		})
	}
	assert.Zero(t, mock.GetTotalCallCount())
}

// TestHostileImportWaitsOutEveryKindOf429: a 429 that sends RateLimit-*
// but no Retry-After (Remaining: 0 and a Reset) is the rate limiter too,
// and a batch asked to wait longer than Import's longest wait (20 minutes)
// waits with the others instead of failing at once: neither is counted,
// and every item is created.
func TestHostileImportWaitsOutEveryKindOf429(t *testing.T) {
	for name, limited := range map[string]func() *http.Response{
		"RateLimit-Remaining 0 and a reset": func() *http.Response {
			resp := jsonResponse(429, map[string]any{"success": false, "code": "rate_limited", "message": "slow down"})
			resp.Header.Set("RateLimit-Limit", "10")
			resp.Header.Set("RateLimit-Remaining", "0")
			resp.Header.Set("RateLimit-Reset", "2")
			return resp
		},
		"the draft's RateLimit r=0 and a reset": func() *http.Response {
			resp := jsonResponse(429, map[string]any{"success": false, "code": "rate_limited", "message": "slow down"})
			resp.Header.Set("RateLimit-Policy", `"default";q=10;w=10`)
			resp.Header.Set("RateLimit", `"default";r=0;t=2`)
			return resp
		},
		"a Retry-After of 20 minutes": func() *http.Response {
			resp := jsonResponse(429, map[string]any{"success": false, "code": "rate_limited", "message": "slow down"})
			resp.Header.Set("Retry-After", "1200")
			return resp
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, s := newBatchServer(t)
				s.before = func(n int) *http.Response {
					if n <= 2 { // the first request of each of the two first batches
						return limited()
					}
					return nil
				}
				start := time.Now()
				sum, err := c.Customers.Import(context.Background(), people(500, 0), &ImportCustomersParams{FailureBudget: 1})
				assert.Less(t, time.Since(start), 11*time.Minute, "a long wait is cut to 10 minutes, for every batch at once")
				require.NoError(t, err)
				assert.Equal(t, 500, sum.Created)
				assert.Zero(t, sum.Failed)
			})
		})
	}
}

// TestHostileRetryAfterDateIsReadOnTheServersClock: a server whose clock
// runs 40 s ahead (or 10 s behind) asks for 2 s with an HTTP date. The
// date is compared with the same answer's Date, not this machine's clock,
// so the call waits 2 s: it neither ends at once asking for 42 s, nor
// retries at once.
func TestHostileRetryAfterDateIsReadOnTheServersClock(t *testing.T) {
	for _, skew := range []time.Duration{40 * time.Second, -10 * time.Second} {
		synctest.Test(t, func(t *testing.T) {
			c, mock := newMockClient(t)
			var at []time.Time
			mock.RegisterResponder("POST", custURL, func(req *http.Request) (*http.Response, error) {
				at = append(at, time.Now())
				if len(at) > 1 {
					return okCustomer(req)
				}
				server := time.Now().Add(skew)
				resp, _ := withRetryAfter(429, server.Add(2*time.Second).UTC().Format(http.TimeFormat))(req)
				resp.Header.Set("Date", server.UTC().Format(http.TimeFormat))
				return resp, nil
			})
			_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"})
			require.NoError(t, err, skew)
			require.Len(t, at, 2)
			assert.Equal(t, 2*time.Second, at[1].Sub(at[0]), skew)
		})
	}
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
		{"429 with the draft's RateLimit r=0", func(r *http.Request) (*http.Response, error) {
			resp, err := status(429, nil)(r)
			resp.Header.Set("RateLimit", `"default";r=0;t=0`)
			return resp, err
		}, true, ErrRateLimited},
		{"429 with the draft's RateLimit r=3", func(r *http.Request) (*http.Response, error) {
			resp, err := status(429, nil)(r)
			resp.Header.Set("RateLimit", `"default";r=3;t=1`)
			return resp, err
		}, false, ErrRateLimited},
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
			synctest.Test(t, func(t *testing.T) { // the waits between attempts (a 429's at least ratelimit.MinWait) on a fake clock
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
	require.Len(t, rec.requests(), 3, "the requests recorded are the attempts counted")
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
