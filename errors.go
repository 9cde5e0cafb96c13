package commet

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors, for errors.Is. Each *APIError matches the one of its
// category; a request rejected before it was sent matches ErrValidation.
var (
	ErrUnauthorized = errors.New("commet: unauthorized")          // 401: missing or wrong API key
	ErrForbidden    = errors.New("commet: forbidden")             // 403
	ErrNotFound     = errors.New("commet: not found")             // 404
	ErrConflict     = errors.New("commet: conflict")              // 409, e.g. an idempotency key reused with another body
	ErrRateLimited  = errors.New("commet: rate limited")          // 429
	ErrValidation   = errors.New("commet: invalid request")       // a validation_error, or input refused before sending
	ErrServer       = errors.New("commet: server error")          // any 5xx
	ErrNetwork      = errors.New("commet: network error")         // the request or its answer was lost in transit
	ErrBadResponse  = errors.New("commet: unreadable 2xx answer") // a success whose body could not be decoded
)

// APIError is a non-2xx answer from Commet. Use errors.As to read it and
// errors.Is with the sentinels above to classify it.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is Commet's machine-readable error code, e.g. "not_found" or
	// "validation_error"; empty when the body was not a Commet error.
	Code string
	// Message is Commet's human-readable message, or a short snippet of the
	// body when it was not JSON (an HTML page from a proxy, say).
	Message string
	// RequestID is the x-request-id of the answer; quote it to Commet support.
	RequestID string
	// FieldErrors maps each rejected field (e.g. "billingEmail" or
	// "address.country") to its messages, for a validation error.
	FieldErrors map[string][]string
	// Type, Param and DocURL are set by API versions that nest the error
	// under "error".
	Type, Param, DocURL string
	// Details is the raw "details" value of the error body, if any.
	Details json.RawMessage
	// RetryAfter is the wait the server asked for with Retry-After (seconds
	// or an HTTP date), capped at 30 seconds; zero when it asked for none.
	RetryAfter time.Duration

	hasRetryAfter bool // a valid Retry-After header was sent, even "0"
}

// Error returns one short line: status, code, message and request ID.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "commet: %d", e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" && e.Code == "" {
		b.WriteString(" " + text)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.FieldErrors) > 0 {
		fields := slices.Sorted(maps.Keys(e.FieldErrors))
		b.WriteString(" (fields: " + strings.Join(fields, ", ") + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's category.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrValidation:
		return e.Code == "validation_error" || e.StatusCode == http.StatusUnprocessableEntity
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

// errorBody reads both failure shapes of the contract: the flat one
// ({"success": false, "code", "message", "details"}) and the nested one of
// newer API versions ({"error": {"type", "code", "message", "param", ...}}).
type errorBody struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
	Error   *struct {
		Type    string          `json:"type"`
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Param   string          `json:"param"`
		Details json.RawMessage `json:"details"`
		DocURL  string          `json:"doc_url"`
	} `json:"error"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// newAPIError builds the error of a non-2xx answer. It never fails: a body
// that is not a Commet error still gives the status and a short snippet.
func newAPIError(status int, header http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status, RequestID: header.Get("X-Request-Id")}
	e.RetryAfter, e.hasRetryAfter = parseRetryAfter(header.Get("Retry-After"), time.Now())
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && (eb.Code != "" || eb.Message != "" || eb.Error != nil) {
		e.Code, e.Message, e.Details = eb.Code, eb.Message, eb.Details
		if n := eb.Error; n != nil {
			e.Type, e.Code, e.Message, e.Param, e.DocURL, e.Details = n.Type, n.Code, n.Message, n.Param, n.DocURL, n.Details
		}
		e.FieldErrors = parseFieldErrors(e.Details, e.Param, e.Message)
	} else {
		e.Message = snippet(header.Get("Content-Type"), body)
	}
	return e
}

// parseFieldErrors reads a details list of {"field", "message"}. A nested
// error with only a param names that one field.
func parseFieldErrors(details json.RawMessage, param, message string) map[string][]string {
	var list []fieldError
	_ = json.Unmarshal(details, &list) // details may be any shape; only a list of fields counts
	var fields map[string][]string
	for _, fe := range list {
		if fe.Field == "" {
			continue
		}
		if fields == nil {
			fields = make(map[string][]string)
		}
		fields[fe.Field] = append(fields[fe.Field], fe.Message)
	}
	if fields == nil && param != "" {
		fields = map[string][]string{param: {message}}
	}
	return fields
}

const snippetLen = 120

// snippet describes a body that is not a Commet error in a few printable
// characters, so an HTML page from a proxy still tells what happened.
func snippet(contentType string, body []byte) string {
	text := strings.Join(strings.FieldsFunc(string(body), func(r rune) bool {
		return unicode.IsSpace(r) || !unicode.IsPrint(r)
	}), " ")
	if text == "" {
		return "empty response body"
	}
	if len(text) > snippetLen {
		cut := snippetLen
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	if contentType == "" {
		return "unexpected response body: " + text
	}
	return fmt.Sprintf("unexpected response body (%s): %s", contentType, text)
}

// invalid returns an error for input refused before sending; it matches
// ErrValidation.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrValidation}, args...)...)
}
