package cmdutil

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet"
)

// TestRequestStatsReadsRetryAfterAsTheSDKDoes: the wait shown after a 429
// is what its Retry-After asks, in seconds or as an HTTP date read against
// the answer's Date (the server's clock, here an hour behind); a second
// when it asks for nothing usable.
func TestRequestStatsReadsRetryAfterAsTheSDKDoes(t *testing.T) {
	cases := []struct {
		name       string
		retryAfter func(server time.Time) string
		want       time.Duration
	}{
		{"seconds", func(time.Time) string { return "7" }, 7 * time.Second},
		{"a date on the server's clock", func(server time.Time) string { return server.Add(20 * time.Second).Format(http.TimeFormat) }, 20 * time.Second},
		{"a date past", func(server time.Time) string { return server.Add(-time.Minute).Format(http.TimeFormat) }, time.Second},
		{"0", func(time.Time) string { return "0" }, time.Second},
		{"a fraction", func(time.Time) string { return "1.5" }, time.Second},
		{"none", func(time.Time) string { return "" }, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				server := time.Now().UTC().Add(-time.Hour)
				var s RequestStats
				assert.Zero(t, s.Waiting())
				h := http.Header{"Date": {server.Format(http.TimeFormat)}}
				if v := tc.retryAfter(server); v != "" {
					h.Set("Retry-After", v)
				}
				req, err := http.NewRequest("GET", "https://example.test/", nil)
				require.NoError(t, err)
				_, err = s.middleware(req, commet.Attempt{}, func(*http.Request) (*http.Response, error) {
					return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h}, nil
				})
				require.NoError(t, err)
				assert.Equal(t, tc.want, s.Waiting())
				assert.EqualValues(t, 1, s.Sent())
				assert.EqualValues(t, 1, s.RateLimited())
			})
		})
	}
}
