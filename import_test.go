package commet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchServer is a small httpmock batch endpoint: idempotent on externalId,
// refusing emails without "@", and counting requests in flight.
type batchServer struct {
	mu       sync.Mutex
	byID     map[string]map[string]any
	requests int
	// before runs first and may answer instead (a fault), if it returns one.
	before func(n int) *http.Response
	// skew, if set, is how far ahead the clock of the backend that answers
	// request n runs: its Date and the createdAt of what it creates agree.
	skew func(n int) time.Duration

	inFlight, maxInFlight atomic.Int32
}

func newBatchServer(t *testing.T, opts ...ClientOption) (*Client, *batchServer) {
	c, mock := newMockClient(t, opts...)
	s := &batchServer{byID: map[string]map[string]any{}}
	mock.RegisterResponder("POST", custURL+"/batch", s.respond)
	return c, s
}

func (s *batchServer) respond(r *http.Request) (*http.Response, error) {
	n := s.inFlight.Add(1)
	for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
	}
	defer s.inFlight.Add(-1)
	time.Sleep(time.Millisecond) // let concurrent batches overlap
	var body struct {
		Customers []CreateCustomerParams `json:"customers"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return jsonResponse(400, map[string]any{"code": "invalid_json"}), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.before != nil {
		if resp := s.before(s.requests); resp != nil {
			return resp, nil
		}
	}
	now := time.Now()
	if s.skew != nil {
		now = now.Add(s.skew(s.requests))
	}
	successful, failed := []any{}, []any{}
	for i, item := range body.Customers {
		if !strings.Contains(item.Email, "@") {
			failed = append(failed, map[string]any{"index": i, "error": "billingEmail: Invalid email format"})
			continue
		}
		cust, ok := s.byID[item.ID]
		if !ok {
			cust = customerJSON(fmt.Sprintf("cus_%d", len(s.byID)), item.ID, item.Email)
			cust["createdAt"] = now.UTC().Format(time.RFC3339Nano)
			s.byID[item.ID] = cust
		}
		successful = append(successful, cust)
	}
	resp := jsonResponse(200, envelope(map[string]any{"successful": successful, "failed": failed}))
	resp.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	return resp, nil
}

func (s *batchServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// people yields n items with IDs user_0..; every badEvery-th has a bad email.
func people(n, badEvery int) iter.Seq[CreateCustomerParams] {
	return func(yield func(CreateCustomerParams) bool) {
		for i := range n {
			email := fmt.Sprintf("user%d@example.com", i)
			if badEvery > 0 && i%badEvery == badEvery-1 {
				email = "not-an-email"
			}
			if !yield(CreateCustomerParams{Email: email, ID: fmt.Sprintf("user_%d", i)}) {
				return
			}
		}
	}
}

// collect records every result of an import.
type collect struct {
	mu      sync.Mutex
	results []ImportItemResult
}

func (c *collect) add(r ImportItemResult) {
	c.mu.Lock()
	c.results = append(c.results, r)
	c.mu.Unlock()
}

func (c *collect) indexes() []int {
	var idx []int
	for _, r := range c.results {
		idx = append(idx, r.Index)
	}
	slices.Sort(idx)
	return idx
}

func TestImportReportsEveryItemOnce(t *testing.T) {
	c, s := newBatchServer(t)
	var got collect
	var progress []ImportSummary
	sum, err := c.Customers.Import(context.Background(), people(1050, 100), &ImportCustomersParams{
		BatchSize: 50, Concurrency: 3,
		OnResult:   got.add,
		OnProgress: func(p ImportSummary) { progress = append(progress, p) },
	})
	require.NoError(t, err)
	assert.Equal(t, ImportSummary{Done: 1050, Created: 1040, Failed: 10}, ImportSummary{Done: sum.Done, Created: sum.Created, Existed: sum.Existed, Failed: sum.Failed})
	assert.Equal(t, 1040, s.count())
	require.Len(t, got.results, 1050)
	assert.Equal(t, slices.Collect(func(yield func(int) bool) {
		for i := range 1050 {
			yield(i)
		}
	}), got.indexes(), "each index exactly once")
	for _, r := range got.results {
		assert.Equal(t, fmt.Sprintf("user_%d", r.Index), r.Item.ID)
		if r.Index%100 == 99 {
			assert.Equal(t, OutcomeFailed, r.Outcome)
			assert.ErrorIs(t, r.Err, ErrValidation)
			assert.Nil(t, r.Customer)
		} else {
			assert.Equal(t, OutcomeCreated, r.Outcome)
			assert.Equal(t, r.Item.ID, r.Customer.ExternalID)
		}
	}
	assert.Len(t, progress, 21+10, "one progress report per batch, and per item refused before sending")
	assert.Equal(t, 1050, progress[len(progress)-1].Done)
	assert.LessOrEqual(t, s.maxInFlight.Load(), int32(3), "Concurrency bounds the requests in flight")
	assert.Greater(t, s.maxInFlight.Load(), int32(1), "batches do go concurrently")
}

func TestImportRerunFindsExisting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := newBatchServer(t)
		_, err := c.Customers.Import(context.Background(), people(300, 0), nil)
		require.NoError(t, err)
		time.Sleep(time.Second) // on the fake clock: the second run starts later
		sum, err := c.Customers.Import(context.Background(), people(500, 0), nil)
		require.NoError(t, err)
		assert.Equal(t, 300, sum.Existed)
		assert.Equal(t, 200, sum.Created)
		assert.Equal(t, 500, s.count())
	})
}

func TestImportStopsOnCancelAndCountsWhatItRead(t *testing.T) {
	c, s := newBatchServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	var got collect
	read := 0
	items := func(yield func(CreateCustomerParams) bool) {
		for item := range people(100_000, 0) {
			read++
			if read == 2_000 {
				cancel()
			}
			if !yield(item) {
				return
			}
		}
	}
	sum, err := c.Customers.Import(ctx, items, &ImportCustomersParams{OnResult: got.add})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, read, 2_200, "reading stopped soon after the cancel")
	assert.Equal(t, read, sum.Done, "every item read has an outcome")
	assert.Equal(t, sum.Done, sum.Created+sum.Existed+sum.Failed)
	assert.Len(t, got.results, read)
	// Batches in flight at the cancel may be created without their answer
	// arriving: those are reported Failed with the cancel, never Created.
	assert.GreaterOrEqual(t, s.count(), sum.Created)
	assert.LessOrEqual(t, s.count(), sum.Created+sum.Failed)
	for _, r := range got.results {
		if r.Outcome == OutcomeFailed {
			assert.ErrorIs(t, r.Err, context.Canceled)
		}
	}

	// A re-run settles them: exactly one customer per item, none twice.
	sum, err = c.Customers.Import(context.Background(), people(5_000, 0), nil)
	require.NoError(t, err)
	assert.Equal(t, 5_000, s.count())
	assert.Equal(t, 5_000, sum.Created+sum.Existed)
}

func TestImportStopsOnUnauthorized(t *testing.T) {
	c, s := newBatchServer(t)
	s.before = func(int) *http.Response {
		return jsonResponse(401, map[string]any{"code": "unauthorized", "message": "bad key"})
	}
	sum, err := c.Customers.Import(context.Background(), people(100_000, 0), &ImportCustomersParams{BatchSize: 10, Concurrency: 2})
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Less(t, sum.Done, 1000, "the import stopped early")
	assert.Equal(t, sum.Done, sum.Failed)
}

// TestImportSurvives429s checks that rate limiting with Retry-After is
// waited out, pauses the other workers, and loses nothing.
func TestImportSurvives429s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := newBatchServer(t)
		var limited []time.Time
		var after []time.Time
		s.before = func(n int) *http.Response {
			if n <= 6 { // a storm: the first six requests are rate limited
				limited = append(limited, time.Now())
				return withRetryAfter429(2)
			}
			after = append(after, time.Now())
			return nil
		}
		start := time.Now()
		sum, err := c.Customers.Import(context.Background(), people(1000, 0), &ImportCustomersParams{Concurrency: 4})
		require.NoError(t, err)
		assert.Equal(t, 1000, sum.Created)
		assert.Equal(t, 1000, s.count())
		assert.GreaterOrEqual(t, time.Since(start), 4*time.Second, "two rounds of Retry-After: 2")
		for _, at := range after {
			assert.GreaterOrEqual(t, at.Sub(start), 2*time.Second, "no batch went through before the first pause ended")
		}
	})
}

func withRetryAfter429(seconds int) *http.Response {
	resp := jsonResponse(429, map[string]any{"code": "rate_limited", "message": "slow down"})
	resp.Header.Set("Retry-After", fmt.Sprint(seconds))
	return resp
}

func TestImportRequestsPerSecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := newBatchServer(t)
		start := time.Now()
		sum, err := c.Customers.Import(context.Background(), people(1000, 0), &ImportCustomersParams{RequestsPerSecond: 5, Concurrency: 4})
		require.NoError(t, err)
		assert.Equal(t, 1000, sum.Created)
		assert.Equal(t, 10, s.requests)
		// 10 requests at 5 per second with a burst of 1: the last leaves at 1.8 s.
		assert.GreaterOrEqual(t, time.Since(start), 1800*time.Millisecond)
	})
}

func TestImportRetriesWholeBatchFailuresThenReportsThem(t *testing.T) {
	c, s := newBatchServer(t)
	s.before = func(n int) *http.Response {
		if n%2 == 1 { // every other request is a 503: retried, then fine
			return jsonResponse(503, nil)
		}
		return nil
	}
	sum, err := c.Customers.Import(context.Background(), people(500, 0), &ImportCustomersParams{Concurrency: 1})
	require.NoError(t, err)
	assert.Equal(t, 500, sum.Created)

	c, s = newBatchServer(t)
	s.before = func(int) *http.Response { return jsonResponse(500, nil) }
	var got collect
	sum, err = c.Customers.Import(context.Background(), people(250, 0), &ImportCustomersParams{OnResult: got.add}, WithMaxRetries(2))
	assert.ErrorIs(t, err, ErrServer, "an import in which every item failed says so")
	assert.Equal(t, 250, sum.Failed)
	assert.Equal(t, 9, s.requests, "3 batches of 3 attempts: WithMaxRetries applies to each")
	assert.ErrorIs(t, got.results[0].Err, ErrServer)
}

func TestImportParamsAreChecked(t *testing.T) {
	c, s := newBatchServer(t)
	for _, p := range []ImportCustomersParams{{BatchSize: 101}, {BatchSize: -1}, {Concurrency: -1}, {RequestsPerSecond: -1},
		{Concurrency: math.MaxInt}, {BatchSize: math.MinInt}, {RequestsPerSecond: math.NaN()}, {RequestsPerSecond: math.Inf(1)},
		{FailureBudget: -1}} {
		_, err := c.Customers.Import(context.Background(), people(10, 0), &p)
		assert.ErrorIs(t, err, ErrInvalidConfig, "%+v", p)
	}
	_, err := c.Customers.Import(context.Background(), nil, nil)
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.Zero(t, s.requests)
}

func TestMatchBatch(t *testing.T) {
	items := []CreateCustomerParams{{ID: "a"}, {ID: "b"}, {ID: "c"}, {}}
	cust := func(ext string) Customer { return Customer{ID: "cus_" + ext, ExternalID: ext} }

	t.Run("in order, skipping failures", func(t *testing.T) {
		res := &CreateBatchResult{Successful: []Customer{cust("a"), cust("c"), cust("")}, Failed: []*BatchItemError{{Index: 1, Message: "bad"}}}
		cs, errs := matchBatch(items, res)
		assert.Equal(t, "cus_a", cs[0].ID)
		assert.Nil(t, cs[1])
		assert.Equal(t, "cus_c", cs[2].ID)
		assert.Equal(t, "cus_", cs[3].ID)
		assert.EqualError(t, errs[1], "commet: batch item 1 refused: bad")
		assert.NoError(t, errors.Join(errs[0], errs[2], errs[3]))
	})
	t.Run("out of order is matched by ID", func(t *testing.T) {
		res := &CreateBatchResult{Successful: []Customer{cust("c"), cust("b"), cust("a")}, Failed: []*BatchItemError{{Index: 3}}}
		cs, errs := matchBatch(items, res)
		for i, id := range []string{"a", "b", "c"} {
			require.NoError(t, errs[i])
			assert.Equal(t, id, cs[i].ExternalID)
		}
	})
	t.Run("items the answer forgot fail, never vanish", func(t *testing.T) {
		res := &CreateBatchResult{Successful: []Customer{cust("a")}, Failed: []*BatchItemError{{Index: 7}, {Index: -1}}}
		cs, errs := matchBatch(items, res)
		assert.NoError(t, errs[0])
		assert.Equal(t, "a", cs[0].ExternalID)
		for i := 1; i < 4; i++ {
			assert.ErrorIs(t, errs[i], ErrBadResponse, i)
			assert.Nil(t, cs[i])
		}
	})
}

func TestImportOutcomeString(t *testing.T) {
	assert.Equal(t, "created existed archived repeated failed Outcome(0)",
		fmt.Sprint(OutcomeCreated, OutcomeExisted, OutcomeArchived, OutcomeRepeated, OutcomeFailed, Outcome(0)))
	assert.Zero(t, ImportSummary{Done: 10}.Rate())
	assert.Equal(t, 5.0, ImportSummary{Done: 10, Elapsed: 2 * time.Second}.Rate())
}

// TestImport429PausesEveryWorker: a 429 with Retry-After pauses every
// request of the import, not only the one that got it: the others would
// only spend the allowance that is not there.
func TestImport429PausesEveryWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mock := newMockClient(t)
		s := &batchServer{byID: map[string]map[string]any{}}
		var mu sync.Mutex
		var sent []time.Time
		mock.RegisterResponder("POST", custURL+"/batch", func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			sent = append(sent, time.Now())
			n := len(sent)
			mu.Unlock()
			time.Sleep(100 * time.Millisecond) // the answer takes a while (no lock held: synctest)
			if n == 1 {
				return withRetryAfter429(5), nil
			}
			return s.respond(r)
		})
		start := time.Now()
		_, err := c.Customers.Import(context.Background(), people(2000, 0), &ImportCustomersParams{Concurrency: 4, BatchSize: 100})
		require.NoError(t, err)
		require.Len(t, sent, 21, "20 batches and one retry")
		for i, at := range sent {
			if at.Sub(start) < 100*time.Millisecond {
				continue // in flight before the 429 came back
			}
			assert.GreaterOrEqual(t, at.Sub(start), 5100*time.Millisecond, "request %d left during the pause", i)
		}
	})
}

// TestHostileOneFastClockSwaysNoOtherOutcome: behind a load balancer, one
// backend's clock runs 2 s ahead, its Date and createdAt agreeing with each
// other. Each answer is judged by its own Date, so every customer the
// import created is reported created, whichever backend answered.
func TestHostileOneFastClockSwaysNoOtherOutcome(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	for _, ahead := range []time.Duration{2 * time.Second, 40 * time.Second, -3 * time.Second} {
		synctest.Test(t, func(t *testing.T) {
			c, s := newBatchServer(t)
			s.skew = func(n int) time.Duration {
				if n%3 == 0 {
					return ahead
				}
				return 0
			}
			sum, err := c.Customers.Import(context.Background(), people(600, 0), &ImportCustomersParams{BatchSize: 10})
			require.NoError(t, err)
			assert.Equal(t, 600, sum.Created, "ahead %v", ahead)
			assert.Zero(t, sum.Existed)

			time.Sleep(time.Minute)
			again, err := c.Customers.Import(context.Background(), people(600, 0), &ImportCustomersParams{BatchSize: 10})
			require.NoError(t, err)
			assert.Equal(t, 600, again.Existed, "a re-run finds them all, whichever clock answers")
		})
	}
}

// Import gives its ledger's mapped memory back when it returns, whichever
// way: done, canceled, or re-raising its iterator's panic.
func TestImportGivesBackItsLedger(t *testing.T) {
	c, _ := newBatchServer(t)
	upTo := func(n int, then func()) iter.Seq[CreateCustomerParams] {
		return func(yield func(CreateCustomerParams) bool) {
			read := 0
			for item := range people(100_000, 0) {
				if read++; read == n {
					then()
				}
				if !yield(item) {
					return
				}
			}
		}
	}
	before := ledgerMapped.Load()

	_, err := c.Customers.Import(context.Background(), people(1_000, 7), nil)
	require.NoError(t, err)
	assert.Equal(t, before, ledgerMapped.Load(), "after an import done")

	ctx, cancel := context.WithCancel(context.Background())
	_, err = c.Customers.Import(ctx, upTo(500, cancel), nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, before, ledgerMapped.Load(), "after an import canceled")

	func() {
		defer func() { assert.NotNil(t, recover(), "the iterator's panic goes on") }()
		_, _ = c.Customers.Import(context.Background(), upTo(500, func() { panic("boom") }), nil)
	}()
	assert.Equal(t, before, ledgerMapped.Load(), "after an import whose iterator panicked")
}
