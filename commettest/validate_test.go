package commettest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusedByFake sends p's JSON, as the SDK would encode it, to the fake
// with a plain HTTP client (no SDK check runs first), and returns the
// fields it refuses: none when it creates the customer.
func refusedByFake(t testing.TB, hc *http.Client, base string, method, path string, p any) []string {
	t.Helper()
	body, err := json.Marshal(p)
	require.NoError(t, err)
	req, err := http.NewRequest(method, base+"/api/v1"+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("x-api-key", commettest.TestAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode < 300 {
		return nil
	}
	var answer struct {
		Code    string `json:"code"`
		Details []struct {
			Field string `json:"field"`
		} `json:"details"`
	}
	require.NoError(t, json.Unmarshal(raw, &answer), "%s", raw)
	require.Equal(t, "validation_error", answer.Code, "%s", raw)
	var out []string
	for _, d := range answer.Details {
		if !slices.Contains(out, d.Field) {
			out = append(out, d.Field)
		}
	}
	slices.Sort(out)
	return out
}

// refusedBySDK returns the fields err refuses, sorted; none for nil.
func refusedBySDK(t testing.TB, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var invalid *commet.ValidationError
	require.True(t, errors.As(err, &invalid), "%v", err)
	return slices.Sorted(maps.Keys(invalid.Fields))
}

// TestValidateAgreesWithTheFake runs every case through Validate and
// through the fake over HTTP: both refuse the same fields, or both accept.
// A dry run (Validate) that says "to send" for a row the real run fails,
// or the reverse, is a bug.
func TestValidateAgreesWithTheFake(t *testing.T) {
	srv := commettest.NewServer()
	t.Cleanup(srv.Close)
	addr := func(country string) *commet.Address {
		return &commet.Address{Line1: "1 Main St", City: "Leeds", PostalCode: "LS1 1AA", Country: country}
	}
	long := func(r string, n int) string { return strings.Repeat(r, n) }
	for name, tc := range map[string]struct {
		p    commet.CreateCustomerParams
		want []string // the fields both refuse
	}{
		"a plain customer":              {commet.CreateCustomerParams{Email: "ada@example.com", ID: "u1"}, nil},
		"no email":                      {commet.CreateCustomerParams{FullName: "Ada"}, []string{"billingEmail"}},
		"a blank email":                 {commet.CreateCustomerParams{Email: "  "}, []string{"billingEmail"}},
		"no dot in the domain":          {commet.CreateCustomerParams{Email: "ada@example"}, []string{"billingEmail"}},
		"localhost":                     {commet.CreateCustomerParams{Email: "ada@localhost"}, []string{"billingEmail"}},
		"a NUL in an email":             {commet.CreateCustomerParams{Email: "a\x00da@example.com"}, []string{"billingEmail"}},
		"no @":                          {commet.CreateCustomerParams{Email: "ada.example.com"}, []string{"billingEmail"}},
		"a name and an address":         {commet.CreateCustomerParams{Email: "Ada <ada@example.com>"}, []string{"billingEmail"}},
		"a space inside":                {commet.CreateCustomerParams{Email: "ada lovelace@example.com"}, []string{"billingEmail"}},
		"spaces around":                 {commet.CreateCustomerParams{Email: " ada@example.com "}, nil},
		"plus addressing":               {commet.CreateCustomerParams{Email: "ada+billing@example.com"}, nil},
		"a Unicode domain":              {commet.CreateCustomerParams{Email: "josé@bücher.de"}, nil},
		"an ID of 255 characters":       {commet.CreateCustomerParams{Email: "a@example.com", ID: long("x", 255)}, nil},
		"an ID of 255 accented letters": {commet.CreateCustomerParams{Email: "a@example.com", ID: long("é", 255)}, nil},
		"an ID of 256 characters":       {commet.CreateCustomerParams{Email: "a@example.com", ID: long("x", 256)}, []string{"externalId"}},
		"an ID of 300 emoji":            {commet.CreateCustomerParams{Email: "a@example.com", ID: long("😀", 300)}, []string{"externalId"}},
		"a blank ID":                    {commet.CreateCustomerParams{Email: "a@example.com", ID: "   "}, []string{"externalId"}},
		"Mars/Olympus":                  {commet.CreateCustomerParams{Email: "a@example.com", Timezone: "Mars/Olympus"}, []string{"timezone"}},
		"Local":                         {commet.CreateCustomerParams{Email: "a@example.com", Timezone: "Local"}, []string{"timezone"}},
		"a zone with a space":           {commet.CreateCustomerParams{Email: "a@example.com", Timezone: " UTC"}, []string{"timezone"}},
		"Europe/Paris":                  {commet.CreateCustomerParams{Email: "a@example.com", Timezone: "Europe/Paris"}, nil},
		"a zone in lower case":          {commet.CreateCustomerParams{Email: "a@example.com", Timezone: "europe/paris"}, nil},
		"a link":                        {commet.CreateCustomerParams{Email: "a@example.com", Timezone: "US/Eastern"}, nil},
		"UTC":                           {commet.CreateCustomerParams{Email: "a@example.com", Timezone: "UTC"}, nil},
		"GB":                            {commet.CreateCustomerParams{Email: "a@example.com", Address: addr("GB")}, nil},
		"gb":                            {commet.CreateCustomerParams{Email: "a@example.com", Address: addr("gb")}, nil},
		"Us":                            {commet.CreateCustomerParams{Email: "a@example.com", Address: addr("Us")}, nil},
		"a space before GB":             {commet.CreateCustomerParams{Email: "a@example.com", Address: addr(" GB")}, nil},
		"UK":                            {commet.CreateCustomerParams{Email: "a@example.com", Address: addr("UK")}, []string{"address.country"}},
		"uk":                            {commet.CreateCustomerParams{Email: "a@example.com", Address: addr("uk")}, []string{"address.country"}},
		"XX":                            {commet.CreateCustomerParams{Email: "a@example.com", Address: addr("XX")}, []string{"address.country"}},
		"a country's name":              {commet.CreateCustomerParams{Email: "a@example.com", Address: addr("Germany")}, []string{"address.country"}},
		"a dotless i":                   {commet.CreateCustomerParams{Email: "a@example.com", Address: addr("ıt")}, []string{"address.country"}},
		"an address without its city": {commet.CreateCustomerParams{Email: "a@example.com",
			Address: &commet.Address{Line1: "1", PostalCode: "1", Country: "US"}}, []string{"address.city"}},
		"a blank line1": {commet.CreateCustomerParams{Email: "a@example.com",
			Address: &commet.Address{Line1: " ", City: "c", PostalCode: "1", Country: "US"}}, []string{"address.line1"}},
		"an empty address": {commet.CreateCustomerParams{Email: "a@example.com", Address: &commet.Address{}},
			[]string{"address.city", "address.country", "address.line1", "address.postalCode"}},
		"everything wrong at once": {commet.CreateCustomerParams{Email: "ada@example", ID: long("x", 300), Timezone: "Local",
			Address: &commet.Address{Line1: "1", PostalCode: "1", Country: "UK"}},
			[]string{"address.city", "address.country", "billingEmail", "externalId", "timezone"}},
	} {
		t.Run(name, func(t *testing.T) {
			bySDK := refusedBySDK(t, tc.p.Validate())
			byFake := refusedByFake(t, http.DefaultClient, srv.URL(), http.MethodPost, "/customers", tc.p)
			assert.Equal(t, tc.want, bySDK, "Validate")
			assert.Equal(t, tc.want, byFake, "the fake")
		})
	}
}

// TestUpdateChecksAgreeWithTheFake: Update refuses before sending what the
// fake refuses in an update, and sends what it takes.
func TestUpdateChecksAgreeWithTheFake(t *testing.T) {
	srv := commettest.NewServer()
	t.Cleanup(srv.Close)
	client := srv.Client()
	_, err := client.Customers.Create(t.Context(), &commet.CreateCustomerParams{Email: "a@example.com", ID: "u1"})
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		p    commet.UpdateCustomerParams
		want []string
	}{
		"a new email":         {commet.UpdateCustomerParams{Email: commet.Ptr("b@example.com")}, nil},
		"a cleared email":     {commet.UpdateCustomerParams{Email: commet.Ptr("")}, []string{"billingEmail"}},
		"no dot":              {commet.UpdateCustomerParams{Email: commet.Ptr("b@example")}, []string{"billingEmail"}},
		"a cleared time zone": {commet.UpdateCustomerParams{Timezone: commet.Ptr("")}, nil},
		"Local":               {commet.UpdateCustomerParams{Timezone: commet.Ptr("Local")}, []string{"timezone"}},
		"lower-case country": {commet.UpdateCustomerParams{Address: &commet.Address{Line1: "1", City: "c", PostalCode: "p", Country: "de"}},
			nil},
		"UK": {commet.UpdateCustomerParams{Address: &commet.Address{Line1: "1", City: "c", PostalCode: "p", Country: "UK"}},
			[]string{"address.country"}},
	} {
		t.Run(name, func(t *testing.T) {
			before := srv.Requests()
			_, err := client.Customers.Update(t.Context(), "u1", &tc.p)
			bySDK := refusedBySDK(t, err)
			if bySDK != nil {
				assert.Equal(t, before, srv.Requests(), "refused before sending")
			}
			byFake := refusedByFake(t, http.DefaultClient, srv.URL(), http.MethodPut, "/customers/u1", tc.p)
			assert.Equal(t, tc.want, bySDK, "Update")
			assert.Equal(t, tc.want, byFake, "the fake")
		})
	}
}

// TestSDKGuardsAreTheSDKsOwn: three checks are the SDK's alone, because
// what they refuse would reach Commet changed, not refused: text decoded
// with the wrong encoding (C1 controls), metadata integers beyond 2^53
// (stored as a neighbour), and invalid UTF-8 (which encoding/json turns
// into U+FFFD). The fake takes the first two as Commet would.
func TestSDKGuardsAreTheSDKsOwn(t *testing.T) {
	srv := commettest.NewServer()
	t.Cleanup(srv.Close)
	for name, p := range map[string]commet.CreateCustomerParams{
		"C1 controls":        {Email: "a@example.com", FullName: "\u0093Ada\u0094"},
		"a metadata int":     {Email: "a@example.com", Metadata: map[string]any{"n": int64(1<<53 + 1)}},
		"Latin-1, undecoded": {Email: "a@example.com", FullName: "Jos\xe9"},
	} {
		t.Run(name, func(t *testing.T) {
			assert.NotEmpty(t, refusedBySDK(t, p.Validate()))
			assert.Empty(t, refusedByFake(t, http.DefaultClient, srv.URL(), http.MethodPost, "/customers", p))
		})
	}
}

// FuzzValidateAgreesWithTheFake: on any fields, Validate and the fake
// refuse the same fields (the SDK's own guards aside: text that is not
// UTF-8 or holds C1 controls is left out).
func FuzzValidateAgreesWithTheFake(f *testing.F) {
	f.Add("ada@example.com", "u1", "Europe/Paris", "GB", "1 Main St")
	f.Add("ada@example", " ", "Local", "uk", "")
	f.Add("a\x00@x.com", strings.Repeat("é", 256), "Mars/Olympus", " gb", " ")
	f.Add("Ada <a@x.com>", "", "", "", "x")
	srv := commettest.NewServer()
	f.Cleanup(srv.Close)
	hc := &http.Client{Transport: srv.Transport()}
	f.Fuzz(func(t *testing.T, email, id, tz, country, line1 string) {
		for _, s := range []string{email, id, tz, country, line1} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && r <= 0x9f }) {
				return
			}
		}
		p := commet.CreateCustomerParams{Email: email, ID: id, Timezone: tz}
		if country != "" || line1 != "" {
			p.Address = &commet.Address{Line1: line1, City: "c", PostalCode: "p", Country: country}
		}
		bySDK := refusedBySDK(t, p.Validate())
		byFake := refusedByFake(t, hc, commettest.InMemoryBaseURL, http.MethodPost, "/customers", p)
		if !slices.Equal(bySDK, byFake) {
			t.Fatalf("Validate refuses %v, the fake %v, for %+v", bySDK, byFake, p)
		}
	})
}

// TestWithRuleRefusesAsCommetWould: a rule of the test's own refuses a
// field of a create, or one item of a batch while the rest is created,
// and sees only fields the fake's own rules took.
func TestWithRuleRefusesAsCommetWould(t *testing.T) {
	var seen []string
	srv := commettest.NewServer(commettest.WithRule(func(field, value string) string {
		seen = append(seen, field+"="+value)
		if field == "billingEmail" && strings.HasSuffix(value, "@blocked.example") {
			return "Email domain not allowed"
		}
		return ""
	}))
	t.Cleanup(srv.Close)
	client := srv.Client()
	_, err := client.Customers.Create(t.Context(), &commet.CreateCustomerParams{Email: "a@blocked.example", FullName: "Ada"})
	var apiErr *commet.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, []string{"billingEmail"}, refusedBySDK(t, err))
	assert.ElementsMatch(t, []string{"billingEmail=a@blocked.example", "fullName=Ada"}, seen)

	res, err := client.Customers.CreateBatch(t.Context(), []commet.CreateCustomerParams{
		{Email: "a@example.com", ID: "u1"}, {Email: "b@blocked.example", ID: "u2"}, {Email: "c@example.com", ID: "u3"},
	})
	require.NoError(t, err)
	assert.Len(t, res.Successful, 2)
	require.Len(t, res.Failed, 1)
	assert.Equal(t, 1, res.Failed[0].Index)
	assert.Equal(t, []string{"billingEmail"}, refusedBySDK(t, res.Failed[0]))

	seen = nil
	refusedByFake(t, http.DefaultClient, srv.URL(), http.MethodPost, "/customers", map[string]any{"billingEmail": "ada@example", "fullName": 5})
	assert.Empty(t, seen, "a field the fake refused, or of the wrong type, is not passed on")
}
