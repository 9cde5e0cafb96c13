package commet

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportPacesToTheRateLimit runs a few cells of the pacing grid (see
// BenchmarkImportPacingGrid) on synctest's clock, with a short steady
// state, and asserts the goal with a little slack: at least 0.93 of the
// limit, at most 3% of requests answered 429.
func TestImportPacesToTheRateLimit(t *testing.T) {
	cells := map[string]time.Duration{
		"bucket-20ps":            200 * time.Millisecond,
		"bucket-200ps":           40 * time.Millisecond,
		"no-headers-bucket-20ps": 100 * time.Millisecond,
	}
	for _, c := range gridLimiters {
		latency, ok := cells[c.name]
		if !ok {
			continue
		}
		t.Run(fmt.Sprintf("%s/%v", c.name, latency), func(t *testing.T) {
			inBubble(t, func(t *testing.T) {
				r := c.run(t, latency, 10*c.window)
				t.Log(r)
				assert.GreaterOrEqual(t, r.share, 0.93)
				assert.LessOrEqual(t, r.limited, 0.03)
			})
		})
	}
}

// TestImportFixedConcurrencyStaysFixed: a Concurrency the caller fixed is
// not lowered by 429s: after early ones, as many batches as asked are in
// flight again.
func TestImportFixedConcurrencyStaysFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := newBatchServer(t)
		s.before = func(n int) *http.Response {
			switch {
			case n <= 20: // a storm at the start
				return withRetryAfter429(1)
			case n == 21:
				s.maxInFlight.Store(0) // count from here
			}
			return nil
		}
		sum, err := c.Customers.Import(context.Background(), people(16*40, 0), &ImportCustomersParams{BatchSize: 1, Concurrency: 16})
		require.NoError(t, err)
		assert.Equal(t, 16*40, sum.Created)
		assert.EqualValues(t, 16, s.maxInFlight.Load(), "batches in flight after the 429s")
	})
}
