package commet_test

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pacingCell is one run of Import against a rate-limited fake.
type pacingCell struct {
	limit     float64       // requests per second Commet allows (burst: one second's worth)
	latency   time.Duration // added to every answer
	headers   bool          // false: the server sends Retry-After only, no RateLimit-*
	batches   int           // batch requests the import needs
	batchSize int           // customers per batch; 0 for the default
	elapsed   time.Duration // how long the import took
	requests  int64         // requests sent
	limited   int64         // of which answered 429
	customers int           // stored at the end
}

// share is the share of the limit the import reached: the ideal time
// (batches / limit) over the time it took.
func (c *pacingCell) share() float64 {
	ideal := time.Duration(float64(c.batches) / c.limit * float64(time.Second))
	return ideal.Seconds() / c.elapsed.Seconds()
}

func (c *pacingCell) share429() float64 { return float64(c.limited) / float64(c.requests) }

func (c *pacingCell) String() string {
	return fmt.Sprintf("%g req/s, %v, headers=%t: %.0f%% of the limit, %.1f%% answered 429 (%d requests, %v)",
		c.limit, c.latency, c.headers, 100*c.share(), 100*c.share429(), c.requests, c.elapsed.Round(time.Millisecond))
}

// run imports c.batches full batches into a fake limited to c.limit
// requests per second, with default params.
func (c *pacingCell) run(tb testing.TB) {
	srv := commettest.NewServer(commettest.WithRateLimit(c.limit, max(1, int(c.limit))), commettest.WithLatency(c.latency))
	defer srv.Close()
	var requests, limited atomic.Int64
	count := func(req *http.Request, _ commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
		requests.Add(1)
		resp, err := next(req)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			limited.Add(1)
		}
		if err == nil && !c.headers {
			for k := range resp.Header {
				if strings.HasPrefix(k, "Ratelimit-") {
					delete(resp.Header, k)
				}
			}
		}
		return resp, err
	}
	client := srv.Client(commet.WithMiddleware(count))
	start := time.Now()
	size := cmp.Or(c.batchSize, commet.MaxCustomerBatchSize)
	sum, err := client.Customers.Import(context.Background(), numbered(c.batches*size), &commet.ImportCustomersParams{BatchSize: c.batchSize})
	c.elapsed = time.Since(start)
	require.NoError(tb, err)
	require.Equal(tb, c.batches*size, sum.Created)
	c.requests, c.limited, c.customers = requests.Load(), limited.Load(), srv.Len()
}

// numbered yields n customers, user_0 to user_{n-1}.
func numbered(n int) iter.Seq[commet.CreateCustomerParams] {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for i := range n {
			if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("user_%d", i), Email: fmt.Sprintf("u%d@example.com", i)}) {
				return
			}
		}
	}
}

// TestImportPacesToTheRateLimit runs Import against rate-limited fakes on
// synctest's clock: with RateLimit-* headers it must reach 90% of the limit
// with at most 5% of requests answered 429; without them (Retry-After
// only), 80% of the limit, and the 429s it takes to find it.
// BenchmarkImportPacing runs the whole grid on the real clock.
func TestImportPacesToTheRateLimit(t *testing.T) {
	for _, cell := range []pacingCell{
		{limit: 5, latency: 40 * time.Millisecond, headers: true},
		{limit: 20, latency: 200 * time.Millisecond, headers: true},
		{limit: 50, latency: 150 * time.Millisecond, headers: true},
		{limit: 200, latency: 40 * time.Millisecond, headers: true},
		{limit: 200, latency: 200 * time.Millisecond, headers: true},
		{limit: 5, latency: 40 * time.Millisecond},
		{limit: 20, latency: 200 * time.Millisecond},
		{limit: 200, latency: 100 * time.Millisecond},
	} {
		t.Run(fmt.Sprintf("%g/s %v headers=%t", cell.limit, cell.latency, cell.headers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cell.batches = int(cell.limit * 20) // 20 s at the limit
				cell.batchSize = 1                  // pacing is the same, and the fake's work is less
				cell.run(t)
				t.Log(cell.String())
				if cell.headers {
					assert.GreaterOrEqual(t, cell.share(), 0.9)
					assert.LessOrEqual(t, cell.share429(), 0.05)
				} else { // the limit is found by hitting it
					assert.GreaterOrEqual(t, cell.share(), 0.8)
					assert.LessOrEqual(t, cell.share429(), 0.1)
				}
				assert.Equal(t, cell.batches, cell.customers)
			})
		})
	}
}
