package commet

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The fast path reads the answers Commet gives for a customer and for a
// page of customers without encoding/json's reflection, which was the
// largest single cost of a call: 6.3 µs of the 14 µs a Get costs the
// client. It takes only a strict subset of JSON, where what it reads is
// provably what encoding/json would read into answerEnvelope: plain
// strings (no escape, valid UTF-8), true and false, the keys byte for byte.
// Anything else (an escape, a null, a key that differs only in case, a key
// given twice, a success of false) makes it give up, and the answer is read
// again by decodeData, so that every error, and its message, still comes
// from the one checked path. It never returns an error of its own.

// Envelope keys, as indexes into envelopeKeys and bits in a seen mask.
const (
	envSuccess = iota
	envData
	envHasMore
	envNextCursor
)

// envelopeKeys are the JSON names of answerEnvelope's fields, whatever the
// type of data: a customer answer with a "hasMore" is read into the same
// envelope, which would refuse one that is not a boolean.
var envelopeKeys = []string{
	envSuccess:    "success",
	envData:       "data",
	envHasMore:    "hasMore",
	envNextCursor: "nextCursor",
}

// Customer keys, as indexes into customerKeys and bits in a seen mask.
const (
	custID = iota
	custOrganizationID
	custExternalID
	custEmail
	custFullName
	custDomain
	custWebsite
	custTimezone
	custLanguage
	custIndustry
	custEmployeeCount
	custMetadata
	custIsActive
	custCreatedAt
	custUpdatedAt
)

// customerKeys are the json tags of Customer's fields, which
// TestCustomerKeysAreCustomersTags holds to the struct.
var customerKeys = []string{
	custID:             "id",
	custOrganizationID: "organizationId",
	custExternalID:     "externalId",
	custEmail:          "billingEmail",
	custFullName:       "fullName",
	custDomain:         "domain",
	custWebsite:        "website",
	custTimezone:       "timezone",
	custLanguage:       "language",
	custIndustry:       "industry",
	custEmployeeCount:  "employeeCount",
	custMetadata:       "metadata",
	custIsActive:       "isActive",
	custCreatedAt:      "createdAt",
	custUpdatedAt:      "updatedAt",
}

// maxSkipDepth is how deep a value the fast path skips (or measures, for
// metadata) may nest. encoding/json takes 10000 levels; the answers the
// fast path is for nest far less, and deeper ones go the slow way.
const maxSkipDepth = 64

// envelopeTail is what the envelope held besides data.
type envelopeTail struct {
	seen       uint32 // a bit per key of envelopeKeys that the answer had
	hasMore    bool
	nextCursor string
}

// decodeCustomerFast reads an answer whose data is one customer, as
// decodeData[Customer] would; false if the answer is not in the subset it
// takes.
func decodeCustomerFast(body []byte) (*Customer, bool) {
	s := scanner{b: body}
	var c *Customer
	_, ok := s.answer(func() bool {
		c = new(Customer)
		return s.customer(c)
	})
	if !ok {
		return nil, false
	}
	return c, true
}

// decodePageFast reads an answer whose data is a page of customers into
// page, as decodeData[[]Customer] would, and only if the answer has
// "hasMore"; false, with page untouched, if the answer is not in the subset
// it takes.
func decodePageFast(body []byte, page *Page[Customer]) bool {
	s := scanner{b: body}
	var data []Customer
	tail, ok := s.answer(func() bool {
		data = []Customer{} // what encoding/json makes of [], not nil
		return s.array(func() bool {
			data = append(data, Customer{})
			return s.customer(&data[len(data)-1])
		})
	})
	if !ok || tail.seen&(1<<envHasMore) == 0 {
		return false
	}
	page.Data, page.HasMore = data, tail.hasMore
	if tail.seen&(1<<envNextCursor) != 0 {
		page.NextCursor = tail.nextCursor
	}
	return true
}

// scanner reads JSON from b, at i. Its methods skip no white space before
// what they read, and leave i just past it.
type scanner struct {
	b []byte
	i int
}

// answer reads the whole body as an envelope whose "success" is true and
// whose "data" data reads, with nothing but white space around it.
func (s *scanner) answer(data func() bool) (envelopeTail, bool) {
	var tail envelopeTail
	s.space()
	ok := s.object(envelopeKeys, &tail.seen, func(k int) bool {
		switch k {
		case envSuccess:
			return s.literal("true")
		case envData:
			return data()
		case envHasMore:
			var ok bool
			tail.hasMore, ok = s.boolean()
			return ok
		default: // envNextCursor
			return s.plainString(&tail.nextCursor)
		}
	})
	s.space()
	const required = 1<<envSuccess | 1<<envData
	return tail, ok && s.i == len(s.b) && tail.seen&required == required
}

// customer reads one customer object into c, a zero Customer.
func (s *scanner) customer(c *Customer) bool {
	var seen uint32
	return s.object(customerKeys, &seen, func(k int) bool {
		switch k {
		case custID:
			return s.plainString(&c.ID)
		case custOrganizationID:
			return s.plainString(&c.OrganizationID)
		case custExternalID:
			return s.plainString(&c.ExternalID)
		case custEmail:
			return s.plainString(&c.Email)
		case custFullName:
			return s.plainString(&c.FullName)
		case custDomain:
			return s.plainString(&c.Domain)
		case custWebsite:
			return s.plainString(&c.Website)
		case custTimezone:
			return s.plainString(&c.Timezone)
		case custLanguage:
			return s.plainString(&c.Language)
		case custIndustry:
			return s.plainString(&c.Industry)
		case custEmployeeCount:
			return s.plainString(&c.EmployeeCount)
		case custMetadata:
			// Metadata is any JSON: its extent is found here, and it is
			// read by encoding/json, as the whole answer would have had it.
			start := s.i
			return s.skip(0) && json.Unmarshal(s.b[start:s.i], &c.Metadata) == nil
		case custIsActive:
			var ok bool
			c.IsActive, ok = s.boolean()
			return ok
		case custCreatedAt, custUpdatedAt:
			// What encoding/json hands time.Time: the quoted string. A
			// plain one, so that its bytes are its value.
			start, t := s.i, &c.CreatedAt
			if k == custUpdatedAt {
				t = &c.UpdatedAt
			}
			return s.plainString(nil) && t.UnmarshalJSON(s.b[start:s.i]) == nil
		}
		return false
	})
}

// object reads an object, calling value with the index in keys of each
// known key, at its value, and skipping the value of an unknown one. A
// key must be a plain string; it is refused if seen (a bit per index)
// already has it, and so is a key that differs from a known one only in
// case, which encoding/json would take for it.
func (s *scanner) object(keys []string, seen *uint32, value func(k int) bool) bool {
	return s.members('{', '}', func() bool {
		start := s.i
		if !s.plainString(nil) {
			return false
		}
		key := s.b[start+1 : s.i-1]
		if !s.colon() {
			return false
		}
		switch k := lookup(keys, key); {
		case k >= 0:
			if *seen&(1<<k) != 0 || !value(k) {
				return false
			}
			*seen |= 1 << k
			return true
		case k == foldedKey:
			return false
		}
		return s.skip(0)
	})
}

// members reads open, then members separated by commas, each read by
// member, then close, with white space around each.
func (s *scanner) members(open, close byte, member func() bool) bool {
	if !s.take(open) {
		return false
	}
	s.space()
	if s.take(close) {
		return true
	}
	for {
		if !member() {
			return false
		}
		s.space()
		if s.take(close) {
			return true
		}
		if !s.take(',') {
			return false
		}
		s.space()
	}
}

// colon reads the colon after an object's key, with white space around.
func (s *scanner) colon() bool {
	s.space()
	if !s.take(':') {
		return false
	}
	s.space()
	return true
}

// foldedKey is lookup's answer for a key that is not one of the keys but
// matches one the way encoding/json matches keys to fields, ignoring case
// (with Unicode's simple folding, as strings.EqualFold does).
const foldedKey = -2

// lookup is the index of key in keys, -1 if it is none of them, or
// foldedKey.
func lookup(keys []string, key []byte) int {
	for k, known := range keys {
		if string(key) == known {
			return k
		}
	}
	for _, known := range keys {
		if strings.EqualFold(string(key), known) {
			return foldedKey
		}
	}
	return -1
}

// array reads an array, calling elem at each element.
func (s *scanner) array(elem func() bool) bool { return s.members('[', ']', elem) }

// plainString reads a string with no escape and no control byte whose
// bytes are valid UTF-8: one encoding/json reads as its bytes, unchanged.
// It sets *v to it, unless v is nil.
func (s *scanner) plainString(v *string) bool {
	if !s.take('"') {
		return false
	}
	ascii := true
	// A local index, which stays in a register: s.i, through s, did not,
	// and the loop took twice as long.
	for i, c := range s.b[s.i:] {
		switch {
		case c == '"':
			str := s.b[s.i : s.i+i]
			s.i += i + 1
			if !ascii && !utf8.Valid(str) {
				return false
			}
			if v != nil {
				*v = string(str)
			}
			return true
		case c < 0x20 || c == '\\':
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return false
}

// boolean reads true or false.
func (s *scanner) boolean() (v, ok bool) {
	if s.literal("true") {
		return true, true
	}
	return false, s.literal("false")
}

// skip reads any JSON value, checking it as encoding/json would, at depth
// levels of nesting in what is skipped. The known objects around it nest
// three levels at most, so that no value it takes is too deep for
// encoding/json.
func (s *scanner) skip(depth int) bool {
	if s.i >= len(s.b) || depth >= maxSkipDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.skipString()
	case c == '{':
		return s.skipObject(depth)
	case c == '[':
		return s.array(func() bool { return s.skip(depth + 1) })
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.skipNumber()
	}
	return false
}

// skipObject reads any object, at depth levels of nesting.
func (s *scanner) skipObject(depth int) bool {
	return s.members('{', '}', func() bool {
		return s.skipString() && s.colon() && s.skip(depth+1)
	})
}

// skipString reads any string, escapes checked as encoding/json checks
// them. Its bytes need not be valid UTF-8: encoding/json reads such a
// string too, and nothing here keeps it.
func (s *scanner) skipString() bool {
	if !s.take('"') {
		return false
	}
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(s.b)-s.i < 5 {
					return false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// skipNumber reads a number as JSON writes it: -?(0|[1-9][0-9]*), then
// an optional fraction and exponent. What follows it is the caller's to
// check, as after any value.
func (s *scanner) skipNumber() bool {
	s.take('-')
	if !s.take('0') && !s.digits() {
		return false
	}
	if s.take('.') && !s.digits() {
		return false
	}
	if s.take('e') || s.take('E') {
		if !s.take('+') {
			s.take('-')
		}
		return s.digits()
	}
	return true
}

// digits reads one or more decimal digits.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// literal reads word: true, false or null.
func (s *scanner) literal(word string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return true
}

// take reads c if it is next.
func (s *scanner) take(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// space skips JSON white space: space, tab, line feed, carriage return.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}
