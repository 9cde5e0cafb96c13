package commet_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// sentinels are what an import item's Err is matched against.
var sentinels = []struct {
	name string
	err  error
}{
	{"ErrNotSent", commet.ErrNotSent},
	{"ErrOutcomeUnknown", commet.ErrOutcomeUnknown},
	{"ErrNetwork", commet.ErrNetwork},
	{"ErrValidation", commet.ErrValidation},
	{"ErrBadRequest", commet.ErrBadRequest},
	{"ErrServer", commet.ErrServer},
	{"ErrRateLimited", commet.ErrRateLimited},
	{"ErrUnauthorized", commet.ErrUnauthorized},
	{"ErrBadResponse", commet.ErrBadResponse},
	{"context.Canceled", context.Canceled},
	{"context.DeadlineExceeded", context.DeadlineExceeded},
}

// signature is an item's outcome and the sentinels its Err matches, as
// one line: "failed: ErrNotSent + context.Canceled".
func signature(r commet.ImportItemResult) string {
	var names []string
	for _, s := range sentinels {
		if errors.Is(r.Err, s.err) {
			names = append(names, s.name)
		}
	}
	if len(names) == 0 {
		return r.Outcome.String()
	}
	return r.Outcome.String() + ": " + strings.Join(names, " + ")
}

// exclusive are the sentinels no item's Err may match together: an item
// was sent or not, and an item refused for its data was not lost.
var exclusive = [][2]error{
	{commet.ErrNotSent, commet.ErrOutcomeUnknown},
	{commet.ErrNotSent, commet.ErrValidation},
	{commet.ErrOutcomeUnknown, commet.ErrValidation},
}

// run imports items in the background and calls act (a cancel, a stop)
// once after is over, on synctest's clock.
func runAndAct(ctx context.Context, client *commet.Client, items []commet.CreateCustomerParams, p *commet.ImportCustomersParams, after time.Duration, act func()) error {
	done := make(chan error, 1)
	go func() {
		_, err := client.Customers.Import(ctx, rows(items...), p)
		done <- err
	}()
	time.Sleep(after)
	act()
	return <-done
}

// TestImportOutcomesTellOneTruth: over every way an import item can end,
// its Err matches exactly the sentinels of what happened to it, and no
// item matches two that exclude each other (an item never sent matches
// ErrNotSent and nothing of the batches whose failures stopped the import).
func TestImportOutcomesTellOneTruth(t *testing.T) {
	valid := func(ids ...string) []commet.CreateCustomerParams {
		var out []commet.CreateCustomerParams
		for _, id := range ids {
			out = append(out, commet.CreateCustomerParams{ID: id, Email: id + "@example.com"})
		}
		return out
	}
	six := valid("u1", "u2", "u3", "u4", "u5", "u6")
	fast := commet.WithRetryBackoff(time.Second, time.Second)
	for _, tc := range []struct {
		name string
		// run imports with p (OnResult set, BatchSize 2, Concurrency 1
		// unless it changes them) against srv.
		run  func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error
		want []string // the signatures seen, each at least once
	}{
		{"created", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			_, err := srv.Client().Customers.Import(context.Background(), rows(six...), p)
			return err
		}, []string{"created"}},
		{"existed, archived, repeated", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			c := srv.Client()
			_, err := c.Customers.CreateBatch(context.Background(), valid("u1", "u2"))
			require.NoError(t, err)
			_, err = c.Customers.Archive(context.Background(), "u2")
			require.NoError(t, err)
			time.Sleep(time.Minute)
			_, err = c.Customers.Import(context.Background(), rows(valid("u1", "u2", "u1")...), p)
			return err
		}, []string{"existed", "archived", "repeated"}},
		{"refused by Commet", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			_, err := srv.Client().Customers.Import(context.Background(), rows(commet.CreateCustomerParams{ID: "u1", Email: "a@example.com", Timezone: "Mars/Olympus"}), p)
			return err
		}, []string{"failed: ErrValidation"}},
		{"refused by Validate", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			_, err := srv.Client().Customers.Import(context.Background(), rows(commet.CreateCustomerParams{ID: "u1", Email: "not-an-email"}), p)
			return err
		}, []string{"failed: ErrValidation"}},
		{"whole batch refused", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusBadRequest, Times: commettest.Forever})
			_, err := srv.Client().Customers.Import(context.Background(), rows(six[:2]...), p)
			return err
		}, []string{"failed: ErrBadRequest"}},
		{"5xx after its retries", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusServiceUnavailable, Times: commettest.Forever})
			_, err := srv.Client(fast).Customers.Import(context.Background(), rows(six[:2]...), p)
			return err
		}, []string{"failed: ErrServer"}},
		{"answer lost", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", DropAnswer: true, Times: commettest.Forever})
			_, err := srv.Client(fast).Customers.Import(context.Background(), rows(six[:2]...), p)
			return err
		}, []string{"failed: ErrOutcomeUnknown + ErrNetwork"}},
		{"no connection opens", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			refuse := func(*http.Request, commet.Attempt, commet.MiddlewareNext) (*http.Response, error) {
				return nil, errors.New("dial tcp: connection refused")
			}
			_, err := srv.Client(fast, commet.WithMiddleware(refuse)).Customers.Import(context.Background(), rows(six[:2]...), p)
			return err
		}, []string{"failed: ErrNotSent + ErrNetwork"}},
		{"ctx cancelled in flight", func(t *testing.T, _ *commettest.Server, p *commet.ImportCustomersParams) error {
			slow := commettest.NewServer(commettest.WithLatency(time.Hour))
			defer slow.Close()
			ctx, cancel := context.WithCancel(context.Background())
			return runAndAct(ctx, slow.Client(), six[:2], p, time.Minute, cancel)
		}, []string{"failed: ErrOutcomeUnknown + context.Canceled"}},
		{"ctx cancelled before sending", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := srv.Client().Customers.Import(ctx, rows(six...), p)
			return err
		}, []string{"failed: ErrNotSent + context.Canceled"}},
		{"ctx deadline while in flight and waiting", func(t *testing.T, _ *commettest.Server, p *commet.ImportCustomersParams) error {
			slow := commettest.NewServer(commettest.WithLatency(time.Hour))
			defer slow.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := slow.Client().Customers.Import(ctx, rows(six...), p)
			return err
		}, []string{"failed: ErrOutcomeUnknown + context.DeadlineExceeded", "failed: ErrNotSent + context.DeadlineExceeded"}},
		{"graceful stop", func(t *testing.T, _ *commettest.Server, p *commet.ImportCustomersParams) error {
			slow := commettest.NewServer(commettest.WithLatency(10 * time.Second))
			defer slow.Close()
			stop := make(chan struct{})
			p.Stop = stop
			return runAndAct(context.Background(), slow.Client(), six, p, time.Second, func() { close(stop) })
		}, []string{"created", "failed: ErrNotSent"}},
		{"failure budget spent on lost answers", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", DropAnswer: true, Times: commettest.Forever})
			p.FailureBudget = 2
			_, err := srv.Client(commet.WithMaxRetries(0)).Customers.Import(context.Background(), rows(six...), p)
			return err
		}, []string{"failed: ErrOutcomeUnknown + ErrNetwork", "failed: ErrNotSent"}},
		{"failure budget spent while another batch is in flight", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			// At 1 s the first batch's answer is lost, and the fourth takes its
			// slot; at 2 s the second's is, which spends the budget while the
			// third and fourth are in flight and the fifth waits.
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", DropAnswer: true, Delay: time.Second})
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", DropAnswer: true, Delay: 2 * time.Second})
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", Delay: time.Hour, Times: commettest.Forever})
			p.FailureBudget, p.Concurrency = 2, 3
			_, err := srv.Client(commet.WithMaxRetries(0)).Customers.Import(context.Background(), rows(append(six, valid("u7", "u8", "u9", "u10")...)...), p)
			return err
		}, []string{"failed: ErrOutcomeUnknown + ErrNetwork", "failed: ErrOutcomeUnknown", "failed: ErrNotSent"}},
		{"key refused", func(t *testing.T, _ *commettest.Server, p *commet.ImportCustomersParams) error {
			keyed := commettest.NewServer(commettest.WithAPIKey("ck_test_right"))
			defer keyed.Close()
			client, err := commet.NewClient("ck_test_wrong", commet.WithBaseURL(commettest.InMemoryBaseURL),
				commet.WithHTTPClient(&http.Client{Transport: keyed.Transport()}))
			require.NoError(t, err)
			_, err = client.Customers.Import(context.Background(), rows(six...), p)
			return err
		}, []string{"failed: ErrUnauthorized", "failed: ErrNotSent"}},
		{"429s, then ctx cancelled", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusTooManyRequests, RetryAfter: "600"})
			ctx, cancel := context.WithCancel(context.Background())
			return runAndAct(ctx, srv.Client(), six, p, time.Minute, cancel)
		}, []string{"failed: ErrNotSent + ErrRateLimited + context.Canceled", "failed: ErrNotSent + context.Canceled"}},
		{"429s, then a deadline the wait would outlast", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusTooManyRequests, RetryAfter: "600"})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := srv.Client().Customers.Import(ctx, rows(six...), p)
			return err
		}, []string{"failed: ErrNotSent + ErrRateLimited + context.DeadlineExceeded", "failed: ErrNotSent + context.DeadlineExceeded"}},
		{"429s until the batch's patience ran out", func(t *testing.T, srv *commettest.Server, p *commet.ImportCustomersParams) error {
			srv.InjectFault(commettest.Fault{Path: "/customers/batch", Status: http.StatusTooManyRequests, RetryAfter: "600", Times: commettest.Forever})
			_, err := srv.Client().Customers.Import(context.Background(), rows(six[:2]...), p)
			return err
		}, []string{"failed: ErrNotSent + ErrRateLimited"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer()
				defer srv.Close()
				var got results
				p := &commet.ImportCustomersParams{BatchSize: 2, Concurrency: 1, OnResult: got.add}
				tc.run(t, srv, p)
				seen := map[string]bool{}
				for i, r := range got.by {
					sig := signature(r)
					seen[sig] = true
					assert.Contains(t, tc.want, sig, "item %d: %v", i, r.Err)
					for _, pair := range exclusive {
						assert.False(t, errors.Is(r.Err, pair[0]) && errors.Is(r.Err, pair[1]), "item %d matches %v and %v: %v", i, pair[0], pair[1], r.Err)
					}
				}
				for _, want := range tc.want {
					assert.True(t, seen[want], "no item ended %q; seen %v", want, slices.Sorted(mapKeys(seen)))
				}
			})
		})
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
