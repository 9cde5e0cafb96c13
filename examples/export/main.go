// Command export shows the SDK's Pages: it writes every customer as NDJSON,
// a page at a time, so a million customers take no more memory than a
// hundred, and prints each page's NextCursor to stderr, where a walk that
// stopped can resume with -cursor.
//
//	go run ./examples/export -generate 1000 > customers.ndjson
//	go run ./examples/export -cursor CURSOR >> customers.ndjson
//
// For an export that checkpoints and resumes by itself after a crash
// (and writes CSV or JSON too), use the command line, built on this API:
//
//	commet customers export --file customers.csv --state-file export.state
//
// Without COMMET_API_KEY it exports from an in-process commettest server;
// -base-url points it at another server, such as cmd/commet-fake.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "export:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cursor := fs.String("cursor", "", "start from this page's cursor (printed by an earlier run)")
	generate := fs.Int("generate", 0, "first create N fake customers (commettest only)")
	baseURL := fs.String("base-url", "", "Commet base URL (default: https://commet.co, or commettest without a key)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed, and asking for it is no failure
	} else if err != nil {
		return err
	}
	var client *commet.Client
	if os.Getenv("COMMET_API_KEY") == "" && *baseURL == "" {
		srv := commettest.NewServer()
		defer srv.Close()
		fmt.Fprintln(stderr, "COMMET_API_KEY is not set: exporting from an in-process commettest server (no network)")
		client = srv.Client()
		if _, err := client.Customers.Import(ctx, fakeCustomers(*generate), nil); err != nil && *generate > 0 {
			return err
		}
	} else {
		if *generate > 0 {
			return errors.New("-generate only creates fake customers in the in-process server")
		}
		key := os.Getenv("COMMET_API_KEY")
		if key == "" {
			key = "ck_sandbox_export" // a local server such as commet-fake takes any ck_ key
		}
		var opts []commet.ClientOption
		if *baseURL != "" {
			opts = append(opts, commet.WithBaseURL(*baseURL))
		}
		var err error
		if client, err = commet.NewClient(key, opts...); err != nil {
			return err
		}
	}

	enc := json.NewEncoder(stdout)
	n := 0
	for page, err := range client.Customers.Pages(ctx, &commet.ListCustomersParams{Cursor: *cursor}) {
		if err != nil {
			return err
		}
		for _, c := range page.Data {
			if err := enc.Encode(c); err != nil {
				return err
			}
		}
		n += len(page.Data)
		if page.HasMore { // only then is the cursor worth keeping
			fmt.Fprintf(stderr, "next page: -cursor %s\n", page.NextCursor)
		}
	}
	fmt.Fprintf(stderr, "exported %d customers\n", n)
	return nil
}

// fakeCustomers yields n made-up customers, for a demo.
func fakeCustomers(n int) func(func(commet.CreateCustomerParams) bool) {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for i := range n {
			if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("user_%07d", i), Email: fmt.Sprintf("user%07d@example.com", i)}) {
				return
			}
		}
	}
}
