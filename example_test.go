package commet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// Every example but the first runs against commettest, an in-memory Commet
// server: no network, no account. Each Go snippet of README.md is a piece of
// one of them (readme_test.go checks it), so no snippet is left uncompiled.

// Example_main is the README's first program, on commettest in place of a
// key: readme_test.go checks that the README's main says what this does,
// but for the client's creation.
func Example_main() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	cust, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{
		Email: "ada@example.com",
		ID:    "user_42", // your user ID: Create is idempotent on it
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cust.Outcome, cust.ExternalID) // created user_42; existed on a second run

	got, err := client.Customers.Get(ctx, "user_42") // your ID, or Commet's "cus_..."
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Email)

	_, err = client.Customers.Get(ctx, "user_nobody")
	if errors.Is(err, commet.ErrNotFound) {
		fmt.Println("no customer user_nobody")
	}
	// Output:
	// created user_42
	// ada@example.com
	// no customer user_nobody
}

func ExampleNewClient() {
	client, err := commet.NewClient("ck_live_example", // or "" to read COMMET_API_KEY
		commet.WithMaxRetries(5),
		commet.WithTimeout(10*time.Second), // per attempt; ctx bounds the whole call
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client) // the key is never printed
	// Output: commet.Client{BaseURL: https://commet.co, APIVersion: 2026-05-01, APIKey: ck_[redacted]}
}

func ExampleCustomersService_Create() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	cust, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{
		Email:    "billing@acme.com",
		ID:       "user_123", // your user ID, for lookups and idempotency
		FullName: "Acme Inc.",
		Address:  &commet.Address{Line1: "123 Main St", City: "Austin", PostalCode: "78701", Country: "US"},
		Metadata: map[string]any{"plan": "pro"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cust.Outcome, strings.HasPrefix(cust.ID, "cus_"), cust.ExternalID, cust.Email)
	// Output: created true user_123 billing@acme.com
}

func ExampleCustomersService_Create_idempotent() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// A sign-up handler can run twice for one user: the ID makes it safe.
	params := &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_42"}
	first, err := client.Customers.Create(ctx, params)
	if err != nil {
		log.Fatal(err)
	}
	second, err := client.Customers.Create(ctx, params) // the existing customer, not a new one
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first.ID == second.ID, first.Outcome, second.Outcome)
	// Output: true created existed
}

func ExampleCreateCustomerResult() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	signUp := func(userID, email string) string {
		res, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: userID, Email: email})
		if err != nil {
			return "error: " + err.Error()
		}
		switch res.Outcome {
		case commet.OutcomeCreated:
			return "welcome, new customer " + res.ExternalID
		case commet.OutcomeExisted:
			return "welcome back " + res.ExternalID // a retried or repeated sign-up
		default: // commet.OutcomeArchived: Create does not reopen a closed account
			return "account " + res.ExternalID + " was closed"
		}
	}
	fmt.Println(signUp("user_7", "ada@example.com"))
	fmt.Println(signUp("user_7", "ada@example.com"))
	if _, err := client.Customers.Archive(ctx, "user_7"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(signUp("user_7", "ada@example.com"))
	// Output:
	// welcome, new customer user_7
	// welcome back user_7
	// account user_7 was closed
}

func ExampleCustomersService_Get() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	created, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_42"})
	if err != nil {
		log.Fatal(err)
	}

	byCommetID, err := client.Customers.Get(ctx, created.ID) // "cus_..."
	if err != nil {
		log.Fatal(err)
	}
	byYourID, err := client.Customers.Get(ctx, "user_42") // or your own user ID
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(byCommetID.Email, byYourID.ID == created.ID)
	// Output: ada@example.com true
}

func ExampleCustomersService_Update() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{
		Email: "old@acme.com", ID: "user_1", FullName: "Acme", Timezone: "UTC", Metadata: map[string]any{"plan": "pro"},
	})
	if err != nil {
		log.Fatal(err)
	}

	cust, err := client.Customers.Update(ctx, "user_1", &commet.UpdateCustomerParams{
		Email:    commet.Ptr("new@acme.com"), // set
		FullName: commet.Ptr(""),             // clear
		Metadata: map[string]any{},           // clear all metadata
		Address:  &commet.Address{Line1: "123 Main St", City: "Austin", PostalCode: "78701", Country: "US"},
		// Timezone is nil: unchanged.
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %q %s %d\n", cust.Email, cust.FullName, cust.Timezone, len(cust.Metadata))
	// Output: new@acme.com "" UTC 0
}

func ExampleCustomersService_List() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	for i := range 30 {
		_, _ = client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: fmt.Sprintf("user%d@example.com", i), ID: fmt.Sprintf("user_%d", i)})
	}

	page, err := client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 25})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Data), page.HasMore)
	next, err := client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 25, Cursor: page.NextCursor})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(next.Data), next.HasMore)
	// Output:
	// 25 true
	// 5 false
}

func ExampleCustomersService_All() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	for i := range 250 {
		_, _ = client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: fmt.Sprintf("user%d@example.com", i), ID: fmt.Sprintf("user_%d", i)})
	}
	requests := srv.Requests()

	n := 0
	for cust, err := range client.Customers.All(ctx, &commet.ListCustomersParams{IsActive: commet.Ptr(true)}) {
		if err != nil {
			log.Fatal(err) // yielded once; the loop ends after it
		}
		_ = cust // pages are fetched as the loop needs them
		n++
	}
	fmt.Println(n, "customers in", srv.Requests()-requests, "requests") // Limit 0 means pages of 100
	// Output: 250 customers in 3 requests
}

func ExampleCustomersService_Pages() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	for i := range 250 {
		_, _ = client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: fmt.Sprintf("user%d@example.com", i), ID: fmt.Sprintf("user_%d", i)})
	}

	// Save each page's NextCursor once its customers are written: an export
	// that stops can start again from there. The last page has no
	// NextCursor (HasMore is false), and an empty Cursor starts over.
	saved := ""
	for page, err := range client.Customers.Pages(ctx, &commet.ListCustomersParams{Limit: 100}) {
		if err != nil {
			log.Fatal(err)
		}
		// ... write page.Data somewhere safe, then:
		if page.HasMore {
			saved = page.NextCursor
		}
		break // say the export crashed after the first page
	}
	rest := 0
	for _, err := range client.Customers.All(ctx, &commet.ListCustomersParams{Cursor: saved}) {
		if err != nil {
			log.Fatal(err)
		}
		rest++
	}
	fmt.Println(rest)
	// Output: 150
}

func ExampleCustomersService_Archive() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_42"})
	if err != nil {
		log.Fatal(err)
	}

	cust, err := client.Customers.Archive(ctx, "user_42") // for good: no reactivation
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cust.IsActive)
	// Output: false
}

func ExampleCustomersService_CreateBatch() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	res, err := client.Customers.CreateBatch(ctx, []commet.CreateCustomerParams{
		{Email: "ada@example.com", ID: "user_1"},
		{Email: "ada@example", ID: "user_2"}, // no dot in the domain: refused alone, not sent
		{Email: "grace@example.com", ID: "user_3"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res.Successful), "created")
	for _, f := range res.Failed {
		var invalid *commet.ValidationError
		if errors.As(f, &invalid) {
			fmt.Println("item", f.Index, "failed:", invalid.Fields)
		}
	}
	// Output:
	// 2 created
	// item 1 failed: map[billingEmail:[is not an email address: its domain has no dot, as in name@example.com]]
}

func ExampleCustomersService_Import() {
	day := 0 // the fake's clock runs this many days ahead
	srv := commettest.NewServer(commettest.WithClock(func() time.Time { return time.Now().AddDate(0, 0, day) }))
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// users yields the users to migrate: from a CSV, a database, ...
	users := func(yield func(commet.CreateCustomerParams) bool) {
		for i := range 10_000 {
			if !yield(commet.CreateCustomerParams{Email: fmt.Sprintf("user%d@example.com", i), ID: fmt.Sprintf("user_%d", i)}) {
				return
			}
		}
	}
	sum, err := client.Customers.Import(ctx, users, &commet.ImportCustomersParams{
		OnResult: func(r commet.ImportItemResult) {
			if r.Outcome == commet.OutcomeFailed {
				log.Printf("item %d (%s): %v", r.Index, r.Item.ID, r.Err)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Created, sum.Existed, sum.Failed)

	// The next day, the migration runs again: nothing is created twice.
	day = 1
	sum, err = client.Customers.Import(ctx, users, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Created, sum.Existed, sum.Failed)
	// Output:
	// 10000 0 0
	// 0 10000 0
}

// ExampleImportCheckpoint stops a migration midway and resumes it from the
// checkpoint its last OnProgress saw, as a program keeps it (in a file,
// written atomically, in practice): the next run reads the settled items
// but sends only the others, and its report counts the whole migration.
func ExampleImportCheckpoint() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	users := func(yield func(commet.CreateCustomerParams) bool) {
		for i := range 1000 {
			if !yield(commet.CreateCustomerParams{Email: fmt.Sprintf("user%d@example.com", i), ID: fmt.Sprintf("user_%d", i)}) {
				return
			}
		}
	}
	since := time.Now().Add(-time.Minute) // the migration's start: see ImportCustomersParams.Since

	var saved commet.ImportCheckpoint
	stop := make(chan struct{})
	_, err := client.Customers.Import(ctx, users, &commet.ImportCustomersParams{
		Since: since, Stop: stop, Concurrency: 1,
		OnProgress: func(s commet.ImportSummary) {
			saved = s.Settled // keep it where a kill -9 does not lose it
			if s.Done == 300 {
				close(stop) // a Ctrl-C, a crash, an outage
			}
		},
	})
	fmt.Println(errors.Is(err, commet.ErrNotSent))

	before := srv.Requests()
	sum, err := client.Customers.Import(ctx, users, &commet.ImportCustomersParams{Since: since, Resume: saved})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Created, srv.Requests()-before == (1000-saved.Items)/100)
	// Output:
	// true
	// 1000 true
}

func ExampleAPIError() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	_, err := client.Customers.Get(ctx, "user_nobody")
	var apiErr *commet.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, strings.HasPrefix(apiErr.RequestID, "req_"))
	}
	fmt.Println(errors.Is(err, commet.ErrNotFound))
	// Output:
	// 404 not_found true
	// true
}

func ExampleValidationError() {
	// A rule Commet has and the SDK does not know (the SDK refuses before
	// sending only what Commet surely refuses).
	srv := commettest.NewServer(commettest.WithRule(func(field, value string) string {
		if field == "billingEmail" && strings.HasSuffix(value, "@blocked.example") {
			return "Email domain not allowed"
		}
		return ""
	}))
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// Whoever refused the data, the field errors read the same way, by the
	// field's name on the wire.
	fields := func(err error) map[string][]string {
		var invalid *commet.ValidationError
		if errors.As(err, &invalid) {
			return invalid.Fields
		}
		return nil
	}
	_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@blocked.example"}) // refused by Commet
	fmt.Println(fields(err))
	_, err = client.Customers.Create(ctx, &commet.CreateCustomerParams{FullName: "Ada"}) // refused before sending
	fmt.Println(fields(err))
	res, err := client.Customers.CreateBatch(ctx, []commet.CreateCustomerParams{{Email: "ok@example.com"}, {Email: "nope@blocked.example"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(fields(res.Failed[0])) // one item of a batch
	fmt.Println(errors.Is(err, commet.ErrInvalidConfig), srv.Requests())
	// Output:
	// map[billingEmail:[Email domain not allowed]]
	// map[billingEmail:[is required]]
	// map[billingEmail:[Email domain not allowed]]
	// false 2
}

func ExampleWithIdempotencyKey() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// Without an ID, a key of your own (the ID of a queued job, say) stops
	// the job, run again after a crash, from creating a second customer:
	// Commet answers the key's first answer again.
	params := &commet.CreateCustomerParams{Email: "ada@example.com"}
	first, err := client.Customers.Create(ctx, params, commet.WithIdempotencyKey("job-7781"))
	if err != nil {
		log.Fatal(err)
	}
	again, err := client.Customers.Create(ctx, params, commet.WithIdempotencyKey("job-7781")) // Commet's first answer, replayed
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first.ID == again.ID, srv.Len())
	// Output: true 1
}

func ExampleWithResponseInto() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	var resp commet.Response
	_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com"},
		commet.WithResponseInto(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, strings.HasPrefix(resp.RequestID, "req_"), resp.Attempts)

	// RawJSON holds the answer as Commet sent it: a field added after this
	// SDK was written is there.
	var raw struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(resp.RawJSON, &raw); err != nil {
		log.Fatal(err)
	}
	fmt.Println(raw.Data["billingEmail"])
	// Output:
	// 201 true 1
	// ada@example.com
}

func ExampleWithMiddleware() {
	srv := commettest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	// Count requests and retries, with the standard library only; a tracer
	// or a metrics library plugs in the same way.
	var requests, retries atomic.Int64
	var byStatus sync.Map // status → *atomic.Int64
	count := func(req *http.Request, attempt commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
		requests.Add(1)
		if attempt.Number > 1 {
			retries.Add(1)
		}
		resp, err := next(req) // time it here, read resp.Header.Get("X-Request-Id"), ...
		if err == nil {
			n, _ := byStatus.LoadOrStore(resp.StatusCode, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		}
		return resp, err
	}
	client := srv.Client(commet.WithMiddleware(count), commet.WithRetryBackoff(time.Millisecond, time.Millisecond))

	srv.InjectFault(commettest.Fault{Status: 503, Times: 2}) // two failures, then success
	if _, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("requests:", requests.Load(), "retries:", retries.Load())
	byStatus.Range(func(status, n any) bool {
		fmt.Println(status, n.(*atomic.Int64).Load())
		return true
	})
	// Unordered output:
	// requests: 3 retries: 2
	// 503 2
	// 201 1
}

func Example_retries() {
	srv := commettest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	srv.InjectFault(commettest.Fault{Status: 503}) // the next request fails once
	client := srv.Client(commet.WithRetryBackoff(time.Millisecond, time.Millisecond))

	var resp commet.Response
	cust, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_1"},
		commet.WithResponseInto(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cust.ExternalID, resp.StatusCode, resp.Attempts, srv.Len())
	// Output: user_1 201 2 1
}
