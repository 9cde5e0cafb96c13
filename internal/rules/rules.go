// Package rules holds the checks Commet makes on a customer's fields, in
// the one place that both the SDK (CreateCustomerParams.Validate, Create,
// Update, CreateBatch, Import) and its fake (commettest) call, so that the
// two cannot drift: whatever the fake refuses, the SDK refuses before
// sending, with the same wire field name, and the reverse.
//
// Only rules Commet surely has are here: a billing email that is present
// and an address in form, an external ID that is not blank nor over 255
// characters, an IANA time zone name, and an address with its required
// fields and an assigned ISO 3166-1 alpha-2 country. Checks of the SDK's
// own (text that is not UTF-8 or was decoded with the wrong encoding,
// metadata numbers JSON or Commet cannot carry exactly) and of the fake's
// own (a field of the wrong JSON type, which the SDK cannot send) stay with
// each of them.
package rules

import (
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/commet-go/commet/internal/country"
)

// MaxExternalIDLength is the most characters (Unicode code points) an
// external ID may hold.
const MaxExternalIDLength = 255

// Problem is one field a rule refuses, said two ways.
type Problem struct {
	// Field is the field's wire name: "billingEmail", "address.country".
	Field string
	// Commet is what Commet answers, in its words ("Invalid email
	// format"); the fake answers with it.
	Commet string
	// Why is the SDK's explanation, a predicate that follows the field's
	// name ("is required in an address").
	Why string
}

// Customer holds the fields of a create or an update that rules apply to,
// as they are sent: nil for a field not sent.
type Customer struct {
	// Create is true for a create, where billingEmail is required.
	Create bool
	// BillingEmail is the billing email; "" for a null or an empty one.
	BillingEmail *string
	// ExternalID is the caller's ID (create only).
	ExternalID *string
	// Timezone is the time zone; "" clears it and is not checked.
	Timezone *string
	// Address is the billing address; nil for none (or null).
	Address *Address
}

// Address holds the fields of an address that rules apply to.
type Address struct {
	Line1, City, PostalCode, Country string
}

// Check applies every rule to c and returns what it refuses, in a fixed
// order: billingEmail, externalId, timezone, then the address's fields.
func Check(c *Customer) []Problem {
	var ps []Problem
	add := func(field, commet, why string) { ps = append(ps, Problem{field, commet, why}) }
	switch {
	case c.BillingEmail == nil && c.Create, c.BillingEmail != nil && strings.TrimSpace(*c.BillingEmail) == "":
		why := "is required"
		if !c.Create {
			why = "cannot be cleared: Commet requires a billing email"
		}
		add("billingEmail", "Email is required", why)
	case c.BillingEmail != nil:
		if why := emailProblem(*c.BillingEmail); why != "" {
			add("billingEmail", "Invalid email format", why)
		}
	}
	if id := c.ExternalID; id != nil {
		switch n := utf8.RuneCountInString(*id); {
		case strings.TrimSpace(*id) == "":
			add("externalId", "Must not be blank", "is blank: leave ID empty or give your user ID")
		case n > MaxExternalIDLength:
			add("externalId", fmt.Sprintf("Must be at most %d characters", MaxExternalIDLength),
				fmt.Sprintf("has %d characters: Commet takes at most %d", n, MaxExternalIDLength))
		}
	}
	if tz := c.Timezone; tz != nil && *tz != "" && !Timezone(*tz) {
		why := `is not an IANA time zone name (such as "Europe/Paris" or "UTC")`
		if strings.EqualFold(strings.TrimSpace(*tz), "Local") {
			why = `is "Local", Go's name for the zone of the machine it runs on, not an IANA time zone name: give the zone itself, such as "Europe/Paris"`
		}
		add("timezone", "Unknown IANA timezone", why)
	}
	if a := c.Address; a != nil {
		for _, f := range []struct{ name, v string }{
			{"line1", a.Line1}, {"city", a.City}, {"postalCode", a.PostalCode}, {"country", a.Country},
		} {
			if strings.TrimSpace(f.v) == "" {
				add("address."+f.name, "Required", "is required in an address")
			}
		}
		if strings.TrimSpace(a.Country) != "" {
			if _, ok := Country(a.Country); !ok {
				commet, why := countryProblem(a.Country)
				add("address.country", commet, why)
			}
		}
	}
	return ps
}

// Email reports whether email, once trimmed of surrounding white space,
// is an email address Commet takes: one address (no display name, no
// comment) in RFC 5322's form, as net/mail reads it, whose domain holds a
// dot. Plus addressing ("ada+billing@example.com") and Unicode
// ("josé@bücher.de") are email addresses; "ada@example", a NUL and a
// space are not.
func Email(email string) bool { return emailProblem(email) == "" }

// emailProblem says why email is not one, or "" when it is.
func emailProblem(email string) string {
	email = strings.TrimSpace(email)
	if plainEmail(email) {
		return "" // what net/mail takes whole, below, at a fraction of the cost
	}
	return parsedEmailProblem(email)
}

// parsedEmailProblem is emailProblem for a trimmed email, by net/mail.
func parsedEmailProblem(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "is not an email address"
	}
	addr, err := mail.ParseAddress(email)
	switch {
	case err != nil || addr.Address != email || addr.Name != "":
		return "is not an email address: it must be one address alone, such as name@example.com, without a name, quotes, spaces or control characters"
	case !strings.Contains(email[at+1:], "."):
		return "is not an email address: its domain has no dot, as in name@example.com"
	}
	return ""
}

// plainEmail reports whether email is an address in the plainest form,
// which net/mail takes as one address alone and gives back unchanged: a
// local part of ASCII atext (RFC 5322: letters, digits and
// !#$%&'*+-/=?^_`{|}~) in dot-separated runs, an @, and a domain of ASCII
// letters, digits and hyphens in two or more dot-separated labels. Any
// other address (quoted, Unicode, a domain literal, a comment) goes
// through net/mail.
func plainEmail(email string) bool {
	at := strings.IndexByte(email, '@')
	if at <= 0 {
		return false
	}
	local, domain := email[:at], email[at+1:]
	return dotRuns(local, isAtext) && dotRuns(domain, isLabelByte) && strings.IndexByte(domain, '.') > 0
}

// dotRuns reports whether s is one or more non-empty runs of bytes for
// which ok holds, separated by single dots.
func dotRuns(s string, ok func(byte) bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case !ok(c):
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isAtext reports whether c is ASCII atext (RFC 5322, 3.2.3).
func isAtext(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isLabelByte(c byte) bool { return isAlnum(c) || c == '-' }

// Timezone reports whether name is an IANA time zone name: a zone or a
// link of the tz database ("Europe/Paris", "America/New_York", "UTC",
// "US/Eastern"), in any letter case, as JavaScript's Intl (and so Commet's
// server) matches them. "Local", which Go's time.LoadLocation accepts, is
// not one, nor is a name with white space around it.
//
// The names are a list generated from the tzdata Go embeds (see
// gen_zones.go), about 9 KB, rather than time/tzdata (about 450 KB in
// every binary) or the machine's zoneinfo (absent from many containers,
// and matched without regard to case on macOS's disks): the answer is
// the same on every machine.
func Timezone(name string) bool {
	_, ok := zones()[strings.ToLower(name)]
	return ok
}

var zones = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 600)
	for name := range strings.SplitSeq(strings.TrimSuffix(zoneNames, "\n"), "\n") {
		m[strings.ToLower(name)] = struct{}{}
	}
	return m
})

// Country returns code as Commet stores it, trimmed of white space and in
// upper case ("gb", " Us" give "GB", "US"), and whether that is an
// officially assigned ISO 3166-1 alpha-2 code. Only the ASCII letters are
// upper-cased: "ıt" does not become "IT". A code that is not two letters
// comes back as given.
func Country(code string) (string, bool) {
	t := strings.TrimSpace(code)
	if len(t) != 2 || !isLetter(t[0]) || !isLetter(t[1]) {
		return code, false
	}
	up := string([]byte{upper(t[0]), upper(t[1])})
	return up, country.Assigned(up)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// countryProblem says, both ways, why c is not a country code Commet takes.
func countryProblem(c string) (commet, why string) {
	up, _ := Country(c)
	shown := c
	if utf8.RuneCountInString(shown) > 40 {
		shown = string([]rune(shown)[:40]) + "…"
	}
	switch {
	case up == "UK":
		return "Must be an assigned ISO 3166-1 alpha-2 code: the United Kingdom is GB",
			`"UK" is not an ISO 3166-1 alpha-2 code: the United Kingdom is "GB"`
	case len(up) != 2:
		return "Must be an ISO 3166-1 alpha-2 code",
			fmt.Sprintf("%q is not a two-letter ISO 3166-1 alpha-2 code (such as \"US\" or \"DE\"): a country name or another code", shown)
	}
	return "Must be an assigned ISO 3166-1 alpha-2 code", fmt.Sprintf("%q is not a country that ISO 3166-1 assigns", shown)
}
