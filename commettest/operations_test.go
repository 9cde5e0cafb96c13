package commettest

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seed(t *testing.T, srv *Server, n int) {
	t.Helper()
	for i := range n {
		r := call(t, srv, "POST", "/api/v1/customers", map[string]any{
			"billingEmail": fmt.Sprintf("user%d@example.com", i), "externalId": fmt.Sprintf("user_%d", i),
			"fullName": fmt.Sprintf("Person %d", i),
		})
		require.Equal(t, 201, r.Status)
	}
}

func listIDs(r reply) []string {
	var ids []string
	for _, c := range r.Body["data"].([]any) {
		ids = append(ids, c.(map[string]any)["externalId"].(string))
	}
	return ids
}

func TestListPagesInCreationOrder(t *testing.T) {
	srv := newServer(t)
	seed(t, srv, 45)
	var all []string
	cursor := ""
	pages := 0
	for {
		q := url.Values{"limit": {"20"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := call(t, srv, "GET", "/api/v1/customers?"+q.Encode(), nil)
		require.Equal(t, 200, r.Status)
		pages++
		all = append(all, listIDs(r)...)
		if r.Body["hasMore"] != true {
			assert.Equal(t, false, r.Body["hasMore"], "hasMore is always present")
			assert.NotContains(t, r.Body, "nextCursor", "no cursor on the last page")
			break
		}
		cursor = r.Body["nextCursor"].(string)
		assert.NotContains(t, cursor, "user_", "cursors are opaque")
	}
	assert.Equal(t, 3, pages)
	require.Len(t, all, 45)
	for i, id := range all {
		assert.Equal(t, fmt.Sprintf("user_%d", i), id)
	}
}

func TestListExactlyFullLastPageHasNoMore(t *testing.T) {
	srv := newServer(t)
	seed(t, srv, 20)
	r := call(t, srv, "GET", "/api/v1/customers?limit=10", nil)
	assert.Equal(t, true, r.Body["hasMore"])
	r = call(t, srv, "GET", "/api/v1/customers?limit=10&cursor="+r.Body["nextCursor"].(string), nil)
	assert.Len(t, listIDs(r), 10)
	assert.Equal(t, false, r.Body["hasMore"])
}

func TestListDefaultLimitAndBounds(t *testing.T) {
	srv := newServer(t)
	seed(t, srv, DefaultListLimit+5)
	r := call(t, srv, "GET", "/api/v1/customers", nil)
	assert.Len(t, listIDs(r), DefaultListLimit)
	assert.Len(t, listIDs(call(t, srv, "GET", "/api/v1/customers?limit=100", nil)), DefaultListLimit+5)
	assert.Len(t, listIDs(call(t, srv, "GET", "/api/v1/customers?limit=1", nil)), 1)
	for _, bad := range []string{"limit=0", "limit=101", "limit=-1", "limit=ten", "isActive=yes", "cursor=garbage", "cursor=" + encodeCursor(999)} {
		r := call(t, srv, "GET", "/api/v1/customers?"+bad, nil)
		assert.Equal(t, 400, r.Status, bad)
		assert.Equal(t, "validation_error", r.Body["code"], bad)
		assert.Equal(t, []string{strings.Split(bad, "=")[0]}, fieldsOf(r), bad)
	}
}

func TestListFilters(t *testing.T) {
	srv := newServer(t)
	seed(t, srv, 30)
	for _, id := range []string{"user_3", "user_13", "user_23"} {
		require.Equal(t, 200, call(t, srv, "PUT", "/api/v1/customers/"+id, map[string]any{"isActive": false}).Status)
	}
	archived := call(t, srv, "GET", "/api/v1/customers?isActive=false", nil)
	assert.Equal(t, []string{"user_3", "user_13", "user_23"}, listIDs(archived))
	active := call(t, srv, "GET", "/api/v1/customers?isActive=true&limit=100", nil)
	assert.Len(t, listIDs(active), 27)

	assert.Equal(t, []string{"user_7"}, listIDs(call(t, srv, "GET", "/api/v1/customers?search=USER7%40", nil)), "email, any case")
	assert.Equal(t, []string{"user_21"}, listIDs(call(t, srv, "GET", "/api/v1/customers?search=person+21", nil)), "name")
	assert.Equal(t, []string{"user_2", "user_20", "user_21", "user_22", "user_23", "user_24", "user_25", "user_26", "user_27", "user_28", "user_29"},
		listIDs(call(t, srv, "GET", "/api/v1/customers?search=user_2", nil)), "external ID")

	// Filters page too: 11 matches in pages of 4.
	var got []string
	cursor := ""
	for {
		q := url.Values{"limit": {"4"}, "search": {"user_2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := call(t, srv, "GET", "/api/v1/customers?"+q.Encode(), nil)
		got = append(got, listIDs(r)...)
		if r.Body["hasMore"] != true {
			break
		}
		cursor = r.Body["nextCursor"].(string)
	}
	assert.Len(t, got, 11)
}

func TestListCursorSeesLaterCustomers(t *testing.T) {
	srv := newServer(t)
	seed(t, srv, 3)
	r := call(t, srv, "GET", "/api/v1/customers?limit=2", nil)
	cursor := r.Body["nextCursor"].(string)
	call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "late@example.com", "externalId": "late"})
	r = call(t, srv, "GET", "/api/v1/customers?limit=2&cursor="+cursor, nil)
	assert.Equal(t, []string{"user_2", "late"}, listIDs(r))
}

func batchOf(n int) []map[string]any {
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{"billingEmail": fmt.Sprintf("b%d@example.com", i), "externalId": fmt.Sprintf("b_%d", i)}
	}
	return items
}

func TestBatch(t *testing.T) {
	srv := newServer(t)
	items := batchOf(100)
	items[42]["billingEmail"] = "broken"
	r := call(t, srv, "POST", "/api/v1/customers/batch", map[string]any{"customers": items})
	require.Equal(t, 200, r.Status, string(r.Raw))
	d := data(r)
	successful, failed := d["successful"].([]any), d["failed"].([]any)
	assert.Len(t, successful, 99)
	require.Len(t, failed, 1)
	f := failed[0].(map[string]any)
	assert.EqualValues(t, 42, f["index"])
	assert.Contains(t, f["error"], "billingEmail")
	assert.Equal(t, "broken", f["data"].(map[string]any)["billingEmail"])
	assert.Equal(t, "b_43", successful[42].(map[string]any)["externalId"], "successful keeps input order")
	assert.Equal(t, 99, srv.Len())

	// Existing IDs, also one repeated inside the batch, come back as they are.
	again := []map[string]any{items[0], {"billingEmail": "new@example.com", "externalId": "fresh"}, {"billingEmail": "x@example.com", "externalId": "fresh"}}
	r = call(t, srv, "POST", "/api/v1/customers/batch", map[string]any{"customers": again})
	s := data(r)["successful"].([]any)
	require.Len(t, s, 3)
	assert.Equal(t, successful[0], s[0])
	assert.Equal(t, s[1], s[2])
	assert.Equal(t, 100, srv.Len())

	// An item that is not an object fails alone.
	r = call(t, srv, "POST", "/api/v1/customers/batch", `{"customers":[5,{"billingEmail":"ok@example.com"}]}`)
	require.Len(t, data(r)["failed"].([]any), 1)
	assert.Equal(t, map[string]any{"index": 0.0, "error": "The item must be a JSON object", "code": "invalid_json",
		"details": []any{}, "data": 5.0}, data(r)["failed"].([]any)[0])
	assert.Len(t, data(r)["successful"].([]any), 1)
}

func TestBatchFailureNamesEveryFieldError(t *testing.T) {
	srv := newServer(t)
	item := map[string]any{"billingEmail": "nope", "timezone": "Mars/Base",
		"address": map[string]any{"line1": "1 Rd", "city": "Austin", "postalCode": "78701", "country": "USA"}}
	r := call(t, srv, "POST", "/api/v1/customers/batch", map[string]any{"customers": []any{item}})
	require.Equal(t, 200, r.Status)
	failed := data(r)["failed"].([]any)
	require.Len(t, failed, 1)
	assert.Equal(t, map[string]any{
		"index": 0.0,
		"error": "billingEmail: Invalid email format; timezone: Unknown IANA timezone; address.country: Must be an ISO 3166-1 alpha-2 code",
		"code":  "validation_error",
		"details": []any{
			map[string]any{"field": "billingEmail", "message": "Invalid email format"},
			map[string]any{"field": "timezone", "message": "Unknown IANA timezone"},
			map[string]any{"field": "address.country", "message": "Must be an ISO 3166-1 alpha-2 code"},
		},
		"data": item,
	}, failed[0])
}

func TestBatchSizeAndShape(t *testing.T) {
	srv := newServer(t)
	for name, body := range map[string]any{
		"empty":    map[string]any{"customers": []any{}},
		"over 100": map[string]any{"customers": batchOf(101)},
	} {
		r := call(t, srv, "POST", "/api/v1/customers/batch", body)
		assert.Equal(t, 400, r.Status, name)
		assert.Equal(t, []string{"customers"}, fieldsOf(r), name)
	}
	for _, body := range []string{`{}`, `[]`, `{"customers":{}}`, `{"customers":`} {
		r := call(t, srv, "POST", "/api/v1/customers/batch", body)
		assert.Equal(t, 400, r.Status, body)
		assert.Equal(t, "invalid_json", r.Body["code"], body)
	}
	assert.Zero(t, srv.Len())
}

func TestConcurrentCreatesAreSafe(t *testing.T) {
	srv := newServer(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			// Half the goroutines race on the same external IDs.
			call(t, srv, "POST", "/api/v1/customers/batch", map[string]any{"customers": batchOf(10 + i%2)})
			call(t, srv, "GET", "/api/v1/customers?limit=100", nil)
		})
	}
	wg.Wait()
	assert.Equal(t, 11, srv.Len())
}
