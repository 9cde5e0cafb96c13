package commet

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The headers themselves are read by internal/ratelimit, and tested there;
// these tests prove the SDK reads them through it.

// TestAPIErrorRetryAfterIsReadOnTheServersClock: APIError.RetryAfter is
// the server's ask, an HTTP date read against the answer's Date however
// far this machine's clock is off.
func TestAPIErrorRetryAfterIsReadOnTheServersClock(t *testing.T) {
	server := time.Now().Add(-3 * time.Hour) // the server's clock is 3 h behind ours
	date := func(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
	cases := []struct {
		name string
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{"date vs Date", http.Header{"Retry-After": {date(server.Add(7 * time.Second))}, "Date": {date(server)}}, 7 * time.Second, true},
		{"date past vs Date", http.Header{"Retry-After": {date(server.Add(-time.Second))}, "Date": {date(server)}}, 0, true},
		{"seconds", http.Header{"Retry-After": {"3"}, "Date": {date(server)}}, 3 * time.Second, true},
		{"a word", http.Header{"Retry-After": {"soon"}}, 0, false},
		{"none", http.Header{"Date": {date(server)}}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newAPIError(http.StatusTooManyRequests, tc.h, nil, func(s string) string { return s })
			assert.Equal(t, tc.ok, e.hasRetryAfter)
			assert.Equal(t, tc.want, e.RetryAfter)
		})
	}
}
