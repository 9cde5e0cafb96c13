package commettest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuth(t *testing.T) {
	srv := newServer(t)
	for name, key := range map[string]string{"missing": "", "no ck_ prefix": "sk_live_1"} {
		r := call(t, srv, "GET", "/api/v1/customers", nil, "x-api-key", key)
		assert.Equal(t, 401, r.Status, name)
		assert.Equal(t, "unauthorized", r.Body["code"], name)
		assert.Equal(t, false, r.Body["success"])
	}
	only := newServer(t, WithAPIKey("ck_test_only"))
	assert.Equal(t, 401, call(t, only, "GET", "/api/v1/customers", nil).Status)
	assert.Equal(t, 200, call(t, only, "GET", "/api/v1/customers", nil, "x-api-key", "ck_test_only").Status)
}

func TestCreateAndGet(t *testing.T) {
	srv := newServer(t)
	r := call(t, srv, "POST", "/api/v1/customers", map[string]any{
		"billingEmail": "ada@example.com", "externalId": "user_1", "fullName": "Ada", "domain": "ada.dev",
		"website": "https://ada.dev", "timezone": "Europe/London", "language": "en", "industry": "math",
		"metadata": map[string]any{"plan": "pro"}, "unknownField": 1,
		"address": map[string]any{"line1": "1 Loop", "city": "London", "postalCode": "N1", "country": "gb"},
	})
	require.Equal(t, 201, r.Status, string(r.Raw))
	assert.Equal(t, true, r.Body["success"])
	c := data(r)
	assert.Regexp(t, `^cus_[0-9a-f]{24}$`, c["id"])
	assert.Regexp(t, `^org_`, c["organizationId"])
	for k, v := range map[string]any{"externalId": "user_1", "billingEmail": "ada@example.com", "fullName": "Ada",
		"domain": "ada.dev", "website": "https://ada.dev", "timezone": "Europe/London", "language": "en",
		"industry": "math", "isActive": true} {
		assert.Equal(t, v, c[k], k)
	}
	assert.Equal(t, map[string]any{"plan": "pro"}, c["metadata"])
	assert.NotContains(t, c, "address", "the address is request-only")
	assert.NotEmpty(t, c["createdAt"])
	assert.Equal(t, c["createdAt"], c["updatedAt"])

	for _, id := range []string{c["id"].(string), "user_1"} {
		g := call(t, srv, "GET", "/api/v1/customers/"+id, nil)
		require.Equal(t, 200, g.Status)
		assert.Equal(t, c, data(g), "by %s", id)
	}
	nf := call(t, srv, "GET", "/api/v1/customers/nobody", nil)
	assert.Equal(t, 404, nf.Status)
	assert.Equal(t, "not_found", nf.Body["code"])
}

func TestCreateIsIdempotentOnExternalID(t *testing.T) {
	srv := newServer(t)
	first := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u1"})
	again := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "other@x.com", "externalId": "u1"})
	assert.Equal(t, 201, first.Status)
	assert.Equal(t, 200, again.Status)
	assert.Equal(t, data(first), data(again), "the existing record, unchanged")
	assert.Equal(t, 1, srv.Len())
	// Without an external ID, each create is a new customer.
	call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com"})
	call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com"})
	assert.Equal(t, 3, srv.Len())
}

func TestValidation(t *testing.T) {
	srv := newServer(t)
	addr := func(over map[string]any) map[string]any {
		a := map[string]any{"line1": "1 Rd", "city": "Austin", "postalCode": "78701", "country": "US"}
		for k, v := range over {
			if v == nil {
				delete(a, k)
			} else {
				a[k] = v
			}
		}
		return a
	}
	cases := map[string]struct {
		body   any
		fields []string
	}{
		"email missing":            {map[string]any{"fullName": "x"}, []string{"billingEmail"}},
		"email blank":              {map[string]any{"billingEmail": "  "}, []string{"billingEmail"}},
		"email malformed":          {map[string]any{"billingEmail": "nope"}, []string{"billingEmail"}},
		"email with a name":        {map[string]any{"billingEmail": "Ada <a@x.com>"}, []string{"billingEmail"}},
		"email not a string":       {map[string]any{"billingEmail": 5}, []string{"billingEmail"}},
		"externalId blank":         {map[string]any{"billingEmail": "a@x.com", "externalId": " "}, []string{"externalId"}},
		"externalId too long":      {map[string]any{"billingEmail": "a@x.com", "externalId": strings.Repeat("x", 256)}, []string{"externalId"}},
		"timezone unknown":         {map[string]any{"billingEmail": "a@x.com", "timezone": "Mars/Base"}, []string{"timezone"}},
		"timezone Local":           {map[string]any{"billingEmail": "a@x.com", "timezone": "Local"}, []string{"timezone"}},
		"metadata an array":        {map[string]any{"billingEmail": "a@x.com", "metadata": []int{1}}, []string{"metadata"}},
		"metadata a string":        {map[string]any{"billingEmail": "a@x.com", "metadata": "x"}, []string{"metadata"}},
		"address not an object":    {map[string]any{"billingEmail": "a@x.com", "address": "1 Rd"}, []string{"address"}},
		"address without line1":    {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"line1": nil})}, []string{"address.line1"}},
		"address without city":     {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"city": nil})}, []string{"address.city"}},
		"address without postcode": {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"postalCode": nil})}, []string{"address.postalCode"}},
		"address without country":  {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"country": nil})}, []string{"address.country"}},
		"country of 3 letters":     {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"country": "USA"})}, []string{"address.country"}},
		"country with digits":      {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"country": "U1"})}, []string{"address.country"}},
		"country UK, not GB":       {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"country": "UK"})}, []string{"address.country"}},
		"country unassigned XX":    {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"country": "XX"})}, []string{"address.country"}},
		"country user-assigned ZZ": {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"country": "zz"})}, []string{"address.country"}},
		"country Kosovo's XK":      {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"country": "XK"})}, []string{"address.country"}},
		"country EU":               {map[string]any{"billingEmail": "a@x.com", "address": addr(map[string]any{"country": "EU"})}, []string{"address.country"}},
		"every error at once": {map[string]any{"billingEmail": "bad", "timezone": "Nowhere", "metadata": 3, "fullName": true},
			[]string{"billingEmail", "fullName", "timezone", "metadata"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := call(t, srv, "POST", "/api/v1/customers", tc.body)
			assert.Equal(t, 400, r.Status)
			assert.Equal(t, "validation_error", r.Body["code"])
			assert.ElementsMatch(t, tc.fields, fieldsOf(r))
		})
	}
	assert.Zero(t, srv.Len(), "nothing invalid was stored")

	ok := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "timezone": "America/Argentina/Buenos_Aires", "address": addr(nil)})
	assert.Equal(t, 201, ok.Status, string(ok.Raw))
}

func TestMalformedBodies(t *testing.T) {
	srv := newServer(t, WithMaxBodyBytes(1024))
	for name, body := range map[string]string{"empty": "", "truncated": `{"billingEmail":`, "an array": `[1]`, "a string": `"x"`, "null": "null"} {
		r := call(t, srv, "POST", "/api/v1/customers", body)
		assert.Equal(t, 400, r.Status, name)
		assert.Equal(t, "invalid_json", r.Body["code"], name)
		r = call(t, srv, "PUT", "/api/v1/customers/x", body)
		assert.Contains(t, []int{400, 404}, r.Status, name)
	}
	big := fmt.Sprintf(`{"billingEmail":"a@x.com","fullName":%q}`, strings.Repeat("x", 2000))
	r := call(t, srv, "POST", "/api/v1/customers", big)
	assert.Equal(t, 413, r.Status)
	assert.Equal(t, "payload_too_large", r.Body["code"])
}

func TestRoutes(t *testing.T) {
	srv := newServer(t)
	// A route the API does not have is answered as Commet answers an
	// endpoint its version lacks, never as a missing customer: a client
	// whose base URL is wrong must not read "no such customer".
	for _, path := range []string{"/api/v1/nothing", "/api/v1/customers/a/b", "/api/v1/api/v1/customers/x", "/x"} {
		r := call(t, srv, "GET", path, nil)
		assert.Equal(t, 404, r.Status, path)
		assert.Equal(t, "endpoint_not_available", r.Body["code"], path)
	}
	assert.Equal(t, 405, call(t, srv, "DELETE", "/api/v1/customers/x", nil).Status)
	assert.Equal(t, 405, call(t, srv, "PUT", "/api/v1/customers", nil).Status)

	// An escaped slash or dots stay one ID: they never reach another route.
	call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "../batch"})
	r := call(t, srv, "GET", "/api/v1/customers/"+url.PathEscape("../batch"), nil)
	assert.Equal(t, 200, r.Status)
	assert.Equal(t, "../batch", data(r)["externalId"])
	assert.Equal(t, 404, call(t, srv, "GET", "/api/v1/customers/%2E%2E", nil).Status)
}

func TestUpdate(t *testing.T) {
	srv := newServer(t)
	c := data(call(t, srv, "POST", "/api/v1/customers", map[string]any{
		"billingEmail": "a@x.com", "externalId": "u1", "fullName": "Ada", "timezone": "UTC", "metadata": map[string]any{"a": 1},
	}))
	r := call(t, srv, "PUT", "/api/v1/customers/u1", map[string]any{"fullName": "", "billingEmail": "b@x.com", "metadata": map[string]any{}})
	require.Equal(t, 200, r.Status, string(r.Raw))
	u := data(r)
	assert.Equal(t, "b@x.com", u["billingEmail"])
	assert.NotContains(t, u, "fullName", "cleared")
	assert.NotContains(t, u, "metadata", "{} clears it")
	assert.Equal(t, "UTC", u["timezone"], "absent fields are unchanged")
	assert.Equal(t, c["createdAt"], u["createdAt"])
	assert.NotEqual(t, c["updatedAt"], u["updatedAt"])

	bad := call(t, srv, "PUT", "/api/v1/customers/"+c["id"].(string), map[string]any{"billingEmail": "", "timezone": "Nope/Nope"})
	assert.Equal(t, 400, bad.Status)
	assert.ElementsMatch(t, []string{"billingEmail", "timezone"}, fieldsOf(bad))
	assert.Equal(t, "b@x.com", data(call(t, srv, "GET", "/api/v1/customers/u1", nil))["billingEmail"], "a refused update changes nothing")
	assert.Equal(t, 404, call(t, srv, "PUT", "/api/v1/customers/nobody", map[string]any{}).Status)
}

func TestArchive(t *testing.T) {
	srv := newServer(t)
	call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u1"})
	assert.Equal(t, 200, call(t, srv, "PUT", "/api/v1/customers/u1", map[string]any{"isActive": true}).Status, "true on an active customer is a no-op")
	r := call(t, srv, "PUT", "/api/v1/customers/u1", map[string]any{"isActive": false})
	require.Equal(t, 200, r.Status)
	assert.Equal(t, false, data(r)["isActive"])

	re := call(t, srv, "PUT", "/api/v1/customers/u1", map[string]any{"isActive": true})
	assert.Equal(t, 400, re.Status)
	assert.Equal(t, []string{"isActive"}, fieldsOf(re))
	assert.Contains(t, fmt.Sprint(re.Body["details"]), "cannot be reactivated")

	g := call(t, srv, "GET", "/api/v1/customers/u1", nil)
	assert.Equal(t, false, data(g)["isActive"], "archived customers stay readable and archived")
	assert.Equal(t, 200, call(t, srv, "PUT", "/api/v1/customers/u1", map[string]any{"fullName": "Still here"}).Status)
	assert.Equal(t, 400, call(t, srv, "PUT", "/api/v1/customers/u1", map[string]any{"isActive": "no"}).Status)
}

func TestIdempotencyKey(t *testing.T) {
	srv := newServer(t)
	body := map[string]any{"billingEmail": "a@x.com"} // no externalId: only the key prevents a duplicate
	first := call(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k1")
	again := call(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k1")
	assert.Equal(t, 201, again.Status)
	assert.Equal(t, first.Raw, again.Raw, "the first answer, replayed")
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Empty(t, first.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, 1, srv.Len())

	other := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "b@x.com"}, "Idempotency-Key", "k1")
	assert.Equal(t, 409, other.Status)
	assert.Equal(t, "idempotency_key_mismatch", other.Body["code"])
	assert.Equal(t, 1, srv.Len())

	// A validation failure is kept and replayed too.
	bad := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "x"}, "Idempotency-Key", "k2")
	assert.Equal(t, bad.Raw, call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "x"}, "Idempotency-Key", "k2").Raw)
}

func TestIdempotencyKeyUnderConcurrency(t *testing.T) {
	srv := newServer(t)
	var wg sync.WaitGroup
	replies := make([]reply, 16)
	for i := range replies {
		wg.Go(func() {
			replies[i] = call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com"}, "Idempotency-Key", "same")
		})
	}
	wg.Wait()
	assert.Equal(t, 1, srv.Len(), "concurrent requests with one key run once")
	var created []byte
	for _, r := range replies {
		switch r.Status {
		case 201: // the first, or a replay of it
			if created == nil {
				created = r.Raw
			}
			assert.Equal(t, created, r.Raw)
		default:
			assert.Equal(t, 409, r.Status)
			assert.Equal(t, "idempotency_in_progress", r.Body["code"])
		}
	}
	assert.NotNil(t, created)
}

func TestIdempotencyKeyInProgress(t *testing.T) {
	srv := newServer(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv.Handler.beforeOperation = func() { once.Do(func() { close(entered); <-release }) }

	body := map[string]any{"billingEmail": "a@x.com"}
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.URL()+"/api/v1/customers", strings.NewReader(`{"billingEmail":"a@x.com"}`))
		req.Header.Set("x-api-key", "ck_test_key")
		req.Header.Set("Idempotency-Key", "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-entered // the first request holds the key

	r := call(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k")
	assert.Equal(t, 409, r.Status)
	assert.Equal(t, "idempotency_in_progress", r.Body["code"], "answered at once, not after the first")
	r = call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "b@x.com"}, "Idempotency-Key", "k")
	assert.Equal(t, "idempotency_key_mismatch", r.Body["code"], "another body is a mismatch, even in progress")

	close(release)
	assert.Equal(t, 201, <-first)
	r = call(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k")
	assert.Equal(t, 201, r.Status)
	assert.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, 1, srv.Len())
}

func TestInjectedServerErrorsAreNotKeptForReplay(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(Fault{Status: 503})
	body := map[string]any{"billingEmail": "a@x.com"}
	assert.Equal(t, 503, call(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k").Status)
	assert.Equal(t, 201, call(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k").Status)
	assert.Equal(t, 1, srv.Len())
}

func TestIdempotencyKeepsNoServerError(t *testing.T) {
	s := newIdempotency()
	hash := requestHash("POST", "/api/v1/customers", []byte(`{}`))
	now := time.Now()
	runs := 0
	handle := func(status int) func() answer {
		return func() answer { runs++; return answer{status: status} }
	}
	ans, outcome := s.do("k", hash, now, handle(500))
	assert.Equal(t, idemFresh, outcome)
	assert.Equal(t, 500, ans.status)
	ans, outcome = s.do("k", hash, now, handle(201))
	assert.Equal(t, idemFresh, outcome, "a 5xx is not kept: the retry runs")
	assert.Equal(t, 201, ans.status)
	ans, outcome = s.do("k", hash, now, handle(202))
	assert.Equal(t, idemReplayed, outcome)
	assert.Equal(t, 201, ans.status)
	assert.Equal(t, 2, runs)

	// A key is kept for 24 hours.
	_, outcome = s.do("k", hash, now.Add(idempotencyTTL), handle(202))
	assert.Equal(t, idemReplayed, outcome)
	_, outcome = s.do("k", hash, now.Add(idempotencyTTL+time.Second), handle(202))
	assert.Equal(t, idemFresh, outcome)
}

func TestCountryMustBeAssigned(t *testing.T) {
	srv := newServer(t)
	addr := func(country string) map[string]any {
		return map[string]any{"line1": "1 Loop", "city": "London", "postalCode": "N1", "country": country}
	}
	r := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "address": addr("UK")})
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "validation_error", r.Body["code"])
	assert.Equal(t, []any{map[string]any{"field": "address.country",
		"message": "Must be an assigned ISO 3166-1 alpha-2 code: the United Kingdom is GB"}}, r.Body["details"])
	assert.Zero(t, srv.Len())

	// In a batch, the item fails alone.
	r = call(t, srv, "POST", "/api/v1/customers/batch", map[string]any{"customers": []any{
		map[string]any{"billingEmail": "a@x.com", "externalId": "a", "address": addr("GB")},
		map[string]any{"billingEmail": "b@x.com", "externalId": "b", "address": addr("XX")},
		map[string]any{"billingEmail": "c@x.com", "externalId": "c", "address": addr("ZZ")},
	}})
	require.Equal(t, 200, r.Status, string(r.Raw))
	assert.Len(t, data(r)["successful"], 1)
	failed := data(r)["failed"].([]any)
	require.Len(t, failed, 2)
	for i, f := range failed {
		f := f.(map[string]any)
		assert.EqualValues(t, i+1, f["index"])
		assert.Equal(t, "address.country: Must be an assigned ISO 3166-1 alpha-2 code", f["error"])
		assert.Equal(t, "validation_error", f["code"])
	}
	assert.Equal(t, 1, srv.Len())

	// An update is refused whole, and changes nothing.
	r = call(t, srv, "PUT", "/api/v1/customers/a", map[string]any{"fullName": "Ada", "address": addr("XK")})
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, []string{"address.country"}, fieldsOf(r))
	assert.NotContains(t, data(call(t, srv, "GET", "/api/v1/customers/a", nil)), "fullName")
	r = call(t, srv, "PUT", "/api/v1/customers/a", map[string]any{"fullName": "Ada", "address": addr("gb")})
	assert.Equal(t, 200, r.Status, "an assigned code in lower case is taken, upper-cased")
}

// The fake is one organization in one environment: Commet's one host would
// keep a sandbox key's customers from a live key's, the fake does not.
func TestEveryKeyReachesTheSameCustomers(t *testing.T) {
	srv := newServer(t)
	r := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u1"}, "x-api-key", "ck_sandbox_a")
	require.Equal(t, 201, r.Status)
	assert.Equal(t, 200, call(t, srv, "GET", "/api/v1/customers/u1", nil, "x-api-key", "ck_live_b").Status)
}

func TestClientUsesASandboxKey(t *testing.T) {
	assert.True(t, strings.HasPrefix(TestAPIKey, "ck_sandbox_"), "the fake stands in for sandbox data")
	srv := newServer(t)
	var key string
	client := srv.Client(commet.WithMiddleware(func(req *http.Request, _ commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
		key = req.Header.Get("x-api-key")
		return next(req)
	}))
	_, err := client.Customers.List(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, TestAPIKey, key)
}

// TestNilOptionIsIgnored: a nil Option, as commettest.Option(nil) is, is
// skipped, as commet skips its own, instead of being called.
func TestNilOptionIsIgnored(t *testing.T) {
	srv := NewServer(nil, WithSeedCustomers(1), Option(nil))
	t.Cleanup(srv.Close)
	assert.Equal(t, 1, srv.Len())
}
