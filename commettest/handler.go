package commettest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Handler is the fake Commet API as an http.Handler, for mounting on a
// server of your own or for calling in memory through Transport. It is safe
// for concurrent use. It serves the API only: its control plane is
// ControlHandler.
type Handler struct {
	apiKey       string
	now          func() time.Time
	maxBody      int64
	strict       bool
	rule         func(field, value string) string // WithRule's; nil for none
	latency      time.Duration
	limiter      *rateLimiter     // nil: no rate limit
	limitHeaders RateLimitHeaders // the form of the rate limit's headers
	seed         int              // customers made by WithSeedCustomers
	orgID        string
	idBase       uint64 // random, mixed into customer IDs
	idCount      uint64 // customers ever created; guarded by the store's lock

	store    *store
	idem     *idempotency
	faults   faults
	requests atomic.Int64
	stats    requestStats

	// beforeOperation, if set, runs just before an operation: tests use it
	// to hold a request in flight.
	beforeOperation func()
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
		if opt != nil { // commettest.Option(nil) is ignored, as commet ignores its own
			opt(h)
		}
	}
	h.seedCustomers()
	return h
}

// Len returns the number of customers stored, archived ones included.
func (h *Handler) Len() int { return h.store.len() }

// Requests returns the number of API requests received, faulty ones
// included; requests to the control plane are not counted. Unlike [Stats],
// it goes on counting across Reset.
func (h *Handler) Requests() int { return int(h.requests.Load()) }

// Reset forgets every customer, idempotency key, rate-limit bucket, fault
// and the request counts of [Stats], as if the handler were new: the
// customers of [WithSeedCustomers] are made again. Customer IDs are never
// reused, so an ID from before the reset finds nothing. Requests keeps
// counting.
func (h *Handler) Reset() {
	h.stats.reset()
	h.faults.clear()
	h.store.reset()
	h.seedCustomers()
	h.idem.reset()
	if h.limiter != nil {
		h.limiter.reset()
	}
}

const apiPrefix = "/api/v1/customers"

// ServeHTTP answers one request of the customers API. In order: the body
// is read (up to the size limit, so that a client that goes away is
// noticed), [WithLatency] waits, an injected fault applies, the API key is
// checked, the rate limit takes its token, the request is routed, its body
// checked (size, UTF-8) and, in strict mode, its headers and fields; then a
// POST's Idempotency-Key is looked up, and the operation runs. A DropAnswer
// fault drops whatever answer this produces instead of sending it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	w.Header().Set("X-Request-Id", "req_"+randomHex(12))
	raw, readErr := h.readBody(w, r)
	sw := &statusWriter{ResponseWriter: w, count: func(status int) { h.stats.add(r.Method, r.URL.EscapedPath(), status) }}
	w = sw
	defer sw.counted() // no answer: a client that went away
	if h.latency > 0 && !wait(r, h.latency) {
		return // the client went away
	}
	fault, faulted := h.faults.take(r)
	if faulted && h.applyFault(w, r, fault) {
		return
	}
	send := func(a answer) { h.write(w, a) }
	if fault.DropAnswer {
		send = func(answer) { dropConnection(w) }
	}
	key, ans, ok := h.authenticate(r)
	if !ok {
		send(ans)
		return
	}
	if h.limiter != nil {
		d := h.limiter.take(key, h.now())
		d.setHeaders(w.Header(), h.limitHeaders, h.limiter.window())
		if !d.allowed {
			send(errorAnswer(http.StatusTooManyRequests, "rate_limited", "Too many requests: retry after the time in Retry-After", nil))
			return
		}
	}
	op, id, ans := route(r)
	if op == opNone {
		send(ans)
		return
	}
	hasBody := r.Method == http.MethodPost || r.Method == http.MethodPut
	var tooLarge *http.MaxBytesError
	switch {
	case !hasBody:
		raw = nil
	case errors.As(readErr, &tooLarge):
		send(errorAnswer(http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is too large", nil))
		return
	case readErr != nil:
		send(errorAnswer(http.StatusBadRequest, "invalid_json", "The request body could not be read", nil))
		return
	case !utf8.Valid(raw):
		send(errorAnswer(http.StatusBadRequest, "invalid_json", "The request body is not valid UTF-8", nil))
		return
	}
	if h.strict {
		vs := checkHeaders(r, raw)
		vs = append(vs, strictViolations(op, r.URL.Query(), raw)...)
		if len(vs) > 0 {
			send(contractViolation(vs))
			return
		}
	}
	handle := func() answer {
		if h.beforeOperation != nil {
			h.beforeOperation()
		}
		return operations[op](h, id, r.URL.Query(), raw)
	}
	idemKey := r.Header.Get("Idempotency-Key")
	if r.Method != http.MethodPost || idemKey == "" {
		send(handle())
		return
	}
	ans, outcome := h.idem.do(idemKey, requestHash(r.Method, r.URL.EscapedPath(), raw), h.now(), handle)
	switch outcome {
	case idemMismatch:
		ans = errorAnswer(http.StatusConflict, "idempotency_key_mismatch",
			"This Idempotency-Key was already used with another request: never retry with it", nil)
	case idemInProgress:
		ans = errorAnswer(http.StatusConflict, "idempotency_in_progress",
			"A request with this Idempotency-Key is still being processed: retry it with the same key after a short delay", nil)
	case idemReplayed:
		w.Header().Set("Idempotent-Replayed", "true")
	}
	send(ans)
}

// readBody reads the whole body, up to the size limit. Reading it before
// anything else lets net/http notice a client that goes away while a
// fault or latency holds the request: it watches the connection only once
// the body has been read.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= h.maxBody {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody))
	return buf.Bytes(), err
}

// authenticate returns the request's API key, or the 401 to answer.
func (h *Handler) authenticate(r *http.Request) (string, answer, bool) {
	key := r.Header.Get("X-Api-Key")
	switch {
	case key == "":
		return "", errorAnswer(http.StatusUnauthorized, "unauthorized", "Missing API key (x-api-key header)", nil), false
	case !strings.HasPrefix(key, "ck_"):
		return "", errorAnswer(http.StatusUnauthorized, "unauthorized", "Invalid API key", nil), false
	case h.apiKey != "" && key != h.apiKey:
		return "", errorAnswer(http.StatusUnauthorized, "unauthorized", "Invalid API key", nil), false
	}
	return key, answer{}, true
}

// operation answers one API operation; id is the unescaped path ID.
type operation func(h *Handler, id string, query url.Values, body []byte) answer

// opKind names an operation.
type opKind int

const (
	opNone opKind = iota
	opList
	opCreate
	opBatch
	opGet
	opUpdate
)

var operations = [...]operation{
	opList: (*Handler).list, opCreate: (*Handler).create, opBatch: (*Handler).createBatch,
	opGet: (*Handler).get, opUpdate: (*Handler).update,
}

// route picks the operation of a request from its escaped path, so that an
// escaped "/" in an ID never makes another path.
func route(r *http.Request) (opKind, string, answer) {
	path := r.URL.EscapedPath()
	var get, post, put opKind
	id, allow := "", ""
	switch {
	case path == apiPrefix:
		get, post, allow = opList, opCreate, "GET, POST"
	case path == apiPrefix+"/batch" && r.Method == http.MethodPost:
		post = opBatch
	case strings.HasPrefix(path, apiPrefix+"/") && !strings.Contains(path[len(apiPrefix)+1:], "/"):
		var err error
		id, err = url.PathUnescape(path[len(apiPrefix)+1:])
		if err != nil || id == "" || !utf8.ValidString(id) { // no customer has such an ID
			return opNone, "", notFound()
		}
		get, put, allow = opGet, opUpdate, "GET, PUT"
	default: // as Commet answers an endpoint its version lacks: never a missing customer
		return opNone, "", errorAnswer(http.StatusNotFound, "endpoint_not_available", "No such endpoint in this API version: the customers API is under "+apiPrefix, nil)
	}
	var op opKind
	switch r.Method {
	case http.MethodGet:
		op = get
	case http.MethodPost:
		op = post
	case http.MethodPut:
		op = put
	}
	if op == opNone {
		ans := errorAnswer(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here (allowed: "+allow+")", nil)
		ans.allow = allow
		return opNone, "", ans
	}
	return op, id, answer{}
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
