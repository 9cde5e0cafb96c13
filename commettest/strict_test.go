package commettest

import (
	"context"
	"testing"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rules returns the rules named in a contract_violation's details.
func rules(r reply) []string {
	var out []string
	details, _ := r.Body["details"].([]any)
	for _, d := range details {
		out = append(out, d.(map[string]any)["rule"].(string))
	}
	return out
}

func TestStrictRefusesEachRule(t *testing.T) {
	const version = "2026-05-01"
	addr := `{"line1":"1 Rd","city":"Austin","postalCode":"78701","country":"US"}`
	cases := []struct {
		name, method, path, body string
		header                   []string
		rules                    []string
		message                  string
	}{
		{"unpinned", "GET", "/api/v1/customers", "", []string{"Commet-Version", ""}, []string{"commet_version"}, "no Commet-Version header"},
		{"POST without a key", "POST", "/api/v1/customers", `{"billingEmail":"a@x.com"}`, []string{"Idempotency-Key", ""},
			[]string{"idempotency_key"}, "a POST without an Idempotency-Key"},
		{"batch without a key", "POST", "/api/v1/customers/batch", `{"customers":[{"billingEmail":"a@x.com"}]}`, []string{"Idempotency-Key", ""},
			[]string{"idempotency_key"}, "Idempotency-Key"},
		{"no content type", "PUT", "/api/v1/customers/u1", `{"fullName":"A"}`, []string{"Content-Type", ""},
			[]string{"content_type"}, `Content-Type "": want application/json`},
		{"text content type", "PUT", "/api/v1/customers/u1", `{"fullName":"A"}`, []string{"Content-Type", "text/plain"},
			[]string{"content_type"}, `Content-Type "text/plain"`},
		{"another charset", "PUT", "/api/v1/customers/u1", `{"fullName":"A"}`, []string{"Content-Type", "application/json; charset=latin1"},
			[]string{"content_type"}, "charset"},
		{"all headers at once", "POST", "/api/v1/customers", `{"billingEmail":"a@x.com"}`, []string{"Commet-Version", "", "Idempotency-Key", "", "Content-Type", ""},
			[]string{"commet_version", "idempotency_key", "content_type"}, "; "},
		{"a typo in create", "POST", "/api/v1/customers", `{"billingEmail":"a@x.com","BillingEmail":"a@x.com"}`, nil,
			[]string{"unknown_field"}, `unknown field "BillingEmail": field names are case-sensitive, did you mean "billingEmail"?`},
		{"an unknown field in create", "POST", "/api/v1/customers", `{"billingEmail":"a@x.com","plan":"pro"}`, nil,
			[]string{"unknown_field"}, `unknown field "plan": the contract has no such field`},
		{"isActive in create", "POST", "/api/v1/customers", `{"billingEmail":"a@x.com","isActive":true}`, nil,
			[]string{"unknown_field"}, `"isActive"`},
		{"a typo in the address", "POST", "/api/v1/customers", `{"billingEmail":"a@x.com","address":{"line1":"1 Rd","city":"Austin","postalCode":"78701","postalcode":"78701","country":"US"}}`, nil,
			[]string{"unknown_field"}, `"address.postalcode": field names are case-sensitive, did you mean "address.postalCode"?`},
		{"a typo in a batch item", "POST", "/api/v1/customers/batch", `{"customers":[{"billingEmail":"a@x.com"},{"billingEmail":"b@x.com","externalID":"u2","address":` + addr + `}]}`, nil,
			[]string{"unknown_field"}, `"customers[1].externalID"`},
		{"an unknown key beside customers", "POST", "/api/v1/customers/batch", `{"customers":[{"billingEmail":"a@x.com"}],"dryRun":true}`, nil,
			[]string{"unknown_field"}, `"dryRun"`},
		{"externalId in update", "PUT", "/api/v1/customers/u1", `{"externalId":"u9"}`, nil, []string{"unknown_field"}, `"externalId"`},
		{"a typo in update", "PUT", "/api/v1/customers/u1", `{"fullname":"A","address":{"line1":"1 Rd","Line1":"x","city":"Austin","postalCode":"78701","country":"US"}}`, nil,
			[]string{"unknown_field", "unknown_field"}, `"fullname"`},
		{"an unknown query parameter", "GET", "/api/v1/customers?is_active=false", "", nil,
			[]string{"unknown_query_parameter"}, `unknown query parameter "is_active"`},
	}
	srv := newServer(t, WithStrict())
	r := callMem(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u1"},
		"Commet-Version", version, "Idempotency-Key", "seed")
	require.Equal(t, 201, r.Status, string(r.Raw))
	lax := newServer(t)
	callMem(t, lax, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u1"})

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			header := append([]string{"Commet-Version", version, "Idempotency-Key", "key" + string(rune('a'+i))}, tc.header...)
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := callMem(t, srv, tc.method, tc.path, body, header...)
			assert.Equal(t, 400, r.Status, string(r.Raw))
			assert.Equal(t, "contract_violation", r.Body["code"])
			assert.Equal(t, tc.rules, rules(r))
			assert.Contains(t, r.Body["message"], tc.message)
			assert.Regexp(t, `^Strict mode: `, r.Body["message"])

			r = callMem(t, lax, tc.method, tc.path, body, header...)
			assert.Less(t, r.Status, 300, "without WithStrict, Commet accepts it: %s", r.Raw)
		})
	}
	assert.Equal(t, 1, srv.Len(), "a contract violation stores nothing")
}

func TestStrictAcceptsGoodRequests(t *testing.T) {
	srv := newServer(t, WithStrict())
	h := []string{"Commet-Version", "2026-05-01", "Idempotency-Key", "k1", "Content-Type", "application/json; charset=UTF-8"}
	r := callMem(t, srv, "POST", "/api/v1/customers", `{"billingEmail":"a@x.com","externalId":"u1","address":{"line1":"1 Rd","line2":null,"city":"Austin","state":"TX","postalCode":"78701","country":"US"}}`, h...)
	assert.Equal(t, 201, r.Status, string(r.Raw))
	r = callMem(t, srv, "GET", "/api/v1/customers/u1", nil, "Commet-Version", "2026-05-01", "Content-Type", "")
	assert.Equal(t, 200, r.Status, "a GET needs no Content-Type")
	r = callMem(t, srv, "GET", "/api/v1/customers?limit=5&cursor=&isActive=true&search=a", nil, "Commet-Version", "2026-05-01")
	assert.Equal(t, 200, r.Status, string(r.Raw))
	r = callMem(t, srv, "PUT", "/api/v1/customers/u1", `{"isActive":false}`, "Commet-Version", "2026-05-01")
	assert.Equal(t, 200, r.Status, "a PUT needs no Idempotency-Key")
}

func TestStrictPassesTheGoSDK(t *testing.T) {
	srv := newServer(t, WithStrict())
	client := srv.Client(commet.WithMaxRetries(0))
	ctx := context.Background()
	addr := &commet.Address{Line1: "1 Rd", Line2: "Unit 2", City: "Austin", State: "TX", PostalCode: "78701", Country: "US"}
	_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "a@x.com", ID: "u1", FullName: "Ada", Domain: "ada.dev",
		Website: "https://ada.dev", Timezone: "UTC", Language: "en", Industry: "math", Address: addr, Metadata: map[string]any{"plan": "pro"}})
	require.NoError(t, err)
	_, err = client.Customers.Get(ctx, "u1")
	require.NoError(t, err)
	_, err = client.Customers.Update(ctx, "u1", &commet.UpdateCustomerParams{FullName: commet.Ptr("Ada L."), Address: addr, Metadata: map[string]any{}})
	require.NoError(t, err)
	_, err = client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 10, Search: "a", IsActive: commet.Ptr(true)})
	require.NoError(t, err)
	_, err = client.Customers.Archive(ctx, "u1")
	require.NoError(t, err)
	res, err := client.Customers.CreateBatch(ctx, []commet.CreateCustomerParams{{Email: "b@x.com", ID: "u2", Address: addr}, {Email: "c@x.com"}})
	require.NoError(t, err)
	assert.Len(t, res.Successful, 2)
	for _, err := range client.Customers.All(ctx, &commet.ListCustomersParams{Limit: 1}) {
		require.NoError(t, err)
	}
}
