package commet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateBatchWire(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(status(503, nil), status(200, envelope(map[string]any{
		"successful": []any{customerJSON("cus_1", "u1", "a@x.com")},
		"failed": []any{
			map[string]any{"index": 1, "error": "billingEmail: Invalid email format", "data": map[string]any{"billingEmail": "nope"}},
			map[string]any{"index": 2, "error": map[string]any{"code": "validation_error", "message": "Invalid",
				"details": []any{map[string]any{"field": "address.country", "message": "2 letters"}}}},
		},
	})))
	mock.RegisterResponder("POST", custURL+"/batch", rec.responder)
	// Items the SDK lets through and Commet refuses.
	items := []CreateCustomerParams{{Email: "a@x.com", ID: "u1"}, {Email: "nope@x.com"}, {Email: "c@x.com", Address: &Address{Line1: "1", City: "c", PostalCode: "1", Country: "US"}}}
	res, err := c.Customers.CreateBatch(context.Background(), items)
	require.NoError(t, err)

	reqs := rec.requests()
	require.Len(t, reqs, 2)
	assert.JSONEq(t, `{"customers":[
		{"billingEmail":"a@x.com","externalId":"u1"},
		{"billingEmail":"nope@x.com"},
		{"billingEmail":"c@x.com","address":{"line1":"1","city":"c","postalCode":"1","country":"US"}}]}`, string(reqs[0].Body))
	assert.Equal(t, reqs[0].Body, reqs[1].Body)
	assert.NotEmpty(t, reqs[0].Header.Get("Idempotency-Key"))
	assert.Equal(t, reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"))

	require.Len(t, res.Successful, 1)
	assert.Equal(t, "cus_1", res.Successful[0].ID)
	require.Len(t, res.Failed, 2)
	assert.Equal(t, 1, res.Failed[0].Index)
	assert.Equal(t, "billingEmail: Invalid email format", res.Failed[0].Message)
	assert.JSONEq(t, `{"billingEmail":"nope"}`, string(res.Failed[0].Data))
	assert.Equal(t, "validation_error", res.Failed[1].Code)

	// One way to read the field errors of any item, whatever shape the
	// server gave its error in.
	var err1, err2 error = res.Failed[0], res.Failed[1]
	var ve *ValidationError
	require.ErrorAs(t, err1, &ve)
	assert.Equal(t, map[string][]string{"billingEmail": {"Invalid email format"}}, ve.Fields)
	require.ErrorAs(t, err2, &ve)
	assert.Equal(t, map[string][]string{"address.country": {"2 letters"}}, ve.Fields)
	assert.ErrorIs(t, err2, ErrValidation)
	assert.Equal(t, "commet: batch item 2 refused: Invalid", err2.Error())
}

// TestBatchResultSurvivesAJSONRoundTrip: a migration may save a batch's
// answer and read it back later.
func TestBatchResultSurvivesAJSONRoundTrip(t *testing.T) {
	var res CreateBatchResult
	require.NoError(t, json.Unmarshal([]byte(`{
		"successful": [{"id":"cus_1","organizationId":"org_1","externalId":"u1","billingEmail":"a@x.com",
			"metadata":{"plan":"pro","seats":3},"isActive":true,"createdAt":"2026-05-01T10:00:00.123Z","updatedAt":"2026-05-01T10:00:00Z"}],
		"failed": [
			{"index":1,"error":"billingEmail: Invalid email format; address.country: Required","data":{"billingEmail":"nope"}},
			{"index":2,"error":{"code":"validation_error","message":"Invalid","details":[{"field":"fullName","message":"Too long"}]}},
			{"index":3,"error":"Something else went wrong"}
		]}`), &res))
	js, err := json.Marshal(res)
	require.NoError(t, err)
	var back CreateBatchResult
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, res, back)

	var ve *ValidationError
	require.ErrorAs(t, back.Failed[0], &ve)
	assert.Equal(t, map[string][]string{"billingEmail": {"Invalid email format"}, "address.country": {"Required"}}, ve.Fields)
	require.ErrorAs(t, back.Failed[2], &ve)
	assert.Empty(t, ve.Fields, "prose is not mistaken for a field")
	assert.ErrorIs(t, back.Failed[2], ErrValidation)
}

func TestCreateBatchSizeIsCheckedBeforeSending(t *testing.T) {
	c, mock := newMockClient(t)
	for _, n := range []int{0, 101, 1000} {
		_, err := c.Customers.CreateBatch(context.Background(), make([]CreateCustomerParams, n))
		assert.ErrorIs(t, err, ErrValidation, n)
	}
	_, err := c.Customers.CreateBatch(context.Background(), nil)
	assert.ErrorIs(t, err, ErrValidation)
	assert.Zero(t, mock.GetTotalCallCount())
}

func TestCreateBatchBadAnswers(t *testing.T) {
	for name, body := range map[string]any{
		"no data":         map[string]any{"success": true},
		"null data":       map[string]any{"success": true, "data": nil},
		"empty lists":     envelope(map[string]any{"successful": []any{}, "failed": []any{}}),
		"unreadable item": envelope(map[string]any{"failed": []any{map[string]any{"index": 0, "error": 5}}}),
	} {
		t.Run(name, func(t *testing.T) {
			c, mock := newMockClient(t)
			mock.RegisterResponder("POST", custURL+"/batch", status(200, body))
			_, err := c.Customers.CreateBatch(context.Background(), []CreateCustomerParams{{Email: "a@x.com"}})
			assert.ErrorIs(t, err, ErrBadResponse)
		})
	}
}

func TestBatchItemErrorUnmarshal(t *testing.T) {
	var f BatchItemError
	require.NoError(t, json.Unmarshal([]byte(`{"index":3,"error":{"message":"m","details":"not a list"}}`), &f))
	assert.Equal(t, BatchItemError{Index: 3, Message: "m"}, f)
	assert.Error(t, json.Unmarshal([]byte(`{"index":"x"}`), &f))
	assert.False(t, errors.Is(&f, ErrServer))
}

// TestCreateBatchRefusesABadItemAlone: an item that fails a check fails
// alone, in Failed with its index in the caller's input, as Commet would
// answer it; the others are sent, and Commet's own failures are given the
// caller's indices too.
func TestCreateBatchRefusesABadItemAlone(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(status(200, envelope(map[string]any{
		"successful": []any{customerJSON("cus_1", "u0", "a@example.com")},
		"failed":     []any{map[string]any{"index": 1, "error": "billingEmail: Email domain not allowed"}},
	})))
	mock.RegisterResponder("POST", custURL+"/batch", rec.responder)
	items := []CreateCustomerParams{
		{Email: "a@example.com", ID: "u0"},
		{ID: "u1"}, // no email
		{Email: "c@blocked.example", ID: "u2"},
		{Email: "d@example.com", ID: "u3", Timezone: "Local", Address: &Address{Line1: "1", City: "c", PostalCode: "p", Country: "UK"}},
	}
	res, err := c.Customers.CreateBatch(context.Background(), items)
	require.NoError(t, err)

	reqs := rec.requests()
	require.Len(t, reqs, 1)
	assert.JSONEq(t, `{"customers":[{"billingEmail":"a@example.com","externalId":"u0"},{"billingEmail":"c@blocked.example","externalId":"u2"}]}`,
		string(reqs[0].Body), "only the items that pass are sent")

	require.Len(t, res.Successful, 1)
	require.Len(t, res.Failed, 3)
	assert.Equal(t, []int{1, 2, 3}, []int{res.Failed[0].Index, res.Failed[1].Index, res.Failed[2].Index}, "indices in the caller's input, in order")
	var ve *ValidationError
	require.ErrorAs(t, res.Failed[0], &ve)
	assert.Equal(t, map[string][]string{"billingEmail": {"is required"}}, ve.Fields, "wire names, as Commet gives them")
	assert.Equal(t, "validation_error", res.Failed[0].Code)
	assert.Equal(t, "billingEmail: is required", res.Failed[0].Message)
	assert.JSONEq(t, `{"billingEmail":"","externalId":"u1"}`, string(res.Failed[0].Data))
	assert.Equal(t, "Email domain not allowed", res.Failed[1].fields["billingEmail"][0], "Commet's failure, at its input index")
	require.ErrorAs(t, res.Failed[2], &ve)
	assert.ElementsMatch(t, []string{"timezone", "address.country"}, slices.Collect(maps.Keys(ve.Fields)))
	assert.ErrorIs(t, res.Failed[2], ErrValidation)
}

// TestCreateBatchOfBadItemsSendsNothing: when every item fails its check,
// nothing is sent, and the result holds them all, with no error, as
// Commet's answer would.
func TestCreateBatchOfBadItemsSendsNothing(t *testing.T) {
	c, mock := newMockClient(t)
	res, err := c.Customers.CreateBatch(context.Background(), []CreateCustomerParams{{Email: "nope"}, {Email: "ada@example"}})
	require.NoError(t, err)
	assert.Zero(t, mock.GetTotalCallCount())
	assert.Empty(t, res.Successful)
	assert.NotNil(t, res.Successful, "an empty list, as on the wire")
	require.Len(t, res.Failed, 2)
	assert.Equal(t, 1, res.Failed[1].Index)
	assert.ErrorIs(t, res.Failed[1], ErrValidation)
}

// TestCreateBatchSizeMessageReadsWell: only a batch that cannot be one is
// refused whole.
func TestCreateBatchSizeMessageReadsWell(t *testing.T) {
	c, _ := newMockClient(t)
	_, err := c.Customers.CreateBatch(context.Background(), make([]CreateCustomerParams, 101))
	assert.EqualError(t, err, "commet: invalid request: customers must hold 1 to 100 items, not 101 (Import sends any number, in batches)")
}

// sizeLimitedBatches answers batch requests as a server whose body limit
// is limit bytes: 413 payload_too_large above it, else every item created
// (an item with the externalId "lost" has its request's every answer
// lost). It keeps each request's Idempotency-Key and item count.
type sizeLimitedBatches struct {
	limit int
	mu    sync.Mutex
	keys  []string
	sizes []int
}

func (s *sizeLimitedBatches) respond(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, int64(s.limit)+1)) // as a server reads: no further than its limit
	var req struct {
		Customers []CreateCustomerParams `json:"customers"`
	}
	s.mu.Lock()
	s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
	s.mu.Unlock()
	if len(body) > s.limit {
		return jsonResponse(413, map[string]any{"success": false, "code": "payload_too_large", "message": "The request body is too large"}), nil
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return jsonResponse(400, map[string]any{"success": false, "code": "invalid_json", "message": "bad"}), nil
	}
	s.mu.Lock()
	s.sizes = append(s.sizes, len(req.Customers))
	s.mu.Unlock()
	created := []any{}
	for i, c := range req.Customers {
		if c.ID == "lost" {
			return nil, errors.New("connection reset by peer")
		}
		created = append(created, customerJSON(fmt.Sprintf("cus_%d", i), c.ID, c.Email))
	}
	return jsonResponse(200, envelope(map[string]any{"successful": created, "failed": []any{}})), nil
}

func hundred() []CreateCustomerParams {
	items := make([]CreateCustomerParams, 100)
	for i := range items {
		items[i] = CreateCustomerParams{Email: fmt.Sprintf("u%d@example.com", i), ID: fmt.Sprintf("u%d", i)}
	}
	return items
}

// TestCreateBatchSplitsAround413: one 5 MB name in a batch of 100 no
// longer sinks the other 99. A batch answered 413 is halved until the item
// at fault fails alone, saying it is too large; the rest is created, in
// about 2·log2(100) requests, each with its own Idempotency-Key.
func TestCreateBatchSplitsAround413(t *testing.T) {
	c, mock := newMockClient(t)
	srv := &sizeLimitedBatches{limit: 64 << 10}
	mock.RegisterResponder("POST", custURL+"/batch", srv.respond)
	items := hundred()
	// Two items too large, so that halving is needed (one would be sent
	// alone at once): 100 KB names against a 64 KiB limit, as 5 MB ones
	// against 4 MiB, cheaper.
	items[57].FullName = strings.Repeat("x", 100<<10)
	items[3].FullName = strings.Repeat("y", 100<<10)

	res, err := c.Customers.CreateBatch(context.Background(), items, WithIdempotencyKey("job-42"))
	require.NoError(t, err)
	var want []string
	for i := range 100 {
		if i != 3 && i != 57 {
			want = append(want, fmt.Sprintf("u%d", i))
		}
	}
	var got []string
	for _, cust := range res.Successful {
		got = append(got, cust.ExternalID)
	}
	assert.Equal(t, want, got, "the 98 others, in input order")
	require.Len(t, res.Failed, 2)
	assert.Equal(t, 3, res.Failed[0].Index)
	f := res.Failed[1]
	assert.Equal(t, 57, f.Index)
	assert.Equal(t, "payload_too_large", f.Code)
	assert.Contains(t, f.Error(), "too large")
	var apiErr *APIError
	require.ErrorAs(t, f, &apiErr, "the 413 itself, with its request ID")
	assert.Equal(t, 413, apiErr.StatusCode)
	assert.ErrorIs(t, f, ErrValidation, "the item's data is refused")

	assert.LessOrEqual(t, len(srv.keys), 1+2*2*7, "at most two requests per halving, log2(100) of them, for each item too large")
	t.Logf("%d requests", len(srv.keys))
	assert.Equal(t, "job-42", srv.keys[0], "the caller's key is the first request's")
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(srv.keys))), len(srv.keys), "every request its own key")

	// The same call again, with the same key: every request has the same key
	// as before (derived from the caller's and the items' positions), so
	// Commet replays its first answers and creates nothing twice.
	first := slices.Clone(srv.keys)
	srv.keys = nil
	_, err = c.Customers.CreateBatch(context.Background(), items, WithIdempotencyKey("job-42"))
	require.NoError(t, err)
	assert.Equal(t, first, srv.keys)

	// Without a key of the caller's, every request gets a random one.
	srv.keys = nil
	_, err = c.Customers.CreateBatch(context.Background(), items)
	require.NoError(t, err)
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(srv.keys))), len(srv.keys))
	assert.Empty(t, slices.DeleteFunc(slices.Clone(srv.keys), func(k string) bool { return !slices.Contains(first, k) }))
}

// TestCreateBatchSplitKeepsAnUnknownOutcomeToItsHalf: after a split, a
// request whose answer is lost leaves its own items unknown, and only
// them.
func TestCreateBatchSplitKeepsAnUnknownOutcomeToItsHalf(t *testing.T) {
	c, mock := newMockClient(t, WithMaxRetries(1))
	srv := &sizeLimitedBatches{limit: 64 << 10}
	mock.RegisterResponder("POST", custURL+"/batch", srv.respond)
	items := hundred()
	items[10].FullName = strings.Repeat("x", 100<<10) // splits the batch
	items[80].ID = "lost"                             // its request's answers are lost

	res, err := c.Customers.CreateBatch(context.Background(), items)
	require.NoError(t, err)
	unknown := map[int]bool{}
	for _, f := range res.Failed {
		if errors.Is(f, ErrOutcomeUnknown) {
			unknown[f.Index] = true
			assert.NotErrorIs(t, f, ErrValidation)
		}
	}
	assert.Contains(t, unknown, 80)
	assert.NotContains(t, unknown, 10)
	// The parts: items 0 to 9 (created), 10 alone (too large), and 11 to
	// 99, whose request's answer was lost.
	assert.Len(t, unknown, 89, "the part sent with item 80, and only it")
	for i := range unknown {
		assert.Greater(t, i, 10, "the part before the item too large was answered")
	}
	assert.Len(t, res.Successful, 10)
	assert.Equal(t, 100, len(res.Successful)+len(res.Failed), "every item accounted for")
}

// TestCreateBatchOfOneTooLargeItem: a batch of one item too large fails
// that item, as any other batch: it is not an error of the call.
func TestCreateBatchOfOneTooLargeItem(t *testing.T) {
	c, mock := newMockClient(t)
	srv := &sizeLimitedBatches{limit: 1 << 10}
	mock.RegisterResponder("POST", custURL+"/batch", srv.respond)
	res, err := c.Customers.CreateBatch(context.Background(), []CreateCustomerParams{{Email: "a@example.com", FullName: strings.Repeat("x", 2<<10)}})
	require.NoError(t, err)
	require.Len(t, res.Failed, 1)
	assert.Equal(t, "payload_too_large", res.Failed[0].Code)
	assert.Len(t, srv.keys, 1)
}

// TestOne5MBNameInABatchOf100: the case as it was met, one 5 MB
// name in a batch of 100 against a 4 MiB limit (commettest's default).
func TestOne5MBNameInABatchOf100(t *testing.T) {
	c, mock := newMockClient(t)
	srv := &sizeLimitedBatches{limit: 4 << 20}
	mock.RegisterResponder("POST", custURL+"/batch", srv.respond)
	items := hundred()
	items[64].FullName = strings.Repeat("n", 5<<20)
	res, err := c.Customers.CreateBatch(context.Background(), items)
	require.NoError(t, err)
	assert.Len(t, res.Successful, 99)
	require.Len(t, res.Failed, 1)
	assert.Equal(t, 64, res.Failed[0].Index)
	assert.Equal(t, "payload_too_large", res.Failed[0].Code)
	assert.Len(t, srv.keys, 4, "the batch; then the 64 items before the name, the name alone, the 35 after")
}

// TestRefusedItemFindsAWrappedValidationError: the field errors of an item
// refused before sending are read with errors.As, so a *ValidationError
// wrapped on its way (as errorlint asks) still gives them.
func TestRefusedItemFindsAWrappedValidationError(t *testing.T) {
	ve := &ValidationError{Fields: map[string][]string{"billingEmail": {"is required"}}}
	f := refusedItem(2, &CreateCustomerParams{ID: "u"}, fmt.Errorf("checking: %w", ve))
	assert.Equal(t, "billingEmail: is required", f.Message)
	assert.Equal(t, ve.Fields, f.fields)
}
