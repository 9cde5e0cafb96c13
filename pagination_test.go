package commet

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pagedServer is an httpmock responder over n customers that honours limit
// and cursor (the index of the next customer), and records each request.
type pagedServer struct {
	n int
	// pageHook may rewrite a page before it is sent.
	pageHook func(page map[string]any, cursor int)

	mu      sync.Mutex
	queries []string
	headers []http.Header
}

func (s *pagedServer) respond(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.RawQuery)
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil {
		limit = 20
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		start, _ = strconv.Atoi(c)
	}
	end := min(start+limit, s.n)
	data := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		data = append(data, customerJSON(fmt.Sprintf("cus_%d", i), fmt.Sprintf("user_%d", i), "x@example.com"))
	}
	page := map[string]any{"success": true, "data": data, "hasMore": end < s.n}
	if end < s.n {
		page["nextCursor"] = strconv.Itoa(end)
	}
	if s.pageHook != nil {
		s.pageHook(page, start)
	}
	return jsonResponse(200, page), nil
}

func (s *pagedServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queries)
}

func newPaged(t *testing.T, n int, opts ...ClientOption) (*Client, *pagedServer) {
	c, mock := newMockClient(t, opts...)
	s := &pagedServer{n: n}
	mock.RegisterResponder("GET", custURL, s.respond)
	return c, s
}

func TestAllOverTenThousandCustomers(t *testing.T) {
	t.Parallel() // a mock and a client of its own
	const n = 10_000
	c, s := newPaged(t, n)
	seen := make(map[string]bool, n)
	i := 0
	for cust, err := range c.Customers.All(context.Background(), nil) {
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("cus_%d", i), cust.ID, "order")
		require.False(t, seen[cust.ID], "duplicate %s", cust.ID)
		seen[cust.ID] = true
		i++
	}
	assert.Equal(t, n, i)
	assert.Equal(t, n/100, s.requests(), "Limit 0 means pages of 100 in All")
}

func TestAllIsLazyAndRestartable(t *testing.T) {
	c, s := newPaged(t, 250)
	seq := c.Customers.All(context.Background(), &ListCustomersParams{Limit: 100})
	assert.Zero(t, s.requests(), "nothing is fetched until the loop runs")

	count := func() (n int) {
		for _, err := range seq {
			require.NoError(t, err)
			n++
		}
		return n
	}
	assert.Equal(t, 250, count())
	assert.Equal(t, 250, count(), "ranging again starts over")
	assert.Equal(t, 6, s.requests())
	assert.Equal(t, "limit=100", s.queries[3], "the second walk starts from the first page")
}

func TestAllStopsFetchingOnBreak(t *testing.T) {
	c, s := newPaged(t, 1000)
	n := 0
	for _, err := range c.Customers.All(context.Background(), &ListCustomersParams{Limit: 10}) {
		require.NoError(t, err)
		if n++; n == 15 {
			break
		}
	}
	assert.Equal(t, 2, s.requests())
}

func TestAllKeepsGoingPastEmptyPages(t *testing.T) {
	c, s := newPaged(t, 30)
	s.pageHook = func(page map[string]any, start int) {
		if start == 10 { // a page emptied by a filter, with more to come
			page["data"] = []any{}
		}
	}
	n := 0
	for _, err := range c.Customers.All(context.Background(), &ListCustomersParams{Limit: 10}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 20, n)
	assert.Equal(t, 3, s.requests())
}

func TestAllYieldsAnErrorOnceAndStops(t *testing.T) {
	c, mock := newMockClient(t, WithMaxRetries(0))
	s := &pagedServer{n: 100}
	calls := 0
	mock.RegisterResponder("GET", custURL, func(r *http.Request) (*http.Response, error) {
		if calls++; calls == 2 {
			return jsonResponse(500, map[string]any{"code": "server_error"}), nil
		}
		return s.respond(r)
	})
	var got, errs int
	for cust, err := range c.Customers.All(context.Background(), &ListCustomersParams{Limit: 10}) {
		if err != nil {
			assert.Nil(t, cust)
			assert.ErrorIs(t, err, ErrServer)
			errs++
			continue // a loop that ignores the error must still end
		}
		got++
	}
	assert.Equal(t, 10, got)
	assert.Equal(t, 1, errs)
	assert.Equal(t, 2, calls)
}

func TestAllRefusesBrokenPagination(t *testing.T) {
	cases := map[string]struct {
		hook     func(page map[string]any, start int)
		requests int // the walk stops as soon as the server's paging breaks
	}{
		"a cursor repeated at once": {func(page map[string]any, start int) {
			if start == 10 {
				page["nextCursor"] = "10"
			}
		}, 2},
		"a cursor cycle": {func(page map[string]any, start int) {
			if start == 30 {
				page["nextCursor"] = "10"
			}
		}, 4},
		"back to the first cursor": {func(page map[string]any, start int) {
			if start == 20 {
				page["nextCursor"] = "0"
			}
		}, 3},
		"hasMore without a cursor": {func(page map[string]any, start int) {
			if start == 10 {
				delete(page, "nextCursor")
			}
		}, 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newPaged(t, 100)
			s.pageHook = tc.hook
			var errs int
			for _, err := range c.Customers.All(context.Background(), &ListCustomersParams{Limit: 10, Cursor: "0"}) {
				if err != nil {
					assert.ErrorIs(t, err, ErrPagination)
					errs++
				}
			}
			assert.Equal(t, 1, errs)
			assert.Equal(t, tc.requests, s.requests())
		})
	}
}

func TestAllDoesNotMutateParamsAndPassesOptions(t *testing.T) {
	c, s := newPaged(t, 45)
	active := true
	params := &ListCustomersParams{Limit: 20, Cursor: "5", Search: "x", IsActive: &active}
	before := *params
	n := 0
	for _, err := range c.Customers.All(context.Background(), params, WithHeader("X-Export", "run-1"), WithTimeout(time.Minute)) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 40, n, "starts at the caller's cursor")
	assert.Equal(t, before, *params)
	assert.True(t, *params.IsActive)
	require.Equal(t, 2, s.requests())
	for i, h := range s.headers {
		assert.Equal(t, "run-1", h.Get("X-Export"), "page %d", i)
	}
	assert.Equal(t, "cursor=5&isActive=true&limit=20&search=x", s.queries[0])
	assert.Equal(t, "cursor=25&isActive=true&limit=20&search=x", s.queries[1])
}

func TestPagesExposeCursors(t *testing.T) {
	c, _ := newPaged(t, 25)
	var cursors []string
	var sizes []int
	for page, err := range c.Customers.Pages(context.Background(), &ListCustomersParams{Limit: 10}) {
		require.NoError(t, err)
		cursors = append(cursors, page.NextCursor)
		sizes = append(sizes, len(page.Data))
	}
	assert.Equal(t, []string{"10", "20", ""}, cursors)
	assert.Equal(t, []int{10, 10, 5}, sizes)

	// Resuming from a cursor gives the rest.
	n := 0
	for _, err := range c.Customers.All(context.Background(), &ListCustomersParams{Limit: 10, Cursor: cursors[0]}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 15, n)
}

// TestHostileAllEndsAgainstEndlessEmptyPages: a server that answers empty pages
// with hasMore and a fresh cursor forever would keep All sending requests
// while the loop body never runs, so the caller could not even break.
func TestHostileAllEndsAgainstEndlessEmptyPages(t *testing.T) {
	c, mock := newMockClient(t)
	var n atomic.Int64
	mock.RegisterResponder("GET", custURL, func(*http.Request) (*http.Response, error) {
		i := n.Add(1)
		if i > 10_000 {
			return nil, fmt.Errorf("still paging after %d requests", i)
		}
		return jsonResponse(200, map[string]any{"success": true, "data": []any{}, "hasMore": true,
			"nextCursor": fmt.Sprintf("c%d", i)}), nil
	})
	bodies := 0
	var last error
	for _, err := range c.Customers.All(context.Background(), nil) {
		if err != nil {
			last = err
			break
		}
		bodies++
	}
	assert.Zero(t, bodies)
	require.ErrorIs(t, last, ErrPagination)
	assert.Contains(t, last.Error(), "empty")
	assert.LessOrEqual(t, n.Load(), int64(maxEmptyPages+1), "a bounded number of requests")
}

// TestHostileAllKeepsGoingPastSomeEmptyPages: a few empty pages (a filter that
// matched nothing in a stretch) are not an error.
func TestHostileAllKeepsGoingPastSomeEmptyPages(t *testing.T) {
	c, s := newPaged(t, 40)
	s.pageHook = func(page map[string]any, start int) {
		if start > 0 && start < 30 {
			page["data"] = []any{}
		}
	}
	n := 0
	for _, err := range c.Customers.All(context.Background(), &ListCustomersParams{Limit: 1}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 11, n, "the first and the last ten customers")
}

// TestHostileAllRefusesAHugeCursor: a cursor is sent back in the URL; one the
// size of a page of data is not a cursor.
func TestHostileAllRefusesAHugeCursor(t *testing.T) {
	c, mock := newMockClient(t)
	var n atomic.Int32
	mock.RegisterResponder("GET", custURL, func(*http.Request) (*http.Response, error) {
		n.Add(1)
		return jsonResponse(200, map[string]any{"success": true, "hasMore": true,
			"data": []any{customerJSON("cus_1", "u1", "a@example.com")}, "nextCursor": strings.Repeat("c", 1<<20)}), nil
	})
	var last error
	for _, err := range c.Customers.All(context.Background(), nil) {
		last = err
	}
	assert.ErrorIs(t, last, ErrPagination)
	assert.Less(t, len(last.Error()), 300, "the cursor is not printed whole")
	assert.EqualValues(t, 1, n.Load())
}
