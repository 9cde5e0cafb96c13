package commet_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stories of Import, end to end against commettest; every one that
// involves time runs on synctest's clock.

// results collects an import's results by index.
type results struct {
	mu sync.Mutex
	by map[int]commet.ImportItemResult
}

func (r *results) add(res commet.ImportItemResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.by == nil {
		r.by = make(map[int]commet.ImportItemResult)
	}
	r.by[res.Index] = res
}

func rows(items ...commet.CreateCustomerParams) iter.Seq[commet.CreateCustomerParams] {
	return slices.Values(items)
}

// TestImportReportsRepeatedIDs: rows that repeat an ID are not new
// customers. Each is reported as a repeat of the row that settled the
// customer, with the fields whose data differs from what Commet holds;
// within a batch and across batches alike.
func TestImportReportsRepeatedIDs(t *testing.T) {
	for _, batchSize := range []int{100, 3, 1} {
		t.Run(fmt.Sprintf("batches of %d", batchSize), func(t *testing.T) {
			srv, client := newFake(t)
			input := []commet.CreateCustomerParams{
				{ID: "u1", Email: "a@example.com"},                                   // 0
				{ID: "u2", Email: "b@example.com", FullName: "Bea"},                  // 1
				{ID: "u1", Email: "a@example.com"},                                   // 2: the same row again
				{ID: "u3", Email: "not-an-email"},                                    // 3: refused
				{ID: "u2", Email: "b2@example.com", FullName: "Bee"},                 // 4: other data
				{ID: "u3", Email: "c@example.com"},                                   // 5: settles u3 after all
				{ID: "u4", Email: "d@example.com"},                                   // 6
				{ID: "u3", Email: "c@example.com"},                                   // 7
				{ID: "u1", Email: "A@example.com", Metadata: map[string]any{"x": 1}}, // 8
				{ID: "u5", Email: "e@example.com"},                                   // 9
			}
			var got results
			sum, err := client.Customers.Import(context.Background(), rows(input...),
				&commet.ImportCustomersParams{BatchSize: batchSize, OnResult: got.add})
			require.NoError(t, err)
			assert.Equal(t, 5, srv.Len(), "one customer per ID")
			assert.Equal(t, commet.ImportSummary{Done: 10, Created: 5, Repeated: 4, Failed: 1},
				commet.ImportSummary{Done: sum.Done, Created: sum.Created, Existed: sum.Existed, Archived: sum.Archived,
					Repeated: sum.Repeated, Failed: sum.Failed})

			for i, want := range map[int]struct {
				outcome  commet.Outcome
				repeatOf int
				differs  []string
			}{
				0: {commet.OutcomeCreated, 0, nil},
				1: {commet.OutcomeCreated, 0, nil},
				2: {commet.OutcomeRepeated, 0, nil},
				3: {commet.OutcomeFailed, 0, nil},
				4: {commet.OutcomeRepeated, 1, []string{"billingEmail", "fullName"}},
				5: {commet.OutcomeCreated, 0, nil},
				6: {commet.OutcomeCreated, 0, nil},
				7: {commet.OutcomeRepeated, 5, nil},
				8: {commet.OutcomeRepeated, 0, []string{"metadata"}},
				9: {commet.OutcomeCreated, 0, nil},
			} {
				r := got.by[i]
				assert.Equal(t, want.outcome, r.Outcome, "row %d", i)
				if want.outcome == commet.OutcomeRepeated {
					assert.Equal(t, want.repeatOf, r.RepeatOf, "row %d", i)
				}
				assert.Equal(t, want.differs, r.Differs, "row %d", i)
			}
			var invalid *commet.ValidationError
			require.ErrorAs(t, got.by[3].Err, &invalid)
			assert.Contains(t, invalid.Fields, "billingEmail")
		})
	}
}

// TestImportOutcomesFollowCommetsClock: whether an item created its
// customer is decided by Commet's clock, whatever this machine's says.
func TestImportOutcomesFollowCommetsClock(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	for _, skew := range []time.Duration{-time.Hour, time.Hour, 0} {
		t.Run(skew.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer(commettest.WithClock(func() time.Time { return time.Now().Add(skew) }))
				defer srv.Close()
				client := srv.Client()
				first, err := client.Customers.Import(context.Background(), people(500), nil)
				require.NoError(t, err)
				assert.Equal(t, 500, first.Created, "a first import creates every customer")

				time.Sleep(10 * time.Second) // the re-run comes later
				second, err := client.Customers.Import(context.Background(), people(700), nil)
				require.NoError(t, err)
				assert.Equal(t, 500, second.Existed, "a re-run finds what the first created")
				assert.Equal(t, 200, second.Created)
			})
		})
	}
}

// TestImportReportsArchivedCustomers: an item whose customer exists but is
// archived says so.
func TestImportReportsArchivedCustomers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		client := srv.Client()
		_, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "user_1", Email: "a@example.com"})
		require.NoError(t, err)
		_, err = client.Customers.Archive(context.Background(), "user_1")
		require.NoError(t, err)
		time.Sleep(time.Minute)
		var got results
		sum, err := client.Customers.Import(context.Background(), people(3), &commet.ImportCustomersParams{OnResult: got.add})
		require.NoError(t, err)
		assert.Equal(t, 1, sum.Archived)
		assert.Equal(t, 2, sum.Created)
		assert.Equal(t, commet.OutcomeArchived, got.by[1].Outcome)
		assert.Equal(t, []string{"billingEmail"}, got.by[1].Differs, "user1@example.com was sent; Commet holds a@example.com")
	})
}

// TestImportStopsWhenNothingCanSucceed: with every batch failing 503, an
// import stops after its failure budget, reports the items it did not
// send, and returns an error matching the cause, instead of retrying for
// hours.
func TestImportStopsWhenNothingCanSucceed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusServiceUnavailable, Times: commettest.Forever})
		client := srv.Client()
		var got results
		start := time.Now()
		sum, err := client.Customers.Import(context.Background(), people(50_000), &commet.ImportCustomersParams{
			FailureBudget: 3, OnResult: got.add,
		})
		require.ErrorIs(t, err, commet.ErrServer)
		assert.Contains(t, err.Error(), "3 batches in a row failed")
		assert.Less(t, time.Since(start), time.Minute, "it gave up at once, not after hours")
		assert.Less(t, srv.Requests(), 100, "a few batches' retries, not 500 batches'")
		assert.Equal(t, sum.Done, sum.Failed)
		assert.Equal(t, sum.Done, len(got.by), "every item read has its outcome")
		assert.Positive(t, sum.NotSent)
		notSent := 0
		for _, r := range got.by {
			if errors.Is(r.Err, commet.ErrNotSent) {
				notSent++
				assert.NotErrorIs(t, r.Err, commet.ErrServer, "the other batches' failure is not this item's")
				assert.Contains(t, r.Err.Error(), "3 batches in a row failed", "the cause is in the message")
			}
		}
		assert.Equal(t, sum.NotSent, notSent)
		assert.Zero(t, srv.Len())
	})
}

// TestImportWaitsOutA429Storm: however many 429s come, each is waited out
// and nothing is lost.
func TestImportWaitsOutA429Storm(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 150})
		client := srv.Client()
		sum, err := client.Customers.Import(context.Background(), people(3000), nil)
		require.NoError(t, err)
		assert.Equal(t, 3000, sum.Created)
		assert.Zero(t, sum.Failed)
		assert.Equal(t, 3000, srv.Len())
		assert.Empty(t, srv.UnfiredFaults())
	})
}

// TestImportCapGovernsRetries: RequestsPerSecond holds for every request,
// retries included.
func TestImportCapGovernsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusServiceUnavailable, Times: 3})
		var mu sync.Mutex
		var sent []time.Time
		stamp := func(req *http.Request, _ commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
			mu.Lock()
			sent = append(sent, time.Now())
			mu.Unlock()
			return next(req)
		}
		client := srv.Client(commet.WithMiddleware(stamp), commet.WithRetryBackoff(time.Millisecond, time.Millisecond))
		_, err := client.Customers.Import(context.Background(), people(200), &commet.ImportCustomersParams{RequestsPerSecond: 1})
		require.NoError(t, err)
		require.Len(t, sent, 5, "2 batches, 3 retries")
		for i := 1; i < len(sent); i++ {
			assert.GreaterOrEqual(t, sent[i].Sub(sent[i-1]), time.Second, "request %d", i)
		}
	})
}

// TestImportCallbacksDoNotStallWorkers: a slow OnResult does not hold up
// the requests.
func TestImportCallbacksDoNotStallWorkers(t *testing.T) {
	srv, client := newFake(t)
	release := make(chan struct{})
	var calls atomic.Int32
	done := make(chan commet.ImportSummary)
	go func() {
		sum, err := client.Customers.Import(context.Background(), people(1000), &commet.ImportCustomersParams{
			BatchSize: 10,
			OnResult: func(commet.ImportItemResult) {
				if calls.Add(1) == 1 {
					<-release // the first call is very slow
				}
			},
		})
		assert.NoError(t, err)
		done <- sum
	}()
	require.Eventually(t, func() bool { return srv.Len() == 1000 }, 10*time.Second, time.Millisecond,
		"every batch went through while the first callback was still running")
	assert.EqualValues(t, 1, calls.Load())
	close(release)
	sum := <-done
	assert.Equal(t, 1000, sum.Created)
	assert.EqualValues(t, 1000, calls.Load(), "and every result reached it in the end")
}

// TestImportKeepsEveryFieldError: an item refused by Commet keeps all its
// field errors, by wire name, and the request ID of its batch.
func TestImportKeepsEveryFieldError(t *testing.T) {
	srv := commettest.NewServer(commetRefuses)
	t.Cleanup(srv.Close)
	client := srv.Client()
	var got results
	bad := commet.CreateCustomerParams{ID: "u1", Email: "nope@blocked.example", Timezone: "Antarctica/Troll", // refused by Commet, not the SDK
		Address: &commet.Address{Line1: "1 Main St", City: "Austin", PostalCode: "78701", Country: "US"}}
	_, err := client.Customers.Import(context.Background(), rows(bad, commet.CreateCustomerParams{ID: "u2", Email: "b@example.com"}),
		&commet.ImportCustomersParams{OnResult: got.add})
	require.NoError(t, err)
	r := got.by[0]
	var invalid *commet.ValidationError
	require.ErrorAs(t, r.Err, &invalid)
	assert.ElementsMatch(t, []string{"billingEmail", "timezone"}, keys(invalid.Fields))
	assert.Regexp(t, `^req_`, r.RequestID)
	assert.Equal(t, r.RequestID, got.by[1].RequestID, "one batch, one request ID")
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestImportStopsWhenNoConnectionOpens: batches that sent nothing because
// no connection could be opened are batch failures like any other: the
// failure budget stops the import, rather than every batch of a large
// input going through its retries against a server that is down.
func TestImportStopsWhenNoConnectionOpens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		var tried atomic.Int64
		refuse := func(*http.Request, commet.Attempt, commet.MiddlewareNext) (*http.Response, error) {
			tried.Add(1)
			return nil, errors.New("dial tcp 127.0.0.1:443: connection refused")
		}
		sum, err := srv.Client(commet.WithMiddleware(refuse), commet.WithMaxRetries(0)).Customers.Import(context.Background(), people(5000),
			&commet.ImportCustomersParams{FailureBudget: 2, Concurrency: 1})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "2 batches in a row failed")
		assert.EqualValues(t, 2, tried.Load(), "two batches tried, not fifty")
		assert.Equal(t, sum.Done, sum.NotSent, "nothing was sent")
		assert.Zero(t, srv.Requests())
	})
}
