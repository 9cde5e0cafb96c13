package commet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

	var results []CustomerImportResult
	_, err = c.Customers.Import(ctx, people(3, 0), &ImportCustomersParams{OnResult: func(r CustomerImportResult) { results = append(results, r) }})
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
		OnResult: func(r CustomerImportResult) { failed = append(failed, r.Err) },
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
