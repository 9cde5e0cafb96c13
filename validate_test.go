package commet

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
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
			res, err := c.Customers.CreateBatch(ctx, []CreateCustomerParams{p})
			if err != nil || len(res.Failed) != 1 {
				return fmt.Errorf("want the item alone in Failed, got %v, %+v", err, res)
			}
			return res.Failed[0]
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

// TestValidateRefusesWhatCommetSurelyRefuses: Validate lists every bad
// field of a row, by wire name, before anything is sent, and lets through
// what Commet accepts.
func TestValidateRefusesWhatCommetSurelyRefuses(t *testing.T) {
	addr := func(country string) *Address {
		return &Address{Line1: "1 Main St", City: "Leeds", PostalCode: "LS1 1AA", Country: country}
	}
	for name, tc := range map[string]struct {
		params CreateCustomerParams
		field  string // "" for none refused
		says   string
	}{
		"GB is the United Kingdom":     {CreateCustomerParams{Email: "a@example.com", Address: addr("GB")}, "", ""},
		"Ñandú, Zoë and Müller":        {CreateCustomerParams{Email: "a@example.com", FullName: "Zoë Müller-Ñandú", Address: addr("ES")}, "", ""},
		"plus addressing":              {CreateCustomerParams{Email: "ada+billing@example.com"}, "", ""},
		"a Unicode domain":             {CreateCustomerParams{Email: "josé@bücher.de"}, "", ""},
		"no dot in the domain":         {CreateCustomerParams{Email: "ada@example"}, "billingEmail", "its domain has no dot"},
		"a NUL in an email":            {CreateCustomerParams{Email: "a\x00da@example.com"}, "billingEmail", "not an email address"},
		"an ID over 255 characters":    {CreateCustomerParams{Email: "a@example.com", ID: strings.Repeat("x", 256)}, "externalId", "at most 255"},
		"255 characters, accented":     {CreateCustomerParams{Email: "a@example.com", ID: strings.Repeat("é", 255)}, "", ""},
		"Mars/Olympus":                 {CreateCustomerParams{Email: "a@example.com", Timezone: "Mars/Olympus"}, "timezone", "IANA"},
		"Local":                        {CreateCustomerParams{Email: "a@example.com", Timezone: "Local"}, "timezone", "Go's name"},
		"Us":                           {CreateCustomerParams{Email: "a@example.com", Address: addr("Us")}, "", ""},
		"a space before GB":            {CreateCustomerParams{Email: "a@example.com", Address: addr(" GB")}, "", ""},
		"UK":                           {CreateCustomerParams{Email: "a@example.com", Address: addr("UK")}, "address.country", `"GB"`},
		"XX":                           {CreateCustomerParams{Email: "a@example.com", Address: addr("XX")}, "address.country", "ISO 3166-1 assigns"},
		"a country's name":             {CreateCustomerParams{Email: "a@example.com", Address: addr("Germany")}, "address.country", "two-letter"},
		"lower case":                   {CreateCustomerParams{Email: "a@example.com", Address: addr("gb")}, "", ""},
		"an address without its city":  {CreateCustomerParams{Email: "a@example.com", Address: &Address{Line1: "1", PostalCode: "1", Country: "US"}}, "address.city", "required"},
		"no email":                     {CreateCustomerParams{FullName: "Ada"}, "billingEmail", "required"},
		"no @":                         {CreateCustomerParams{Email: "ada.example.com"}, "billingEmail", "not an email"},
		"Windows-1252 read as Latin-1": {CreateCustomerParams{Email: "a@example.com", FullName: "\u0093Ada\u0094"}, "fullName", "Windows-1252 read as ISO-8859-1"},
		"C1 in an address":             {CreateCustomerParams{Email: "a@example.com", Address: &Address{Line1: "Caf\u0082", City: "c", PostalCode: "1", Country: "FR"}}, "address.line1", "wrong encoding"},
		"Latin-1 bytes, undecoded":     {CreateCustomerParams{Email: "a@example.com", FullName: "Jos\xe9"}, "fullName", "likely Windows-1252 or ISO-8859-1"},
		"a huge metadata integer":      {CreateCustomerParams{Email: "a@example.com", Metadata: map[string]any{"n": int64(1<<53 + 1)}}, "metadata.n", "±2^53"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.params.Validate()
			if tc.field == "" {
				assert.NoError(t, err)
				return
			}
			var invalid *ValidationError
			require.ErrorAs(t, err, &invalid)
			assert.ErrorIs(t, err, ErrValidation)
			require.Contains(t, invalid.Fields, tc.field)
			assert.Contains(t, strings.Join(invalid.Fields[tc.field], "; "), tc.says)
		})
	}
	t.Run("every bad field of a row at once", func(t *testing.T) {
		p := CreateCustomerParams{Email: "nope", FullName: "\u0092", Address: &Address{Country: "UK"}}
		var invalid *ValidationError
		require.ErrorAs(t, p.Validate(), &invalid)
		assert.ElementsMatch(t, []string{"billingEmail", "fullName", "address.line1", "address.city", "address.postalCode", "address.country"},
			slices.Collect(maps.Keys(invalid.Fields)))
	})
	t.Run("a nil row", func(t *testing.T) {
		var p *CreateCustomerParams
		assert.ErrorIs(t, p.Validate(), ErrValidation)
	})
}

// TestCountrySentTrimmedAndUpperCased: a country code in any case is sent
// as the contract writes it, and the caller's Address is left alone.
func TestCountrySentTrimmedAndUpperCased(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(status(201, envelope(customerJSON("cus_1", "u1", "a@example.com"))))
	mock.RegisterResponder("POST", custURL, rec.responder)
	mock.RegisterResponder("PUT", custURL+"/u1", rec.responder)
	addr := &Address{Line1: "1 Main St", City: "Leeds", PostalCode: "LS1 1AA", Country: " gb"}
	_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com", ID: "u1", Address: addr})
	require.NoError(t, err)
	_, err = c.Customers.Update(context.Background(), "u1", &UpdateCustomerParams{Address: &Address{Line1: "1", City: "c", PostalCode: "p", Country: "Us"}})
	require.NoError(t, err)
	reqs := rec.requests()
	require.Len(t, reqs, 2)
	assert.Contains(t, string(reqs[0].Body), `"country":"GB"`)
	assert.Contains(t, string(reqs[1].Body), `"country":"US"`)
	assert.Equal(t, " gb", addr.Country, "the caller's data is not changed")
}

// BenchmarkValidate is the check Import makes on every row read.
func BenchmarkValidate(b *testing.B) {
	p := CreateCustomerParams{Email: "ada.lovelace+billing@example.com", ID: "user_123456", FullName: "Ada Lovelace",
		Timezone: "Europe/London", Address: &Address{Line1: "12 St James's Sq", City: "London", PostalCode: "SW1Y 4JH", Country: "gb"},
		Metadata: map[string]any{"plan": "pro", "seats": 12}}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
