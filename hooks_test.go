package commet

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hookKey marks the contexts a hook returned, to prove they are carried on.
type hookKey struct{}

// hookLog records what a set of Hooks saw, under a name.
type hookLog struct {
	name   string
	mu     sync.Mutex
	events []string
	ends   []hookEnd
	waits  []Wait
	marked []bool // per attempt: the request carried CallStart's context
}

type hookEnd struct {
	call   CallInfo
	resp   Response
	err    error
	marked bool
}

func (l *hookLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
}

func (l *hookLog) hooks() Hooks {
	return Hooks{
		CallStart: func(ctx context.Context, c CallInfo) context.Context {
			l.add("%s start %s %s %s", l.name, c.Operation, c.Method, c.Route)
			return context.WithValue(ctx, hookKey{}, l.name)
		},
		CallEnd: func(ctx context.Context, c CallInfo, resp Response, err error) {
			l.add("%s end %s", l.name, c.Operation)
			l.mu.Lock()
			defer l.mu.Unlock()
			l.ends = append(l.ends, hookEnd{c, resp, err, ctx.Value(hookKey{}) == l.name})
		},
		Wait: func(ctx context.Context, w Wait) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.waits = append(l.waits, w)
		},
		ImportStart: func(ctx context.Context) context.Context {
			l.add("%s import start", l.name)
			return context.WithValue(ctx, hookKey{}, "import")
		},
		ImportEnd: func(ctx context.Context, s ImportSummary, err error) {
			l.add("%s import end done=%d created=%d failed=%d err=%v import-ctx=%v", l.name, s.Done, s.Created, s.Failed, err != nil, ctx.Value(hookKey{}) == "import")
		},
		Middleware: func(req *http.Request, a Attempt, next MiddlewareNext) (*http.Response, error) {
			l.mu.Lock()
			l.marked = append(l.marked, req.Context().Value(hookKey{}) != nil)
			l.mu.Unlock()
			l.add("%s attempt %s %s %d", l.name, a.Operation, a.Route, a.Number)
			return next(req)
		},
	}
}

// TestHooksSeeEveryCall: each method is one call named by its operation
// and its route's template (never the ID), from its start to its end with
// its last answer and error; the context CallStart returns is the one the
// attempts carry and CallEnd gets; the Middleware wraps each attempt.
func TestHooksSeeEveryCall(t *testing.T) {
	l := &hookLog{name: "h"}
	c, mock := newMockClient(t, WithHooks(l.hooks()))
	mock.RegisterResponder("POST", custURL, status(201, envelope(customerJSON("cus_1", "user_1", "a@example.com"))))
	mock.RegisterResponder("GET", custURL+"/user_1", okCustomer)
	mock.RegisterResponder("PUT", custURL+"/user_1", okCustomer)
	mock.RegisterResponder("GET", custURL, status(200, map[string]any{"success": true, "data": []any{}, "hasMore": false}))
	mock.RegisterResponder("POST", custURL+"/batch", status(200, envelope(map[string]any{"successful": []any{customerJSON("cus_2", "user_2", "b@example.com")}, "failed": []any{}})))
	mock.RegisterResponder("GET", custURL+"/missing", status(404, map[string]any{"code": "not_found", "message": "no such customer"}))

	ctx := context.Background()
	_, err := c.Customers.Create(ctx, &CreateCustomerParams{ID: "user_1", Email: "a@example.com"})
	require.NoError(t, err)
	_, err = c.Customers.Get(ctx, "user_1")
	require.NoError(t, err)
	_, err = c.Customers.Update(ctx, "user_1", &UpdateCustomerParams{FullName: Ptr("Ada")})
	require.NoError(t, err)
	_, err = c.Customers.Archive(ctx, "user_1")
	require.NoError(t, err)
	_, err = c.Customers.List(ctx, nil)
	require.NoError(t, err)
	_, err = c.Customers.CreateBatch(ctx, []CreateCustomerParams{{ID: "user_2", Email: "b@example.com"}})
	require.NoError(t, err)
	_, err = c.Customers.Get(ctx, "missing")
	require.ErrorIs(t, err, ErrNotFound)

	want := []CallInfo{
		{"Customers.Create", "POST", "/customers"},
		{"Customers.Get", "GET", "/customers/{id}"},
		{"Customers.Update", "PUT", "/customers/{id}"},
		{"Customers.Archive", "PUT", "/customers/{id}"},
		{"Customers.List", "GET", "/customers"},
		{"Customers.CreateBatch", "POST", "/customers/batch"},
		{"Customers.Get", "GET", "/customers/{id}"},
	}
	require.Len(t, l.ends, len(want))
	for i, w := range want {
		e := l.ends[i]
		assert.Equal(t, w, e.call, i)
		assert.True(t, e.marked, "CallEnd gets CallStart's context (%d)", i)
		assert.Equal(t, 1, e.resp.Attempts, i)
		assert.Equal(t, "req_test", e.resp.RequestID, i)
		assert.Equal(t, fmt.Sprintf("h start %s %s %s", w.Operation, w.Method, w.Route), l.events[3*i], i)
		assert.Equal(t, fmt.Sprintf("h attempt %s %s 1", w.Operation, w.Route), l.events[3*i+1], i)
		assert.Equal(t, "h end "+w.Operation, l.events[3*i+2], i)
	}
	assert.Equal(t, 201, l.ends[0].resp.StatusCode)
	require.NoError(t, l.ends[0].err)
	assert.Equal(t, 404, l.ends[6].resp.StatusCode)
	assert.ErrorIs(t, l.ends[6].err, ErrNotFound)
	assert.Equal(t, []bool{true, true, true, true, true, true, true}, l.marked, "every attempt carries CallStart's context")
	assert.Empty(t, l.waits)
}

// TestHooksSeeRetryWaits: the wait before each retry, with its reason (a
// Retry-After the server asked for, or the backoff) and its length, and
// the number of the attempt that waits.
func TestHooksSeeRetryWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &hookLog{name: "h"}
		c, mock := newMockClient(t, WithHooks(l.hooks()), WithRetryBackoff(time.Second, time.Second))
		mock.RegisterResponder("GET", custURL+"/user_1",
			answers(withRetryAfter(429, "2"), status(503, nil), withRetryAfter(503, "0"), okCustomer).responder)
		start := time.Now()
		_, err := c.Customers.Get(context.Background(), "user_1")
		require.NoError(t, err)
		require.Len(t, l.waits, 3)
		assert.Equal(t, Wait{Reason: WaitRetryAfter, Start: start, Duration: 2 * time.Second, Attempt: 2}, l.waits[0])
		for i, w := range l.waits[1:] {
			assert.Equal(t, WaitBackoff, w.Reason, i)
			assert.Equal(t, i+3, w.Attempt)
			assert.InDelta(t, 750*time.Millisecond, w.Duration, float64(250*time.Millisecond), "a jittered backoff of 1 s")
		}
		assert.Equal(t, l.waits[1].Start.Add(l.waits[1].Duration), l.waits[2].Start, "the waits are told as they start")
		assert.Equal(t, 4, l.ends[0].resp.Attempts)
	})
}

// TestHooksSeeImport: one import from start to end with its summary; its
// batches are calls started from the import's context; the waits of
// Import's pacer are told with their length.
func TestHooksSeeImport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &hookLog{name: "h"}
		c, _ := newBatchServer(t, WithHooks(l.hooks()))
		sum, err := c.Customers.Import(context.Background(), people(3, 3), &ImportCustomersParams{BatchSize: 1, Concurrency: 1, RequestsPerSecond: 1})
		require.NoError(t, err)
		assert.Equal(t, 2, sum.Created)
		assert.Equal(t, "h import start", l.events[0])
		assert.Equal(t, "h import end done=3 created=2 failed=1 err=false import-ctx=true", l.events[len(l.events)-1])
		require.Len(t, l.ends, 2, "the item with a bad email is refused before sending")
		for _, e := range l.ends {
			assert.Equal(t, CallInfo{"Customers.CreateBatch", "POST", "/customers/batch"}, e.call)
		}
		require.Len(t, l.waits, 1, "the second batch waits its turn: 1 request per second")
		w := l.waits[0]
		assert.Equal(t, WaitPacer, w.Reason)
		assert.Equal(t, 1, w.Attempt)
		assert.InDelta(t, time.Second, w.Duration, float64(10*time.Millisecond))
	})
}

// TestHooksImportParentsItsBatches: the context of a batch's call derives
// from the one ImportStart returned.
func TestHooksImportParentsItsBatches(t *testing.T) {
	var parents []any
	var mu sync.Mutex
	c, _ := newBatchServer(t, WithHooks(Hooks{
		ImportStart: func(ctx context.Context) context.Context { return context.WithValue(ctx, hookKey{}, "import") },
		CallStart: func(ctx context.Context, _ CallInfo) context.Context {
			mu.Lock()
			defer mu.Unlock()
			parents = append(parents, ctx.Value(hookKey{}))
			return ctx
		},
	}))
	_, err := c.Customers.Import(context.Background(), people(5, 0), &ImportCustomersParams{BatchSize: 2})
	require.NoError(t, err)
	assert.Equal(t, []any{"import", "import", "import"}, parents)
}

// TestHooksInOrder: several sets of hooks start in the order given and end
// in the reverse; their middleware wrap attempts in the order given too.
func TestHooksInOrder(t *testing.T) {
	var events []string
	set := func(name string) Hooks {
		return Hooks{
			CallStart: func(ctx context.Context, _ CallInfo) context.Context {
				events = append(events, name+" start")
				return ctx
			},
			CallEnd: func(context.Context, CallInfo, Response, error) { events = append(events, name+" end") },
			Middleware: func(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
				events = append(events, name+" attempt")
				return next(req)
			},
		}
	}
	c, mock := newMockClient(t, WithHooks(set("a")), WithHooks(set("b")), WithHooks(Hooks{}))
	mock.RegisterResponder("GET", custURL+"/user_1", okCustomer)
	_, err := c.Customers.Get(context.Background(), "user_1")
	require.NoError(t, err)
	assert.Equal(t, []string{"a start", "b start", "a attempt", "b attempt", "b end", "a end"}, events)
}

// TestHooksDoNotChangeTheCall: with hooks, WithResponseInto still gets the
// last answer, and the error is the same as without.
func TestHooksDoNotChangeTheCall(t *testing.T) {
	l := &hookLog{name: "h"}
	c, mock := newMockClient(t, WithHooks(l.hooks()))
	mock.RegisterResponder("GET", custURL+"/user_1", answers(status(503, nil), okCustomer).responder)
	var resp Response
	_, err := c.Customers.Get(context.Background(), "user_1", WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, resp.Attempts, l.ends[0].resp.Attempts)
}

// TestHooksNilContextIgnored: a hook that returns a nil context (a bug)
// does not break the call or the import.
func TestHooksNilContextIgnored(t *testing.T) {
	c, s := newBatchServer(t, WithHooks(Hooks{
		CallStart:   func(context.Context, CallInfo) context.Context { return nil },
		ImportStart: func(context.Context) context.Context { return nil },
	}))
	sum, err := c.Customers.Import(context.Background(), people(3, 0), nil)
	require.NoError(t, err)
	assert.Equal(t, 3, sum.Created)
	assert.Equal(t, 3, s.count())
}

// TestHooksSeeSharedPacingWaits: a call held by the client's shared pacing
// (another call's 429 said to wait) tells the hooks of that wait, as
// Import's pacer does; without sharing there is no such wait.
func TestHooksSeeSharedPacingWaits(t *testing.T) {
	for _, shared := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			l := &hookLog{name: "h"}
			c, mock := newMockClient(t, WithHooks(l.hooks()), WithSharedPacing(shared))
			mock.RegisterResponder("GET", custURL+"/user_1", answers(withRetryAfter(429, "1"), okCustomer).responder)
			_, err := c.Customers.Get(context.Background(), "user_1", WithMaxRetries(0))
			require.ErrorIs(t, err, ErrRateLimited)
			start := time.Now()
			_, err = c.Customers.Get(context.Background(), "user_1")
			require.NoError(t, err)
			if !shared {
				assert.Empty(t, l.waits)
				return
			}
			require.Len(t, l.waits, 1)
			assert.Equal(t, Wait{Reason: WaitPacer, Start: start, Duration: time.Second, Attempt: 1}, l.waits[0])
		})
	}
}
