package commet_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// TestImportResumeSendsOnlyWhatIsLeft stops an import at once (as a kill -9
// would, keeping only the checkpoint of its last OnProgress) at several
// moments, and resumes it from that checkpoint: the resumed run sends the
// batches of the items past the checkpoint and nothing before it, the
// checkpoint lags what was done by at most the batches in flight, and the
// final report equals what Commet stores.
func TestImportResumeSendsOnlyWhatIsLeft(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	const n, batch, workers = 2000, 100, 4
	for _, stopAfter := range []time.Duration{1100 * time.Millisecond, 2500 * time.Millisecond, 3700 * time.Millisecond} {
		t.Run(fmt.Sprint("stopped after ", stopAfter), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer(commettest.WithLatency(time.Second))
				defer srv.Close()
				since := time.Now().Add(-time.Second)
				var mu sync.Mutex
				var last commet.ImportSummary // what a program keeps after each OnProgress
				ctx, cancel := context.WithCancel(context.Background())
				params := commet.ImportCustomersParams{BatchSize: batch, Concurrency: workers, Since: since,
					OnProgress: func(s commet.ImportSummary) { mu.Lock(); last = s; mu.Unlock() }}
				done := make(chan struct{})
				var first commet.ImportSummary
				go func() {
					defer close(done)
					first, _ = srv.Client().Customers.Import(ctx, people(n), &params)
				}()
				time.Sleep(stopAfter)
				mu.Lock()
				cp := last.Settled // the last checkpoint kept before the kill
				mu.Unlock()
				cancel()
				<-done
				settled := settledCount(cp)
				require.Positive(t, settled)
				require.Less(t, settled, n)
				created := cp.Created
				for _, r := range cp.Past {
					created += r.Created
				}
				assert.Equal(t, settled, created, "nothing else happened to these")
				stored := srv.Len()
				assert.LessOrEqual(t, stored-settled, workers*batch, "beyond the checkpoint, at most the batches in flight were done")
				assert.Equal(t, settled, settledCount(first.Settled), "the cut batches are unknown: the checkpoint leaves them out")

				before := srv.Requests()
				resumed := params
				resumed.OnProgress, resumed.Resume = nil, cp
				sum, err := srv.Client().Customers.Import(context.Background(), people(n), &resumed)
				require.NoError(t, err)
				requests := srv.Requests() - before
				assert.Equal(t, (n-settled+batch-1)/batch, requests, "only the items the checkpoint leaves out are sent")
				assert.Equal(t, n, srv.Len())
				assert.Equal(t, n, sum.Done)
				assert.Equal(t, n, sum.Created, "the report of the whole migration equals the store")
				assert.Equal(t, settled, sum.Resumed)
				assert.Equal(t, commet.ImportCheckpoint{Items: n, Created: n}, sum.Settled)
			})
		})
	}
}

// TestImportResumeKnowsTheSkippedIDs: an ID first seen in the skipped
// prefix is still known. A later repeat of an item that settled is
// settled without a request (RepeatOf the earlier item, Differs against
// its data); a later repeat of an item that failed is sent in its place;
// the skipped items are read but never reported again.
func TestImportResumeKnowsTheSkippedIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		item := func(i int, id, name string) commet.CreateCustomerParams {
			return commet.CreateCustomerParams{ID: id, Email: fmt.Sprintf("u%d@example.com", i), FullName: name}
		}
		var input []commet.CreateCustomerParams
		for i := range 10 {
			input = append(input, item(i, fmt.Sprintf("user_%d", i), "Ann"))
		}
		input = append(input,
			item(3, "user_3", "Bob"),  // repeats a settled item, with another name
			item(11, "user_5", "Ann"), // repeats the item that failed
			item(12, "user_12", "Ann"))
		// The earlier run: items 0 to 9 settled, item 5 refused.
		earlier := append(append([]commet.CreateCustomerParams{}, input[:5]...), input[6:10]...)
		_, err := srv.Client().Customers.Import(context.Background(), rows(earlier...), nil)
		require.NoError(t, err)
		before := srv.Requests()

		var got results
		var asked []int
		sum, err := srv.Client().Customers.Import(context.Background(), rows(input...), &commet.ImportCustomersParams{
			Resume:       commet.ImportCheckpoint{Items: 10, Created: 9, Failed: 1},
			ResumeFailed: func(i int) bool { asked = append(asked, i); return i == 5 },
			OnResult:     got.add,
		})
		require.NoError(t, err)
		assert.Equal(t, 1, srv.Requests()-before, "one batch: items 11 and 12")
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, asked)
		assert.Len(t, got.by, 3, "the skipped items are not reported again")
		assert.Equal(t, commet.OutcomeRepeated, got.by[10].Outcome)
		assert.Equal(t, 3, got.by[10].RepeatOf)
		assert.Equal(t, []string{"fullName"}, got.by[10].Differs)
		assert.Equal(t, commet.OutcomeCreated, got.by[11].Outcome, "sent in place of the item that failed")
		assert.Equal(t, commet.OutcomeCreated, got.by[12].Outcome)
		assert.Equal(t, commet.ImportSummary{Done: 13, Created: 11, Repeated: 1, Failed: 1, Resumed: 10,
			Settled: commet.ImportCheckpoint{Items: 13, Created: 11, Repeated: 1, Failed: 1}}, zeroElapsed(sum))
		assert.Equal(t, 11, srv.Len())
	})
}

func zeroElapsed(s commet.ImportSummary) commet.ImportSummary {
	s.Elapsed = 0
	return s
}

// TestImportCheckpointLeavesOutTheItemsToRedo: a graceful stop leaves items
// not sent; the checkpoint holds exactly the items that settled, counted.
func TestImportCheckpointLeavesOutTheItemsToRedo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(time.Second))
		defer srv.Close()
		stop := make(chan struct{})
		var got results
		done := make(chan struct{})
		var sum commet.ImportSummary
		go func() {
			defer close(done)
			sum, _ = srv.Client().Customers.Import(context.Background(), people(5000), &commet.ImportCustomersParams{Stop: stop, OnResult: got.add, Concurrency: 3})
		}()
		time.Sleep(2500 * time.Millisecond)
		close(stop)
		<-done
		require.Positive(t, sum.NotSent)
		assert.Equal(t, checkpointOf(got.by), sum.Settled)
		assert.Equal(t, srv.Len(), settledCount(sum.Settled))
	})
}

// TestImportResumeIsChecked: a Resume whose counts do not add up, that
// counts failures without saying which, or whose input is shorter than it,
// is refused.
func TestImportResumeIsChecked(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	for _, c := range []struct {
		name   string
		params commet.ImportCustomersParams
	}{
		{"counts that do not add up", commet.ImportCustomersParams{Resume: commet.ImportCheckpoint{Items: 10, Created: 9}}},
		{"a negative count", commet.ImportCustomersParams{Resume: commet.ImportCheckpoint{Items: 0, Created: 1, Existed: -1}}},
		{"failures without ResumeFailed", commet.ImportCustomersParams{Resume: commet.ImportCheckpoint{Items: 1, Failed: 1}}},
	} {
		_, err := srv.Client().Customers.Import(context.Background(), people(10), &c.params)
		assert.ErrorIs(t, err, commet.ErrInvalidConfig, c.name)
	}
	sum, err := srv.Client().Customers.Import(context.Background(), people(10), &commet.ImportCustomersParams{Resume: commet.ImportCheckpoint{Items: 20, Created: 20}})
	assert.ErrorContains(t, err, "the input ended before the items")
	assert.Zero(t, srv.Requests())
	assert.Equal(t, 20, sum.Settled.Items)
}

// checkpointOf is the checkpoint that results by index make: the items with
// a final outcome (any but a failure other than a refusal of the item's
// data), as a prefix and ranges past it, with their counts.
func checkpointOf(byIndex map[int]commet.ImportItemResult) commet.ImportCheckpoint {
	final := func(i int) (commet.ImportItemResult, bool) {
		r, ok := byIndex[i]
		return r, ok && (r.Outcome != commet.OutcomeFailed || errors.Is(r.Err, commet.ErrValidation))
	}
	var cp commet.ImportCheckpoint
	for ; ; cp.Items++ {
		r, ok := final(cp.Items)
		if !ok {
			break
		}
		add(r.Outcome, &cp.Created, &cp.Existed, &cp.Archived, &cp.Repeated, &cp.Failed)
	}
	last := cp.Items
	for i := range byIndex {
		last = max(last, i)
	}
	for i := cp.Items + 1; i <= last; i++ {
		r, ok := final(i)
		if !ok {
			continue
		}
		if n := len(cp.Past); n == 0 || cp.Past[n-1].To != i {
			cp.Past = append(cp.Past, commet.ImportRange{From: i, To: i})
		}
		p := &cp.Past[len(cp.Past)-1]
		p.To++
		add(r.Outcome, &p.Created, &p.Existed, &p.Archived, &p.Repeated, &p.Failed)
	}
	return cp
}

func add(o commet.Outcome, created, existed, archived, repeated, failed *int) {
	switch o {
	case commet.OutcomeCreated:
		*created++
	case commet.OutcomeExisted:
		*existed++
	case commet.OutcomeArchived:
		*archived++
	case commet.OutcomeRepeated:
		*repeated++
	default:
		*failed++
	}
}

// settledCount is the number of items cp holds as settled.
func settledCount(cp commet.ImportCheckpoint) int {
	n := cp.Items
	for _, r := range cp.Past {
		n += r.To - r.From
	}
	return n
}

// TestImportResumeSkipsThePastRanges: the items of Resume.Past are read but
// not sent, as the prefix's are; the others are sent together.
func TestImportResumeSkipsThePastRanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		var all []commet.CreateCustomerParams
		for p := range people(10) {
			all = append(all, p)
		}
		_, err := srv.Client().Customers.Import(context.Background(), rows(all[0], all[1], all[5], all[6], all[7]), nil)
		require.NoError(t, err)
		before := srv.Requests()
		var got results
		sum, err := srv.Client().Customers.Import(context.Background(), rows(all...), &commet.ImportCustomersParams{
			Since:    time.Now().Add(-time.Hour),
			Resume:   commet.ImportCheckpoint{Items: 2, Created: 2, Past: []commet.ImportRange{{From: 5, To: 8, Created: 3}}},
			OnResult: got.add,
		})
		require.NoError(t, err)
		assert.Equal(t, 1, srv.Requests()-before)
		assert.ElementsMatch(t, []int{2, 3, 4, 8, 9}, slices.Collect(maps.Keys(got.by)))
		assert.Equal(t, 10, sum.Created)
		assert.Equal(t, commet.ImportCheckpoint{Items: 10, Created: 10}, sum.Settled, "the ranges joined the prefix")
		assert.Equal(t, 10, srv.Len())

		_, err = srv.Client().Customers.Import(context.Background(), rows(all...), &commet.ImportCustomersParams{
			Resume: commet.ImportCheckpoint{Items: 2, Created: 2, Past: []commet.ImportRange{{From: 1, To: 3, Created: 2}}},
		})
		assert.ErrorIs(t, err, commet.ErrInvalidConfig, "a range within the prefix")
	})
}
