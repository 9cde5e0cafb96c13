package commet

import (
	"encoding/json"
	"net/http"
)

// Response describes the HTTP side of one call: its final answer and how
// many requests it took. [WithResponseInto] fills one.
type Response struct {
	// StatusCode is the status of the final attempt's answer; zero when
	// the final attempt got no answer (a network error or a timeout).
	StatusCode int
	// Header holds the headers of the final attempt's answer.
	Header http.Header
	// RequestID is the x-request-id of the final attempt's answer.
	RequestID string
	// Attempts is the number of HTTP requests the call really sent,
	// answered or not: 1 when the first attempt settled the call. It
	// counts what net/http reports through httptrace: a request net/http
	// re-sent on its own, after a reused connection died under it, counts
	// twice, and an attempt that never left (the context ended while it
	// waited, no connection could be opened) counts none. A transport that
	// reports nothing through httptrace is counted once per attempt it was
	// handed, and a middleware that answers in its place once. Import's
	// RequestsPerSecond paces attempts: a re-send by net/http is counted
	// here but leaves without waiting its turn. A call whose error
	// matches [ErrNotSent] may have sent requests all the same: 429s of
	// Commet's rate limiter, which prove nothing was done.
	Attempts int
	// RawJSON is the body of a successful answer, as Commet sent it,
	// envelope included: the place to read a field Commet added after
	// this SDK was written. Nil for a failed call.
	RawJSON json.RawMessage
}
