package ratelimit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a small, strict parser of RFC 9651 structured fields: the
// subset the IETF RateLimit fields need, a List of Items with Parameters.
// Every bare item type is read (Integer, Decimal, String, Token, Byte
// Sequence, Boolean, Date, Display String), since a parameter this
// package does not use must still be well formed; Inner Lists are refused,
// since neither field allows them. Malformed input is an error, never a
// panic: RFC 9651 asks that a field that fails to parse be ignored whole.

// sfItem is one member of a List: a bare item and its parameters.
type sfItem struct {
	value  any       // int64, sfDecimal, string, sfToken, []byte, bool, sfDate, sfDisplay
	params []sfParam // in order; a repeated key keeps its first place, its last value
}

// sfParam is one parameter of an item.
type sfParam struct {
	key   string
	value any
}

type (
	sfToken   string  // a Token, told apart from a String
	sfDecimal float64 // a Decimal, told apart from an Integer
	sfDate    int64   // a Date, in Unix seconds
	sfDisplay string  // a Display String
)

// param is the value of the parameter key, and whether the item has it.
func (it sfItem) param(key string) (any, bool) {
	for _, p := range it.params {
		if p.key == key {
			return p.value, true
		}
	}
	return nil, false
}

// errSF is the error every malformed field wraps.
var errSF = errors.New("malformed structured field")

// sfParser reads one field value, left to right.
type sfParser struct {
	s string
	i int
}

func (p *sfParser) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errSF, what, p.i)
}

func (p *sfParser) eof() bool { return p.i >= len(p.s) }

func (p *sfParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

func (p *sfParser) skipSP() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// maxSFMembers bounds the members of a List: no server names more
// policies than this, and a field of a million commas is refused early.
const maxSFMembers = 64

// parseSFList parses a field value as a List (RFC 9651, 4.2.1). An empty
// value is an empty List.
func parseSFList(s string) ([]sfItem, error) {
	p := &sfParser{s: s}
	p.skipSP()
	var list []sfItem
	for !p.eof() {
		if p.peek() == '(' {
			return nil, p.fail("an inner list, which these fields do not allow")
		}
		if len(list) == maxSFMembers {
			return nil, p.fail("too many members")
		}
		it, err := p.item()
		if err != nil {
			return nil, err
		}
		list = append(list, it)
		p.skipOWS()
		if p.eof() {
			return list, nil
		}
		if p.s[p.i] != ',' {
			return nil, p.fail("expected a comma")
		}
		p.i++
		p.skipOWS()
		if p.eof() {
			return nil, p.fail("a trailing comma")
		}
	}
	return list, nil
}

// item parses an Item: a bare item and its parameters (4.2.3).
func (p *sfParser) item() (sfItem, error) {
	v, err := p.bareItem()
	if err != nil {
		return sfItem{}, err
	}
	params, err := p.parameters()
	if err != nil {
		return sfItem{}, err
	}
	return sfItem{value: v, params: params}, nil
}

// parameters parses the parameters after an item (4.2.3.2).
func (p *sfParser) parameters() ([]sfParam, error) {
	var params []sfParam
	for p.peek() == ';' {
		p.i++
		p.skipSP()
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if p.peek() == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		found := false
		for j := range params {
			if params[j].key == key {
				params[j].value, found = v, true
			}
		}
		if !found {
			if len(params) == maxSFMembers {
				return nil, p.fail("too many parameters")
			}
			params = append(params, sfParam{key: key, value: v})
		}
	}
	return params, nil
}

// key parses a parameter's key (4.2.3.3).
func (p *sfParser) key() (string, error) {
	c := p.peek()
	if !(c >= 'a' && c <= 'z' || c == '*') {
		return "", p.fail("a key must start with a lowercase letter or *")
	}
	start := p.i
	for !p.eof() {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

// bareItem parses a bare item of any type (4.2.3.1).
func (p *sfParser) bareItem() (any, error) {
	switch c := p.peek(); {
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == '"':
		return p.str()
	case c == '*' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		return p.token(), nil
	case c == ':':
		return p.bytes()
	case c == '?':
		return p.boolean()
	case c == '@':
		p.i++
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		d, ok := n.(int64)
		if !ok {
			return nil, p.fail("a date must be an integer")
		}
		return sfDate(d), nil
	case c == '%':
		return p.display()
	default:
		return nil, p.fail("not a bare item")
	}
}

// number parses an Integer or a Decimal (4.2.4).
func (p *sfParser) number() (any, error) {
	start := p.i
	neg := p.peek() == '-'
	if neg {
		p.i++
	}
	if c := p.peek(); c < '0' || c > '9' {
		return nil, p.fail("a number must have a digit")
	}
	digits, dot := p.i, -1
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && dot < 0:
			if p.i-digits > 12 {
				return nil, p.fail("a decimal has at most 12 integer digits")
			}
			dot = p.i
		default:
			goto done
		}
		p.i++
		if dot < 0 && p.i-digits > 15 {
			return nil, p.fail("an integer has at most 15 digits")
		}
		if dot >= 0 && p.i-digits > 16 {
			return nil, p.fail("a decimal has at most 16 characters")
		}
	}
done:
	if dot < 0 {
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil { // cannot happen with 15 digits at most
			return nil, p.fail("an integer out of range")
		}
		return n, nil
	}
	if frac := p.i - dot - 1; frac < 1 || frac > 3 {
		return nil, p.fail("a decimal has 1 to 3 fraction digits")
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil {
		return nil, p.fail("a decimal out of range")
	}
	return sfDecimal(f), nil
}

// str parses a String (4.2.5): printable ASCII, with \" and \\ escaped.
func (p *sfParser) str() (string, error) {
	p.i++ // the opening quote
	// the common case, no escapes: the string as it stands
	for j := p.i; j < len(p.s); j++ {
		c := p.s[j]
		if c == '"' {
			v := p.s[p.i:j]
			p.i = j + 1
			return v, nil
		}
		if c == '\\' || c < 0x20 || c > 0x7e {
			break
		}
	}
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.eof() || p.s[p.i] != '"' && p.s[p.i] != '\\' {
				return "", p.fail("a string escapes only \" and \\")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return b.String(), nil
		case c < 0x20 || c > 0x7e:
			return "", p.fail("a string holds printable ASCII only")
		default:
			b.WriteByte(c)
		}
	}
	return "", p.fail("a string that never closes")
}

// token parses a Token (4.2.6); its first character is already checked.
func (p *sfParser) token() sfToken {
	start := p.i
	p.i++
	for !p.eof() && (isTChar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
		p.i++
	}
	return sfToken(p.s[start:p.i])
}

// isTChar reports whether c is a tchar of RFC 9110.
func isTChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// bytes parses a Byte Sequence (4.2.7): base64 between colons.
func (p *sfParser) bytes() ([]byte, error) {
	p.i++ // the opening colon
	end := strings.IndexByte(p.s[p.i:], ':')
	if end < 0 {
		return nil, p.fail("a byte sequence that never closes")
	}
	enc := p.s[p.i : p.i+end]
	for j := 0; j < len(enc); j++ {
		if c := enc[j]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil, p.fail("a byte sequence holds base64 only")
		}
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, p.fail("a byte sequence that is not base64")
	}
	p.i += end + 1
	return b, nil
}

// boolean parses a Boolean (4.2.8): ?0 or ?1.
func (p *sfParser) boolean() (bool, error) {
	p.i++
	switch p.peek() {
	case '0':
		p.i++
		return false, nil
	case '1':
		p.i++
		return true, nil
	}
	return false, p.fail("a boolean is ?0 or ?1")
}

// display parses a Display String (4.2.10): %"..." with lowercase
// percent-encoded bytes that make valid UTF-8.
func (p *sfParser) display() (sfDisplay, error) {
	p.i++
	if p.peek() != '"' {
		return "", p.fail(`a display string starts with %"`)
	}
	p.i++
	var b []byte
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '%':
			if p.i+2 > len(p.s) {
				return "", p.fail("a display string's escape is cut short")
			}
			n, err := strconv.ParseUint(p.s[p.i:p.i+2], 16, 8)
			if err != nil || strings.ToLower(p.s[p.i:p.i+2]) != p.s[p.i:p.i+2] {
				return "", p.fail("a display string escapes with lowercase hex")
			}
			b = append(b, byte(n))
			p.i += 2
		case c == '"':
			if !utf8.Valid(b) {
				return "", p.fail("a display string that is not UTF-8")
			}
			return sfDisplay(b), nil
		case c < 0x20 || c > 0x7e:
			return "", p.fail("a display string holds printable ASCII only")
		default:
			b = append(b, c)
		}
	}
	return "", p.fail("a display string that never closes")
}
