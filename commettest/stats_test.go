package commettest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStats(t *testing.T) {
	srv := newServer(t)
	assert.Equal(t, Stats{Requests: []RequestCount{}}, srv.Stats(), "nothing yet")

	hc := &http.Client{Transport: srv.Transport()}
	for range 2 {
		callMem(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u1"}) // 201, then 200
	}
	callMem(t, srv, "POST", "/api/v1/customers/batch", map[string]any{"customers": []any{map[string]any{"billingEmail": "b@x.com"}}})
	callMem(t, srv, "GET", "/api/v1/customers/u1", nil)
	callMem(t, srv, "GET", "/api/v1/customers/"+data(callMem(t, srv, "GET", "/api/v1/customers/u1", nil))["id"].(string), nil)
	callMem(t, srv, "GET", "/api/v1/customers/a%2Fb", nil) // 404, one ID
	callMem(t, srv, "PUT", "/api/v1/customers/u1", `{"isActive":false}`)
	callMem(t, srv, "GET", "/api/v1/customers?limit=1", nil)
	callMem(t, srv, "GET", "/api/v1/customers", nil, "x-api-key", "") // 401
	callMem(t, srv, "GET", "/api/v1/customer", nil)                   // a typo: 404, named in full
	callMem(t, srv, "GET", "/api/v1/customers/a/b", nil)              // no operation: in full
	srv.InjectFault(Fault{Method: "GET", Status: 503})
	callMem(t, srv, "GET", "/api/v1/customers", nil)
	srv.InjectFault(Fault{Method: "GET", Drop: true})
	_, _, err := tryDo(t, hc, InMemoryBaseURL, "GET", "/api/v1/customers", "")
	require.ErrorIs(t, err, ErrDropped)
	srv.InjectFault(Fault{Method: "POST", DropAnswer: true})
	_, _, err = tryDo(t, hc, InMemoryBaseURL, "POST", "/api/v1/customers", `{"billingEmail":"c@x.com"}`)
	require.ErrorIs(t, err, ErrDropped)
	controlCall(t, srv, "GET", "/_commettest/faults", nil) // not counted

	assert.Equal(t, Stats{Customers: 3, Requests: []RequestCount{
		{Method: "GET", Path: "/api/v1/customer", Status: 404, Count: 1},
		{Method: "GET", Path: "/api/v1/customers/a/b", Status: 404, Count: 1},
		{Method: "GET", Path: "/customers", Status: 0, Count: 1},
		{Method: "GET", Path: "/customers", Status: 200, Count: 1},
		{Method: "GET", Path: "/customers", Status: 401, Count: 1},
		{Method: "GET", Path: "/customers", Status: 503, Count: 1},
		{Method: "POST", Path: "/customers", Status: 0, Count: 1},
		{Method: "POST", Path: "/customers", Status: 200, Count: 1},
		{Method: "POST", Path: "/customers", Status: 201, Count: 1},
		{Method: "POST", Path: "/customers/batch", Status: 200, Count: 1},
		{Method: "GET", Path: "/customers/{id}", Status: 200, Count: 3},
		{Method: "GET", Path: "/customers/{id}", Status: 404, Count: 1},
		{Method: "PUT", Path: "/customers/{id}", Status: 200, Count: 1},
	}}, srv.Stats())
	assert.Equal(t, srv.Stats(), srv.Handler.Stats())

	srv.Reset()
	assert.Equal(t, Stats{Requests: []RequestCount{}}, srv.Stats(), "Reset clears the counts")
	assert.Equal(t, 15, srv.Requests(), "Requests goes on counting")
}

func TestStatsOverHTTPAndTheControlPlane(t *testing.T) {
	srv := newServer(t)
	call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com", "externalId": "u1"})
	call(t, srv, "GET", "/api/v1/customers/nobody", nil)
	srv.InjectFault(Fault{Method: "GET", Drop: true})
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} // net/http resends a GET dropped on a reused connection
	_, err := fresh.Get(srv.URL() + "/api/v1/customers")
	require.Error(t, err)

	r := controlCall(t, srv, "GET", "/_commettest/stats", nil)
	require.Equal(t, 200, r.Status, string(r.Raw))
	assert.Equal(t, true, r.Body["success"])
	assert.Equal(t, map[string]any{"customers": 1.0, "requests": []any{
		map[string]any{"method": "GET", "path": "/customers", "status": 0.0, "count": 1.0},
		map[string]any{"method": "POST", "path": "/customers", "status": 201.0, "count": 1.0},
		map[string]any{"method": "GET", "path": "/customers/{id}", "status": 404.0, "count": 1.0},
	}}, r.Body["data"])

	r = controlCall(t, srv, "POST", "/_commettest/stats", nil)
	assert.Equal(t, 405, r.Status)
	assert.Equal(t, "GET", r.Header.Get("Allow"))
	controlCall(t, srv, "POST", "/_commettest/reset", nil)
	r = controlCall(t, srv, "GET", "/_commettest/stats", nil)
	assert.Equal(t, map[string]any{"customers": 0.0, "requests": []any{}}, r.Body["data"])
}

func TestStatsPath(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/customers":           "/customers",
		"/api/v1/customers/batch":     "/customers/batch",
		"/api/v1/customers/cus_1":     "/customers/{id}",
		"/api/v1/customers/a%2Fb":     "/customers/{id}",
		"/api/v1/customers/":          "/api/v1/customers/",
		"/api/v1/customers/batch/x":   "/api/v1/customers/batch/x",
		"/api/v1/customersx":          "/api/v1/customersx",
		"/api/v2/customers":           "/api/v2/customers",
		"/":                           "/",
		"/api/v1/customers/a/b/c/d/e": "/api/v1/customers/a/b/c/d/e",
	} {
		assert.Equal(t, want, statsPath(path), path)
	}
}
