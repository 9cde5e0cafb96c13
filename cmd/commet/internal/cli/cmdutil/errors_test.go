package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	runErr := func(err error) error { return &RunError{Err: fmt.Errorf("customer %q: %w", "x", err)} }
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"cobra's own error", errors.New(`unknown flag: --nope`), ExitUsage},
		{"usage", UsageErrorf("--email is required"), ExitUsage},
		{"configuration", ConfigError(errors.New("no API key")), ExitUsage},
		{"declined", Cancelled(errors.New("cancelled: nothing was sent")), ExitCancelled},
		{"ctrl-c", runErr(context.Canceled), ExitCancelled},
		{"401", runErr(&commet.APIError{StatusCode: 401}), ExitAuth},
		{"403", runErr(&commet.APIError{StatusCode: 403}), ExitAuth},
		{"404", runErr(&commet.APIError{StatusCode: 404}), ExitNotFound},
		{"429", runErr(&commet.APIError{StatusCode: 429}), ExitTryLater},
		{"500", runErr(&commet.APIError{StatusCode: 500}), ExitTryLater},
		{"408", runErr(&commet.APIError{StatusCode: 408}), ExitTryLater},
		{"network", runErr(fmt.Errorf("commet: not sent: %w", commet.ErrNetwork)), ExitTryLater},
		{"timeout", runErr(context.DeadlineExceeded), ExitTryLater},
		{"409", runErr(&commet.APIError{StatusCode: 409}), ExitFailed},
		{"validation", runErr(&commet.APIError{StatusCode: 422}), ExitFailed},
		{"a file", runErr(errors.New("write out.csv: no space left on device")), ExitFailed},
		{"rows failed", ErrSomeFailed, ExitRowsFailed},
	}
	seen := map[int]bool{}
	for _, c := range cases {
		assert.Equal(t, c.want, ExitCode(c.err), c.name)
		seen[c.want] = true
	}
	assert.Len(t, seen, 8, "every exit code is in the table")
}

func TestMessageHasOneCommetPrefix(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`commet: customer "nope": commet: not sent: commet: network error: dial tcp: refused`: `commet: customer "nope": not sent: network error: dial tcp: refused`,
		"no API key: set COMMET_API_KEY":                     "commet: no API key: set COMMET_API_KEY",
		"commet: GET /customers: 404 not_found: gone\n  and": "commet: GET /customers: 404 not_found: gone and",
		"commet: a commet: inside a part stays":              "commet: a commet: inside a part stays",
		"commetx: kept":                                      "commet: commetx: kept",
	}
	for in, want := range cases {
		assert.Equal(t, want, Message(errors.New(in)), in)
	}
}
