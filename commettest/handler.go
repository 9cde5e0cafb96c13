package commettest

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultMaxBodyBytes bounds a request body unless WithMaxBodyBytes says
// otherwise; a larger body is answered with 413.
const DefaultMaxBodyBytes = 4 << 20

// An Option configures a Handler or a Server.
type Option func(*Handler)

// WithAPIKey accepts only key; by default any key starting with "ck_" is
// accepted.
func WithAPIKey(key string) Option { return func(h *Handler) { h.apiKey = key } }

// WithClock sets the clock of createdAt, updatedAt and idempotency expiry.
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithMaxBodyBytes bounds request bodies to n bytes.
func WithMaxBodyBytes(n int64) Option { return func(h *Handler) { h.maxBody = n } }

// Handler is the fake Commet API as an http.Handler, for mounting on a
// server of your own. It is safe for concurrent use.
type Handler struct {
	apiKey  string
	now     func() time.Time
	maxBody int64
	orgID   string
	idBase  uint64 // random, mixed into customer IDs
	idCount uint64 // customers created; guarded by the store's lock

	store    *store
	idem     *idempotency
	faults   faults
	requests atomic.Int64
}

// NewHandler returns an empty fake Commet API.
func NewHandler(opts ...Option) *Handler {
	h := &Handler{
		now:     time.Now,
		maxBody: DefaultMaxBodyBytes,
		orgID:   "org_" + randomHex(12),
		idBase:  mrand.Uint64(),
		store:   newStore(),
		idem:    newIdempotency(),
	}
	for _, opt := range opts {
		opt(h)
	}
	return h
}

// InjectFault queues a fault; faults apply in the order they were queued,
// each to the next requests that match it.
func (h *Handler) InjectFault(f Fault) { h.faults.add(f) }

// ClearFaults drops every fault not yet used.
func (h *Handler) ClearFaults() { h.faults.clear() }

// Len returns the number of customers stored, archived ones included.
func (h *Handler) Len() int { return h.store.len() }

// Requests returns the number of requests received, faulty ones included.
func (h *Handler) Requests() int { return int(h.requests.Load()) }

const apiPrefix = "/api/v1/customers"

// ServeHTTP answers one request of the customers API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	w.Header().Set("X-Request-Id", "req_"+randomHex(12))
	if fault, ok := h.faults.take(r); ok && h.applyFault(w, r, fault) {
		return
	}
	if ans, ok := h.authenticate(r); !ok {
		writeAnswer(w, ans)
		return
	}
	op, id, ans := route(r)
	if op == nil {
		writeAnswer(w, ans)
		return
	}
	var raw []byte
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		var err error
		raw, err = io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeAnswer(w, errorAnswer(http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is too large", nil))
			return
		case err != nil:
			writeAnswer(w, errorAnswer(http.StatusBadRequest, "invalid_json", "The request body could not be read", nil))
			return
		}
	}
	handle := func() answer { return op(h, id, r.URL.Query(), raw) }
	key := r.Header.Get("Idempotency-Key")
	if r.Method != http.MethodPost || key == "" {
		writeAnswer(w, handle())
		return
	}
	ans, replayed, conflict := h.idem.do(r.Context(), key, requestHash(r.Method, r.URL.Path, raw), h.now(), handle)
	switch {
	case conflict:
		ans = errorAnswer(http.StatusConflict, "idempotency_key_reused",
			"This Idempotency-Key was used with another request", nil)
	case replayed:
		w.Header().Set("Idempotent-Replayed", "true")
	case ans.status == 0: // the client left while waiting for the first request
		return
	}
	writeAnswer(w, ans)
}

func (h *Handler) authenticate(r *http.Request) (answer, bool) {
	key := r.Header.Get("X-Api-Key")
	switch {
	case key == "":
		return errorAnswer(http.StatusUnauthorized, "unauthorized", "Missing API key (x-api-key header)", nil), false
	case !strings.HasPrefix(key, "ck_"):
		return errorAnswer(http.StatusUnauthorized, "unauthorized", "Invalid API key", nil), false
	case h.apiKey != "" && key != h.apiKey:
		return errorAnswer(http.StatusUnauthorized, "unauthorized", "Invalid API key", nil), false
	}
	return answer{}, true
}

// operation answers one API operation; id is the unescaped path ID.
type operation func(h *Handler, id string, query url.Values, body []byte) answer

// route picks the operation of a request from its escaped path, so that an
// escaped "/" in an ID never makes another path.
func route(r *http.Request) (operation, string, answer) {
	path := r.URL.EscapedPath()
	var methods map[string]operation
	id := ""
	switch {
	case path == apiPrefix:
		methods = map[string]operation{http.MethodGet: (*Handler).list, http.MethodPost: (*Handler).create}
	case path == apiPrefix+"/batch" && r.Method == http.MethodPost:
		methods = map[string]operation{http.MethodPost: (*Handler).createBatch}
	case strings.HasPrefix(path, apiPrefix+"/") && !strings.Contains(path[len(apiPrefix)+1:], "/"):
		var err error
		if id, err = url.PathUnescape(path[len(apiPrefix)+1:]); err != nil || id == "" {
			return nil, "", errorAnswer(http.StatusNotFound, "not_found", "Customer not found", nil)
		}
		methods = map[string]operation{http.MethodGet: (*Handler).get, http.MethodPut: (*Handler).update}
	default:
		return nil, "", errorAnswer(http.StatusNotFound, "not_found", "No such endpoint", nil)
	}
	op, ok := methods[r.Method]
	if !ok {
		return nil, "", errorAnswer(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here", nil)
	}
	return op, id, answer{}
}

// success is the envelope of a 2xx answer.
type success struct {
	Success    bool   `json:"success"`
	Data       any    `json:"data"`
	HasMore    *bool  `json:"hasMore,omitempty"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// failure is the envelope of an error answer.
type failure struct {
	Success bool   `json:"success"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func dataAnswer(status int, data any) answer {
	return encodeAnswer(status, success{Success: true, Data: data})
}

func errorAnswer(status int, code, message string, details any) answer {
	return encodeAnswer(status, failure{Code: code, Message: message, Details: details})
}

func validationAnswer(errs fields) answer {
	return errorAnswer(http.StatusBadRequest, "validation_error", "Validation failed", errs)
}

func encodeAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil { // only metadata could fail, and it came from JSON
		return answer{http.StatusInternalServerError, []byte(`{"success":false,"code":"server_error","message":"encoding failed"}`)}
	}
	return answer{status, b}
}

func writeAnswer(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// newCustomerID returns "cus_" and 24 hex digits: a random per-server
// prefix and the count of customers scrambled by a bijection, so IDs are
// unique without a crypto/rand read per customer and do not show their
// order. Called with the store's lock held.
func (h *Handler) newCustomerID() string {
	h.idCount++
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(h.idBase>>32))
	binary.BigEndian.PutUint64(b[4:], (h.idCount^h.idBase)*0x9E3779B97F4A7C15) // odd factor: a bijection
	return "cus_" + hex.EncodeToString(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
