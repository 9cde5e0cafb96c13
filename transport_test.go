package commet

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientsWithoutHTTPClientShareOneTransport: a sign-up handler that
// calls NewClient on every request must not open a connection pool per
// call. 2,000 Clients, made and dropped one after another, reach the server
// over as few connections as one shared Client does (one, here, since the
// calls are sequential and keep-alive reuses it).
func TestClientsWithoutHTTPClientShareOneTransport(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(envelope(customerJSON("cus_1", "u1", "a@example.com")))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	get := func(c *Client) {
		_, err := c.Customers.Get(context.Background(), "u1")
		require.NoError(t, err)
	}
	shared, err := NewClient(testKey, WithBaseURL(srv.URL))
	require.NoError(t, err)
	for range 20 {
		get(shared)
	}
	one := conns.Load()

	const clients = 2000
	for range clients {
		c, err := NewClient(testKey, WithBaseURL(srv.URL))
		require.NoError(t, err)
		get(c)
	}
	assert.Equal(t, one, conns.Load(), "%d Clients opened connections of their own", clients)
	assert.LessOrEqual(t, one, int64(1))
}
