package commet_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// The allocations of one call over a transport that answers at once
// (cannedTransport, whose own six are counted in): a bound just above
// today's figure, so that a change that makes the common path allocate
// more (a closure per middleware layer when there is no middleware, a heap
// copy of the call's configuration, an attempt's state in pieces, the
// net/mail parse of a plain email, checkWords's map for ASCII text) fails
// here rather than going unseen in a benchmark.
func TestCallAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what allocates")
	}
	one := `{"success":true,"data":` + cannedCustomer + `}`
	client, err := commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL("http://127.0.0.1:1"),
		commet.WithHTTPClient(&http.Client{Transport: cannedTransport{200, one}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	params := &commet.CreateCustomerParams{ID: "user_7", Email: "user7@example.com"}
	for _, c := range []struct {
		name string
		max  float64
		call func() error
	}{
		{"Get", 39, func() error { _, err := client.Customers.Get(ctx, "user_7"); return err }},
		{"Create", 44, func() error { _, err := client.Customers.Create(ctx, params); return err }},
	} {
		if err := c.call(); err != nil {
			t.Fatal(err)
		}
		if got := testing.AllocsPerRun(200, func() {
			if err := c.call(); err != nil {
				t.Fatal(err)
			}
		}); got > c.max {
			t.Errorf("%s: %.1f allocations a call, want at most %.0f", c.name, got, c.max)
		} else {
			t.Logf("%s: %.1f allocations a call (at most %.0f)", c.name, got, c.max)
		}
	}
}
