package commet

import (
	"net/http"
	"regexp"
	"strings"
)

// apiKey holds the API key where nothing prints it. The key lives only in
// a closure: fmt, encoding/json and reflection-based printers (testify's
// diffs, go-spew) see a func value, never the string it captured.
type apiKey struct {
	value func() string
}

func newAPIKey(key string) apiKey { return apiKey{value: func() string { return key }} }

// redactedKey replaces a key in any text the SDK keeps from a server.
const redactedKey = "ck_[redacted]"

// keyPattern matches what looks like a Commet key, ours or another's.
var keyPattern = regexp.MustCompile(`\bck_[A-Za-z0-9_\-]{4,}`)

// redact removes the client's key, and anything that looks like a Commet
// key, from text a server or a transport sent: a proxy that echoes the
// x-api-key header must not put it into an error or a log line. It keeps
// JSON valid, since a key is made of characters that need no escaping.
func (k apiKey) redact(text string) string {
	if !strings.Contains(text, "ck_") {
		return text
	}
	if key := k.value(); key != "" {
		text = strings.ReplaceAll(text, key, redactedKey)
	}
	return keyPattern.ReplaceAllString(text, redactedKey)
}

// redactHeader returns h with keys redacted from its values: a clone when
// a value holds something that looks like a key, else h itself.
func (k apiKey) redactHeader(h http.Header) http.Header {
	var out http.Header
	for name, values := range h {
		for i, v := range values {
			if strings.Contains(v, "ck_") {
				if out == nil {
					out = h.Clone()
				}
				out[name][i] = k.redact(v)
			}
		}
	}
	if out == nil {
		return h
	}
	return out
}
