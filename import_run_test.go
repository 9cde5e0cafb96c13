package commet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// dropAnswers is a proxy's failure after Commet did the work: it lets the
// request through, reads the answer, and loses it (the client sees a
// network error), for the requests that lose says.
func dropAnswers(lose func(n int64) bool) commet.Middleware {
	var n atomic.Int64
	return func(req *http.Request, a commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
		resp, err := next(req)
		if err != nil || a.Path != "/customers/batch" || !lose(n.Add(1)) {
			return resp, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("connection reset by peer, after the work was done")
	}
}

// TestImportLostAnswers: an answer lost after Commet did the work is never
// a failure: retried with the batch's key it replays the first answer
// (created stays created, existed stays existed), and lost for good it is
// an outcome unknown, never "failed", while the customers do exist.
func TestImportLostAnswers(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	t.Run("created", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer()
			defer srv.Close()
			client := srv.Client(commet.WithMiddleware(dropAnswers(func(n int64) bool { return n%2 == 1 })))
			sum, err := client.Customers.Import(context.Background(), people(500), nil)
			require.NoError(t, err)
			assert.Equal(t, 500, sum.Created)
			assert.Equal(t, 500, srv.Len())
		})
	})
	t.Run("created, through commettest's DropAnswer", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer()
			defer srv.Close()
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", DropAnswer: true, Times: 3})
			sum, err := srv.Client().Customers.Import(context.Background(), people(500), nil)
			require.NoError(t, err)
			assert.Equal(t, 500, sum.Created, "the retry got the first answer again")
			assert.Equal(t, 500, srv.Len())
			assert.Empty(t, srv.UnfiredFaults())
		})
	})
	t.Run("existed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer()
			defer srv.Close()
			_, err := srv.Client().Customers.Import(context.Background(), people(500), nil)
			require.NoError(t, err)
			time.Sleep(time.Minute)
			client := srv.Client(commet.WithMiddleware(dropAnswers(func(n int64) bool { return n%2 == 1 })))
			sum, err := client.Customers.Import(context.Background(), people(500), nil)
			require.NoError(t, err)
			assert.Equal(t, 500, sum.Existed)
			assert.Zero(t, sum.Created)
		})
	})
	t.Run("unknown", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer()
			defer srv.Close()
			client := srv.Client(commet.WithMiddleware(dropAnswers(func(int64) bool { return true })))
			var unknown atomic.Int64
			sum, err := client.Customers.Import(context.Background(), people(300), &commet.ImportCustomersParams{
				OnResult: func(r commet.ImportItemResult) {
					if errors.Is(r.Err, commet.ErrOutcomeUnknown) && errors.Is(r.Err, commet.ErrNetwork) && !errors.Is(r.Err, commet.ErrNotSent) {
						unknown.Add(1)
					}
				},
			})
			require.Error(t, err)
			assert.Equal(t, 300, sum.Failed)
			assert.Equal(t, 300, sum.Unknown, "every item was sent and its answer lost")
			assert.EqualValues(t, 300, unknown.Load())
			assert.Zero(t, sum.NotSent)
			assert.Equal(t, 300, srv.Len(), "the customers exist all the same")
		})
	})
	t.Run("not sent", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer()
			defer srv.Close()
			// Every batch sent is answered 429 (with four at once, more than
			// one may leave before the first 429 pauses the others).
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusTooManyRequests, RetryAfter: "60", Times: commettest.Forever})
			ctx, cancel := context.WithCancel(context.Background())
			var got results
			done := make(chan struct{})
			var sum commet.ImportSummary
			go func() {
				defer close(done)
				var err error
				sum, err = srv.Client().Customers.Import(ctx, people(1000), &commet.ImportCustomersParams{Concurrency: 4, OnResult: got.add})
				assert.ErrorIs(t, err, context.Canceled)
			}()
			time.Sleep(10 * time.Second) // every batch waits in the 429's pause
			cancel()
			<-done
			notSent := 0
			for _, r := range got.by {
				if assert.ErrorIs(t, r.Err, commet.ErrNotSent, "never sent, or answered only 429s") {
					notSent++
				}
				assert.NotErrorIs(t, r.Err, commet.ErrOutcomeUnknown)
				assert.ErrorIs(t, r.Err, context.Canceled)
			}
			assert.Zero(t, srv.Len())
			assert.GreaterOrEqual(t, notSent, 300, "the batches waiting in the pacer were never sent")
			assert.Equal(t, sum.Done, len(got.by), "every item read has its one outcome")
			assert.Equal(t, sum.NotSent, notSent)
			assert.Zero(t, sum.Unknown, "nothing was in flight, and every answer was a 429")
		})
	})
}

// TestImportSinceMakesTheLastRunExact: a first run creates 600 customers
// and dies before it can report them (every answer lost, as after a
// kill -9); the second run, given the same Since, reports all 1,000 as
// created by the migration, and one made before the migration as existed.
// Without Since the 600 would be "existed".
func TestImportSinceMakesTheLastRunExact(t *testing.T) {
	for _, withSince := range []bool{true, false} {
		t.Run(fmt.Sprint("since ", withSince), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer()
				defer srv.Close()
				_, err := srv.Client().Customers.Create(context.Background(), &commet.CreateCustomerParams{Email: "old@example.com", ID: "user_999"})
				require.NoError(t, err)
				time.Sleep(time.Hour)
				since := time.Now()
				var params commet.ImportCustomersParams
				if withSince {
					params.Since = since
				}
				lost := srv.Client(commet.WithMiddleware(dropAnswers(func(int64) bool { return true })), commet.WithMaxRetries(0))
				lostParams := params
				lostParams.FailureBudget = 100
				_, err = lost.Customers.Import(context.Background(), people(600), &lostParams)
				require.Error(t, err)
				require.Equal(t, 601, srv.Len())
				time.Sleep(10 * time.Minute)

				sum, err := srv.Client().Customers.Import(context.Background(), people(1000), &params)
				require.NoError(t, err)
				if withSince {
					assert.Equal(t, 999, sum.Created)
					assert.Equal(t, 1, sum.Existed, "user_999 existed before the migration")
				} else {
					assert.Equal(t, 399, sum.Created)
					assert.Equal(t, 601, sum.Existed)
				}
			})
		})
	}
}

// TestImportStopsGracefully: closing Stop reads no more items; the batches
// already sent finish with their true outcome, the rest are not sent, and
// the report agrees with what Commet holds exactly: created = stored, and
// nothing unknown.
func TestImportStopsGracefully(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(300 * time.Millisecond))
		defer srv.Close()
		stop := make(chan struct{})
		var read atomic.Int64
		items := func(yield func(commet.CreateCustomerParams) bool) {
			for p := range people(100_000) {
				read.Add(1)
				if !yield(p) {
					return
				}
			}
		}
		var got results
		done := make(chan struct{})
		var sum commet.ImportSummary
		var err error
		go func() {
			defer close(done)
			sum, err = srv.Client().Customers.Import(context.Background(), items, &commet.ImportCustomersParams{Stop: stop, OnResult: got.add})
		}()
		time.Sleep(3 * time.Second)
		close(stop)
		stoppedAt := time.Now()
		<-done
		assert.Less(t, time.Since(stoppedAt), 2*time.Second, "it stops about a round trip later")
		assert.ErrorIs(t, err, commet.ErrNotSent)
		assert.Equal(t, srv.Len(), sum.Created, "created is what Commet stores, exactly")
		assert.Positive(t, sum.Created)
		assert.Zero(t, sum.Unknown)
		assert.Equal(t, sum.Done, sum.Created+sum.NotSent)
		assert.EqualValues(t, read.Load(), sum.Done, "every item read has its outcome")
		assert.Less(t, read.Load(), int64(100_000), "reading stopped")
	})
	t.Run("the context still stops at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer(commettest.WithLatency(time.Hour))
			defer srv.Close()
			stop := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			var sum commet.ImportSummary
			go func() {
				defer close(done)
				sum, _ = srv.Client().Customers.Import(ctx, people(1000), &commet.ImportCustomersParams{Stop: stop})
			}()
			time.Sleep(time.Second)
			close(stop)
			time.Sleep(time.Second)
			cancel()
			<-done
			assert.Positive(t, sum.Unknown, "the batches in flight were cut: their outcome is unknown")
			assert.Equal(t, sum.Done, sum.Unknown+sum.NotSent)
		})
	})
}

// TestImportSettlesRepeatsWithoutARequest: a repeat of an ID that an
// earlier row settled cannot change anything (create never updates), so
// it is not sent; Differs compares it with the first row's customer. A
// repeat of an ID whose first row failed is still sent.
func TestImportSettlesRepeatsWithoutARequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commetRefuses)
		defer srv.Close()
		var batches atomic.Int64
		count := func(req *http.Request, a commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
			batches.Add(1)
			return next(req)
		}
		client := srv.Client(commet.WithMiddleware(count))
		first := []commet.CreateCustomerParams{
			{ID: "u1", Email: "a@example.com", FullName: "Ada"},
			{ID: "u2", Email: "nope@blocked.example"}, // refused by Commet
		}
		again := []commet.CreateCustomerParams{
			{ID: "u1", Email: "A@example.com ", FullName: "Ada"},                                     // the same data
			{ID: "u1", Email: "a@example.com", FullName: "Ada L.", Metadata: map[string]any{"x": 1}}, // other data
			{ID: "u2", Email: "b@example.com"},                                                       // its first row failed: sent
		}
		var got results
		input := func(yield func(commet.CreateCustomerParams) bool) {
			for _, p := range first {
				yield(p)
			}
			time.Sleep(time.Second) // the first batch settles before the repeats are read
			for _, p := range again {
				yield(p)
			}
		}
		sum, err := client.Customers.Import(context.Background(), input, &commet.ImportCustomersParams{BatchSize: 2, OnResult: got.add})
		require.NoError(t, err)
		assert.EqualValues(t, 2, batches.Load(), "the first batch, then only u2's second row")
		assert.Equal(t, 2, sum.Created)
		assert.Equal(t, 2, sum.Repeated)
		assert.Equal(t, commet.OutcomeRepeated, got.by[2].Outcome)
		assert.Equal(t, 0, got.by[2].RepeatOf)
		assert.Nil(t, got.by[2].Differs)
		assert.Equal(t, []string{"fullName", "metadata"}, got.by[3].Differs)
		assert.Equal(t, commet.OutcomeCreated, got.by[4].Outcome)
		assert.Equal(t, 2, srv.Len())
	})
}

// TestImportProgressOnlyGrows: progress reports are made under the lock
// but run later on the callbacks' goroutine; however they interleave, the
// counts OnProgress sees never go back.
//
// The imports are repeated to meet more interleavings: 20 of them, or 5
// under the race detector, where each costs about five times as much. Each
// of those 5 still has its 16 workers report 200 batches while OnProgress
// runs, every access checked by the race detector; the 20 of the run
// without it are the search for a rare interleaving.
func TestImportProgressOnlyGrows(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	imports := 20
	if raceEnabled {
		imports = 5
	}
	for range imports {
		last := -1
		var mu sync.Mutex
		_, err := client.Customers.Import(context.Background(), people(2000), &commet.ImportCustomersParams{
			BatchSize: 10, Concurrency: 16,
			OnProgress: func(p commet.ImportSummary) {
				mu.Lock()
				defer mu.Unlock()
				assert.Greater(t, p.Done, last)
				last = p.Done
			},
		})
		require.NoError(t, err)
		assert.Equal(t, 2000, last)
		srv.Reset()
	}
}

// TestImportIteratorPanicLeaksNothing: an items iterator that panics (and
// a caller that recovers, as net/http handlers do) leaves no goroutine of
// the import behind: the synctest bubble would not end if one stayed.
func TestImportIteratorPanicLeaksNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		items := func(yield func(commet.CreateCustomerParams) bool) {
			for p := range people(1000) {
				if p.ID == "user_550" {
					panic("the database went away")
				}
				if !yield(p) {
					return
				}
			}
		}
		func() {
			defer func() { assert.Equal(t, "the database went away", recover()) }()
			srv.Client().Customers.Import(context.Background(), items, &commet.ImportCustomersParams{OnResult: func(commet.ImportItemResult) {}})
		}()
	})
}

// TestImportStopEndsWaits: a graceful stop ends every wait, not only the
// first: a batch waiting out a 429's Retry-After (10 minutes) when Stop
// is closed is not sent again, Import returns at once, and its items are
// not sent (the 429 proved nothing was done), with nothing created after
// the stop. A batch waiting out its backoff after a 503 or a lost answer
// ends too, its items unknown, since that attempt may have been acted on.
// A request in flight when Stop comes still gets its answer.
func TestImportStopEndsWaits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault commettest.Fault
		want  error // what the first batch's items match
		not   error
	}{
		{"429 Retry-After", commettest.Fault{Path: "/customers/batch", Status: http.StatusTooManyRequests, RetryAfter: "600"}, commet.ErrNotSent, commet.ErrOutcomeUnknown},
		{"503 backoff", commettest.Fault{Path: "/customers/batch", Status: http.StatusServiceUnavailable}, commet.ErrOutcomeUnknown, commet.ErrNotSent},
		{"lost answer backoff", commettest.Fault{Path: "/customers/batch", DropAnswer: true}, commet.ErrOutcomeUnknown, commet.ErrNotSent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer()
				defer srv.Close()
				srv.InjectFault(tc.fault)
				stop := make(chan struct{})
				var got results
				var sum commet.ImportSummary
				var err error
				done := make(chan struct{})
				client := srv.Client(commet.WithRetryBackoff(5*time.Minute, 5*time.Minute))
				go func() {
					defer close(done)
					sum, err = client.Customers.Import(context.Background(), people(300),
						&commet.ImportCustomersParams{Stop: stop, OnResult: got.add, Concurrency: 1})
				}()
				time.Sleep(time.Second) // the first batch got its answer and waits
				stored := srv.Len()
				close(stop)
				stoppedAt := time.Now()
				<-done
				assert.Less(t, time.Since(stoppedAt), time.Second, "the wait ended with the stop")
				assert.ErrorIs(t, err, commet.ErrNotSent)
				assert.Equal(t, stored, srv.Len(), "nothing was created after the stop")
				assert.Equal(t, 1, srv.Requests(), "the batch was not sent again")
				assert.Equal(t, sum.Done, len(got.by), "every item read has its one outcome")
				require.GreaterOrEqual(t, sum.Done, 100)
				for i := range 100 {
					assert.ErrorIs(t, got.by[i].Err, tc.want, "item %d", i)
					assert.NotErrorIs(t, got.by[i].Err, tc.not, "item %d", i)
					assert.NotErrorIs(t, got.by[i].Err, context.Canceled, "item %d: the caller cancelled nothing", i)
				}
				for i := 100; i < sum.Done; i++ {
					assert.ErrorIs(t, got.by[i].Err, commet.ErrNotSent, "item %d", i)
				}
			})
		})
	}
}

// TestImportDiffersWhateverTheOutcome: Differs compares the row with the
// customer Commet answered, whatever the outcome. A resumed run (Since)
// whose row fixes a typo of the customer an earlier run created reports it
// created, with the email named as differing (Commet kept the typo); a
// customer this run created differs in nothing, though Commet trims the
// email and reads metadata numbers back as floats.
func TestImportDiffersWhateverTheOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		client := srv.Client()
		since := time.Now()
		time.Sleep(time.Second)
		first := []commet.CreateCustomerParams{{ID: "u1", Email: "ada@exmaple.com", FullName: "Ada"}}
		_, err := client.Customers.Import(context.Background(), rows(first...), &commet.ImportCustomersParams{Since: since})
		require.NoError(t, err)
		time.Sleep(time.Hour)

		again := []commet.CreateCustomerParams{
			{ID: "u1", Email: "ada@example.com", FullName: "Ada"},
			{ID: "u2", Email: " Bea@Example.com ", FullName: "Bea", Metadata: map[string]any{"seats": 3, "plan": "pro"}},
		}
		var got results
		sum, err := client.Customers.Import(context.Background(), rows(again...), &commet.ImportCustomersParams{Since: since, OnResult: got.add})
		require.NoError(t, err)
		assert.Equal(t, 2, sum.Created)
		assert.Equal(t, commet.OutcomeCreated, got.by[0].Outcome, "created by the migration, in its first run")
		assert.Equal(t, []string{"billingEmail"}, got.by[0].Differs, "Commet kept the typo")
		assert.Equal(t, commet.OutcomeCreated, got.by[1].Outcome)
		assert.Empty(t, got.by[1].Differs, "what this run created is what it sent")
	})
}

// TestImportRepeatOfACustomerWithMoreFields: the ledger keeps room for the
// fields of the item that carries an ID; a customer that existed with more
// fields than that item sent is still held whole (apart), and its repeats
// are compared with every field it has.
func TestImportRepeatOfACustomerWithMoreFields(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		client := srv.Client()
		_, err := client.Customers.Import(context.Background(), rows(commet.CreateCustomerParams{
			ID: "u1", Email: "ada@example.com", FullName: "Ada", Domain: "ada.example", Website: "https://ada.example", Industry: "Software",
		}), nil)
		require.NoError(t, err)

		first := commet.CreateCustomerParams{ID: "u1", Email: "ada@example.com"} // room for one field; Commet holds five
		again := []commet.CreateCustomerParams{
			{ID: "u1", Email: "ada@example.com", FullName: "Ada", Domain: "ada.example"},
			{ID: "u1", Email: "ada@example.com", Domain: "ada.example.org", Timezone: "Europe/Paris"},
			{ID: "u1", Email: "ada@example.com", Website: "https://ada.example", Industry: "Retail"},
		}
		var got results
		input := func(yield func(commet.CreateCustomerParams) bool) {
			yield(first)
			time.Sleep(time.Second) // the first row settles before the repeats are read
			for _, p := range again {
				yield(p)
			}
		}
		sum, err := client.Customers.Import(context.Background(), input, &commet.ImportCustomersParams{OnResult: got.add})
		require.NoError(t, err)
		assert.Equal(t, 1, sum.Existed)
		assert.Equal(t, 3, sum.Repeated)
		assert.Empty(t, got.by[0].Differs)
		assert.Nil(t, got.by[1].Differs)
		assert.Equal(t, []string{"domain", "timezone"}, got.by[2].Differs)
		assert.Equal(t, []string{"industry"}, got.by[3].Differs)
	})
}
