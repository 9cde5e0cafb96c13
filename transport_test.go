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
// over the connections of one shared Client: sequential calls reuse one
// through keep-alive, give or take the one net/http dials when a call
// starts before the last answer's connection is back in the pool (which
// a loaded machine shows now and then); a pool each would open 2,000.
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
	assert.LessOrEqual(t, conns.Load(), int64(3), "%d Clients opened connections of their own", clients)
	assert.LessOrEqual(t, one, int64(2))
}

// BenchmarkClientPerRequest compares, side by side, creates through one
// shared Client and through a Client made for each create (as a handler
// that calls NewClient per request does), 50 at a time, against a loopback
// server. conns/op is the connections the server saw per create; a Client
// each must cost no more than the shared one.
func BenchmarkClientPerRequest(b *testing.B) {
	for _, perRequest := range []bool{false, true} {
		name := map[bool]string{false: "shared", true: "per-request"}[perRequest]
		b.Run(name, func(b *testing.B) {
			var conns atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusCreated)
				json.NewEncoder(w).Encode(envelope(customerJSON("cus_1", "u1", "a@example.com")))
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()
			shared, err := NewClient(testKey, WithBaseURL(srv.URL))
			if err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(25) // 50 goroutines on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c := shared
					if perRequest {
						if c, err = NewClient(testKey, WithBaseURL(srv.URL)); err != nil {
							b.Error(err)
							return
						}
					}
					if _, err := c.Customers.Create(context.Background(), &CreateCustomerParams{ID: "u1", Email: "a@example.com"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(conns.Load())/float64(b.N), "conns/op")
		})
	}
}
