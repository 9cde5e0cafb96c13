package commet

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAllEndsAgainstEndlessEmptyPages: a server that answers empty pages
// with hasMore and a fresh cursor forever would keep All sending requests
// while the loop body never runs, so the caller could not even break.
func TestAllEndsAgainstEndlessEmptyPages(t *testing.T) {
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

// TestAllKeepsGoingPastSomeEmptyPages: a few empty pages (a filter that
// matched nothing in a stretch) are not an error.
func TestAllKeepsGoingPastSomeEmptyPages(t *testing.T) {
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

// TestAllRefusesAHugeCursor: a cursor is sent back in the URL; one the
// size of a page of data is not a cursor.
func TestAllRefusesAHugeCursor(t *testing.T) {
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
