package commet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redirector is a real server that answers every request under /api/v1
// with a redirect to target, and counts the requests that reach target.
type redirector struct {
	origin, elsewhere *httptest.Server
	followed          atomic.Int32 // requests that reached the redirect's target
	keysElsewhere     atomic.Int32 // of which carried the API key
}

func newRedirector(t *testing.T, code int, crossOrigin bool) *redirector {
	r := &redirector{}
	landing := func(w http.ResponseWriter, req *http.Request) {
		r.followed.Add(1)
		if req.Header.Get("X-Api-Key") != "" {
			r.keysElsewhere.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(envelope(customerJSON("cus_old", "user_1", "old@example.com")))
	}
	r.elsewhere = httptest.NewServer(http.HandlerFunc(landing))
	t.Cleanup(r.elsewhere.Close)
	r.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/landing" {
			landing(w, req)
			return
		}
		target := r.origin.URL + "/landing"
		if crossOrigin {
			target = r.elsewhere.URL + "/landing"
		}
		w.Header().Set("X-Request-Id", "req_redirect")
		http.Redirect(w, req, target, code)
	}))
	t.Cleanup(r.origin.Close)
	return r
}

// TestHostileWritesAreNeverRedirected: net/http follows a 301, 302 or 303 to a
// write as a GET, which would turn Update and Archive into reads that
// succeed; and a 307 or 308 re-sends the write elsewhere. Neither happens:
// a redirected write is an error carrying the status, and nothing is sent
// to the redirect's target.
func TestHostileWritesAreNeverRedirected(t *testing.T) {
	writes := map[string]func(c *Client) error{
		"Create": func(c *Client) error {
			_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com", ID: "user_1"})
			return err
		},
		"CreateBatch": func(c *Client) error {
			_, err := c.Customers.CreateBatch(context.Background(), []CreateCustomerParams{{Email: "a@example.com"}})
			return err
		},
		"Update": func(c *Client) error {
			_, err := c.Customers.Update(context.Background(), "user_1", &UpdateCustomerParams{Email: Ptr("new@example.com")})
			return err
		},
		"Archive": func(c *Client) error {
			_, err := c.Customers.Archive(context.Background(), "user_1")
			return err
		},
	}
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, cross := range []bool{false, true} {
			for name, write := range writes {
				t.Run(fmt.Sprintf("%s %d cross-origin=%t", name, code, cross), func(t *testing.T) {
					r := newRedirector(t, code, cross)
					c, err := NewClient(testKey, WithBaseURL(r.origin.URL), WithMaxRetries(2))
					require.NoError(t, err)

					err = write(c)
					require.Error(t, err, "a redirected write must not look like a success")
					assert.ErrorIs(t, err, ErrBadResponse)
					var apiErr *APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, code, apiErr.StatusCode)
					assert.Equal(t, "req_redirect", apiErr.RequestID)
					assert.Contains(t, err.Error(), "redirect")
					assert.NotContains(t, err.Error(), testKey)
					assert.Zero(t, r.followed.Load(), "nothing may be sent to the redirect's target")
					assert.Zero(t, r.keysElsewhere.Load())
				})
			}
		}
	}
}

// TestHostileRedirectLoopsEndWithoutRetries: a GET that is redirected forever
// ends with the redirect's status after a bounded number of hops, and is
// not retried (another try would loop the same way).
func TestHostileRedirectLoopsEndWithoutRetries(t *testing.T) {
	var hops atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		http.Redirect(w, r, srv.URL+fmt.Sprintf("/api/v1/customers/hop%d", hops.Load()), http.StatusFound)
	}))
	defer srv.Close()
	c, err := NewClient(testKey, WithBaseURL(srv.URL), WithMaxRetries(3))
	require.NoError(t, err)

	_, err = c.Customers.Get(context.Background(), "x")
	require.Error(t, err)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, http.StatusFound, apiErr.StatusCode)
	assert.ErrorIs(t, err, ErrBadResponse)
	assert.LessOrEqual(t, hops.Load(), int32(11), "one call follows at most 10 redirects, and is not retried")
}

// TestRedirectDropsKeyForOtherHosts follows a real redirect between two
// loopback servers on different ports.
func TestRedirectDropsKeyForOtherHosts(t *testing.T) {
	var otherGotKey, sameGotKey atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherGotKey.Store(r.Header.Get("X-Api-Key"))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(envelope(customerJSON("cus_2", "", "b@example.com")))
	}))
	defer other.Close()
	var origin *httptest.Server
	origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/customers/away":
			http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
		case "/api/v1/customers/home":
			http.Redirect(w, r, origin.URL+"/api/v1/customers/here", http.StatusFound)
		default:
			sameGotKey.Store(r.Header.Get("X-Api-Key"))
			json.NewEncoder(w).Encode(envelope(customerJSON("cus_1", "", "a@example.com")))
		}
	}))
	defer origin.Close()

	hc := &http.Client{}
	c, err := NewClient(testKey, WithBaseURL(origin.URL), WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "away")
	require.NoError(t, err)
	assert.Equal(t, "", otherGotKey.Load(), "the key went to another host")
	_, err = c.Customers.Get(context.Background(), "home")
	require.NoError(t, err)
	assert.Equal(t, testKey, sameGotKey.Load(), "a same-origin redirect keeps the key")
	assert.Nil(t, hc.CheckRedirect, "the caller's client is not modified")
}
