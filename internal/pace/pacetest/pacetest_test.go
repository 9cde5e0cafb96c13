package pacetest

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet/internal/ratelimit"
)

// TestServerFields: a Server writes the older triple, the draft's fields,
// or both, and what it writes reads back as the limiter's state; a
// Stacked names each of its limiters as a policy.
func TestServerFields(t *testing.T) {
	cases := []struct {
		name    string
		limiter Limiter
		fields  Fields
		want    map[string]string // "" for absent
	}{
		{"legacy", &FixedWindow{N: 10, W: 10 * time.Second}, LegacyFields, map[string]string{
			"RateLimit-Limit": "10", "RateLimit-Remaining": "9", "RateLimit-Reset": "10", "RateLimit-Policy": "", "RateLimit": ""}},
		{"draft", &FixedWindow{N: 10, W: 10 * time.Second}, DraftFields, map[string]string{
			"RateLimit-Limit": "", "RateLimit-Remaining": "", "RateLimit-Reset": "",
			"RateLimit-Policy": `"default";q=10;w=10`, "RateLimit": `"default";r=9;t=10`}},
		{"both", &FixedWindow{N: 10, W: 10 * time.Second}, BothFields, map[string]string{
			"RateLimit-Limit": "10", "RateLimit-Remaining": "9", "RateLimit-Reset": "10",
			"RateLimit-Policy": `"default";q=10;w=10`, "RateLimit": `"default";r=9;t=10`}},
		{"bucket: w is burst over rate", NewTokenBucket(10, 100), DraftFields, map[string]string{
			"RateLimit-Policy": `"default";q=100;w=10`, "RateLimit": `"default";r=99;t=1`}},
		{"stacked: every policy", Stacked{&FixedWindow{N: 100, W: 10 * time.Second}, &FixedWindow{N: 100_000, W: 24 * time.Hour}}, DraftFields, map[string]string{
			"RateLimit-Policy": `"p0";q=100;w=10, "p1";q=100000;w=86400`, "RateLimit": `"p0";r=99;t=10, "p1";r=99999;t=86400`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := NewServer(c.limiter, Honest, 0)
				srv.Fields = c.fields
				req, err := http.NewRequest("POST", "https://commet.test/api/v1/customers", nil)
				require.NoError(t, err)
				resp, err := srv.RoundTrip(req)
				require.NoError(t, err)
				resp.Body.Close()
				for name, want := range c.want {
					assert.Equal(t, want, resp.Header.Get(name), name)
				}
				l, ok := ratelimit.Read(resp.Header, time.Now())
				assert.True(t, ok)
				assert.Equal(t, l.Limit-1, l.Remaining)
			})
		})
	}
}

// TestServerFormsDisagree: TripleRemainingAtLimit misstates the triple
// alone, so that with BothFields the two forms disagree, and the reading
// keeps the draft's, which leaves less.
func TestServerFormsDisagree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(&FixedWindow{N: 10, W: 10 * time.Second}, TripleRemainingAtLimit, 0)
		srv.Fields = BothFields
		req, err := http.NewRequest("POST", "https://commet.test/api/v1/customers", nil)
		require.NoError(t, err)
		resp, err := srv.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, "10", resp.Header.Get("RateLimit-Remaining"))
		assert.Equal(t, `"default";r=9;t=10`, resp.Header.Get("RateLimit"))
		l, ok := ratelimit.Read(resp.Header, time.Now())
		require.True(t, ok)
		assert.Equal(t, 9, l.Remaining)
	})
}
