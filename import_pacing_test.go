package commet

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
