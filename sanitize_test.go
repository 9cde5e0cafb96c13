package commet

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHostileHeaderValuesNetHTTPRefusesAreRefusedWhenGiven: net/http refuses to
// send a header value with CR or LF, so a bad key or WithHeader value used
// to fail every call, after its retries, as a network error.
func TestHostileHeaderValuesNetHTTPRefusesAreRefusedWhenGiven(t *testing.T) {
	for name, key := range map[string]string{
		"CRLF":  "ck_test_abc\r\nX-Evil: 1",
		"LF":    "ck_test_abc\nx",
		"NUL":   "ck_test_\x00abc",
		"space": "ck_test abc",
		"DEL":   "ck_test_\x7f",
		"UTF-8": "ck_tést",
	} {
		_, err := NewClient(key)
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
		if err != nil {
			assert.NotContains(t, err.Error(), "abc", "%s: the key is not echoed", name)
		}
	}

	c, mock := newMockClient(t)
	for name, opt := range map[string]CallOption{
		"CRLF in a value":  WithHeader("X-Trace", "a\r\nX-Evil: 1"),
		"LF in a value":    WithHeader("X-Trace", "a\nb"),
		"NUL in a value":   WithHeader("X-Trace", "a\x00b"),
		"colon in a name":  WithHeader("X-Trace:", "a"),
		"space in a name":  WithHeader("X Trace", "a"),
		"CRLF in a name":   WithHeader("X-A\r\nX-B", "a"),
		"UTF-8 in a name":  WithHeader("X-Tracé", "a"),
		"Accept":           WithHeader("Accept", "text/html"),
		"Host":             WithHeader("Host", "evil.example"),
		"Content-Length":   WithHeader("Content-Length", "0"),
		"CRLF in idem key": WithIdempotencyKey("k\r\nX-Evil: 1"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Customers.Get(context.Background(), "x", opt)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			if opt, ok := opt.(ClientOption); ok {
				_, err = NewClient(testKey, opt)
				assert.ErrorIs(t, err, ErrInvalidConfig)
			}
		})
	}
	_, err := NewClient(testKey, WithAPIVersion("2026-05-01\r"))
	assert.ErrorIs(t, err, ErrInvalidConfig, "CR in a version")
	assert.Zero(t, mock.GetTotalCallCount())

	// A tab, non-ASCII text and a trailing space are fine in a value.
	rec := answers(okCustomer)
	mock.RegisterResponder("GET", custURL+"/x", rec.responder)
	_, err = c.Customers.Get(context.Background(), "x", WithHeader("X-Note", "a\tb é "))
	assert.NoError(t, err)
}
