package commettest

import (
	"bytes"
	"encoding/json"
	"strings"

	commetrules "github.com/commet-go/commet/internal/rules" // the name rules is taken by a test helper
)

// fieldError is one entry of a validation_error's details.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// fields collects the field errors of one request.
type fields []fieldError

func (f *fields) add(field, message string) { *f = append(*f, fieldError{field, message}) }

func (f fields) has(field string) bool {
	for _, e := range f {
		if e.Field == field {
			return true
		}
	}
	return false
}

// address is the request-only billing address.
type address struct {
	Line1, Line2, City, State, PostalCode, Country string
}

// body is a customer in a request, each field kept raw so that its type is
// checked on its own, and an absent field (nil) can be told from a null one.
// Keys match case-sensitively, as in Commet's JavaScript server; any other
// key, "BillingEmail" included, is kept in unknown and otherwise ignored
// (strict mode refuses it).
type body struct {
	BillingEmail json.RawMessage
	ExternalID   json.RawMessage
	FullName     json.RawMessage
	Domain       json.RawMessage
	Website      json.RawMessage
	Timezone     json.RawMessage
	Language     json.RawMessage
	Industry     json.RawMessage
	Metadata     json.RawMessage
	Address      json.RawMessage
	IsActive     json.RawMessage

	unknown []string // keys no operation knows, as sent
}

// parseBody decodes a request body that must be a JSON object; ok is false
// for malformed JSON or anything else.
func parseBody(raw []byte) (b body, ok bool) {
	if !checkJSON(raw) {
		return b, false
	}
	return parseItem(raw)
}

// parseItem decodes a JSON object taken from a body already checked by
// checkJSON (a batch item); ok is false if it is not an object.
func parseItem(raw []byte) (b body, ok bool) {
	ok = eachMember(raw, func(key, v []byte) {
		switch string(key) {
		case "billingEmail":
			b.BillingEmail = v
		case "externalId":
			b.ExternalID = v
		case "fullName":
			b.FullName = v
		case "domain":
			b.Domain = v
		case "website":
			b.Website = v
		case "timezone":
			b.Timezone = v
		case "language":
			b.Language = v
		case "industry":
			b.Industry = v
		case "metadata":
			b.Metadata = v
		case "address":
			b.Address = v
		case "isActive":
			b.IsActive = v
		default:
			b.unknown = append(b.unknown, string(key))
		}
	})
	return b, ok
}

// str reads an optional string field: present is false when it is absent
// or null. Strings without escapes, the usual case, skip a second decode.
func str(raw json.RawMessage, field string, errs *fields) (v string, present bool) {
	if raw == nil || isNull(raw) {
		return "", false
	}
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : n-1]), true
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		errs.add(field, "Must be a string")
		return "", false
	}
	return v, true
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(raw, []byte("null")) }

// applyFields checks and applies every customer field present in b to c,
// the same way for create and update: each field's JSON type here, then
// Commet's rules (internal/rules, which the SDK's checks share) on the
// fields whose type was right.
//
// rule, if not nil, is [WithRule]'s: it sees every string field sent whose
// type was right, and refuses what it returns a message for.
func (b *body) applyFields(c *customer, errs *fields, create bool, rule func(field, value string) string) {
	in := commetrules.Customer{Create: create}
	var text [][2]string // the string fields sent, for rule
	if email, ok := str(b.BillingEmail, "billingEmail", errs); ok {
		text = append(text, [2]string{"billingEmail", email})
		in.BillingEmail = &email
		c.BillingEmail = strings.TrimSpace(email)
	} else if b.BillingEmail != nil && isNull(b.BillingEmail) {
		in.BillingEmail = new(string) // null: as empty
	}
	for _, f := range []struct {
		raw   json.RawMessage
		name  string
		field *string
	}{
		{b.FullName, "fullName", &c.FullName}, {b.Domain, "domain", &c.Domain}, {b.Website, "website", &c.Website},
		{b.Timezone, "timezone", &c.Timezone}, {b.Language, "language", &c.Language}, {b.Industry, "industry", &c.Industry},
	} {
		v, ok := str(f.raw, f.name, errs)
		switch {
		case ok:
			text = append(text, [2]string{f.name, v})
			*f.field = v
		case f.raw != nil && isNull(f.raw):
			*f.field = "" // null clears, like ""
		}
	}
	if tz, ok := str(b.Timezone, "timezone", new(fields)); ok {
		in.Timezone = &tz
	}
	if create {
		if ext, ok := str(b.ExternalID, "externalId", errs); ok {
			text = append(text, [2]string{"externalId", ext})
			in.ExternalID = &ext
			c.ExternalID = ext
		}
	}
	if b.Metadata != nil {
		c.Metadata = parseMetadata(b.Metadata, errs)
	}
	if b.Address != nil {
		c.address, in.Address = parseAddress(b.Address, errs)
		if a := c.address; a != nil {
			text = append(text, [][2]string{{"address.line1", a.Line1}, {"address.line2", a.Line2}, {"address.city", a.City},
				{"address.state", a.State}, {"address.postalCode", a.PostalCode}, {"address.country", a.Country}}...)
		}
	}
	for _, p := range commetrules.Check(&in) {
		if !errs.has(p.Field) { // a field of the wrong type has that error alone
			errs.add(p.Field, p.Commet)
		}
	}
	if rule != nil {
		for _, f := range text {
			if errs.has(f[0]) {
				continue // the fake's own rules come first
			}
			if msg := rule(f[0], f[1]); msg != "" {
				errs.add(f[0], msg)
			}
		}
	}
	if c.address != nil && in.Address != nil {
		c.address.Country, _ = commetrules.Country(c.address.Country)
	}
}

// parseMetadata accepts a JSON object; null clears the metadata.
func parseMetadata(raw json.RawMessage, errs *fields) map[string]any {
	if isNull(raw) {
		return nil
	}
	var m map[string]any
	if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		errs.add("metadata", "Must be a JSON object")
		return nil
	}
	return m
}

// addressBody is an address in a request, read like body.
type addressBody struct {
	Line1      json.RawMessage
	Line2      json.RawMessage
	City       json.RawMessage
	State      json.RawMessage
	PostalCode json.RawMessage
	Country    json.RawMessage

	unknown []string
}

func parseAddressBody(raw []byte) (b addressBody, ok bool) {
	ok = eachMember(raw, func(key, v []byte) {
		switch string(key) {
		case "line1":
			b.Line1 = v
		case "line2":
			b.Line2 = v
		case "city":
			b.City = v
		case "state":
			b.State = v
		case "postalCode":
			b.PostalCode = v
		case "country":
			b.Country = v
		default:
			b.unknown = append(b.unknown, string(key))
		}
	})
	return b, ok
}

// parseAddress reads an address, each field trimmed, and the fields that
// rules check (nil when raw is not an object): line1, city, postalCode and
// country are required, country an officially assigned ISO 3166-1 alpha-2
// code ("GB", never "UK", "XK" or "ZZ"), taken in any letter case and
// stored upper case. null removes the address.
func parseAddress(raw json.RawMessage, errs *fields) (*address, *commetrules.Address) {
	if isNull(raw) {
		return nil, nil
	}
	b, ok := parseAddressBody(raw)
	if !ok {
		errs.add("address", "Must be an object")
		return nil, nil
	}
	get := func(raw json.RawMessage, name string) string {
		v, _ := str(raw, "address."+name, errs)
		return strings.TrimSpace(v)
	}
	a := &address{
		Line1: get(b.Line1, "line1"), Line2: get(b.Line2, "line2"), City: get(b.City, "city"),
		State: get(b.State, "state"), PostalCode: get(b.PostalCode, "postalCode"), Country: get(b.Country, "country"),
	}
	return a, &commetrules.Address{Line1: a.Line1, City: a.City, PostalCode: a.PostalCode, Country: a.Country}
}

// newCustomer validates a create body.
func newCustomer(b *body, rule func(field, value string) string) (customer, fields) {
	var c customer
	var errs fields
	b.applyFields(&c, &errs, true, rule)
	c.IsActive = true
	return c, errs
}

// applyUpdate validates an update body against c and applies it.
func applyUpdate(c *customer, b *body, rule func(field, value string) string) fields {
	var errs fields
	b.applyFields(c, &errs, false, rule)
	if b.IsActive != nil && !isNull(b.IsActive) {
		var active bool
		switch {
		case json.Unmarshal(b.IsActive, &active) != nil:
			errs.add("isActive", "Must be a boolean")
		case !active:
			c.IsActive = false // archived for good
		case !c.IsActive:
			errs.add("isActive", "Archived customers cannot be reactivated")
		}
	}
	return errs
}
