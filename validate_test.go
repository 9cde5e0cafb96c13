package commet

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileInvalidUTF8IsRefusedBeforeSending: encoding/json rewrites invalid
// UTF-8 to U+FFFD, so "Jos\xe9" and "Jos\xe8" (Latin-1 rows from a CSV)
// would reach Commet as the same ID, and one person's data would be lost.
// Every string the SDK sends is checked first.
func TestHostileInvalidUTF8IsRefusedBeforeSending(t *testing.T) {
	ctx := context.Background()
	const bad = "Jos\xe9"
	c, mock := newMockClient(t)
	good := func() CreateCustomerParams { return CreateCustomerParams{Email: "a@example.com", ID: "user_1"} }
	creates := map[string]func(p *CreateCustomerParams){
		"billingEmail": func(p *CreateCustomerParams) { p.Email = bad + "@example.com" },
		"externalId":   func(p *CreateCustomerParams) { p.ID = bad },
		"fullName":     func(p *CreateCustomerParams) { p.FullName = bad },
		"domain":       func(p *CreateCustomerParams) { p.Domain = bad },
		"website":      func(p *CreateCustomerParams) { p.Website = bad },
		"timezone":     func(p *CreateCustomerParams) { p.Timezone = bad },
		"language":     func(p *CreateCustomerParams) { p.Language = bad },
		"industry":     func(p *CreateCustomerParams) { p.Industry = bad },
		"address.line1": func(p *CreateCustomerParams) {
			p.Address = &Address{Line1: bad, City: "c", PostalCode: "p", Country: "US"}
		},
		"address.city": func(p *CreateCustomerParams) {
			p.Address = &Address{Line1: "l", City: bad, PostalCode: "p", Country: "US"}
		},
		"metadata key":      func(p *CreateCustomerParams) { p.Metadata = map[string]any{bad: 1} },
		"metadata value":    func(p *CreateCustomerParams) { p.Metadata = map[string]any{"name": bad} },
		"nested metadata":   func(p *CreateCustomerParams) { p.Metadata = map[string]any{"a": []any{map[string]any{"b": bad}}} },
		"metadata []string": func(p *CreateCustomerParams) { p.Metadata = map[string]any{"tags": []string{"ok", bad}} },
		"metadata struct": func(p *CreateCustomerParams) {
			p.Metadata = map[string]any{"s": struct{ Name string }{bad}}
		},
	}
	calls := map[string]func() error{}
	for name, spoil := range creates {
		calls["Create "+name] = func() error {
			p := good()
			spoil(&p)
			_, err := c.Customers.Create(ctx, &p)
			return err
		}
		calls["CreateBatch "+name] = func() error {
			p := good()
			spoil(&p)
			_, err := c.Customers.CreateBatch(ctx, []CreateCustomerParams{good(), p})
			return err
		}
	}
	calls["Get"] = func() error { _, err := c.Customers.Get(ctx, bad); return err }
	calls["Archive"] = func() error { _, err := c.Customers.Archive(ctx, bad); return err }
	calls["Update ID"] = func() error {
		_, err := c.Customers.Update(ctx, bad, &UpdateCustomerParams{FullName: Ptr("A")})
		return err
	}
	calls["Update field"] = func() error {
		_, err := c.Customers.Update(ctx, "user_1", &UpdateCustomerParams{FullName: Ptr(bad)})
		return err
	}
	calls["Update metadata"] = func() error {
		_, err := c.Customers.Update(ctx, "user_1", &UpdateCustomerParams{Metadata: map[string]any{"k": bad}})
		return err
	}
	calls["Update address"] = func() error {
		_, err := c.Customers.Update(ctx, "user_1", &UpdateCustomerParams{Address: &Address{Line1: "l", City: "c", PostalCode: bad, Country: "US"}})
		return err
	}
	calls["List search"] = func() error { _, err := c.Customers.List(ctx, &ListCustomersParams{Search: bad}); return err }
	calls["List cursor"] = func() error { _, err := c.Customers.List(ctx, &ListCustomersParams{Cursor: bad}); return err }
	calls["All search"] = func() error { return firstErr(c.Customers.All(ctx, &ListCustomersParams{Search: bad})) }

	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			assert.ErrorIs(t, err, ErrValidation)
			if err != nil {
				assert.Contains(t, err.Error(), "UTF-8")
				assert.NotContains(t, err.Error(), "\xe9", "the invalid bytes are not echoed")
			}
		})
	}
	assert.Zero(t, mock.GetTotalCallCount(), "nothing is sent")
}

// TestHostileLatin1NamesDoNotCollide: the same two IDs, once valid UTF-8, are
// two customers on the wire.
func TestHostileLatin1NamesDoNotCollide(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(okCustomer)
	mock.RegisterResponder("GET", `=~^`+custURL+`/`, rec.responder)
	for _, id := range []string{"José", "Josè"} {
		_, err := c.Customers.Get(context.Background(), id)
		assert.NoError(t, err)
	}
	reqs := rec.requests()
	if assert.Len(t, reqs, 2) {
		assert.NotEqual(t, reqs[0].URL, reqs[1].URL)
	}
}

// TestHostileImportRefusesABadItemAlone: an item that cannot be sent fails on its
// own; the rest of its batch goes.
func TestHostileImportRefusesABadItemAlone(t *testing.T) {
	c, s := newBatchServer(t)
	items := func(yield func(CreateCustomerParams) bool) {
		for i := range 10 {
			p := CreateCustomerParams{Email: "a@example.com", ID: fmt.Sprintf("user_%d", i)}
			if i == 4 {
				p.FullName = "Jos\xe9"
			}
			if !yield(p) {
				return
			}
		}
	}
	var got collect
	sum, err := c.Customers.Import(context.Background(), items, &ImportCustomersParams{OnResult: got.add})
	require.NoError(t, err)
	assert.Equal(t, 9, sum.Created)
	assert.Equal(t, 1, sum.Failed)
	assert.Equal(t, 1, s.requests, "one batch request, with the other nine")
	for _, r := range got.results {
		if r.Index == 4 {
			assert.ErrorIs(t, r.Err, ErrValidation)
		} else {
			assert.NoError(t, r.Err, r.Index)
		}
	}
	assert.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, got.indexes())
}
