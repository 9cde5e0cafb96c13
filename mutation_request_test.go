package commet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

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

// An answer of exactly the bound is read whole; one byte more is too
// large, and what is read stops one byte past the bound. The edge is held
// at a small bound (readLimited is roundTrip's reading at maxResponseBytes):
// 8 MiB through the race detector took 18 s.
func TestAnswerSizeEdge(t *testing.T) {
	const limit = 64
	for size, tooLarge := range map[int]bool{0: false, limit - 1: false, limit: false, limit + 1: true, 10 * limit: true} {
		body := bytes.Repeat([]byte("a"), size)
		buf := new(bytes.Buffer)
		got, err := readLimited(buf, bytes.NewReader(body), limit)
		require.NoError(t, err)
		assert.Equal(t, tooLarge, got, "%d bytes", size)
		assert.Equal(t, body[:min(size, limit+1)], buf.Bytes(), "%d bytes: read up to one byte past the bound", size)
	}
	_, err := readLimited(new(bytes.Buffer), io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errors.New("cut"))), limit)
	assert.EqualError(t, err, "cut", "a failed read is the answer's error")

	// roundTrip reads an answer through readLimited at maxResponseBytes,
	// and classify names that bound (8 MiB) in its error.
	body := bytes.Repeat([]byte("b"), 3*limit)
	c, err := NewClient(testKey, WithHTTPClient(&http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}, nil
	})}))
	require.NoError(t, err)
	cfg, err := c.newCallConfig(nil)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, custURL, nil)
	require.NoError(t, err)
	var st attemptState
	ans, err := c.roundTrip(&cfg, req, Attempt{Method: http.MethodGet, Path: "/customers", Number: 1}, &st, nil)
	require.NoError(t, err)
	assert.False(t, ans.tooLarge)
	assert.Equal(t, body, ans.body.Bytes(), "an answer within the bound is read whole")
	putBuffer(ans.body)

	decoded := false
	ans = &answer{status: 200, header: http.Header{}, body: getBuffer(), tooLarge: true}
	err = c.classify(ans, request{method: http.MethodGet, decode: func(int, []byte) error { decoded = true; return nil }}, false, &Response{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the answer is larger than 8 MiB")
	assert.False(t, decoded, "an answer cut at the bound is never decoded")
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

// A wait that ends exactly at the context's deadline is waited; one that
// ends a nanosecond after it ends the call at once. (After the wait that
// ends at the deadline, the deadline and the wait's end are one instant:
// whether a second request leaves before the context ends is up to the
// scheduler, so only the time waited is held there.)
func TestWaitAtTheDeadlineEdge(t *testing.T) {
	for timeout, waits := range map[time.Duration]bool{5 * time.Second: true, 5*time.Second - 1: false} {
		synctest.Test(t, func(t *testing.T) {
			c, mock := newMockClient(t)
			rec := answers(withRetryAfter(503, "5"))
			mock.RegisterResponder("GET", custURL+"/x", rec.responder)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			start := time.Now()
			_, err := c.Customers.Get(ctx, "x")
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			if waits {
				assert.Equal(t, 5*time.Second, time.Since(start), "a deadline of %v", timeout)
			} else {
				assert.Zero(t, time.Since(start), "a deadline of %v", timeout)
				assert.Contains(t, err.Error(), "would outlast the context's deadline")
			}
		})
	}
}

// Without a timeout of its own (WithTimeout(0)), a deadline error from the
// transport (an http.Client's own Timeout, say) is reported as it came,
// not as an attempt's timeout.
func TestNoAttemptTimeoutKeepsTheTransportsDeadlineError(t *testing.T) {
	c, mock := newMockClient(t, WithTimeout(0), WithMaxRetries(0))
	mock.RegisterResponder("GET", custURL+"/x", func(*http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("client timeout: %w", context.DeadlineExceeded)
	})
	_, err := c.Customers.Get(context.Background(), "x")
	assert.ErrorIs(t, err, ErrNetwork)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the transport's error, kept")
	assert.NotContains(t, err.Error(), "the attempt timed out")
	assert.Contains(t, err.Error(), "client timeout")
}
