package rules

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // only the test: every name of the list must load

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ptr(s string) *string { return &s }

// fields lists the fields c refuses, in order.
func fields(c *Customer) []string {
	var out []string
	for _, p := range Check(c) {
		out = append(out, p.Field)
	}
	return out
}

func TestEmail(t *testing.T) {
	for _, ok := range []string{
		"ada@example.com", " ada@example.com ", "ada+billing@example.com", "josé@bücher.de", "a@b.co",
		"o'neil@example.ie", "a@[1.2.3.4]",
	} {
		assert.True(t, Email(ok), "%q", ok)
	}
	for _, bad := range []string{
		"", "ada", "ada@", "@example.com", "ada@example", "ada@localhost", "a\x00b@example.com", "ada@exa\x00mple.com",
		"ada @example.com", "Ada <ada@example.com>", "ada@example.com (Ada)", `"a b"@example.com`, "a..b@example.com",
		"ada@example.", "a@b@example.com",
	} {
		assert.False(t, Email(bad), "%q", bad)
	}
}

// The plain form that emailProblem takes without net/mail is taken by
// net/mail too, unchanged, whatever the string: every string of up to
// five bytes from an alphabet of the characters that matter (atext, dots,
// @, specials, space, quote, a non-ASCII letter's byte), and longer ones
// built from them.
func TestPlainEmailAgreesWithNetMail(t *testing.T) {
	alphabet := []string{"a", "Z", "0", "-", "+", "_", "~", "!", ".", "@", " ", "\"", "(", "<", "[", ",", "\xc3\xa9", "\x00"}
	plain := 0
	check := func(s string) {
		if plainEmail(s) {
			plain++
			if got := parsedEmailProblem(s); got != "" {
				t.Errorf("%q: taken as plain, but net/mail says %q", s, got)
			}
		}
	}
	var walk func(prefix string, n int)
	walk = func(prefix string, n int) {
		check(prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			walk(prefix+c, n-1)
		}
	}
	walk("", 5)
	for _, s := range []string{"ada@example.com", "ada+billing@example.co.uk", "a.b.c@x-y.z", "user7@example.com",
		"#!$%&'*+-/=?^_`{|}~@example.com", "a@b.c", "o'neil@example.org", "A.Z@EXAMPLE.COM"} {
		if !plainEmail(s) {
			t.Errorf("%q is not taken as plain", s)
		}
		check(s)
	}
	for _, s := range []string{"ada@example", "a..b@example.com", ".a@example.com", "a.@example.com", "a@.example.com",
		"a@example..com", "a@example.com.", "a@b@example.com", "josé@example.com", "a@bücher.de", "\"a\"@example.com",
		"a@[127.0.0.1]", "a@example_x.com", "a b@example.com", "Ada <ada@example.com>", "@example.com", "a@"} {
		if plainEmail(s) {
			t.Errorf("%q is taken as plain", s)
		}
	}
	if plain == 0 {
		t.Fatal("no generated string was plain")
	}
}

func TestTimezone(t *testing.T) {
	for _, ok := range []string{"Europe/Paris", "America/New_York", "UTC", "Etc/UTC", "US/Eastern", "europe/paris", "Asia/Kolkata", "GMT"} {
		assert.True(t, Timezone(ok), ok)
	}
	for _, bad := range []string{"", "Local", "local", "Mars/Olympus", " Europe/Paris", "Europe/Paris ", "Europe/", "../etc/passwd", "/etc/localtime", "CEST", "+02:00"} {
		assert.False(t, Timezone(bad), "%q", bad)
	}
}

// TestZonesLoad: every name of the list is one time.LoadLocation knows
// (with the tzdata Go embeds), and the list is that tzdata's, so a Go
// upgrade that adds zones says to regenerate it.
func TestZonesLoad(t *testing.T) {
	names := strings.Split(strings.TrimSuffix(zoneNames, "\n"), "\n")
	assert.Greater(t, len(names), 500)
	for _, name := range names {
		_, err := time.LoadLocation(name)
		assert.NoError(t, err, name)
	}
	r, err := zip.OpenReader(filepath.Join(goroot(), "lib", "time", "zoneinfo.zip"))
	if os.IsNotExist(err) {
		t.Skip("no zoneinfo.zip in GOROOT to compare with")
	}
	require.NoError(t, err)
	defer r.Close()
	var want []string
	for _, f := range r.File {
		if !strings.HasSuffix(f.Name, "/") {
			want = append(want, f.Name)
		}
	}
	slices.Sort(want)
	assert.Equal(t, want, names, "Go's tzdata changed: run go generate ./internal/rules")
}

func TestCountry(t *testing.T) {
	for in, want := range map[string]string{"GB": "GB", "gb": "GB", "Us": "US", " GB": "GB", "de\t": "DE", "\u00a0fr\u00a0": "FR"} {
		got, ok := Country(in)
		assert.True(t, ok, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, bad := range []string{"UK", "uk", "XX", "zz", "Germany", "GBR", "G", "G1", "ıt", "ſe", "ÉU"} {
		_, ok := Country(bad)
		assert.False(t, ok, "%q", bad)
	}
	got, _ := Country("ıt")
	assert.Equal(t, "ıt", got, "only ASCII letters are upper-cased")
}

func TestCheck(t *testing.T) {
	addr := &Address{Line1: "1 Main St", City: "Leeds", PostalCode: "LS1 1AA", Country: "gb"}
	for name, tc := range map[string]struct {
		c    Customer
		want []string
	}{
		"a good create":           {Customer{Create: true, BillingEmail: ptr("a@example.com"), ExternalID: ptr("u1"), Timezone: ptr("Europe/London"), Address: addr}, nil},
		"no email on create":      {Customer{Create: true}, []string{"billingEmail"}},
		"no email on update":      {Customer{}, nil},
		"a blank email on update": {Customer{BillingEmail: ptr(" ")}, []string{"billingEmail"}},
		"a cleared timezone":      {Customer{Timezone: ptr("")}, nil},
		"blank ID":                {Customer{Create: true, BillingEmail: ptr("a@example.com"), ExternalID: ptr("  ")}, []string{"externalId"}},
		"255 characters":          {Customer{Create: true, BillingEmail: ptr("a@example.com"), ExternalID: ptr(strings.Repeat("é", 255))}, nil},
		"256 characters":          {Customer{Create: true, BillingEmail: ptr("a@example.com"), ExternalID: ptr(strings.Repeat("a", 256))}, []string{"externalId"}},
		"Local":                   {Customer{Create: true, BillingEmail: ptr("a@example.com"), Timezone: ptr("Local")}, []string{"timezone"}},
		"an empty address": {Customer{Create: true, BillingEmail: ptr("a@example.com"), Address: &Address{}},
			[]string{"address.line1", "address.city", "address.postalCode", "address.country"}},
		"everything at once": {Customer{Create: true, BillingEmail: ptr("ada@example"), ExternalID: ptr(""), Timezone: ptr("Mars/Olympus"),
			Address: &Address{Line1: "1", City: "c", PostalCode: "p", Country: "UK"}},
			[]string{"billingEmail", "externalId", "timezone", "address.country"}},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, fields(&tc.c))
		})
	}
	ps := Check(&Customer{Create: true, BillingEmail: ptr("a@example.com"), Timezone: ptr("Local"), Address: &Address{Line1: "1", City: "c", PostalCode: "p", Country: "uk"}})
	require.Len(t, ps, 2)
	assert.Contains(t, ps[0].Why, "Go's name")
	assert.Equal(t, "Unknown IANA timezone", ps[0].Commet)
	assert.Contains(t, ps[1].Why, `"GB"`)
}

// goroot is the GOROOT of the go command on the PATH, or "".
func goroot() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
