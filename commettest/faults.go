package commettest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Forever, as [Fault].Times, applies a fault to every matching request until
// ClearFaults (or Reset) removes it.
const Forever = -1

// Fault makes requests fail the way networks and servers do, so that a test
// can prove its code survives a 503 storm, a rate limit, a slow answer, a
// dropped connection or an answer lost after the work was done. A fault is
// checked before authentication and the rate limit; every fault but
// DropAnswer leaves the server's state untouched.
type Fault struct {
	// Method, if set, limits the fault to requests with this method, in
	// upper case as requests send it ("POST"; methods are case-sensitive).
	Method string
	// Path, if set, limits the fault to requests for exactly this path:
	// the path as the SDK's Attempt.Path, errors and log records name it
	// ("/customers", "/customers/batch", "/customers/user_1"), or in full
	// ("/api/v1/customers/user_1"): both match the same requests. An
	// escaped ID ("/customers/a%2Fb", as the SDK names it) matches the
	// escaped path, an unescaped one the unescaped path. A path never has
	// a query: a fault matches the path alone.
	Path string
	// Times is how many matching requests the fault applies to: 0 means 1,
	// and Forever means every one until the fault is cleared.
	Times int
	// Status, if set, answers with this status (400 to 599) and a JSON
	// error envelope: code rate_limited for 429, server_error for a 5xx,
	// injected_fault otherwise.
	Status int
	// RetryAfter, if set, is sent as the Retry-After header with Status:
	// a whole number of seconds ("2") or an HTTP date.
	RetryAfter string
	// Delay waits this long (or until the client gives up) before the
	// request is answered; alone, the request is then handled normally.
	Delay time.Duration
	// Drop closes the connection without any answer, before the request is
	// handled: nothing is done; the client sees a network error. It wins
	// over Status.
	Drop bool
	// DropAnswer lets the request be handled as usual (authenticated,
	// rate-limited, validated, its create, update or archive done, its
	// answer kept under its Idempotency-Key exactly as any answer is), then
	// closes the connection instead of answering: the client sees a network
	// error although the work was done, as when an answer is lost on its
	// way back. A retry with the same Idempotency-Key gets the first answer
	// replayed, its status and body as they were. Over a socket (URL,
	// commet-fake) the connection is closed; through Transport, RoundTrip
	// returns [ErrDropped]. It cannot be combined with Drop or Status.
	//
	// Over a socket, net/http's Transport itself resends a request dropped
	// on a reused keep-alive connection when it counts as idempotent (a GET,
	// or any request with an Idempotency-Key header), so a Go client may get
	// the replay without ever seeing the error; the in-memory Transport
	// never resends.
	DropAnswer bool
}

// String describes the fault by its set fields, as a test failure names it.
func (f Fault) String() string {
	var parts []string
	add := func(name string, v any) { parts = append(parts, fmt.Sprintf("%s: %v", name, v)) }
	if f.Method != "" {
		add("Method", f.Method)
	}
	if f.Path != "" {
		add("Path", f.Path)
	}
	switch {
	case f.Times == Forever:
		add("Times", "Forever")
	case f.Times != 0:
		add("Times", f.Times)
	}
	if f.Status != 0 {
		add("Status", f.Status)
	}
	if f.RetryAfter != "" {
		add("RetryAfter", f.RetryAfter)
	}
	if f.Delay != 0 {
		add("Delay", f.Delay)
	}
	if f.Drop {
		add("Drop", true)
	}
	if f.DropAnswer {
		add("DropAnswer", true)
	}
	return "Fault{" + strings.Join(parts, ", ") + "}"
}

// validate reports a fault that could never do what it says.
func (f Fault) validate() error {
	var errs []error
	if f.Times < Forever {
		errs = append(errs, fmt.Errorf("times %d: want a count, or Forever (-1)", f.Times))
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status %d: want an error status, 400 to 599", f.Status))
	}
	if f.RetryAfter != "" && f.Status == 0 {
		errs = append(errs, errors.New("retryAfter without a status is never sent"))
	}
	if f.DropAnswer && f.Drop {
		errs = append(errs, errors.New("drop with dropAnswer: drop answers nothing and does nothing, dropAnswer does the work and drops its answer: choose one"))
	}
	if f.DropAnswer && f.Status != 0 {
		errs = append(errs, errors.New("status with dropAnswer: the request's own answer is dropped, so the status is never sent"))
	}
	if f.Delay < 0 {
		errs = append(errs, fmt.Errorf("delay %v is negative", f.Delay))
	}
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		errs = append(errs, fmt.Errorf("path %q: want a path starting with /", f.Path))
	}
	if i := strings.IndexAny(f.Path, "?#"); i >= 0 {
		errs = append(errs, fmt.Errorf("path %q: a fault matches the path alone, never a query or fragment: want %q", f.Path, f.Path[:i]))
	}
	if f.Method != "" {
		if err := checkMethod(f.Method); err != nil {
			errs = append(errs, err)
		}
	}
	if f.RetryAfter != "" && !validRetryAfter(f.RetryAfter) {
		errs = append(errs, fmt.Errorf("retryAfter %q: want a whole number of seconds (such as \"2\") or an HTTP date (such as %q)",
			f.RetryAfter, "Wed, 21 Oct 2026 07:28:00 GMT"))
	}
	return errors.Join(errs...)
}

// checkMethod reports a method no request can have: requests send methods
// as tokens, and the standard ones in upper case ("post" is another method).
func checkMethod(m string) error {
	for _, c := range []byte(m) {
		if !isTokenByte(c) {
			return fmt.Errorf("method %q: not an HTTP method", m)
		}
	}
	if up := strings.ToUpper(m); up != m {
		return fmt.Errorf("method %q: methods are case-sensitive and requests send them in upper case: did you mean %q?", m, up)
	}
	return nil
}

// isTokenByte reports whether c may appear in an HTTP token (RFC 9110).
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validRetryAfter reports whether v is a Retry-After a client can read
// (RFC 9110): a whole, non-negative number of seconds, or an HTTP date.
func validRetryAfter(v string) bool {
	if strings.Trim(v, "0123456789") == "" {
		return true // v is not empty: RetryAfter "" is no header
	}
	_, err := http.ParseTime(v)
	return err == nil
}

// apiPath returns the full path a fault's Path stands for.
func apiPath(p string) string {
	if p == "" || p == "/api/v1" || strings.HasPrefix(p, "/api/v1/") {
		return p
	}
	return "/api/v1" + p
}

// faults is the FIFO queue of injected faults.
type faults struct {
	mu    sync.Mutex
	queue []*pendingFault
}

// pendingFault is a fault in the queue.
type pendingFault struct {
	Fault
	path  string // Path in full
	left  int    // Forever, or the times left
	fired int
}

// add queues fault and returns how many requests it applies to.
func (f *faults) add(fault Fault) (left int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	left = fault.Times
	if left == 0 {
		left = 1
	}
	f.queue = append(f.queue, &pendingFault{Fault: fault, path: apiPath(fault.Path), left: left})
	return left
}

// clear drops every fault and returns how many there were.
func (f *faults) clear() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.queue)
	f.queue = nil
	return n
}

// take returns the first fault matching r, using up one of its times.
func (f *faults) take(r *http.Request) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.queue {
		if (p.Method == "" || p.Method == r.Method) && (p.path == "" || p.path == r.URL.Path || p.path == r.URL.EscapedPath()) {
			p.fired++
			if p.left != Forever {
				if p.left--; p.left == 0 {
					f.queue = slices.Delete(f.queue, i, i+1)
				}
			}
			return p.Fault, true
		}
	}
	return Fault{}, false
}

// FaultStatus is a fault not yet used up, with how often it fired.
type FaultStatus struct {
	Fault
	// Fired is how many requests the fault has applied to.
	Fired int
	// Left is how many more requests it applies to, or Forever.
	Left int
}

// pending returns the faults not yet used up, in order.
func (f *faults) pending() []FaultStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FaultStatus, len(f.queue))
	for i, p := range f.queue {
		out[i] = FaultStatus{Fault: p.Fault, Fired: p.fired, Left: p.left}
	}
	return out
}

// InjectFault queues a fault; faults apply in the order they were queued,
// each to the next requests that match it. It panics on a fault that could
// never do what it says: Times below Forever; a Method that is not an HTTP
// method in upper case ("post" matches no request); a Path not starting
// with /, or with a query ("/customers?limit=1"); a Status outside 400 to
// 599; RetryAfter without Status, or neither whole seconds nor an HTTP
// date; a negative Delay.
func (h *Handler) InjectFault(f Fault) {
	if err := f.validate(); err != nil {
		panic(fmt.Sprintf("commettest: InjectFault(%v): %v", f, err))
	}
	h.faults.add(f)
}

// ClearFaults drops every fault not yet used up.
func (h *Handler) ClearFaults() { h.faults.clear() }

// Faults returns the faults not yet used up, in the order they apply,
// with how many times each has fired.
func (h *Handler) Faults() []FaultStatus { return h.faults.pending() }

// UnfiredFaults returns the injected faults that have not fired even once,
// in the order they were injected. A fault removed by ClearFaults or Reset
// is not listed. A test whose fault never fires tests nothing: see
// RequireFaultsFired.
func (h *Handler) UnfiredFaults() []Fault {
	var out []Fault
	for _, p := range h.faults.pending() {
		if p.Fired == 0 {
			out = append(out, p.Fault)
		}
	}
	return out
}

// RequireFaultsFired registers a cleanup that fails t, naming each fault
// that never fired, when t ends: a fault whose Method or Path matches no
// request proves nothing. Call it once, before or after injecting faults;
// faults cleared before t ends are not checked.
func (h *Handler) RequireFaultsFired(t testing.TB) {
	t.Helper()
	t.Cleanup(func() {
		for _, f := range h.UnfiredFaults() {
			t.Errorf("commettest: fault never fired: %v", f)
		}
	})
}

// applyFault carries out fault on the request; handled is false when the
// request must still be handled normally (a Delay alone).
func (h *Handler) applyFault(w http.ResponseWriter, r *http.Request, fault Fault) (handled bool) {
	if fault.Delay > 0 && !wait(r, fault.Delay) {
		return true // the client went away
	}
	switch {
	case fault.Drop:
		dropConnection(w)
		return true
	case fault.Status != 0:
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		code := "injected_fault"
		switch {
		case fault.Status == http.StatusTooManyRequests:
			code = "rate_limited"
		case fault.Status >= 500:
			code = "server_error"
		}
		h.write(w, errorAnswer(fault.Status, code, "Injected fault: "+http.StatusText(fault.Status), nil))
		return true
	}
	return false
}

// dropConnection closes the connection of w without an answer. Where it
// cannot (HTTP/2, the in-memory transport), it panics with
// http.ErrAbortHandler: net/http's documented way to abort a response,
// which net/http recovers without logging and the in-memory transport turns
// into [ErrDropped].
func dropConnection(w http.ResponseWriter) {
	if sw, ok := w.(*statusWriter); ok {
		sw.counted() // before the client can see the drop
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// wait waits d, or until r's client goes away; it reports whether the
// client is still there.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
