package commet_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// TestImportChaosInvariants runs imports through random storms of 429s,
// 5xx, lost answers, dropped connections and slow answers, each ended by
// nothing, a graceful stop or a cancel at a random moment, and checks what
// Import promises whatever happens: every item read is reported once; the
// summary equals the tally of OnResult and the last OnProgress; every item
// reported created, existed or archived is on the server; no item the
// server holds is reported as a plain failure (only as unknown); and no
// item reported not sent is on the server. Resumed from the last checkpoint
// OnProgress saw, a calm run then sends only what was left, and its report
// equals the store.
func TestImportChaosInvariants(t *testing.T) {
	t.Parallel() // the seeds share nothing: see below
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel() // each seed has a server, a client and a bubble of its own
			synctest.Test(t, func(t *testing.T) {
				rnd := rand.New(rand.NewPCG(seed, 21))
				srv := commettest.NewServer()
				defer srv.Close()
				for range 1 + rnd.IntN(6) {
					f := commettest.Fault{Path: "/customers/batch", Times: 1 + rnd.IntN(20)}
					switch rnd.IntN(5) {
					case 0:
						f.Status, f.RetryAfter = http.StatusTooManyRequests, fmt.Sprint(1+rnd.IntN(120))
					case 1:
						f.Status = http.StatusServiceUnavailable
					case 2:
						f.DropAnswer = true
					case 3:
						f.Drop = true
					case 4:
						f.Delay = time.Duration(1+rnd.IntN(20)) * time.Second
					}
					srv.InjectFault(f)
				}
				n := 300 + rnd.IntN(1000)
				var (
					mu       sync.Mutex
					reported = map[int]int{}
					tally    commet.ImportSummary
					last     commet.ImportSummary
					byIndex  = map[int]commet.ImportItemResult{}
				)
				stop := make(chan struct{})
				since := time.Now()
				p := &commet.ImportCustomersParams{
					BatchSize: 1 + rnd.IntN(100), Concurrency: rnd.IntN(9), Stop: stop, Since: since,
					OnResult: func(r commet.ImportItemResult) {
						mu.Lock()
						defer mu.Unlock()
						reported[r.Index]++
						byIndex[r.Index] = r
						tally.Done++
						switch r.Outcome {
						case commet.OutcomeCreated:
							tally.Created++
						case commet.OutcomeExisted:
							tally.Existed++
						case commet.OutcomeArchived:
							tally.Archived++
						case commet.OutcomeRepeated:
							tally.Repeated++
						default:
							tally.Failed++
							switch {
							case errors.Is(r.Err, commet.ErrNotSent):
								tally.NotSent++
							case errors.Is(r.Err, commet.ErrOutcomeUnknown):
								tally.Unknown++
							}
						}
					},
					OnProgress: func(pr commet.ImportSummary) {
						mu.Lock()
						defer mu.Unlock()
						last = pr
					},
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				action := rnd.IntN(3)
				at := time.Duration(rnd.IntN(60_000)) * time.Millisecond
				act := time.AfterFunc(at, func() {
					switch action {
					case 1:
						close(stop)
					case 2:
						cancel()
					}
				})
				defer act.Stop()
				client := srv.Client(commet.WithRetryBackoff(time.Second, 8*time.Second))
				sum, _ := client.Customers.Import(ctx, people(n), p)
				t.Logf("%d items, batches of %d, concurrency %d, action %d at %v: %+v", n, p.BatchSize, p.Concurrency, action, at, sum)

				mu.Lock()
				defer mu.Unlock()
				for i, k := range reported {
					assert.Equal(t, 1, k, "item %d reported once", i)
				}
				assert.Equal(t, sum.Done, len(reported), "every item read has its outcome")
				sum.Elapsed, last.Elapsed = 0, 0
				tally.Settled = checkpointOf(byIndex)
				assert.Equal(t, tally, sum, "the summary is the tally of OnResult, and its checkpoint the prefix of final outcomes")
				if sum.Done > 0 {
					assert.Equal(t, sum, last, "and the last OnProgress")
				}
				held := map[string]bool{}
				for c, err := range srv.Client().Customers.All(context.Background(), nil) {
					require.NoError(t, err)
					held[c.ExternalID] = true
				}
				for i, r := range byIndex {
					switch {
					case r.Outcome != commet.OutcomeFailed:
						assert.True(t, held[r.Item.ID], "item %d reported %v is on the server", i, r.Outcome)
					case held[r.Item.ID]:
						assert.ErrorIs(t, r.Err, commet.ErrOutcomeUnknown, "item %d is on the server: never a plain failure", i)
					}
					if errors.Is(r.Err, commet.ErrNotSent) {
						assert.False(t, held[r.Item.ID], "item %d, not sent, is not on the server: %v", i, r.Err)
					}
				}

				// Resumed from the last checkpoint OnProgress saw (what a
				// kill -9 leaves), the calm run sends only the items past it,
				// and its report of the whole migration equals the store.
				srv.ClearFaults()
				before := srv.Requests()
				final, err := srv.Client().Customers.Import(context.Background(), people(n), &commet.ImportCustomersParams{
					BatchSize: p.BatchSize, Since: since, Resume: last.Settled,
					ResumeFailed: func(i int) bool { return byIndex[i].Outcome == commet.OutcomeFailed },
				})
				require.NoError(t, err)
				left := n - settledCount(last.Settled)
				assert.Equal(t, (left+p.BatchSize-1)/p.BatchSize, srv.Requests()-before, "the batches of the %d items left", left)
				assert.Equal(t, n, srv.Len())
				assert.Equal(t, n, final.Created, "the report of the whole migration equals the store")
			})
		})
	}
}
