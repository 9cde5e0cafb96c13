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

	"github.com/commet-go/commet/internal/ratelimit"
)

// Sentinel errors, for errors.Is. Every error the SDK returns matches at
// least one of them (or the context's error, for a call its context ended).
var (
	// ErrUnauthorized: Commet answered 401, a missing or wrong API key.
	ErrUnauthorized = errors.New("commet: unauthorized")
	// ErrForbidden: Commet answered 403.
	ErrForbidden = errors.New("commet: forbidden")
	// ErrNotFound: Commet answered 404, no such customer. (A 404
	// endpoint_not_available, an endpoint the resolved API version lacks,
	// is [ErrBadRequest]: it says nothing of the customer.)
	ErrNotFound = errors.New("commet: not found")
	// ErrConflict: Commet answered 409, e.g. an Idempotency-Key reused
	// with another body (idempotency_key_mismatch).
	ErrConflict = errors.New("commet: conflict")
	// ErrRateLimited: Commet answered 429.
	ErrRateLimited = errors.New("commet: rate limited")
	// ErrValidation: the request's data was refused, by Commet (a
	// validation_error or a 422) or by the SDK before sending, in which
	// case nothing was sent. Its field errors are in a *[ValidationError].
	ErrValidation = errors.New("commet: invalid request")
	// ErrBadRequest: Commet refused the request with another 4xx
	// (a 400 that is not a validation_error, 405, 413, a 404
	// endpoint_not_available or a 410 endpoint_deprecated, ...). It is
	// never retried.
	ErrBadRequest = errors.New("commet: bad request")
	// ErrServer: Commet failed to answer (any 5xx, or a 408).
	ErrServer = errors.New("commet: server error")
	// ErrNetwork: no answer arrived: the connection failed, was cut, or
	// an attempt timed out. The request may or may not have been
	// processed (a write's error then matches [ErrOutcomeUnknown]), unless
	// no connection could be opened (it then matches [ErrNotSent]); a retry
	// with the same Idempotency-Key is safe.
	ErrNetwork = errors.New("commet: network error")
	// ErrBadResponse: an answer arrived that the SDK cannot use: a
	// success whose body is not what the operation expects, a body over
	// the size limit, a redirect of a write, or an unexpected status.
	ErrBadResponse = errors.New("commet: unusable answer")
	// ErrInvalidConfig: an API key, option or setting the SDK refuses;
	// nothing was sent. Unlike [ErrValidation], it is a bug in the calling
	// code, not bad customer data.
	ErrInvalidConfig = errors.New("commet: invalid configuration")

	// ErrNotSent matches the error of a call, or of an import item, for which
	// nothing was done at Commet: no request left, or every answer proved that
	// none was acted on. That is: its context ended (or Import stopped) before
	// its first request left; no connection could be opened (then it matches
	// [ErrNetwork] too); or its only answers were 429s from Commet's rate
	// limiter, which refuses a request before any work, and the call ended
	// while waiting one out or gave up on them (then it matches [ErrRateLimited]
	// too, and [Response].Attempts counts the requests that were refused). No
	// other answer proves that nothing was done: a 5xx or a 409
	// idempotency_in_progress may come while or after the work is done.
	//
	// When the caller's context ended, the error also matches the context's
	// error and its cause. When Import stopped of its own accord (Stop closed,
	// the failure budget spent, the key refused), the error says why in its
	// text only: the failures of other batches are not this item's, so it
	// matches none of their sentinels. Run the import again for such items.
	// No error matches both [ErrNotSent] and [ErrOutcomeUnknown].
	ErrNotSent = errors.New("commet: not sent")

	// ErrOutcomeUnknown matches the error of a write (a create, a batch, an
	// update, an archive) that may have been done at Commet though no answer
	// says so: its request was sent and its answer never came (the context
	// ended, the network failed after the retries, an attempt timed out), or
	// came as a success the SDK could not read (an answer of another API
	// version, say), or the call was ended (its context, or Import's Stop)
	// while it waited to retry after an answer that does not prove nothing was
	// done (a 5xx, a 409 idempotency_in_progress). The error also matches what
	// is known of the call: [ErrNetwork] when its last attempt got no answer,
	// the last answer's sentinel ([ErrServer], say), [ErrBadResponse], and the
	// context's error when the caller's context ended. Run an import again to
	// settle such items: a create with an ID is idempotent. No error matches
	// both [ErrNotSent] and [ErrOutcomeUnknown].
	ErrOutcomeUnknown = errors.New("commet: outcome unknown")

	// ErrPagination is yielded by All and Pages when the server's paging cannot
	// be followed: a cursor seen before (which would loop forever), HasMore
	// without a NextCursor, a cursor too long to send back, or 100
	// empty pages in a row that all claim more (which would keep the walk
	// sending requests while the caller's loop never runs, so it could not
	// even break).
	ErrPagination = errors.New("commet: broken pagination")
)

// APIError is an answer from Commet that is not a success: a non-2xx
// status, or a 2xx the SDK cannot use (then it matches [ErrBadResponse]).
// Use errors.As to read it and errors.Is with the sentinels to classify it.
// A validation failure (400 validation_error, or 422) also holds a
// *[ValidationError] with its field errors, for errors.As.
//
// Text from the server (Message, Details, Code, ...) is kept as sent,
// except that API keys are redacted from it; Error() is one short line
// with control characters escaped, safe to log.
type APIError struct {
	// Method and Path name the request, as [Attempt].Path and log records
	// do: "GET" and "/customers/user_1" (under /api/v1, escaped, without
	// the query, which may hold an email).
	Method, Path string
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is Commet's machine-readable error code, e.g. "not_found" or
	// "validation_error"; empty when the body was not a Commet error.
	Code string
	// Message is Commet's human-readable message in full, a short snippet
	// of the body when it was not JSON (an HTML page from a proxy, say),
	// or what made a 2xx answer unusable.
	Message string
	// RequestID is the answer's x-request-id; quote it to Commet support.
	RequestID string
	// Type, Param and DocURL are set by API versions that nest the error
	// under "error".
	Type, Param, DocURL string
	// Details is the raw "details" value of the error body, if any.
	Details json.RawMessage
	// RetryAfter is the wait the server asked for with Retry-After
	// (seconds or an HTTP date), as it asked it; zero when it asked for
	// none. A wait beyond what the SDK retries after (30 s) ends the call
	// at once, so that the caller can schedule it.
	RetryAfter time.Duration
	// Header holds the answer's headers (RateLimit-*, say).
	Header http.Header

	hasRetryAfter bool                // a valid Retry-After header was sent, even "0"
	unusable      bool                // a 2xx, 3xx or other answer the SDK cannot use
	fields        map[string][]string // of a validation failure, by wire name
}

// Error returns one short line: the request, status, code, message and
// request ID, with control characters escaped and the message cut to a few
// hundred bytes.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("commet: ")
	if e.Path != "" {
		b.WriteString(e.Method + " " + printable(e.Path, 120) + ": ")
	}
	if e.unusable {
		b.WriteString("unusable answer: ")
	}
	fmt.Fprintf(&b, "%d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + printable(e.Code, 40))
	} else if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	if e.Message != "" {
		b.WriteString(": " + printable(e.Message, 200))
	}
	if len(e.fields) > 0 {
		fields := slices.Sorted(maps.Keys(e.fields))
		b.WriteString(" (fields: " + printable(strings.Join(fields, ", "), 80) + ")")
	}
	if e.versionMismatch() {
		b.WriteString(" (the endpoint is not in the API version Commet resolved: check WithAPIVersion and the base URL)")
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + printable(e.RequestID, 64) + "]")
	}
	return b.String()
}

// Is reports whether target is a sentinel of e's category: the one of its
// status, and [ErrBadResponse] for an answer the SDK could not use.
func (e *APIError) Is(target error) bool {
	if target == ErrBadResponse {
		return e.unusable
	}
	return target == e.category()
}

// Unwrap returns the *[ValidationError] of a validation failure, else nil.
func (e *APIError) Unwrap() error {
	if !errors.Is(e.category(), ErrValidation) {
		return nil
	}
	return &ValidationError{Fields: e.fields}
}

// category is the sentinel of e's status, or nil.
func (e *APIError) category() error {
	switch s := e.StatusCode; {
	case e.versionMismatch():
		return ErrBadRequest // not ErrNotFound: the customer may well exist
	case s == http.StatusUnauthorized:
		return ErrUnauthorized
	case s == http.StatusForbidden:
		return ErrForbidden
	case s == http.StatusNotFound:
		return ErrNotFound
	case s == http.StatusConflict:
		return ErrConflict
	case s == http.StatusTooManyRequests:
		return ErrRateLimited
	case s == http.StatusRequestTimeout, s >= 500 && s < 600:
		return ErrServer
	case e.Code == "validation_error" && s >= 400 && s < 500, s == http.StatusUnprocessableEntity:
		return ErrValidation
	case s >= 400 && s < 500:
		return ErrBadRequest
	}
	return nil
}

// versionMismatch reports whether Commet refused the request because its
// endpoint is not in the API version it resolved (endpoint_not_available,
// a 404) or is gone (endpoint_deprecated, a 410).
func (e *APIError) versionMismatch() bool {
	return e.Code == "endpoint_not_available" || e.Code == "endpoint_deprecated"
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
// Every text it keeps from the server goes through redact.
func newAPIError(status int, header http.Header, body []byte, redact func(string) string) *APIError {
	e := &APIError{StatusCode: status, RequestID: redact(header.Get("X-Request-Id")), Header: header}
	e.RetryAfter, e.hasRetryAfter = ratelimit.RetryAfter(header, time.Now())
	body = []byte(redact(string(body))) // once, before anything is built from it; JSON stays valid
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && (eb.Code != "" || eb.Message != "" || eb.Error != nil) {
		e.Code, e.Message, e.Details = eb.Code, eb.Message, eb.Details
		if n := eb.Error; n != nil {
			e.Type, e.Code, e.Message, e.Param, e.DocURL, e.Details = n.Type, n.Code, n.Message, n.Param, n.DocURL, n.Details
		}
		e.fields = parseFieldErrors(e.Details, e.Param, e.Message)
	} else {
		e.Message = snippet(header.Get("Content-Type"), body)
	}
	return e
}

// unusableAnswer is the error of an answer the SDK cannot use.
func unusableAnswer(status int, header http.Header, redact func(string) string, format string, args ...any) *APIError {
	return &APIError{
		StatusCode: status,
		RequestID:  redact(header.Get("X-Request-Id")),
		Header:     header,
		Message:    redact(fmt.Sprintf(format, args...)),
		unusable:   true,
	}
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

// snippet describes a body that is not a Commet error in a few printable
// characters, so an HTML page from a proxy still tells what happened.
func snippet(contentType string, body []byte) string {
	text := printable(strings.Join(strings.Fields(string(body[:min(len(body), 4096)])), " "), 120)
	if text == "" {
		return "empty response body"
	}
	if contentType == "" {
		return "unexpected response body: " + text
	}
	return fmt.Sprintf("unexpected response body (%s): %s", printable(contentType, 60), text)
}

// ValidationError is a request refused for its data, whoever refused it:
// the SDK before sending (then it is the error itself, and nothing was
// sent), Commet (inside an *[APIError]) or Commet for one item of a batch
// (inside a *[BatchItemError]). errors.As finds it in all three, so one way
// reads the field errors of any validation failure. It matches
// [ErrValidation].
type ValidationError struct {
	// Fields maps each rejected field, by its name on the wire
	// ("billingEmail", "address.country", "metadata.plan"), to what is
	// wrong with it.
	Fields map[string][]string
}

// Error lists the rejected fields and their first message.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("commet: invalid request")
	for i, field := range slices.Sorted(maps.Keys(e.Fields)) {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Fields)-i)
			break
		}
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		msg := ""
		if msgs := e.Fields[field]; len(msgs) > 0 {
			msg = " " + msgs[0]
		}
		b.WriteString(sep + printable(field, 60) + printable(msg, 120))
	}
	return b.String()
}

// Is reports whether target is [ErrValidation].
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// fieldErrors collects the field errors of a request checked before sending.
type fieldErrors map[string][]string

func (f *fieldErrors) add(field, format string, args ...any) {
	if *f == nil {
		*f = make(fieldErrors)
	}
	(*f)[field] = append((*f)[field], fmt.Sprintf(format, args...))
}

// err returns a *[ValidationError], or nil when no field was refused.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Fields: f}
}

// invalid returns the error of a request refused before sending for one
// field of its data; it matches [ErrValidation].
func invalid(field, format string, args ...any) error {
	var f fieldErrors
	f.add(field, format, args...)
	return f.err()
}

// misconfigured returns the error of a key, option or setting the SDK
// refuses; it matches [ErrInvalidConfig].
func misconfigured(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}
