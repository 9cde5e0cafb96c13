package commet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientAPIKey(t *testing.T) {
	t.Run("empty key falls back to COMMET_API_KEY", func(t *testing.T) {
		t.Setenv("COMMET_API_KEY", testKey)
		c, err := NewClient("")
		require.NoError(t, err)
		assert.Equal(t, testKey, c.key.value())
	})
	for name, key := range map[string]string{"empty": "", "blank": "  ", "no ck_ prefix": "sk_live_123"} {
		t.Run(name+" key is refused", func(t *testing.T) {
			t.Setenv("COMMET_API_KEY", "")
			c, err := NewClient(key)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			assert.NotErrorIs(t, err, ErrValidation, "a bad key is not bad customer data")
			if key != "" && strings.TrimSpace(key) != "" {
				assert.NotContains(t, err.Error(), key, "the refused key must not be echoed")
			}
		})
	}
}

// countingTransport counts requests and response bodies closed.
type countingTransport struct {
	next         http.RoundTripper
	sent, closed atomic.Int32
}

type closeCounter struct {
	io.ReadCloser
	closed *atomic.Int32
}

func (c closeCounter) Close() error { c.closed.Add(1); return c.ReadCloser.Close() }

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.sent.Add(1)
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		resp.Body = closeCounter{resp.Body, &t.closed}
	}
	return resp, err
}

func TestBodiesClosedAndCallerClientUsed(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", custURL+"/ok", okCustomer)
	mock.RegisterResponder("GET", custURL+"/gone", status(404, map[string]any{"code": "not_found"}))
	mock.RegisterResponder("GET", custURL+"/flaky", answers(status(503, nil), okCustomer).responder)
	mock.RegisterResponder("GET", custURL+"/garbage", status(200, "not an envelope"))
	ct := &countingTransport{next: mock}
	c, err := NewClient(testKey, WithHTTPClient(&http.Client{Transport: ct}), WithRetryBackoff(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	for _, id := range []string{"ok", "gone", "flaky", "garbage"} {
		_, _ = c.Customers.Get(context.Background(), id)
	}
	assert.EqualValues(t, 5, ct.sent.Load(), "every request went through the caller's transport")
	assert.Equal(t, ct.sent.Load(), ct.closed.Load(), "every response body was closed")
}

// TestDefaultTransportIsCopiedNotShared: a client made without
// WithHTTPClient sends through the SDK's one copy of http.DefaultTransport
// (shared by every such Client), and leaves net/http's own, and
// http.DefaultClient, as they were.
func TestDefaultTransportIsCopiedNotShared(t *testing.T) {
	shared, ok := http.DefaultTransport.(*http.Transport)
	require.True(t, ok)
	before := shared.MaxIdleConnsPerHost
	defaultClient := *http.DefaultClient
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(envelope(customerJSON("cus_1", "u1", "a@example.com")))
	}))
	defer srv.Close()

	c, err := NewClient(testKey, WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "u1")
	require.NoError(t, err)

	own, ok := c.cfg.httpClient.Transport.(*http.Transport)
	require.True(t, ok)
	assert.NotSame(t, shared, own, "the client must not send through the shared transport")
	assert.Equal(t, 32, own.MaxIdleConnsPerHost)
	other, err := NewClient(testKey, WithBaseURL(srv.URL))
	require.NoError(t, err)
	assert.Same(t, c.cfg.httpClient, other.cfg.httpClient, "Clients without WithHTTPClient share one *http.Client")
	assert.Same(t, shared, http.DefaultTransport, "http.DefaultTransport was replaced")
	assert.Equal(t, before, shared.MaxIdleConnsPerHost, "http.DefaultTransport was modified")
	assert.True(t, reflect.DeepEqual(defaultClient, *http.DefaultClient), "http.DefaultClient was modified")
}

func TestConcurrentUse(t *testing.T) {
	c, mock := newMockClient(t)
	mock.RegisterResponder("GET", custURL+"/x", okCustomer)
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			_, err := c.Customers.Get(context.Background(), "x", WithHeader("X-N", fmt.Sprint(i)), WithResponseInto(new(Response)))
			errs <- err
		}()
	}
	for range 32 {
		assert.NoError(t, <-errs)
	}
}
