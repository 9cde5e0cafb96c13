package commettest

import (
	"bytes"
	"encoding/json"
	"net/mail"
	"strings"
	"time"
	_ "time/tzdata" // timezones validate on machines without zoneinfo
)

// fieldError is one entry of a validation_error's details.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// fields collects the field errors of one request.
type fields []fieldError

func (f *fields) add(field, message string) { *f = append(*f, fieldError{field, message}) }

// address is the request-only billing address.
type address struct {
	Line1, Line2, City, State, PostalCode, Country string
}

// body is a request body decoded field by field, so that each field's type
// is checked on its own, unknown fields are ignored, and an absent field
// can be told from an empty one.
type body map[string]json.RawMessage

// parseBody decodes a JSON object; ok is false for anything else.
func parseBody(raw []byte) (body, bool) {
	var b body
	if err := json.Unmarshal(raw, &b); err != nil || b == nil {
		return nil, false
	}
	return b, true
}

// str reads an optional string field: present is false when it is absent
// or null.
func (b body) str(name, prefix string, errs *fields) (v string, present bool) {
	raw, ok := b[name]
	if !ok || isNull(raw) {
		return "", false
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		errs.add(prefix+name, "Must be a string")
		return "", false
	}
	return v, true
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// stringFields are the optional strings of create and update, beside
// billingEmail and externalId.
var stringFields = []string{"fullName", "domain", "website", "timezone", "language", "industry"}

// setString stores a validated optional string on c.
func setString(c *customer, name, v string) {
	switch name {
	case "fullName":
		c.FullName = v
	case "domain":
		c.Domain = v
	case "website":
		c.Website = v
	case "timezone":
		c.Timezone = v
	case "language":
		c.Language = v
	case "industry":
		c.Industry = v
	}
}

// applyFields checks and applies every customer field present in b to c,
// the same way for create and update.
func (b body) applyFields(c *customer, errs *fields) {
	if email, ok := b.str("billingEmail", "", errs); ok {
		checkEmail(email, errs)
		c.BillingEmail = strings.TrimSpace(email)
	} else if _, sent := b["billingEmail"]; sent && !errs.has("billingEmail") {
		errs.add("billingEmail", "Email is required") // null
	}
	for _, name := range stringFields {
		v, ok := b.str(name, "", errs)
		if !ok {
			if raw, sent := b[name]; sent && isNull(raw) {
				setString(c, name, "") // null clears, like ""
			}
			continue
		}
		if name == "timezone" && v != "" {
			checkTimezone(v, errs)
		}
		setString(c, name, v)
	}
	if raw, ok := b["metadata"]; ok {
		c.Metadata = parseMetadata(raw, errs)
	}
	if raw, ok := b["address"]; ok {
		c.address = parseAddress(raw, errs)
	}
}

func (f fields) has(field string) bool {
	for _, e := range f {
		if e.Field == field {
			return true
		}
	}
	return false
}

func checkEmail(email string, errs *fields) {
	email = strings.TrimSpace(email)
	if email == "" {
		errs.add("billingEmail", "Email is required")
		return
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		errs.add("billingEmail", "Invalid email format")
	}
}

func checkTimezone(tz string, errs *fields) {
	if tz == "Local" || strings.TrimSpace(tz) != tz {
		errs.add("timezone", "Unknown IANA timezone")
		return
	}
	if _, err := time.LoadLocation(tz); err != nil {
		errs.add("timezone", "Unknown IANA timezone")
	}
}

// parseMetadata accepts a JSON object; null clears the metadata.
func parseMetadata(raw json.RawMessage, errs *fields) map[string]any {
	if isNull(raw) {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		errs.add("metadata", "Must be a JSON object")
		return nil
	}
	return m
}

// parseAddress checks an address: line1, city, postalCode and country
// are required, country an ISO 3166-1 alpha-2 code (stored upper case).
// null removes the address.
func parseAddress(raw json.RawMessage, errs *fields) *address {
	if isNull(raw) {
		return nil
	}
	b, ok := parseBody(raw)
	if !ok {
		errs.add("address", "Must be an object")
		return nil
	}
	get := func(name string, required bool) string {
		v, _ := b.str(name, "address.", errs)
		v = strings.TrimSpace(v)
		if required && v == "" && !errs.has("address."+name) {
			errs.add("address."+name, "Required")
		}
		return v
	}
	a := &address{
		Line1: get("line1", true), Line2: get("line2", false), City: get("city", true),
		State: get("state", false), PostalCode: get("postalCode", true), Country: get("country", true),
	}
	if a.Country != "" && !isAlpha2(a.Country) {
		errs.add("address.country", "Must be an ISO 3166-1 alpha-2 code")
	}
	a.Country = strings.ToUpper(a.Country)
	return a
}

func isAlpha2(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// newCustomer validates a create body.
func newCustomer(b body) (customer, fields) {
	var c customer
	var errs fields
	if _, sent := b["billingEmail"]; !sent {
		errs.add("billingEmail", "Email is required")
	}
	b.applyFields(&c, &errs)
	if ext, ok := b.str("externalId", "", &errs); ok {
		switch {
		case strings.TrimSpace(ext) == "":
			errs.add("externalId", "Must not be blank")
		case len(ext) > 255:
			errs.add("externalId", "Must be at most 255 characters")
		}
		c.ExternalID = ext
	}
	c.IsActive = true
	return c, errs
}

// applyUpdate validates an update body against c and applies it.
func applyUpdate(c *customer, b body) fields {
	var errs fields
	b.applyFields(c, &errs)
	if raw, ok := b["isActive"]; ok && !isNull(raw) {
		var active bool
		switch {
		case json.Unmarshal(raw, &active) != nil:
			errs.add("isActive", "Must be a boolean")
		case !active:
			c.IsActive = false // archived for good
		case !c.IsActive:
			errs.add("isActive", "Archived customers cannot be reactivated")
		}
	}
	return errs
}
