package commet_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

func ExampleNewClient() {
	client, err := commet.NewClient("ck_live_example", // or "" to read COMMET_API_KEY
		commet.WithEnvironment(commet.Production),
		commet.WithMaxRetries(5),
		commet.WithTimeout(10*time.Second), // per attempt; ctx bounds the whole call
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client) // the key is never printed
	// Output: commet.Client{BaseURL: https://commet.co, APIVersion: 2026-05-01, APIKey: ck_…(redacted)}
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
	fmt.Println(strings.HasPrefix(cust.ID, "cus_"), cust.ExternalID, cust.Email, cust.IsActive)
	// Output: true user_123 billing@acme.com true
}

func ExampleCustomersService_Create_idempotent() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// A sign-up handler can run twice for one user: the ID makes it safe.
	params := &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_42"}
	first, _ := client.Customers.Create(ctx, params)
	second, _ := client.Customers.Create(ctx, params)
	fmt.Println(first.ID == second.ID)
	// Output: true
}

func ExampleCustomersService_Get() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	created, _ := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_42"})

	byCommetID, _ := client.Customers.Get(ctx, created.ID)
	byYourID, _ := client.Customers.Get(ctx, "user_42")
	fmt.Println(byCommetID.Email, byYourID.ID == created.ID)
	// Output: ada@example.com true
}

func ExampleCustomersService_Update() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	_, _ = client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "old@acme.com", ID: "user_1", FullName: "Acme", Timezone: "UTC"})

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
	fmt.Printf("%s %q %s\n", cust.Email, cust.FullName, cust.Timezone)
	// Output: new@acme.com "" UTC
}

func ExampleCustomersService_List() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	_, _ = client.Customers.Import(ctx, people(30), nil)

	page, err := client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 25})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Data), page.HasMore)
	next, _ := client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 25, Cursor: page.NextCursor})
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
	_, _ = client.Customers.Import(ctx, people(250), nil)

	n := 0
	for cust, err := range client.Customers.All(ctx, &commet.ListCustomersParams{IsActive: commet.Ptr(true)}) {
		if err != nil {
			log.Fatal(err) // yielded once; the loop ends after it
		}
		_ = cust // pages are fetched as the loop needs them
		n++
	}
	fmt.Println(n)
	// Output: 250
}

func ExampleCustomersService_Pages() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	_, _ = client.Customers.Import(ctx, people(250), nil)

	// Save each page's NextCursor once its customers are written: an export
	// that stops can start again from there.
	saved := ""
	for page, err := range client.Customers.Pages(ctx, &commet.ListCustomersParams{Limit: 100}) {
		if err != nil {
			log.Fatal(err)
		}
		saved = page.NextCursor
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
	_, _ = client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_42"})

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

	res, err := client.Customers.CreateBatch(context.Background(), []commet.CreateCustomerParams{
		{Email: "ada@example.com", ID: "user_1"},
		{Email: "not-an-email", ID: "user_2"},
		{Email: "grace@example.com", ID: "user_3"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res.Successful), "created")
	for _, f := range res.Failed {
		fmt.Println("item", f.Index, "failed:", f.Message)
	}
	// Output:
	// 2 created
	// item 1 failed: billingEmail: Invalid email format
}

func ExampleCustomersService_Import() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()

	// people yields the users to migrate: from a CSV, a database, ...
	sum, err := client.Customers.Import(context.Background(), people(10_000), &commet.ImportParams{
		Concurrency: 4,
		OnResult: func(r commet.ImportResult) {
			if r.Outcome == commet.Failed {
				log.Printf("item %d (%s): %v", r.Index, r.Item.ID, r.Err)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Created, sum.Existed, sum.Failed)

	// Safe to run again: nothing is created twice.
	sum, _ = client.Customers.Import(context.Background(), people(10_000), nil)
	fmt.Println(sum.Created, sum.Existed, sum.Failed)
	// Output:
	// 10000 0 0
	// 0 10000 0
}

func ExampleAPIError() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	_, err := client.Customers.Get(ctx, "user_nobody")
	fmt.Println(errors.Is(err, commet.ErrNotFound))

	_, err = client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "not-an-email"})
	var apiErr *commet.APIError
	if errors.As(err, &apiErr) && errors.Is(err, commet.ErrValidation) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.FieldErrors["billingEmail"])
	}

	_, err = client.Customers.Create(ctx, &commet.CreateCustomerParams{}) // refused before sending
	fmt.Println(errors.Is(err, commet.ErrValidation), err)
	// Output:
	// true
	// 400 validation_error [Invalid email format]
	// true commet: invalid request: Email is required
}

func ExampleWithIdempotencyKey() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// Without an ID, a key of your own (from your job queue, say) stops a
	// replayed job from creating a second customer.
	params := &commet.CreateCustomerParams{Email: "ada@example.com"}
	first, _ := client.Customers.Create(ctx, params, commet.WithIdempotencyKey("job-7781"))
	again, _ := client.Customers.Create(ctx, params, commet.WithIdempotencyKey("job-7781"))
	fmt.Println(first.ID == again.ID, srv.Len())
	// Output: true 1
}

func ExampleWithResponseInto() {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()

	var resp commet.Response
	_, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{Email: "ada@example.com"},
		commet.WithResponseInto(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, strings.HasPrefix(resp.RequestID, "req_"), resp.Attempts)
	// Output: 201 true 1
}

func Example_retries() {
	srv := commettest.NewServer()
	defer srv.Close()
	srv.InjectFault(commettest.Fault{Status: 503}) // the next request fails once
	client := srv.Client(commet.WithRetryBackoff(time.Millisecond, time.Millisecond))

	var resp commet.Response
	cust, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_1"},
		commet.WithResponseInto(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cust.ExternalID, resp.Attempts)
	// Output: user_1 2
}
