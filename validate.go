package commet

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/commet-go/commet/internal/rules"
)

// The checks below run before anything is sent. encoding/json rewrites
// invalid UTF-8 to U+FFFD, so two different IDs ("Jos\xe9" and "Jos\xe8",
// from Latin-1 files) would reach Commet as one: every string the SDK sends
// must be valid UTF-8.

// notUTF8 says what invalid UTF-8 most likely means: a legacy export read
// without decoding it.
const notUTF8 = "is not valid UTF-8: the text is likely Windows-1252 or ISO-8859-1 (a legacy or Excel export); decode it to UTF-8 first"

// checkText checks strings by wire name; prefix is prepended to each name.
func checkText(errs *fieldErrors, prefix string, fields map[string]string) {
	for field, v := range fields {
		if !utf8.ValidString(v) {
			errs.add(prefix+field, notUTF8)
		}
	}
}

// checkWords checks text a person wrote (names, addresses): valid UTF-8,
// and none of the C1 controls U+0080 to U+009F, which no one types. They are
// what Windows-1252 text becomes when it is decoded as ISO-8859-1 ("é" is
// fine, but a "€" or a curly quote turns into U+0080 or U+0092).
func checkWords(errs *fieldErrors, prefix string, fields map[string]string) {
	for field, v := range fields {
		switch {
		case !utf8.ValidString(v):
			errs.add(prefix+field, notUTF8)
		case hasC1(v):
			errs.add(prefix+field, "holds control characters U+0080 to U+009F: the text was decoded with the wrong encoding (Windows-1252 read as ISO-8859-1); decode it as Windows-1252")
		}
	}
}

// ascii reports whether every string is ASCII: then checkWords finds
// nothing in them (ASCII is valid UTF-8, and the C1 controls are not
// ASCII), and need not build its map.
func ascii(ss ...string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
	}
	return true
}

func hasC1(s string) bool {
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			return true
		}
	}
	return false
}

// Validate checks p as Create, CreateBatch and Import do before sending,
// and returns a *[ValidationError] keyed by wire names ("billingEmail",
// "address.country"), or nil. It refuses what Commet surely refuses, by
// the very rules commettest applies (one internal package holds them, so
// the two agree field by field), and nothing Commet accepts, so a
// migration can list every bad row before it sends anything (a dry run):
//
//   - a missing or blank billing email, or one that is no email address:
//     one address alone in RFC 5322's form (no display name, comment,
//     space or control character such as NUL), with a dot in its domain
//     ("ada@example" is refused; "ada+billing@example.com" and
//     "josé@bücher.de" are taken);
//   - an ID that is blank, or longer than 255 characters (counted as
//     Unicode code points: "é" is one);
//   - a time zone that is not an IANA name ("Mars/Olympus", or "Local",
//     which Go's time.LoadLocation takes); the name's letter case does
//     not matter, as in JavaScript's Intl ("europe/paris" is taken);
//   - an address without line1, city, postalCode or country, or with a
//     country that ISO 3166-1 alpha-2 does not assign ("UK", "XX" or a
//     country's name; "GB" is the United Kingdom). A code in any letter
//     case, with white space around it, is taken: " gb" is sent as "GB"
//     (see [Address].Country).
//
// Three checks are the SDK's own, since what they refuse would reach
// Commet changed rather than refused: text that is not valid UTF-8 (the
// message says the file is likely Windows-1252 or ISO-8859-1, to be
// decoded first: encoding/json would turn it into U+FFFD), text holding
// the C1 controls U+0080 to U+009F (the mark of Windows-1252 text decoded
// as ISO-8859-1), and metadata integers beyond ±2^53 or numbers JSON
// cannot carry.
//
// Commet may still refuse what Validate lets through, for a rule it does
// not document: a real run reports that per item.
func (p *CreateCustomerParams) Validate() error { return p.validate("") }

// validate checks p before it is sent; prefix names the item of a batch in
// field names ("customers[3].").
func (p *CreateCustomerParams) validate(prefix string) error {
	if p == nil {
		return invalid(prefix+"billingEmail", "is required")
	}
	var errs fieldErrors
	if !ascii(p.Email, p.ID, p.FullName, p.Domain, p.Website, p.Timezone, p.Language, p.Industry) {
		checkWords(&errs, prefix, map[string]string{
			"billingEmail": p.Email, "externalId": p.ID, "fullName": p.FullName, "domain": p.Domain,
			"website": p.Website, "timezone": p.Timezone, "language": p.Language, "industry": p.Industry,
		})
	}
	p.Address.checkWords(&errs, prefix)
	checkMetadata(&errs, prefix, p.Metadata)
	checkRules(&errs, prefix, &rules.Customer{Create: true, BillingEmail: &p.Email, ExternalID: sent(p.ID),
		Timezone: sent(p.Timezone), Address: p.Address.forRules()})
	return errs.err()
}

// validate checks p before it is sent.
func (p *UpdateCustomerParams) validate() error {
	if p == nil {
		return invalid("body", "UpdateCustomerParams are required")
	}
	var errs fieldErrors
	text := map[string]string{}
	for field, v := range map[string]*string{"billingEmail": p.Email, "fullName": p.FullName, "domain": p.Domain,
		"website": p.Website, "timezone": p.Timezone, "language": p.Language, "industry": p.Industry} {
		if v != nil {
			text[field] = *v
		}
	}
	checkWords(&errs, "", text)
	p.Address.checkWords(&errs, "")
	checkMetadata(&errs, "", p.Metadata)
	checkRules(&errs, "", &rules.Customer{BillingEmail: p.Email, Timezone: p.Timezone, Address: p.Address.forRules()})
	return errs.err()
}

// checkRules adds what Commet's rules refuse in c, for the fields the SDK's
// own checks have not already refused (one reason a field is enough).
func checkRules(errs *fieldErrors, prefix string, c *rules.Customer) {
	for _, p := range rules.Check(c) {
		if _, refused := (*errs)[prefix+p.Field]; !refused {
			errs.add(prefix+p.Field, "%s", p.Why)
		}
	}
}

// sent returns a pointer to a string field that omitempty sends only when
// it is not empty, or nil.
func sent(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// forRules returns the fields of a that Commet's rules check, or nil.
func (a *Address) forRules() *rules.Address {
	if a == nil {
		return nil
	}
	return &rules.Address{Line1: a.Line1, City: a.City, PostalCode: a.PostalCode, Country: a.Country}
}

// checkWords checks the text of an address, if any.
func (a *Address) checkWords(errs *fieldErrors, prefix string) {
	if a == nil || ascii(a.Line1, a.Line2, a.City, a.State, a.PostalCode, a.Country) {
		return
	}
	checkWords(errs, prefix+"address.", map[string]string{
		"line1": a.Line1, "line2": a.Line2, "city": a.City, "state": a.State,
		"postalCode": a.PostalCode, "country": a.Country,
	})
}

// MarshalJSON writes a as Commet takes it: Country trimmed of white space
// and in upper case when it is two letters (" gb" is sent as "GB"), every
// other field as given.
func (a Address) MarshalJSON() ([]byte, error) {
	type wire Address // without this method
	w := wire(a)
	w.Country, _ = rules.Country(a.Country)
	return json.Marshal(w)
}

// maxMetadataDepth bounds how deeply metadata may nest.
const maxMetadataDepth = 32

// maxExactInteger is 2^53: Commet, a JavaScript server, stores numbers as
// 64-bit floats, which hold every integer up to it and not all beyond. A
// larger integer would reach Commet as a neighbour, silently; it is
// refused instead, and can be sent as a string.
const maxExactInteger = 1 << 53

var jsonNumberType = reflect.TypeFor[json.Number]()

// checkMetadata checks every key and value of metadata, however nested and
// whatever Go types hold them, as encoding/json will encode them.
func checkMetadata(errs *fieldErrors, prefix string, metadata map[string]any) {
	for k, v := range metadata {
		field := prefix + "metadata"
		if !utf8.ValidString(k) {
			errs.add(field, "has a key that is not valid UTF-8")
			continue
		}
		checkValue(errs, field+"."+k, reflect.ValueOf(v), 0)
	}
}

func checkValue(errs *fieldErrors, field string, v reflect.Value, depth int) {
	if depth > maxMetadataDepth {
		errs.add(field, "nests more than %d levels deep", maxMetadataDepth)
		return
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			checkValue(errs, field, v.Elem(), depth+1)
		}
	case reflect.String:
		if v.Type() == jsonNumberType {
			checkNumber(errs, field, v.String())
		} else if !utf8.ValidString(v.String()) {
			errs.add(field, "is not valid UTF-8")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n := v.Int(); n > maxExactInteger || n < -maxExactInteger {
			errs.add(field, "is an integer beyond ±2^53, which Commet cannot store exactly: send it as a string")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if v.Uint() > maxExactInteger {
			errs.add(field, "is an integer beyond ±2^53, which Commet cannot store exactly: send it as a string")
		}
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			errs.add(field, "is not a finite number, which JSON cannot carry")
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			key := iter.Key()
			if key.Kind() == reflect.String && !utf8.ValidString(key.String()) {
				errs.add(field, "has a key that is not valid UTF-8")
				continue
			}
			checkValue(errs, field+"."+strings.TrimSpace(fmtKey(key)), iter.Value(), depth+1)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // []byte is sent as base64
		}
		for i := range v.Len() {
			checkValue(errs, field, v.Index(i), depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				checkValue(errs, field, v.Field(i), depth+1)
			}
		}
	}
}

// fmtKey names a map key in a field name.
func fmtKey(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	return "?"
}

// checkNumber checks a json.Number as Commet will read it: a 64-bit float,
// which must hold it exactly when it is an integer.
func checkNumber(errs *fieldErrors, field, n string) {
	if !json.Valid([]byte(n)) || strings.ContainsAny(n, "{[\"tfn") {
		errs.add(field, "is not a JSON number")
		return
	}
	if strings.ContainsAny(n, ".eE") {
		return // a fraction or an exponent: a float by intent, read as such
	}
	if i, err := strconv.ParseInt(n, 10, 64); err != nil || i > maxExactInteger || i < -maxExactInteger {
		errs.add(field, "is an integer beyond ±2^53, which Commet cannot store exactly: send it as a string")
	}
}
