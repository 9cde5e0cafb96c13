package commettest

import (
	"bytes"
	"encoding/json"
)

// This file reads JSON the way Commet's JavaScript server does: object keys
// match case-sensitively. encoding/json matches struct fields
// case-insensitively, so {"BILLINGEMAIL": ...} would fill billingEmail; the
// fake walks objects itself instead. The walkers below assume their input
// is valid JSON: checkJSON validates a whole body once, and every value
// they hand out is a slice of it, so it is valid too.

// checkJSON reports whether raw is one valid JSON value. Callers have
// already checked that the body is valid UTF-8: encoding/json accepts any
// bytes in strings and would answer them back as U+FFFD.
func checkJSON(raw []byte) bool { return json.Valid(raw) }

// isObject reports whether the valid JSON value raw is an object.
func isObject(raw []byte) bool {
	i := skipSpace(raw, 0)
	return i < len(raw) && raw[i] == '{'
}

// eachMember calls fn with the key and the raw value of every member of the
// valid JSON object raw, in order; a key that appears twice is passed twice
// (the last one wins, as in JavaScript). key aliases raw unless it had
// escapes; fn must not keep it. It returns false if raw is not an object.
func eachMember(raw []byte, fn func(key, value []byte)) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return true
	}
	for i < len(raw) {
		end := skipString(raw, i)
		key := raw[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = unescapeKey(raw[i:end])
		}
		i = skipSpace(raw, end) // at ':'
		i = skipSpace(raw, i+1)
		end = skipValue(raw, i)
		fn(key, raw[i:end])
		i = skipSpace(raw, end) // at ',' or '}'
		if i >= len(raw) || raw[i] == '}' {
			break
		}
		i = skipSpace(raw, i+1)
	}
	return true
}

// eachElement calls fn with every element of the valid JSON array raw. It
// returns false if raw is not an array.
func eachElement(raw []byte, fn func(value []byte)) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return true
	}
	for i < len(raw) {
		end := skipValue(raw, i)
		fn(raw[i:end])
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] == ']' {
			break
		}
		i = skipSpace(raw, i+1)
	}
	return true
}

// unescapeKey decodes a quoted key with escapes, such as "\u0062illingEmail",
// which JavaScript reads as billingEmail.
func unescapeKey(quoted []byte) []byte {
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return quoted // unreachable for valid JSON; matches no known key
	}
	return []byte(s)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	i++
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		q += i
		// The quote is escaped if an odd number of backslashes precede it.
		n := 0
		for j := q - 1; j >= i && b[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default: // a number, true, false or null
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return j
			}
			j++
		}
		return j
	}
}
