package commettest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// ErrDropped is the error the in-memory transport returns when an injected
// fault (Drop, or DropAnswer once the work is done) drops the connection; a
// real connection would end with io.EOF, which it wraps, so the client sees
// a network error either way.
var ErrDropped = fmt.Errorf("commettest: connection dropped by an injected fault: %w", io.EOF)

// Transport returns an http.RoundTripper that serves each request by
// calling the handler directly, in the caller's goroutine: no socket, no
// goroutine left behind. It works inside a testing/synctest bubble, where
// latency, Delay faults and the SDK's retry backoff take no real time.
//
// The request's context is honoured: a Delay fault or [WithLatency] ends
// when it is done, and RoundTrip then returns its error, as would a real
// transport whose client gave up. A Drop fault is a transport error
// ([ErrDropped]), and so is a DropAnswer fault, after the request was
// handled. The response is a complete *http.Response with status,
// headers, body, ContentLength and Request set. The host of the request
// URL is ignored; [InMemoryBaseURL] is a good one to use.
func (h *Handler) Transport() http.RoundTripper { return memTransport{h} }

// memTransport is the in-memory transport of a [Handler].
type memTransport struct{ h http.Handler }

// RoundTrip serves req by calling the handler.
func (t memTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if req.Body != nil {
		defer req.Body.Close() // a RoundTripper always closes the body
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err // a real transport sends nothing once the caller gave up
	}
	w := &memResponseWriter{header: http.Header{}}
	defer func() {
		if v := recover(); v != nil {
			if v != any(http.ErrAbortHandler) { // the panic value itself, compared as net/http compares it
				panic(v) // a bug in the fake: let the test see it
			}
			resp, err = nil, ErrDropped
		}
	}()
	t.h.ServeHTTP(w, serverRequest(req))
	if w.status == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err // the handler stopped because the client went away
		}
		w.WriteHeader(http.StatusOK) // as net/http does for a handler that wrote nothing
	}
	return w.response(req), nil
}

// serverRequest returns req as a server would receive it.
func serverRequest(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	u := req.URL
	r.URL = &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	r.RequestURI = u.RequestURI()
	if r.Host == "" {
		r.Host = u.Host
	}
	r.RemoteAddr = "127.0.0.1:0"
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	r.Close = false
	r.GetBody = nil
	if r.Body == nil {
		r.Body = http.NoBody
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	return r
}

// memResponseWriter records an answer. Like net/http's, it takes the
// headers as they are when the status is written.
type memResponseWriter struct {
	header  http.Header
	status  int
	written http.Header
	body    bytes.Buffer
}

// Header returns the headers to send.
func (w *memResponseWriter) Header() http.Header { return w.header }

// WriteHeader records the status and the headers as they are now.
func (w *memResponseWriter) WriteHeader(status int) {
	if w.status != 0 || status < 200 { // a second call, or a 1xx: ignored
		return
	}
	w.status = status
	w.written = w.header.Clone()
}

// Write records body bytes, sending a 200 first if no status was written.
func (w *memResponseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(b)
}

func (w *memResponseWriter) response(req *http.Request) *http.Response {
	h := w.written
	if h.Get("Content-Type") == "" && w.body.Len() > 0 {
		h.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
	}
	n := int64(w.body.Len())
	body := io.NopCloser(bytes.NewReader(w.body.Bytes()))
	if req.Method == http.MethodHead {
		n, body = 0, http.NoBody
	}
	if h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.FormatInt(n, 10))
	}
	return &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          body,
		ContentLength: n,
		Request:       req,
	}
}

// errClosed is what a [Server]'s transport answers once the server is closed.
var errClosed = errors.New("commettest: the server is closed")
