// Command migrate shows the SDK's import API on made-up users: Validate
// before sending, Import in batches paced to Commet's rate limit, Since so
// that a re-run after a crash reports exactly, Stop for a graceful Ctrl-C,
// and the outcomes a migration must tell apart (created, existed, repeated,
// failed, not sent, unknown).
//
//	go run ./examples/migrate -n 10000
//
// To import a real file (CSV or NDJSON, any encoding, mapped columns, a
// failures file, a state file to resume), use the command line instead,
// which is built on this same API:
//
//	commet customers import users.csv --failures failed.csv --state-file import.state
//
// Without COMMET_API_KEY it imports into an in-process commettest server;
// -base-url points it at another server, such as cmd/commet-fake.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make(chan struct{})
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt)
	go func() {
		<-signals
		close(stop) // the first Ctrl-C: finish the batches in flight
		<-signals
		cancel() // the second: at once
	}()
	if err := run(ctx, stop, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stop <-chan struct{}, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1000, "how many users to import")
	baseURL := fs.String("base-url", "", "Commet base URL (default: https://commet.co, or commettest without a key)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed, and asking for it is no failure
	} else if err != nil {
		return err
	}
	client, closeServer, err := newClient(*baseURL, stderr)
	if err != nil {
		return err
	}
	defer closeServer()

	// Record when the migration began, on Commet's clock, once, before its
	// first run (a real migration keeps it in a file and passes it on every
	// re-run, and reads it off the Date header of an answer, as
	// "commet customers import --state-file" does): each customer created since
	// then counts as created, in whichever run. Here this machine's clock,
	// a second early, stands in for Commet's.
	since := time.Now().Add(-time.Second)

	var unknown, notSent, invalid int
	sum, err := client.Customers.Import(ctx, valid(users(*n), &invalid), &commet.ImportCustomersParams{
		Since: since,
		Stop:  stop,
		OnResult: func(r commet.ImportItemResult) {
			switch {
			case r.Outcome != commet.OutcomeFailed:
			case errors.Is(r.Err, commet.ErrOutcomeUnknown):
				unknown++ // may have been done (answer lost, say): it may exist; a re-run settles it
			case errors.Is(r.Err, commet.ErrNotSent):
				notSent++ // nothing done (never sent, or only 429s): a re-run sends it
			default:
				fmt.Fprintf(stderr, "row %d (%s): %v\n", r.Index, r.Item.ID, r.Err)
			}
		},
	})
	fmt.Fprintf(stdout, "%d users: %d created, %d existed, %d repeated, %d failed (%d not sent, %d unknown), %d invalid\n",
		sum.Done+invalid, sum.Created, sum.Existed+sum.Archived, sum.Repeated, sum.Failed, notSent, unknown, invalid)
	return err
}

// valid drops, and counts, the users that Validate refuses: the import
// would refuse them too, without sending them.
func valid(items iter.Seq[commet.CreateCustomerParams], invalid *int) iter.Seq[commet.CreateCustomerParams] {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for p := range items {
			if err := p.Validate(); err != nil {
				*invalid++
				continue
			}
			if !yield(p) {
				return
			}
		}
	}
}

// users yields n made-up users; every hundredth has no email.
func users(n int) iter.Seq[commet.CreateCustomerParams] {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for i := range n {
			email := fmt.Sprintf("user%07d@example.com", i)
			if i%100 == 99 {
				email = ""
			}
			if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("user_%07d", i), Email: email, FullName: fmt.Sprintf("User %d", i)}) {
				return
			}
		}
	}
}

// newClient talks to Commet with COMMET_API_KEY, or to an in-process
// commettest server without it.
func newClient(baseURL string, stderr io.Writer) (*commet.Client, func(), error) {
	key := os.Getenv("COMMET_API_KEY")
	if key == "" && baseURL == "" {
		srv := commettest.NewServer()
		fmt.Fprintln(stderr, "COMMET_API_KEY is not set: importing into an in-process commettest server (no network)")
		return srv.Client(), srv.Close, nil
	}
	var opts []commet.ClientOption
	if baseURL != "" {
		opts = append(opts, commet.WithBaseURL(baseURL))
	}
	if key == "" {
		key = "ck_sandbox_migrate" // a local server such as commet-fake takes any ck_ key
	}
	client, err := commet.NewClient(key, opts...)
	return client, func() {}, err
}
