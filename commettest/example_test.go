package commettest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// The README's "Testing your code" section is copied from these examples:
// each of its Go lines is a line of this file.

func Example() {
	ctx := context.Background()
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client() // in memory: no socket, works inside synctest

	cust, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_1"})
	if err != nil {
		panic(err)
	}
	got, err := client.Customers.Get(ctx, "user_1")
	if err != nil {
		panic(err)
	}
	fmt.Println(got.ID == cust.ID, got.Email, srv.Len())
	// Output: true ada@example.com 1
}

// A client of your own reaches the fake in memory with two options.
func ExampleServer_Transport() {
	srv := commettest.NewServer()
	defer srv.Close()
	client, err := commet.NewClient("ck_sandbox_mine",
		commet.WithBaseURL(commettest.InMemoryBaseURL),
		commet.WithHTTPClient(&http.Client{Transport: srv.Transport()}),
	)
	if err != nil {
		panic(err)
	}
	page, err := client.Customers.List(context.Background(), nil)
	fmt.Println(len(page.Data), err)
	// Output: 0 <nil>
}

// Over a real socket, for code that needs a URL: URL starts a loopback
// listener on first use (never inside a synctest bubble).
func ExampleServer_URL() {
	srv := commettest.NewServer()
	defer srv.Close()
	client, err := commet.NewClient("ck_sandbox_mine", commet.WithBaseURL(srv.URL()))
	if err != nil {
		panic(err)
	}
	_, err = client.Customers.Get(context.Background(), "nobody")
	fmt.Println(err != nil, strings.HasPrefix(srv.URL(), "http://127.0.0.1:"))
	// Output: true true
}

func ExampleFault() {
	ctx := context.Background()
	srv := commettest.NewServer()
	defer srv.Close()
	// The path as the SDK names it (Attempt.Path, errors, logs), or in full: /api/v1/customers.
	srv.InjectFault(commettest.Fault{Method: "POST", Path: "/customers", Status: 503, Times: 2})
	client := srv.Client(commet.WithRetryBackoff(time.Millisecond, time.Millisecond))

	var resp commet.Response
	_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com"}, commet.WithResponseInto(&resp))
	fmt.Println(err, resp.Attempts, srv.UnfiredFaults())
	// Output: <nil> 3 []
}

// An answer lost after the work was done: the SDK's retry, with the same
// Idempotency-Key, gets the first answer replayed.
func ExampleFault_dropAnswer() {
	ctx := context.Background()
	srv := commettest.NewServer()
	defer srv.Close()
	srv.InjectFault(commettest.Fault{Method: "POST", Path: "/customers", DropAnswer: true}) // created, then the answer lost
	client := srv.Client(commet.WithRetryBackoff(time.Millisecond, time.Millisecond))

	var resp commet.Response
	cust, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_1"}, commet.WithResponseInto(&resp))
	fmt.Println(err, cust.ExternalID, resp.Attempts, resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), srv.Len())
	// Output: <nil> user_1 2 201 true 1
}

func ExampleFault_forever() {
	ctx := context.Background()
	srv := commettest.NewServer()
	defer srv.Close()
	srv.InjectFault(commettest.Fault{Method: "GET", Status: 503, Times: commettest.Forever})
	client := srv.Client(commet.WithRetryBackoff(time.Millisecond, time.Millisecond))

	_, err := client.Customers.Get(ctx, "user_1")
	fmt.Println(err != nil, srv.Requests()) // the first try and 3 retries
	srv.ClearFaults()
	_, err = client.Customers.Get(ctx, "user_1")
	fmt.Println(errors.Is(err, commet.ErrNotFound))
	// Output:
	// true 4
	// true
}

func ExampleServer_UnfiredFaults() {
	srv := commettest.NewServer()
	defer srv.Close()
	srv.InjectFault(commettest.Fault{Path: "/customer", Status: 503}) // a typo: no request has this path
	_, _ = srv.Client().Customers.List(context.Background(), nil)
	fmt.Println(srv.UnfiredFaults())
	// Output: [Fault{Path: /customer, Status: 503}]
}

func ExampleWithRateLimit() {
	srv := commettest.NewServer(commettest.WithRateLimit(10, 2)) // 10 requests a second, 2 at once
	defer srv.Close()
	// each call on its own: a client's calls would otherwise pace
	// themselves to what the answers say is left
	client := srv.Client(commet.WithMaxRetries(0), commet.WithSharedPacing(false))
	for range 3 {
		var resp commet.Response
		_, err := client.Customers.List(context.Background(), nil, commet.WithResponseInto(&resp))
		fmt.Printf("%d remaining %s, retry after %q, rate limited: %t\n", resp.StatusCode,
			resp.Header.Get("RateLimit-Remaining"), resp.Header.Get("Retry-After"), errors.Is(err, commet.ErrRateLimited))
	}
	// Output:
	// 200 remaining 1, retry after "", rate limited: false
	// 200 remaining 0, retry after "", rate limited: false
	// 429 remaining 0, retry after "1", rate limited: true
}

func ExampleWithStrict() {
	srv := commettest.NewServer(commettest.WithStrict())
	defer srv.Close()
	req, _ := http.NewRequest("GET", commettest.InMemoryBaseURL+"/api/v1/customers", nil)
	req.Header.Set("x-api-key", "ck_sandbox_mine") // but no Commet-Version
	resp, err := srv.Transport().RoundTrip(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"code":"contract_violation"`))
	// Output: 400 true
}

// The control plane, mounted as cmd/commet-fake mounts it.
func ExampleHandler_ControlHandler() {
	h := commettest.NewHandler()
	control := h.ControlHandler()
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, commettest.ControlPrefix) {
			control.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
	req, _ := http.NewRequest("POST", "/_commettest/faults", strings.NewReader(`{"status":503,"times":2}`))
	rec := &response{header: http.Header{}}
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.status, h.Faults()[0].Fault)
	// Output: 201 Fault{Times: 2, Status: 503}
}

// response is a minimal http.ResponseWriter.
type response struct {
	header http.Header
	status int
}

func (r *response) Header() http.Header         { return r.header }
func (r *response) WriteHeader(status int)      { r.status = status }
func (r *response) Write(b []byte) (int, error) { return len(b), nil }

// TestRetriesInSynctest is the README's synctest example. It is a test,
// not an Example, because synctest.Test needs a *testing.T.
func TestRetriesInSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		srv.RequireFaultsFired(t) // fails the test if a fault never fired
		srv.InjectFault(commettest.Fault{Path: "/customers/user_1", Status: 503, Times: 2})
		client := srv.Client() // the default backoff: 1 s, 2 s, ...

		start := time.Now()
		_, err := client.Customers.Get(context.Background(), "user_1")
		var apiErr *commet.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
			t.Fatalf("want a 404 after two retries, got %v", err)
		}
		if waited := time.Since(start); waited < 1500*time.Millisecond { // the bubble's clock, not yours
			t.Fatalf("waited %v", waited)
		}
	})
}
