package commet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchWithOneTooLarge is 100 customers, half without an ID, and item
// big's name too large for a body of 64 KiB.
func batchWithOneTooLarge(big int) []commet.CreateCustomerParams {
	items := make([]commet.CreateCustomerParams, 100)
	for i := range items {
		items[i] = commet.CreateCustomerParams{Email: fmt.Sprintf("u%d@example.com", i)}
		if i%2 == 0 {
			items[i].ID = fmt.Sprintf("u%d", i)
		}
	}
	items[big].FullName = strings.Repeat("x", 100<<10)
	return items
}

// TestCreateBatchSplitsAround413AgainstTheFake: against a fake whose body
// limit one item exceeds, the other 99 are created, and the same call
// repeated with the same key creates nothing twice, even the customers
// without an ID (each smaller request's key is derived from the caller's).
func TestCreateBatchSplitsAround413AgainstTheFake(t *testing.T) {
	srv := commettest.NewServer(commettest.WithMaxBodyBytes(64 << 10))
	t.Cleanup(srv.Close)
	client := srv.Client()
	items := batchWithOneTooLarge(30)
	res, err := client.Customers.CreateBatch(context.Background(), items, commet.WithIdempotencyKey("migration-7-batch-1"))
	require.NoError(t, err)
	assert.Len(t, res.Successful, 99)
	require.Len(t, res.Failed, 1)
	assert.Equal(t, 30, res.Failed[0].Index)
	assert.Equal(t, "payload_too_large", res.Failed[0].Code)
	assert.Contains(t, res.Failed[0].Error(), "too large")
	assert.Equal(t, 99, srv.Len())
	assert.LessOrEqual(t, srv.Requests(), 1+2*7)

	again, err := client.Customers.CreateBatch(context.Background(), items, commet.WithIdempotencyKey("migration-7-batch-1"))
	require.NoError(t, err)
	assert.Equal(t, 99, srv.Len(), "nothing created twice")
	assert.Equal(t, res.Successful, again.Successful, "the first answers, replayed")
}

// TestImportSplitsAround413: Import gets the same splitting, and a split
// batch's customers count as created: the moment its first request left
// decides, not the moment of its last, seconds later.
func TestImportSplitsAround413(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithMaxBodyBytes(64<<10), commettest.WithLatency(time.Second))
		defer srv.Close()
		client := srv.Client()
		var got results
		items := batchWithOneTooLarge(99)
		items[10].FullName = items[99].FullName // two, so that the batch is halved, then each part split around its own
		for i := range items {
			items[i].ID = fmt.Sprintf("u%d", i)
		}
		sum, err := client.Customers.Import(context.Background(), rows(items...), &commet.ImportCustomersParams{BatchSize: 100, OnResult: got.add})
		require.NoError(t, err)
		assert.Equal(t, 98, sum.Created)
		assert.Zero(t, sum.Existed, "created by an earlier request of the batch is still created")
		assert.Equal(t, 2, sum.Failed)
		var bad *commet.BatchItemError
		require.True(t, errors.As(got.by[99].Err, &bad), "%v", got.by[99].Err)
		assert.Equal(t, "payload_too_large", bad.Code)
		assert.Equal(t, 98, srv.Len())
	})
}
