package commet

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests hold each range of statuses classify tells apart at its
// edges, and the size of an answer at its bound.

// classified is what classify makes of an answer with the given status to
// a request of the given method; decoded says whether the request's decode
// ran.
func classified(t *testing.T, method string, status int) (err error, decoded bool) {
	t.Helper()
	c, _ := newMockClient(t)
	buf := getBuffer()
	buf.WriteString(`{"success":true,"data":{}}`)
	ans := &answer{status: status, header: http.Header{}, body: buf}
	r := request{method: method, path: "/customers", decode: func(int, []byte) error {
		decoded = true
		return nil
	}}
	return c.classify(ans, r, false, &Response{}), decoded
}

func TestClassifyStatusEdges(t *testing.T) {
	for _, s := range []int{200, 299} {
		err, decoded := classified(t, http.MethodGet, s)
		assert.NoError(t, err, "%d is a success", s)
		assert.True(t, decoded, "%d is decoded", s)
	}
	for _, s := range []int{300, 399} {
		err, decoded := classified(t, http.MethodGet, s)
		assert.False(t, decoded)
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr), "%d", s)
		assert.True(t, apiErr.unusable, "%d is a redirect the SDK cannot use", s)
		assert.Contains(t, apiErr.Message, "a redirect that was not followed (a read follows 10 at most)", "%d on a read", s)

		err, _ = classified(t, http.MethodPost, s)
		require.True(t, errors.As(err, &apiErr), "%d", s)
		assert.Contains(t, apiErr.Message, "the POST was redirected; a write is never followed", "%d on a write", s)
		err, _ = classified(t, http.MethodPatch, s)
		require.True(t, errors.As(err, &apiErr), "%d", s)
		assert.Contains(t, apiErr.Message, "the PATCH was redirected", "%d on a write", s)
	}
	for _, s := range []int{400, 599} {
		err, decoded := classified(t, http.MethodGet, s)
		assert.False(t, decoded)
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr), "%d", s)
		assert.False(t, apiErr.unusable, "%d is an error answer", s)
		assert.Equal(t, s, apiErr.StatusCode)
	}
	for _, s := range []int{199, 600} {
		err, decoded := classified(t, http.MethodGet, s)
		assert.False(t, decoded)
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr), "%d", s)
		assert.True(t, apiErr.unusable, "%d", s)
		assert.Contains(t, apiErr.Message, "unexpected status", "%d", s)
	}
}

// isSuccessStatus is true for an unusable answer in 200 to 299 only.
func TestIsSuccessStatusEdges(t *testing.T) {
	for s, want := range map[int]bool{199: false, 200: true, 299: true, 300: false} {
		assert.Equal(t, want, isSuccessStatus(&APIError{StatusCode: s, unusable: true}), "%d", s)
	}
	assert.False(t, isSuccessStatus(errors.New("not an answer")))
}

// An answer of exactly maxResponseBytes is read; one byte more is too
// large.
func TestAnswerSizeEdge(t *testing.T) {
	prefix := []byte(`{"success":true,"data":{"id":"cus_1","organizationId":"org_1","externalId":"user_1","billingEmail":"a@example.com","isActive":true,"createdAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z"}}`)
	for size, tooLarge := range map[int]bool{maxResponseBytes: false, maxResponseBytes + 1: true} {
		body := append(bytes.Clone(prefix), bytes.Repeat([]byte(" "), size-len(prefix))...)
		c, mock := newMockClient(t, WithMaxRetries(0))
		mock.RegisterResponder(http.MethodGet, custURL+"/cus_1", func(*http.Request) (*http.Response, error) {
			return httpmock.NewBytesResponse(200, body), nil
		})
		_, err := c.Customers.Get(context.Background(), "cus_1")
		if tooLarge {
			require.Error(t, err, "%d bytes", size)
			assert.Contains(t, err.Error(), "larger than 8 MiB")
		} else {
			assert.NoError(t, err, "%d bytes", size)
		}
	}
}

// A body that holds only a message, or only a nested error, is Commet's
// error, not a snippet of its text.
func TestAPIErrorBodyOfOneField(t *testing.T) {
	redact := func(s string) string { return s }
	e := newAPIError(400, http.Header{}, []byte(`{"message":"only a message"}`), redact)
	assert.Equal(t, "only a message", e.Message)
	e = newAPIError(400, http.Header{}, []byte(`{"error":{"code":"nested_code","message":"m"}}`), redact)
	assert.Equal(t, "nested_code", e.Code)
	assert.Equal(t, "m", e.Message)
	e = newAPIError(400, http.Header{"Content-Type": {"application/json"}}, []byte(`{"other":1}`), redact)
	assert.Empty(t, e.Code)
	assert.True(t, strings.Contains(e.Message, "other"), "a body that is no error is quoted: %q", e.Message)
}
