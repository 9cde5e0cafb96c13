// Command quickstart walks through every customer operation: create, get,
// update, list, iterate and archive. With COMMET_API_KEY set to a sandbox
// key ("ck_sandbox_...") it talks to Commet, whose one host serves live and
// sandbox data alike (the key decides which), and it refuses any other key,
// since it creates and archives a customer; without a key, it starts an
// in-process commettest server, so it runs anywhere with no network and no
// account:
//
//	go run ./examples/quickstart
//
// It takes no arguments: -h or -help prints the usage and exits 0, without
// creating anything.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

func main() {
	if code, done := parseArgs(os.Args[1:], os.Stdout, os.Stderr); done {
		os.Exit(code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // never hang
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv("COMMET_API_KEY")); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// parseArgs reads the command line, which holds no flags but -h. done says
// to exit at once with code: 0 after -h or -help, with the usage on stdout;
// 2 for anything else, with the error and the usage on stderr.
func parseArgs(args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: quickstart\n\n"+
			"Creates, gets, updates, lists, iterates and archives one customer: on Commet with a\n"+
			"sandbox key in COMMET_API_KEY (ck_sandbox_...), else on an in-process commettest server.\n")
	}
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		fmt.Fprintf(&msg, "quickstart: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		err = errors.New("unexpected argument")
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = msg.WriteTo(stdout)
		return 0, true
	case err != nil:
		_, _ = msg.WriteTo(stderr)
		return 2, true
	}
	return 0, false
}

func run(ctx context.Context, out io.Writer, apiKey string) error {
	var client *commet.Client
	if apiKey == "" {
		srv := commettest.NewServer()
		defer srv.Close()
		fmt.Fprintln(out, "COMMET_API_KEY is not set: using an in-process commettest server (no network)")
		client = srv.Client()
	} else {
		if !strings.HasPrefix(apiKey, "ck_sandbox_") {
			return errors.New("COMMET_API_KEY is not a sandbox key (ck_sandbox_...): the quick start creates and archives a customer, so it only runs on sandbox data")
		}
		var err error
		if client, err = commet.NewClient(apiKey); err != nil {
			return err
		}
		fmt.Fprintln(out, "Using Commet (https://commet.co) with a sandbox key: sandbox data only")
	}
	userID := fmt.Sprintf("quickstart_%d", time.Now().UnixNano()) // your own user ID

	created, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{
		Email:    "billing@acme.example",
		ID:       userID,
		FullName: "Acme Inc.",
		Metadata: map[string]any{"plan": "starter"},
	})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	fmt.Fprintf(out, "1. created %s for user %s (%s)\n", created.ID, created.ExternalID, created.Email)

	got, err := client.Customers.Get(ctx, userID) // your user ID works as well as the Commet ID
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	fmt.Fprintf(out, "2. got %s: %s, active=%t\n", got.ID, got.FullName, got.IsActive)

	updated, err := client.Customers.Update(ctx, created.ID, &commet.UpdateCustomerParams{
		Email:   commet.Ptr("accounts@acme.example"),
		Address: &commet.Address{Line1: "123 Main St", City: "Austin", PostalCode: "78701", Country: "US"},
	})
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	fmt.Fprintf(out, "3. updated the address and email: %s\n", updated.Email)

	page, err := client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 10})
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	fmt.Fprintf(out, "4. listed a page of %d customer(s), more: %t\n", len(page.Data), page.HasMore)

	n := 0
	for _, err := range client.Customers.All(ctx, &commet.ListCustomersParams{Search: userID}) {
		if err != nil {
			return fmt.Errorf("all: %w", err)
		}
		n++
	}
	fmt.Fprintf(out, "5. iterated over every page: %d customer(s) match %s\n", n, userID)

	archived, err := client.Customers.Archive(ctx, created.ID)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	fmt.Fprintf(out, "6. archived %s: active=%t\n", archived.ID, archived.IsActive)
	return nil
}
