package pace

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestPaceUsesTheStatedWindow: a RateLimit-Policy that states its window
// (w=10) is paced over that window from the first answers, where the
// Resets alone (2 s into a window of 10) would pace five times too fast;
// without a policy, the Reset is all there is to go on.
func TestPaceUsesTheStatedWindow(t *testing.T) {
	triple := func(remaining string) []string {
		return []string{"RateLimit-Limit", "100", "RateLimit-Remaining", remaining, "RateLimit-Reset", "2"}
	}
	draft := func(remaining string) []string {
		return []string{"RateLimit-Policy", `"default";q=100;w=10`, "RateLimit", `"default";r=` + remaining + `;t=2`}
	}
	cases := []struct {
		name   string
		header func(remaining string) []string
		pace   float64 // after two answers, 50 then 49 left
	}{
		{"the draft states w=10", draft, windowShare * 51 / 10},
		{"both forms: the policy's window", func(r string) []string { return append(triple(r), draft(r)...) }, windowShare * 51 / 10},
		{"the triple: the Reset bounds the window", triple, windowShare * 51 / 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(Config{})
				for _, remaining := range []string{"50", "49"} {
					time.Sleep(100 * time.Millisecond)
					now := time.Now()
					h := http.Header{"Date": {now.UTC().Format(http.TimeFormat)}}
					kv := c.header(remaining)
					for i := 0; i+1 < len(kv); i += 2 {
						h.Set(kv[i], kv[i+1])
					}
					p.mu.Lock()
					p.inFlight++
					p.mu.Unlock()
					p.learn(now.Add(-50*time.Millisecond), now, &http.Response{StatusCode: 200, Header: h}, nil)
				}
				p.mu.Lock()
				defer p.mu.Unlock()
				rate, until := p.rate(time.Now())
				assert.InDelta(t, c.pace, rate, 1e-9)
				assert.True(t, until.IsZero())
			})
		})
	}
}
