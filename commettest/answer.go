package commettest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// answer is a finished response: what is stored for a replay.
type answer struct {
	status int
	body   []byte
	allow  string // the Allow header of a 405
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

func invalidJSON() answer {
	return errorAnswer(http.StatusBadRequest, "invalid_json", "The request body must be a JSON object", nil)
}

func notFound() answer {
	return errorAnswer(http.StatusNotFound, "not_found", "Customer not found", nil)
}

func encodeAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil { // only metadata could fail, and it came from JSON
		return answer{status: http.StatusInternalServerError, body: []byte(`{"success":false,"code":"server_error","message":"encoding failed"}`)}
	}
	return answer{status: status, body: b}
}

// write sends a, dated by the handler's clock: net/http would otherwise
// set Date from the real one.
func (h *Handler) write(w http.ResponseWriter, a answer) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Date", h.now().UTC().Format(http.TimeFormat))
	hdr.Set("Content-Length", strconv.Itoa(len(a.body)))
	if a.allow != "" {
		hdr.Set("Allow", a.allow)
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}
