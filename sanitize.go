package commet

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What is safe to print: the one place that decides what of a server's
// text, or of a caller's, may reach an error, a log record or a header.
// Everything the SDK keeps from an answer goes through apiKey.redact
// (secret.go) where it is decoded (error bodies, batch items, headers), and
// through printable where it is shown.

// printable returns s on one line, safe for a terminal and a log: control
// and formatting characters (newlines, escape sequences, bidi overrides)
// and invalid UTF-8 are escaped as Go would quote them, and the result is
// cut to about max bytes.
func printable(s string, max int) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			clean = false
			break
		}
	}
	if clean && len(s) <= max {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= max {
			b.WriteString("…")
			break
		}
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
			b.WriteRune(r)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteRune(r) // '\n', '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isToken reports whether s is 1 to max printable ASCII characters, none
// of them a space: what an API key or a header name may hold.
func isToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
