package commet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileEchoedKeyIsRedacted: a server or proxy that echoes the key back
// (a debug message, an HTML error page) must not put it into an error or
// a log line: the SDK knows its key and takes it out of everything it
// builds them from.
func TestHostileEchoedKeyIsRedacted(t *testing.T) {
	other := "ck_live_someoneelses0123456789"
	answers := map[string]httpmock.Responder{
		"message": status(401, map[string]any{"code": "unauthorized", "message": "bad header x-api-key=" + testKey}),
		"details": status(400, map[string]any{"code": "validation_error", "message": "bad",
			"details": []any{map[string]any{"field": "x-api-key", "message": "got " + testKey}, map[string]any{"raw": testKey}}}),
		"nested": status(403, map[string]any{"error": map[string]any{"type": testKey, "code": testKey, "message": testKey,
			"param": testKey, "doc_url": "https://docs.example/?k=" + testKey}}),
		"html page":     rawAnswer(502, "<html><body>upstream said: x-api-key: "+testKey+"</body></html>"),
		"another key":   status(401, map[string]any{"code": "unauthorized", "message": "expected " + other}),
		"code":          status(400, map[string]any{"code": testKey, "message": "x"}),
		"bad 2xx body":  rawAnswer(200, `{"success":true,"data":"`+testKey+`"}`),
		"network error": func(*http.Request) (*http.Response, error) { return nil, errors.New("proxy refused key " + testKey) },
		"header": func(*http.Request) (*http.Response, error) {
			resp := jsonResponse(401, map[string]any{"code": "unauthorized", "message": "no"})
			resp.Header.Set("X-Debug-Echo", "x-api-key="+testKey)
			resp.Header.Set("X-Request-Id", other)
			return resp, nil
		},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, mock := newMockClient(t, WithLogger(logger), WithMaxRetries(1))
			mock.RegisterResponder("GET", custURL+"/x", answer)
			_, err := c.Customers.Get(context.Background(), "x")
			require.Error(t, err)
			texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()}
			var apiErr *APIError
			if name == "network error" {
				assert.False(t, errors.As(err, &apiErr), "no answer, no APIError")
			} else if assert.ErrorAs(t, err, &apiErr, "an answer came: its fields are checked too") {
				js, _ := json.Marshal(apiErr)
				texts = append(texts, apiErr.Message, string(apiErr.Details), apiErr.Code, apiErr.Type, apiErr.Param,
					apiErr.DocURL, string(js), fmt.Sprint(apiErr.Header), apiErr.RequestID)
				if len(apiErr.Details) > 0 {
					assert.True(t, json.Valid(apiErr.Details), "Details stays JSON: %s", apiErr.Details)
				}
			}
			for _, text := range texts {
				assert.NotContains(t, text, testKey)
				assert.NotContains(t, text, other)
			}
		})
	}
}

// TestHostileNoVerbPrintsTheKey: whatever fmt verb or reflection-based printer
// reaches the client, by value or by pointer, in exported or unexported
// fields, the key stays out of the text.
func TestHostileNoVerbPrintsTheKey(t *testing.T) {
	c, _ := newMockClient(t)
	type wrapper struct {
		c  Client
		p  *Client
		s  *CustomersService
		C  Client
		P  *Client
		Cs CustomersService
	}
	values := map[string]any{
		"client": c, "*client": *c, "service": c.Customers, "*service": *c.Customers,
		"wrapper":           wrapper{*c, c, c.Customers, *c, c, *c.Customers},
		"*wrapper":          &wrapper{*c, c, c.Customers, *c, c, *c.Customers},
		"slice":             []any{c, *c},
		"map":               map[string]*Client{"c": c},
		"anonymous struct":  struct{ c Client }{*c},
		"anonymous pointer": struct{ c *Client }{c},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, testKey, "%s %s", name, verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", testKey), "%s %s (hex)", name, verb)
			assert.NotContains(t, out, fmt.Sprintf("%X", testKey), "%s %s (HEX)", name, verb)
		}
		js, _ := json.Marshal(v)
		assert.NotContains(t, string(js), testKey, name)
	}

	// A test that compares two clients prints both with a reflection-based
	// diff when they differ.
	d, _ := newMockClient(t, WithMaxRetries(7))
	var out recordingT
	assert.Equal(&out, *c, *d)
	assert.Equal(&out, c, d)
	assert.Equal(&out, wrapper{c: *c}, wrapper{c: *d})
	require.NotEmpty(t, out.String(), "the clients differ, so testify printed them")
	assert.NotContains(t, out.String(), testKey)
	assert.NotContains(t, out.String(), strings.TrimPrefix(testKey, "ck_"))
}

// recordingT is an assert.TestingT that keeps what a failed assertion says.
type recordingT struct{ bytes.Buffer }

func (r *recordingT) Errorf(format string, args ...any) { fmt.Fprintf(&r.Buffer, format, args...) }

// TestHostileKeyEchoedInABatchItemIsRedacted: a key echoed in a batch
// item's error, its details or its data reaches no field of the
// BatchItemError or of its *ValidationError, no Error() text and no JSON
// of it: what a migration writes to its failures file.
func TestHostileKeyEchoedInABatchItemIsRedacted(t *testing.T) {
	other := "ck_live_someoneelses0123456789"
	items := map[string]map[string]any{
		"error string": {"index": 0, "error": "billingEmail: got " + testKey + "; fullName: " + other},
		"error object": {"index": 0, "error": map[string]any{"code": testKey, "message": "bad " + testKey,
			"details": []any{map[string]any{"field": "billingEmail", "message": "echo " + testKey}, map[string]any{"field": "metadata." + testKey, "message": "x"}}}},
		"details beside": {"index": 0, "error": "invalid", "code": "validation_error",
			"details": []any{map[string]any{"field": "fullName", "message": other}}},
		"data": {"index": 0, "error": "invalid", "data": map[string]any{"billingEmail": testKey, "note": other}},
	}
	for name, item := range items {
		t.Run(name, func(t *testing.T) {
			c, mock := newMockClient(t)
			mock.RegisterResponder("POST", custURL+"/batch", status(200, envelope(map[string]any{"successful": []any{}, "failed": []any{item}})))
			res, err := c.Customers.CreateBatch(context.Background(), []CreateCustomerParams{{Email: "a@example.com"}})
			require.NoError(t, err)
			require.Len(t, res.Failed, 1)
			f := res.Failed[0]
			var invalid *ValidationError
			require.ErrorAs(t, f, &invalid)
			js, _ := json.Marshal(f)
			resJS, _ := json.Marshal(res)
			texts := []string{f.Error(), f.Code, f.Message, string(f.Data), invalid.Error(), fmt.Sprint(invalid.Fields), string(js), string(resJS), fmt.Sprintf("%+v", f)}
			for _, text := range texts {
				assert.NotContains(t, text, testKey)
				assert.NotContains(t, text, other)
			}
			if len(f.Data) > 0 {
				assert.True(t, json.Valid(f.Data))
			}
		})
	}
}

// TestAPIKeyNeverLeaks checks errors, log records and printed clients.
func TestAPIKeyNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mock := newMockClient(t, WithLogger(logger), WithMaxRetries(1))
	mock.RegisterResponder("GET", custURL+"/x", status(401, map[string]any{"code": "unauthorized", "message": "bad key"}))
	mock.RegisterResponder("GET", custURL+"/y", netError)
	mock.RegisterResponder("GET", custURL, status(500, nil))

	var errs []error
	_, err := c.Customers.Get(context.Background(), "x")
	errs = append(errs, err)
	_, err = c.Customers.Get(context.Background(), "y")
	errs = append(errs, err)
	_, err = c.Customers.List(context.Background(), &ListCustomersParams{Search: "bob@example.com"})
	errs = append(errs, err)
	for _, err := range errs {
		require.Error(t, err)
		assert.NotContains(t, err.Error(), testKey)
		assert.NotContains(t, fmt.Sprintf("%+v", err), testKey)
	}
	assert.NotContains(t, errs[2].Error(), "bob@example.com", "errors hold no query strings")

	require.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), testKey)
	assert.NotContains(t, logs.String(), "bob@example.com", "logs hold no query strings")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, c), testKey, verb)
		assert.NotContains(t, fmt.Sprintf(verb, *c), testKey, verb)
		assert.NotContains(t, fmt.Sprintf(verb, c.Customers), testKey, verb)
		assert.NotContains(t, fmt.Sprintf(verb, *c.Customers), testKey, verb)
		assert.NotContains(t, fmt.Sprintf(verb, []any{c, c.Customers}), testKey, verb)
	}
	assert.Contains(t, fmt.Sprintf("%+v", c), "redacted")
	js, _ := json.Marshal(c)
	assert.NotContains(t, string(js), testKey)
}
