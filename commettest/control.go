package commettest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ControlPrefix is the path under which ControlHandler serves the control
// plane.
const ControlPrefix = "/_commettest/"

// maxControlBody bounds the body of a control request.
const maxControlBody = 64 << 10

// ControlHandler returns the control plane of the fake, for tests written
// in any language: it needs no API key, and its requests are never
// faulted, rate-limited or counted in Requests or [Stats]. It serves, under
// [ControlPrefix] (mount it where it sees the full path):
//
//	POST   /_commettest/faults  inject a fault: {"method", "path", "times",
//	                            "status", "retryAfter", "delayMs", "drop",
//	                            "dropAnswer"}, each optional, as in Fault
//	                            (times -1 is Forever); answers 201 with the
//	                            fault
//	GET    /_commettest/faults  the faults not yet used up, in order, each
//	                            with "fired" (how many requests it hit) and
//	                            "left" (how many more it will, -1 forever)
//	DELETE /_commettest/faults  clear the faults; answers {"cleared": n}
//	GET    /_commettest/stats   the customers stored and the API requests
//	                            counted by method, path and status, as
//	                            Stats: {"customers": n, "requests":
//	                            [{"method", "path", "status", "count"}]}
//	POST   /_commettest/reset   forget every customer, idempotency key,
//	                            rate-limit bucket, fault and request count
//
// Answers use the API's envelope: {"success": true, "data": ...}, or
// {"success": false, "code", "message"}. A fault body that is not valid
// JSON, or has a key the list above does not know (keys are
// case-sensitive: "Status" is not "status"), or that could never fire as
// written, is a 400.
func (h *Handler) ControlHandler() http.Handler { return control{h} }

// control is the control plane of a [Handler].
type control struct{ h *Handler }

// faultJSON is a fault on the control plane's wire.
type faultJSON struct {
	Method     string `json:"method,omitempty"`
	Path       string `json:"path,omitempty"`
	Times      int    `json:"times"`
	Status     int    `json:"status,omitempty"`
	RetryAfter string `json:"retryAfter,omitempty"`
	DelayMs    int64  `json:"delayMs,omitempty"`
	Drop       bool   `json:"drop,omitempty"`
	DropAnswer bool   `json:"dropAnswer,omitempty"`
	Fired      int    `json:"fired"`
	Left       int    `json:"left"`
}

func toJSON(s FaultStatus) faultJSON {
	times := s.Times
	if times == 0 {
		times = 1
	}
	return faultJSON{Method: s.Method, Path: s.Path, Times: times, Status: s.Status, RetryAfter: s.RetryAfter,
		DelayMs: s.Delay.Milliseconds(), Drop: s.Drop, DropAnswer: s.DropAnswer, Fired: s.Fired, Left: s.Left}
}

// ServeHTTP answers one control request.
func (c control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := c.h
	w.Header().Set("X-Request-Id", "req_"+randomHex(12))
	allow := ""
	switch r.URL.Path {
	case ControlPrefix + "faults":
		allow = "GET, POST, DELETE"
		switch r.Method {
		case http.MethodGet:
			out := []faultJSON{}
			for _, s := range h.faults.pending() {
				out = append(out, toJSON(s))
			}
			h.write(w, dataAnswer(http.StatusOK, out))
			return
		case http.MethodPost:
			f, err := readFault(r)
			if err != nil {
				h.write(w, errorAnswer(http.StatusBadRequest, "invalid_fault", err.Error(), nil))
				return
			}
			left := h.faults.add(f)
			h.write(w, dataAnswer(http.StatusCreated, toJSON(FaultStatus{Fault: f, Left: left})))
			return
		case http.MethodDelete:
			h.write(w, dataAnswer(http.StatusOK, map[string]int{"cleared": h.faults.clear()}))
			return
		}
	case ControlPrefix + "stats":
		allow = "GET"
		if r.Method == http.MethodGet {
			h.write(w, dataAnswer(http.StatusOK, h.Stats()))
			return
		}
	case ControlPrefix + "reset":
		allow = "POST"
		if r.Method == http.MethodPost {
			h.Reset()
			h.write(w, dataAnswer(http.StatusOK, map[string]bool{"reset": true}))
			return
		}
	default:
		h.write(w, errorAnswer(http.StatusNotFound, "not_found", "No such control endpoint: see "+ControlPrefix+"faults, "+ControlPrefix+"stats and "+ControlPrefix+"reset", nil))
		return
	}
	ans := errorAnswer(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here (allowed: "+allow+")", nil)
	ans.allow = allow
	h.write(w, ans)
}

// readFault decodes and checks the fault in a control request's body.
func readFault(r *http.Request) (Fault, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	switch {
	case err != nil:
		return Fault{}, fmt.Errorf("the body could not be read")
	case len(raw) > maxControlBody:
		return Fault{}, fmt.Errorf("the body is larger than %d bytes", maxControlBody)
	case !utf8.Valid(raw):
		return Fault{}, fmt.Errorf("the body is not valid UTF-8")
	case !checkJSON(raw) || !isObject(raw):
		return Fault{}, fmt.Errorf("the body must be a JSON object")
	}
	var f Fault
	var errs []string
	eachMember(raw, func(key, v []byte) {
		k := string(key)
		if bytes.Equal(v, []byte("null")) {
			if !isFaultKey(k) {
				errs = append(errs, unknownFaultKey(k))
			}
			return
		}
		var err error
		switch k {
		case "method":
			err = json.Unmarshal(v, &f.Method)
		case "path":
			err = json.Unmarshal(v, &f.Path)
		case "times":
			f.Times, err = jsonInt(v)
		case "status":
			f.Status, err = jsonInt(v)
		case "retryAfter":
			if json.Unmarshal(v, &f.RetryAfter) != nil {
				var n int
				n, err = jsonInt(v)
				f.RetryAfter = strconv.Itoa(n)
			}
		case "delayMs":
			var ms int
			ms, err = jsonInt(v)
			switch {
			case err == nil && ms < 0:
				errs = append(errs, fmt.Sprintf("%s: %d is negative: want %s", quote(k), ms, faultKeyTypes[k]))
				return
			case err == nil && int64(ms) > maxDelayMs:
				errs = append(errs, fmt.Sprintf("%s: %d is too large: want %s", quote(k), ms, faultKeyTypes[k]))
				return
			}
			f.Delay = time.Duration(ms) * time.Millisecond
		case "drop":
			err = json.Unmarshal(v, &f.Drop)
		case "dropAnswer":
			err = json.Unmarshal(v, &f.DropAnswer)
		default:
			errs = append(errs, unknownFaultKey(k))
			return
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: want %s", quote(k), faultKeyTypes[k]))
		}
	})
	if len(errs) > 0 {
		return Fault{}, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	if err := f.validate(); err != nil {
		return Fault{}, fmt.Errorf("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return f, nil
}

// faultKeyTypes names the type of each key of a fault.
var faultKeyTypes = map[string]string{
	"method": "a string", "path": "a string", "times": "an integer (-1 for ever)", "status": "an integer",
	"retryAfter": "a string or an integer", "delayMs": "an integer of milliseconds, 0 to " + strconv.FormatInt(maxDelayMs, 10),
	"drop": "a boolean", "dropAnswer": "a boolean",
}

// maxDelayMs is the longest delay a time.Duration holds, in milliseconds.
const maxDelayMs = math.MaxInt64 / int64(time.Millisecond)

func isFaultKey(k string) bool { _, ok := faultKeyTypes[k]; return ok }

func unknownFaultKey(k string) string {
	for known := range faultKeyTypes {
		if strings.EqualFold(known, k) {
			return "unknown key " + quote(k) + ": keys are case-sensitive, did you mean " + quote(known) + "?"
		}
	}
	return "unknown key " + quote(k) + ": a fault has method, path, times, status, retryAfter, delayMs, drop and dropAnswer"
}

// jsonInt reads a JSON integer that fits an int.
func jsonInt(v []byte) (int, error) {
	return strconv.Atoi(string(v))
}
