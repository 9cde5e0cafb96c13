package commet

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/commet-go/commet/internal/country"
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

func hasC1(s string) bool {
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			return true
		}
	}
	return false
}

// checkEmail refuses what is surely no email address, and nothing that
// might be one: Commet checks the rest.
func checkEmail(errs *fieldErrors, field, email string) {
	email = strings.TrimSpace(email)
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(email, " \t\r\n") {
		errs.add(field, "is not an email address")
	}
}

// check checks an address, if any: the fields Commet requires, a country
// that ISO 3166-1 assigns, and text.
func (a *Address) check(errs *fieldErrors, prefix string) {
	if a == nil {
		return
	}
	prefix += "address."
	for field, v := range map[string]string{"line1": a.Line1, "city": a.City, "postalCode": a.PostalCode, "country": a.Country} {
		if strings.TrimSpace(v) == "" {
			errs.add(prefix+field, "is required in an address")
		}
	}
	if c := a.Country; c != "" && !country.Assigned(c) {
		errs.add(prefix+"country", "%s", countryProblem(c))
	}
	checkWords(errs, prefix, map[string]string{
		"line1": a.Line1, "line2": a.Line2, "city": a.City, "state": a.State,
		"postalCode": a.PostalCode, "country": a.Country,
	})
}

// countryProblem says why c is not a country code Commet takes.
func countryProblem(c string) string {
	switch up := strings.ToUpper(strings.TrimSpace(c)); {
	case up == "UK":
		return `"UK" is not an ISO 3166-1 alpha-2 code: the United Kingdom is "GB"`
	case up != c && country.Assigned(up):
		return fmt.Sprintf("%q must be upper case: %q", printable(c, 20), up)
	case len(c) != 2:
		return fmt.Sprintf("%q is not a two-letter ISO 3166-1 alpha-2 code (such as \"US\" or \"DE\"): a country name or another code", printable(c, 40))
	}
	return fmt.Sprintf("%q is not a country that ISO 3166-1 assigns", printable(c, 20))
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
