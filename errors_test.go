package commet

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPIErrorFromBodies(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        APIError
		line        string
	}{
		{
			name: "flat shape", status: 404, contentType: "application/json",
			body: `{"success":false,"code":"not_found","message":"Customer not found"}`,
			want: APIError{StatusCode: 404, Code: "not_found", Message: "Customer not found", RequestID: "req_9"},
			line: "commet: 404 not_found: Customer not found [request req_9]",
		},
		{
			name: "flat validation with repeated field", status: 400, contentType: "application/json",
			body: `{"success":false,"code":"validation_error","message":"Validation failed","details":[
				{"field":"billingEmail","message":"Invalid email format"},
				{"field":"billingEmail","message":"Too long"},
				{"field":"address.country","message":"Must be 2 letters"}]}`,
			want: APIError{StatusCode: 400, Code: "validation_error", Message: "Validation failed", RequestID: "req_9",
				fields: map[string][]string{"billingEmail": {"Invalid email format", "Too long"}, "address.country": {"Must be 2 letters"}}},
			line: "commet: 400 validation_error: Validation failed (fields: address.country, billingEmail) [request req_9]",
		},
		{
			name: "nested shape", status: 400, contentType: "application/json",
			body: `{"error":{"type":"invalid_request_error","code":"validation_error","message":"Bad email","param":"billingEmail","doc_url":"https://docs/x"}}`,
			want: APIError{StatusCode: 400, Code: "validation_error", Message: "Bad email", RequestID: "req_9",
				Type: "invalid_request_error", Param: "billingEmail", DocURL: "https://docs/x",
				fields: map[string][]string{"billingEmail": {"Bad email"}}},
		},
		{
			name: "nested with details", status: 400, contentType: "application/json",
			body: `{"error":{"code":"validation_error","message":"Invalid","details":[{"field":"timezone","message":"Unknown zone"}]}}`,
			want: APIError{StatusCode: 400, Code: "validation_error", Message: "Invalid", RequestID: "req_9",
				fields: map[string][]string{"timezone": {"Unknown zone"}}},
		},
		{
			name: "HTML from a proxy", status: 502, contentType: "text/html",
			body: "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>",
			want: APIError{StatusCode: 502, RequestID: "req_9",
				Message: "unexpected response body (text/html): <html> <head><title>502 Bad Gateway</title></head> <body>nginx</body></html>"},
			line: "commet: 502 Bad Gateway: unexpected response body (text/html): <html> <head><title>502 Bad Gateway</title></head> <body>nginx</body></html> [request req_9]",
		},
		{
			name: "empty body", status: 504,
			want: APIError{StatusCode: 504, RequestID: "req_9", Message: "empty response body"},
			line: "commet: 504 Gateway Timeout: empty response body [request req_9]",
		},
		{
			name: "details of another shape", status: 409, contentType: "application/json",
			body: `{"code":"conflict","message":"Key reused","details":{"key":"abc"}}`,
			want: APIError{StatusCode: 409, Code: "conflict", Message: "Key reused", RequestID: "req_9"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"X-Request-Id": {"req_9"}, "Content-Type": {tc.contentType}}
			got := newAPIError(tc.status, h, []byte(tc.body), keep)
			got.Details, got.Header = nil, nil
			assert.Equal(t, &tc.want, got)
			if tc.line != "" {
				assert.Equal(t, tc.line, got.Error())
			}
			assert.NotContains(t, got.Error(), "\n")
		})
	}
}

func TestSnippetIsShortAndPrintable(t *testing.T) {
	body := "<html>" + strings.Repeat("é\x00\x1b[31m", 400) + "</html>"
	e := newAPIError(500, http.Header{}, []byte(body), keep)
	assert.LessOrEqual(t, len(e.Message), 200)
	assert.NotContains(t, e.Message, "\x00")
	assert.NotContains(t, e.Message, "\x1b")
	assert.True(t, strings.HasSuffix(e.Message, "…"))
}

// TestSentinels is the table of which sentinel each answer matches.
func TestSentinels(t *testing.T) {
	all := []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrRateLimited, ErrValidation, ErrBadRequest, ErrServer, ErrBadResponse}
	cases := []struct {
		status int
		code   string
		want   error
	}{
		{401, "unauthorized", ErrUnauthorized},
		{403, "forbidden", ErrForbidden},
		{404, "not_found", ErrNotFound},
		{409, "idempotency_key_reused", ErrConflict},
		{429, "rate_limited", ErrRateLimited},
		{400, "validation_error", ErrValidation},
		{422, "", ErrValidation},
		{500, "", ErrServer},
		{503, "", ErrServer},
		{408, "", ErrServer},
		{400, "invalid_json", ErrBadRequest},
		{418, "", ErrBadRequest},
		{302, "", nil},
	}
	for _, tc := range cases {
		e := &APIError{StatusCode: tc.status, Code: tc.code}
		for _, sentinel := range all {
			assert.Equal(t, sentinel == tc.want, errors.Is(e, sentinel), "%d %s vs %v", tc.status, tc.code, sentinel)
		}
	}
}

func TestErrorsAsThroughTheClient(t *testing.T) {
	c, mock := newMockClient(t)
	resp := httpmock.NewStringResponse(404, `{"success":false,"code":"not_found","message":"Customer not found"}`)
	resp.Header.Set("X-Request-Id", "req_42")
	mock.RegisterResponder("GET", custURL+"/nope", httpmock.ResponderFromResponse(resp))
	_, err := c.Customers.Get(context.Background(), "nope")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "req_42", apiErr.RequestID)
	assert.ErrorIs(t, err, ErrNotFound)
}

func FuzzNewAPIError(f *testing.F) {
	f.Add(500, []byte(`{"code":"x","details":[{"field":1}]}`))
	f.Add(400, []byte(`{"error":null,"details":"x"}`))
	f.Add(502, []byte("\xff\xfe<html>"))
	f.Add(400, []byte(`{"error":{"details":[{"field":"a","message":"b"}],"param":"p"}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := newAPIError(status, http.Header{"Retry-After": {string(body)}}, body, keep)
		if e.StatusCode != status || e.Error() == "" {
			t.Fatalf("bad error %#v", e)
		}
	})
}

// keep is a redactor that keeps text as it is.
func keep(s string) string { return s }
