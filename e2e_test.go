package commet_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The user stories of the SDK, end to end against commettest.

func newFake(t *testing.T, opts ...commet.ClientOption) (*commettest.Server, *commet.Client) {
	t.Helper()
	srv := commettest.NewServer()
	t.Cleanup(srv.Close)
	opts = append([]commet.ClientOption{commet.WithRetryBackoff(time.Millisecond, 5*time.Millisecond)}, opts...)
	return srv, srv.Client(opts...)
}

func TestSignUpTwiceGivesOneCustomer(t *testing.T) {
	_, client := newFake(t)
	ctx := context.Background()
	params := &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_42", FullName: "Ada"}
	first, err := client.Customers.Create(ctx, params)
	require.NoError(t, err)
	assert.Equal(t, commet.OutcomeCreated, first.Outcome)
	second, err := client.Customers.Create(ctx, params) // the sign-up request was retried
	require.NoError(t, err)
	assert.Equal(t, first.ID, second.ID)
	assert.Equal(t, commet.OutcomeExisted, second.Outcome)

	// Even with a different email, the ID decides: the first record stays.
	third, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "other@example.com", ID: "user_42"})
	require.NoError(t, err)
	assert.Equal(t, first.ID, third.ID)
	assert.Equal(t, "ada@example.com", third.Email)
	assert.Equal(t, commet.OutcomeExisted, third.Outcome)

	// A closed account is not a working one: Create says so.
	_, err = client.Customers.Archive(ctx, "user_42")
	require.NoError(t, err)
	fourth, err := client.Customers.Create(ctx, params)
	require.NoError(t, err)
	assert.Equal(t, commet.OutcomeArchived, fourth.Outcome)
	assert.False(t, fourth.IsActive)

	n := 0
	for _, err := range client.Customers.All(ctx, nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n)
}

func TestSignUpRetriedThroughFaultsGivesOneCustomer(t *testing.T) {
	srv, client := newFake(t)
	srv.InjectFault(commettest.Fault{Method: "POST", Path: "/api/v1/customers", Status: 503, Times: 2})
	var resp commet.Response
	cust, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{Email: "a@example.com"}, commet.WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, 3, resp.Attempts)
	got, err := client.Customers.Get(context.Background(), cust.ID)
	require.NoError(t, err)
	assert.Equal(t, cust.ID, got.ID)
}

func TestMigrationOf5000ThenIterate(t *testing.T) {
	_, client := newFake(t)
	ctx := context.Background()
	sum, err := client.Customers.Import(ctx, people(5000), nil)
	require.NoError(t, err)
	assert.Equal(t, 5000, sum.Created)

	seen := make(map[string]bool, 5000)
	for c, err := range client.Customers.All(ctx, &commet.ListCustomersParams{Limit: 37}) {
		require.NoError(t, err)
		require.False(t, seen[c.ExternalID], "duplicate %s", c.ExternalID)
		seen[c.ExternalID] = true
	}
	assert.Len(t, seen, 5000)
}

func TestUpdateAndArchiveRoundTrip(t *testing.T) {
	_, client := newFake(t)
	ctx := context.Background()
	created, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{
		Email: "a@example.com", ID: "user_1", FullName: "Ada", Timezone: "Europe/London",
		Metadata: map[string]any{"plan": "pro"},
	})
	require.NoError(t, err)

	updated, err := client.Customers.Update(ctx, "user_1", &commet.UpdateCustomerParams{
		Email:    commet.Ptr("new@example.com"),
		FullName: commet.Ptr(""), // cleared
		Address:  &commet.Address{Line1: "1 Main St", City: "Austin", PostalCode: "78701", Country: "US"},
		Metadata: map[string]any{},
	})
	require.NoError(t, err)
	assert.Equal(t, created.ID, updated.ID)
	assert.Equal(t, "new@example.com", updated.Email)
	assert.Empty(t, updated.FullName)
	assert.Equal(t, "Europe/London", updated.Timezone, "fields not sent are unchanged")
	assert.Empty(t, updated.Metadata)

	got, err := client.Customers.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, updated.Email, got.Email)

	archived, err := client.Customers.Archive(ctx, created.ID)
	require.NoError(t, err)
	assert.False(t, archived.IsActive)
	got, err = client.Customers.Get(ctx, "user_1")
	require.NoError(t, err, "archived customers stay readable")
	assert.False(t, got.IsActive)

	page, err := client.Customers.List(ctx, &commet.ListCustomersParams{IsActive: commet.Ptr(true)})
	require.NoError(t, err)
	assert.Empty(t, page.Data)
	page, err = client.Customers.List(ctx, &commet.ListCustomersParams{IsActive: commet.Ptr(false)})
	require.NoError(t, err)
	assert.Len(t, page.Data, 1)

	_, err = client.Customers.Get(ctx, "user_404")
	assert.ErrorIs(t, err, commet.ErrNotFound)
}

// commetRefuses gives the fake rules Commet might have and the SDK does not
// know, so that an item the SDK sends is refused by Commet: an email at
// blocked.example, and the time zone Antarctica/Troll.
var commetRefuses = commettest.WithRule(func(field, value string) string {
	switch {
	case field == "billingEmail" && strings.HasSuffix(value, "@blocked.example"):
		return "Email domain not allowed"
	case field == "timezone" && value == "Antarctica/Troll":
		return "Timezone not supported"
	}
	return ""
})

func TestValidationErrorsNameTheirField(t *testing.T) {
	srv := commettest.NewServer(commetRefuses)
	t.Cleanup(srv.Close)
	client := srv.Client()
	ctx := context.Background()
	cases := map[string]struct {
		params   commet.CreateCustomerParams
		field    string
		byCommet bool // else the SDK refuses it before sending
	}{
		"a domain Commet refuses":     {commet.CreateCustomerParams{Email: "a@blocked.example"}, "billingEmail", true},
		"email without a dot":         {commet.CreateCustomerParams{Email: "a@x"}, "billingEmail", false},
		"unknown timezone":            {commet.CreateCustomerParams{Email: "a@x.com", Timezone: "Mars/Olympus"}, "timezone", false},
		"malformed email":             {commet.CreateCustomerParams{Email: "not-an-email"}, "billingEmail", false},
		"3-letter country":            {commet.CreateCustomerParams{Email: "a@x.com", Address: &commet.Address{Line1: "1", City: "c", PostalCode: "1", Country: "USA"}}, "address.country", false},
		"address without line1":       {commet.CreateCustomerParams{Email: "a@x.com", Address: &commet.Address{City: "c", PostalCode: "1", Country: "US"}}, "address.line1", false},
		"address without city":        {commet.CreateCustomerParams{Email: "a@x.com", Address: &commet.Address{Line1: "1", PostalCode: "1", Country: "US"}}, "address.city", false},
		"address without postal code": {commet.CreateCustomerParams{Email: "a@x.com", Address: &commet.Address{Line1: "1", City: "c", Country: "US"}}, "address.postalCode", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := client.Customers.Create(ctx, &tc.params)
			require.ErrorIs(t, err, commet.ErrValidation)
			var apiErr *commet.APIError
			if assert.Equal(t, tc.byCommet, errors.As(err, &apiErr), "refused by Commet, not before sending: %v", err) && tc.byCommet {
				assert.Equal(t, 400, apiErr.StatusCode)
				assert.NotEmpty(t, apiErr.RequestID)
			}
			var ve *commet.ValidationError
			require.ErrorAs(t, err, &ve, "one way reads the fields, whoever refused")
			assert.Contains(t, ve.Fields, tc.field)
		})
	}
	t.Run("clearing the email on update is refused before sending", func(t *testing.T) {
		_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "a@x.com", ID: "u1"})
		require.NoError(t, err)
		_, err = client.Customers.Update(ctx, "u1", &commet.UpdateCustomerParams{Email: commet.Ptr("")})
		var ve *commet.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.ErrorIs(t, err, commet.ErrValidation)
		assert.Contains(t, ve.Fields, "billingEmail")
	})
	t.Run("list limit checked locally, nothing sent", func(t *testing.T) {
		_, err := client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 1000})
		assert.ErrorIs(t, err, commet.ErrValidation)
	})
}

func TestWrongKeyIsUnauthorized(t *testing.T) {
	srv := commettest.NewServer(commettest.WithAPIKey("ck_test_right"))
	defer srv.Close()
	client, err := commet.NewClient("ck_test_wrong", commet.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	_, err = client.Customers.Get(context.Background(), "x")
	assert.ErrorIs(t, err, commet.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "ck_test_wrong")
}

// people yields n valid customers with IDs user_0 to user_{n-1}.
func people(n int) iter.Seq[commet.CreateCustomerParams] {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for i := range n {
			if !yield(commet.CreateCustomerParams{Email: fmt.Sprintf("user%d@example.com", i), ID: fmt.Sprintf("user_%d", i)}) {
				return
			}
		}
	}
}

func count(t *testing.T, client *commet.Client) int {
	n := 0
	for _, err := range client.Customers.All(context.Background(), nil) {
		require.NoError(t, err)
		n++
	}
	return n
}

func TestBatchWithOneInvalidItemAmong99Good(t *testing.T) {
	for name, bad := range map[string]string{
		"refused by Commet":      "broken@blocked.example", // the SDK lets it through
		"refused before sending": "broken@example",         // no dot in the domain
	} {
		t.Run(name, func(t *testing.T) { testBatchWithOneInvalidItem(t, bad) })
	}
}

func testBatchWithOneInvalidItem(t *testing.T, bad string) {
	srv := commettest.NewServer(commetRefuses)
	t.Cleanup(srv.Close)
	client := srv.Client()
	items := make([]commet.CreateCustomerParams, 0, 100)
	for p := range people(100) {
		items = append(items, p)
	}
	items[42].Email = bad
	res, err := client.Customers.CreateBatch(context.Background(), items)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Requests(), "one request, for the good items")
	assert.Len(t, res.Successful, 99)
	require.Len(t, res.Failed, 1)
	assert.Equal(t, 42, res.Failed[0].Index)
	assert.ErrorIs(t, res.Failed[0], commet.ErrValidation)
	assert.Equal(t, 99, count(t, client))

	// The same batch again: existing IDs come back, nothing is duplicated.
	items[42].Email = "fixed@example.com"
	res, err = client.Customers.CreateBatch(context.Background(), items)
	require.NoError(t, err)
	assert.Len(t, res.Successful, 100)
	assert.Empty(t, res.Failed)
	assert.Equal(t, 100, count(t, client))
}

// TestImportCrashHalfwayThenRerun: a migration cancelled halfway and run
// again a little later ends with exactly one customer per user, and the
// second run's counts are true: what the first run created (including
// the batches in flight at the cancel) is existed, the rest created.
func TestImportCrashHalfwayThenRerun(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	synctest.Test(t, func(t *testing.T) {
		const n = 3000
		srv, client := newFake(t, commet.WithRetryBackoff(time.Millisecond, time.Millisecond))
		ctx, cancel := context.WithCancelCause(context.Background())
		crash := errors.New("the migration host went down")
		var mu sync.Mutex
		var results int
		first, err := client.Customers.Import(ctx, people(n), &commet.ImportCustomersParams{
			BatchSize: 50, Concurrency: 2,
			OnResult: func(commet.ImportItemResult) {
				mu.Lock()
				defer mu.Unlock()
				if results++; results == n/2 {
					cancel(crash)
				}
			},
		})
		require.ErrorIs(t, err, crash)
		assert.Less(t, first.Done, n, "the first run stopped early")
		assert.Equal(t, first.Done, first.Created+first.Failed)
		createdByTheFirst := srv.Len()

		time.Sleep(time.Minute) // on the fake clock: the re-run comes later
		second, err := client.Customers.Import(context.Background(), people(n), nil)
		require.NoError(t, err)
		assert.Zero(t, second.Failed)
		assert.Equal(t, createdByTheFirst, second.Existed, "what the first run made, in flight or not")
		assert.Equal(t, n-createdByTheFirst, second.Created)
		assert.Equal(t, n, count(t, client), "exactly n customers, no duplicates")
	})
}

func TestImportSurvivesA429Storm(t *testing.T) {
	// a server, a client and a clock of its own
	t.Parallel()
	synctest.Test(t, func(t *testing.T) { // 429s asking for no wait are backed off all the same: on synctest's clock
		srv, client := newFake(t)
		srv.InjectFault(commettest.Fault{Method: "POST", Path: "/api/v1/customers/batch", Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 25})
		srv.InjectFault(commettest.Fault{Method: "POST", Path: "/api/v1/customers/batch", Status: http.StatusServiceUnavailable, Times: 5})
		sum, err := client.Customers.Import(context.Background(), people(2000), &commet.ImportCustomersParams{BatchSize: 100, Concurrency: 4},
			commet.WithMaxRetries(40))
		require.NoError(t, err)
		assert.Equal(t, 2000, sum.Created)
		assert.Zero(t, sum.Failed)
		assert.Equal(t, 2000, count(t, client))
	})
}
