package commettest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithSeedCustomers(t *testing.T) {
	clock := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	srv := newServer(t, WithSeedCustomers(3), WithClock(func() time.Time { return clock }))
	assert.Equal(t, 3, srv.Len())
	assert.Equal(t, Stats{Customers: 3, Requests: []RequestCount{}}, srv.Stats(), "seeding sends no request")
	assert.Zero(t, srv.Requests())

	page := callMem(t, srv, "GET", "/api/v1/customers", nil)
	list := page.Body["data"].([]any)
	require.Len(t, list, 3)
	for i, want := range []map[string]any{
		{"externalId": "seed_000001", "billingEmail": "seed_000001@example.com", "fullName": "Seed Customer 1"},
		{"externalId": "seed_000002", "billingEmail": "seed_000002@example.com"},
		{"externalId": "seed_000003", "billingEmail": "seed_000003@example.com", "fullName": "Seed Customer 3"},
	} {
		c := list[i].(map[string]any)
		assert.Regexp(t, `^cus_[0-9a-f]{24}$`, c["id"])
		for k, v := range want {
			assert.Equal(t, v, c[k], "%d %s", i, k)
		}
		if _, named := want["fullName"]; !named {
			assert.NotContains(t, c, "fullName")
		}
		assert.Equal(t, true, c["isActive"])
		assert.Equal(t, "2031-05-06T07:08:09Z", c["createdAt"])
	}
	assert.Len(t, callMem(t, srv, "GET", "/api/v1/customers?search=seed+customer", nil).Body["data"], 2)
	assert.Equal(t, 200, callMem(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "x@x.com", "externalId": "seed_000002"}).Status,
		"a seeded customer exists")

	first := data(callMem(t, srv, "GET", "/api/v1/customers/seed_000001", nil))["id"]
	callMem(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "new@x.com"})
	srv.Reset()
	assert.Equal(t, 3, srv.Len(), "a reset handler is as a new one: seeded")
	again := data(callMem(t, srv, "GET", "/api/v1/customers/seed_000001", nil))
	assert.Equal(t, "seed_000001@example.com", again["billingEmail"])
	assert.NotEqual(t, first, again["id"], "IDs are never reused")

	assert.Zero(t, NewHandler(WithSeedCustomers(0)).Len())
	assert.PanicsWithValue(t, "commettest: WithSeedCustomers(-1): want 0 or more customers", func() { WithSeedCustomers(-1) })
}
