package commet

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateWire(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(status(201, envelope(map[string]any{
		"id": "cus_abc", "organizationId": "org_1", "externalId": "user_123",
		"billingEmail": "billing@acme.com", "fullName": "Acme", "domain": "acme.com",
		"website": "https://acme.com", "timezone": "America/Chicago", "language": "en",
		"industry": "software", "employeeCount": "11-50", "metadata": map[string]any{"plan": "pro"},
		"isActive": true, "createdAt": "2026-05-01T10:00:00Z", "updatedAt": "2026-05-02T11:30:00.5Z",
	})))
	mock.RegisterResponder("POST", custURL, rec.responder)

	cust, err := c.Customers.Create(context.Background(), &CreateCustomerParams{
		Email: "billing@acme.com", ID: "user_123", FullName: "Acme", Domain: "acme.com",
		Website: "https://acme.com", Timezone: "America/Chicago", Language: "en", Industry: "software",
		Address:  &Address{Line1: "123 Main St", City: "Austin", PostalCode: "78701", Country: "US"},
		Metadata: map[string]any{"plan": "pro"},
	})
	require.NoError(t, err)
	reqs := rec.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "POST", reqs[0].Method)
	assert.JSONEq(t, `{
		"billingEmail": "billing@acme.com", "externalId": "user_123", "fullName": "Acme",
		"domain": "acme.com", "website": "https://acme.com", "timezone": "America/Chicago",
		"language": "en", "industry": "software", "metadata": {"plan": "pro"},
		"address": {"line1": "123 Main St", "city": "Austin", "postalCode": "78701", "country": "US"}
	}`, string(reqs[0].Body))

	assert.Equal(t, OutcomeCreated, cust.Outcome, "a 201")
	assert.Equal(t, Customer{
		ID: "cus_abc", OrganizationID: "org_1", ExternalID: "user_123", Email: "billing@acme.com",
		FullName: "Acme", Domain: "acme.com", Website: "https://acme.com", Timezone: "America/Chicago",
		Language: "en", Industry: "software", EmployeeCount: "11-50", Metadata: map[string]any{"plan": "pro"},
		IsActive: true, CreatedAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 5, 2, 11, 30, 0, 5e8, time.UTC),
	}, cust.Customer)
}

func TestCreateSendsOnlyWhatIsSet(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(okCustomer)
	mock.RegisterResponder("POST", custURL, rec.responder)
	_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"billingEmail":"a@example.com"}`, string(rec.requests()[0].Body))
}

func TestGetWire(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(okCustomer)
	mock.RegisterResponder("GET", custURL+"/user_1", rec.responder)
	cust, err := c.Customers.Get(context.Background(), "user_1")
	require.NoError(t, err)
	assert.Equal(t, "cus_1", cust.ID)
	assert.Equal(t, "user_1", cust.ExternalID)
	assert.Empty(t, rec.requests()[0].Body)
}

func TestUpdateWire(t *testing.T) {
	cases := []struct {
		name   string
		params UpdateCustomerParams
		want   string
	}{
		{"nothing set sends an empty object", UpdateCustomerParams{}, `{}`},
		{"set and clear strings", UpdateCustomerParams{Email: Ptr("new@acme.com"), FullName: Ptr(""), Timezone: Ptr("Europe/Paris")},
			`{"billingEmail":"new@acme.com","fullName":"","timezone":"Europe/Paris"}`},
		{"every string field", UpdateCustomerParams{Domain: Ptr("d"), Website: Ptr("w"), Language: Ptr("l"), Industry: Ptr("i")},
			`{"domain":"d","website":"w","language":"l","industry":"i"}`},
		{"empty metadata clears it", UpdateCustomerParams{Metadata: map[string]any{}}, `{"metadata":{}}`},
		{"address", UpdateCustomerParams{Address: &Address{Line1: "1 Rd", Line2: "Apt 2", City: "Austin", State: "TX", PostalCode: "78701", Country: "US"}},
			`{"address":{"line1":"1 Rd","line2":"Apt 2","city":"Austin","state":"TX","postalCode":"78701","country":"US"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMockClient(t)
			rec := answers(okCustomer)
			mock.RegisterResponder("PUT", custURL+"/cus_1", rec.responder)
			_, err := c.Customers.Update(context.Background(), "cus_1", &tc.params)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(rec.requests()[0].Body))
		})
	}
}

func TestArchiveWire(t *testing.T) {
	c, mock := newMockClient(t)
	archived := customerJSON("cus_1", "user_1", "a@example.com")
	archived["isActive"] = false
	rec := answers(status(200, envelope(archived)))
	mock.RegisterResponder("PUT", custURL+"/user_1", rec.responder)
	cust, err := c.Customers.Archive(context.Background(), "user_1")
	require.NoError(t, err)
	assert.False(t, cust.IsActive)
	assert.JSONEq(t, `{"isActive":false}`, string(rec.requests()[0].Body))
}

func TestListWire(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(status(200, map[string]any{
		"success": true, "hasMore": true, "nextCursor": "cur_2",
		"data": []any{customerJSON("cus_1", "u1", "a@x.com"), customerJSON("cus_2", "u2", "b@x.com")},
	}))
	mock.RegisterResponder("GET", custURL, rec.responder)
	page, err := c.Customers.List(context.Background(), &ListCustomersParams{Limit: 2, Cursor: "cur_1", Search: "a b@x", IsActive: Ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, custURL+"?cursor=cur_1&isActive=false&limit=2&search=a+b%40x", rec.requests()[0].URL)
	assert.True(t, page.HasMore)
	assert.Equal(t, "cur_2", page.NextCursor)
	require.Len(t, page.Data, 2)
	assert.Equal(t, "cus_2", page.Data[1].ID)

	_, err = c.Customers.List(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, custURL, rec.requests()[1].URL, "nil params send no query")
}

func TestBadInputSendsNothing(t *testing.T) {
	ctx := context.Background()
	c, mock := newMockClient(t)
	calls := map[string]func() error{
		"nil create params": func() error { _, err := c.Customers.Create(ctx, nil); return err },
		"empty email":       func() error { _, err := c.Customers.Create(ctx, &CreateCustomerParams{ID: "u1"}); return err },
		"blank email":       func() error { _, err := c.Customers.Create(ctx, &CreateCustomerParams{Email: " \t"}); return err },
		"blank ID on create": func() error {
			_, err := c.Customers.Create(ctx, &CreateCustomerParams{Email: "a@x.com", ID: "  "})
			return err
		},
		"empty ID on get":       func() error { _, err := c.Customers.Get(ctx, ""); return err },
		"blank ID on get":       func() error { _, err := c.Customers.Get(ctx, "   "); return err },
		"empty ID on update":    func() error { _, err := c.Customers.Update(ctx, "", &UpdateCustomerParams{}); return err },
		"nil update params":     func() error { _, err := c.Customers.Update(ctx, "cus_1", nil); return err },
		"blank ID on archive":   func() error { _, err := c.Customers.Archive(ctx, "\n"); return err },
		"limit below 0":         func() error { _, err := c.Customers.List(ctx, &ListCustomersParams{Limit: -1}); return err },
		"limit over 100":        func() error { _, err := c.Customers.List(ctx, &ListCustomersParams{Limit: 101}); return err },
		"limit over 100 in All": func() error { return firstErr(c.Customers.All(ctx, &ListCustomersParams{Limit: 500})) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			assert.ErrorIs(t, err, ErrValidation)
			assert.NotEmpty(t, err.Error())
		})
	}
	assert.Zero(t, mock.GetTotalCallCount(), "bad input must send nothing")
}

func firstErr[T any](seq func(func(T, error) bool)) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestPathEscaping checks on a real server that an ID cannot reach any path
// but /api/v1/customers/{escaped}.
func TestPathEscaping(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.RequestURI)
		mu.Unlock()
		json.NewEncoder(w).Encode(envelope(customerJSON("cus_1", "", "a@x.com")))
	}))
	defer srv.Close()
	c, err := NewClient(testKey, WithBaseURL(srv.URL))
	require.NoError(t, err)

	ids := map[string]string{
		"../x":           "/api/v1/customers/..%2Fx",
		"..":             "/api/v1/customers/%2E%2E",
		".":              "/api/v1/customers/%2E",
		"a/b?c=d#e":      "/api/v1/customers/a%2Fb%3Fc=d%23e",
		"user 1":         "/api/v1/customers/user%201",
		"%2e%2e":         "/api/v1/customers/%252e%252e",
		"cus_abc":        "/api/v1/customers/cus_abc",
		"ünïcode@x.com":  "/api/v1/customers/%C3%BCn%C3%AFcode@x.com",
		"../../batch/..": "/api/v1/customers/..%2F..%2Fbatch%2F..",
	}
	for id, want := range ids {
		mu.Lock()
		seen = nil
		mu.Unlock()
		_, err := c.Customers.Get(context.Background(), id)
		require.NoError(t, err, id)
		_, err = c.Customers.Archive(context.Background(), id)
		require.NoError(t, err, id)
		mu.Lock()
		assert.Equal(t, []string{want, want}, seen, "id %q", id)
		mu.Unlock()
	}
}

// TestListDecodesAnEmptyLastPage: a last page may omit nextCursor.
func TestListDecodesAnEmptyLastPage(t *testing.T) {
	c, mock := newMockClient(t)
	mock.RegisterResponder("GET", custURL, status(200, map[string]any{"success": true, "data": []any{}, "hasMore": false}))
	page, err := c.Customers.List(context.Background(), &ListCustomersParams{Limit: 100})
	require.NoError(t, err)
	assert.Empty(t, page.Data)
	assert.False(t, page.HasMore)
	assert.Empty(t, page.NextCursor)
}

func TestMethodsUseTheirPaths(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(okCustomer)
	mock.RegisterRegexpResponder("PUT", regexp.MustCompile(`.*`), rec.responder)
	mock.RegisterRegexpResponder("GET", regexp.MustCompile(`.*`), rec.responder)
	_, err := c.Customers.Update(context.Background(), "cus_9", &UpdateCustomerParams{})
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "cus_9")
	require.NoError(t, err)
	reqs := rec.requests()
	assert.Equal(t, []string{"PUT", "GET"}, []string{reqs[0].Method, reqs[1].Method})
	assert.Equal(t, custURL+"/cus_9", reqs[0].URL)
	assert.Equal(t, custURL+"/cus_9", reqs[1].URL)
}

// TestCreateSaysWhatItDid: a sign-up handler tells a new customer from an
// existing one, and an existing one from a closed (archived) account,
// from Create's own result.
func TestCreateSaysWhatItDid(t *testing.T) {
	archived := customerJSON("cus_1", "user_1", "a@example.com")
	archived["isActive"] = false
	// The answers run inside a synctest bubble whose clock starts at
	// 2000-01-01 00:00:00 UTC; each answer's Date is the bubble's now.
	at := func(createdAt time.Duration, v map[string]any) map[string]any {
		v = maps.Clone(v)
		v["createdAt"] = time.Now().Add(createdAt).UTC().Format(time.RFC3339Nano)
		return v
	}
	fresh := customerJSON("cus_1", "user_1", "a@example.com")
	for name, tc := range map[string]struct {
		status  int
		data    func() map[string]any
		date    func() string // the answer's Date; nil for none
		latency time.Duration
		want    Outcome
	}{
		"201 is new":                      {201, func() map[string]any { return at(0, fresh) }, nowDate, 0, OutcomeCreated},
		"200 is an existing customer":     {200, func() map[string]any { return at(0, fresh) }, nowDate, 0, OutcomeExisted},
		"200 inactive is archived":        {200, func() map[string]any { return at(0, archived) }, nowDate, 0, OutcomeArchived},
		"201 inactive is archived":        {201, func() map[string]any { return at(0, archived) }, nowDate, 0, OutcomeArchived},
		"another 2xx is not a new one":    {202, func() map[string]any { return at(0, fresh) }, nowDate, 0, OutcomeExisted},
		"201 for one made an hour ago":    {201, func() map[string]any { return at(-time.Hour, fresh) }, nowDate, 0, OutcomeExisted},
		"201 replayed 2 s after":          {201, func() map[string]any { return at(-2*time.Second, fresh) }, nowDate, 0, OutcomeExisted},
		"201 made 0.5 s before it left":   {201, func() map[string]any { return at(-500*time.Millisecond, fresh) }, nowDate, 0, OutcomeExisted},
		"Commet 0.9 s ahead, same Date":   {201, func() map[string]any { return at(900*time.Millisecond, fresh) }, nowDate, 0, OutcomeCreated},
		"201 with a slow answer":          {201, func() map[string]any { return at(-1500*time.Millisecond, fresh) }, nowDate, 2 * time.Second, OutcomeCreated},
		"201 without a Date: the status":  {201, func() map[string]any { return at(-time.Hour, fresh) }, nil, 0, OutcomeCreated},
		"Commet's clock an hour ahead":    {201, func() map[string]any { return at(time.Hour, fresh) }, func() string { return time.Now().Add(time.Hour).UTC().Format(http.TimeFormat) }, 0, OutcomeCreated},
		"Commet's clock an hour behind":   {201, func() map[string]any { return at(-time.Hour-time.Minute, fresh) }, func() string { return time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat) }, 0, OutcomeExisted},
		"behind, and new by its own Date": {201, func() map[string]any { return at(-time.Hour, fresh) }, func() string { return time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat) }, 0, OutcomeCreated},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, mock := newMockClient(t)
				mock.RegisterResponder("POST", custURL, func(*http.Request) (*http.Response, error) {
					time.Sleep(tc.latency)
					resp := jsonResponse(tc.status, envelope(tc.data()))
					if tc.date != nil {
						resp.Header.Set("Date", tc.date())
					}
					return resp, nil
				})
				res, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com", ID: "user_1"})
				require.NoError(t, err)
				assert.Equal(t, tc.want, res.Outcome)
				assert.Equal(t, "cus_1", res.ID)
				assert.Equal(t, "user_1", res.ExternalID)
			})
		})
	}
}

// nowDate is a Date header of the moment it is called.
func nowDate() string { return time.Now().UTC().Format(http.TimeFormat) }

// TestMetadataNumbersAreNeverRoundedSilently: Commet stores numbers as
// 64-bit floats; an integer beyond 2^53 would change on the way, so it is
// refused before sending, while everything a float holds exactly goes.
func TestMetadataNumbersAreNeverRoundedSilently(t *testing.T) {
	c, mock := newMockClient(t)
	rec := answers(okCustomer)
	mock.RegisterResponder("POST", custURL, rec.responder)
	for name, v := range map[string]any{
		"int64 2^53+1":       int64(1<<53 + 1),
		"uint64 max":         uint64(math.MaxUint64),
		"negative":           int64(-(1<<53 + 1)),
		"json.Number":        json.Number("9007199254740993"),
		"nested":             map[string]any{"ids": []any{1, int64(1 << 60)}},
		"NaN":                math.NaN(),
		"infinity":           math.Inf(1),
		"not a number":       json.Number("12abc"),
		"in a struct":        struct{ N uint64 }{1 << 62},
		"in a []int64 slice": []int64{1, 1 << 62},
	} {
		_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com", Metadata: map[string]any{"n": v}})
		var ve *ValidationError
		if assert.ErrorAs(t, err, &ve, name) {
			assert.Len(t, ve.Fields, 1, name)
			for field := range ve.Fields {
				assert.True(t, strings.HasPrefix(field, "metadata.n"), "%s: %s", name, field)
			}
		}
	}
	assert.Empty(t, rec.requests())

	exact := map[string]any{"max": int64(1 << 53), "min": int64(-(1 << 53)), "float": 1e300, "fraction": 0.1,
		"number": json.Number("12.5"), "small": uint8(7)}
	_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com", Metadata: exact})
	require.NoError(t, err)
	assert.JSONEq(t, `{"billingEmail":"a@example.com","metadata":{"max":9007199254740992,"min":-9007199254740992,
		"float":1e300,"fraction":0.1,"number":12.5,"small":7}}`, string(rec.requests()[0].Body))
}
