// Command export writes every customer to CSV, a page at a time, so a
// million customers take no more memory than a hundred. The columns are
// id, external_id, email, full_name, is_active and created_at.
//
// It can resume: with -cursor-file, each page is checkpointed once it is
// written and flushed (the page's NextCursor on the first line, the size of
// -out on the second), and -resume-cursor continues from a cursor after a
// crash, appending to -out without a header. It takes the checkpoint file's
// content as it is, or only its first line. When the checkpoint names that
// cursor, -out is first cut back to its size, dropping the half-written
// page of the crash, so no row is duplicated or torn. A finished export
// removes the checkpoint.
//
//	go run ./examples/export -generate 1000 -out customers.csv -cursor-file export.cursor
//	go run ./examples/export -out customers.csv -cursor-file export.cursor -resume-cursor "$(cat export.cursor)"
//
// Without COMMET_API_KEY it exports from an in-process commettest server;
// -base-url points it at another server, such as cmd/commet-fake.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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

// exportOptions say what to export and where to keep the resume cursor.
type exportOptions struct {
	activeOnly   bool
	resumeCursor string
	cursorFile   string // empty: do not record checkpoints
	startSize    int64  // bytes already in the output
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o exportOptions
	var out, baseURL string
	var generate int
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&out, "out", "", "CSV file to write (default: standard output); appended to with -resume-cursor")
	fs.BoolVar(&o.activeOnly, "active-only", false, "skip archived customers")
	fs.StringVar(&o.resumeCursor, "resume-cursor", "", "continue an export from this cursor")
	fs.StringVar(&o.cursorFile, "cursor-file", "", "after each page, save the cursor to resume from here")
	fs.IntVar(&generate, "generate", 0, "first create N fake customers (commettest only)")
	fs.StringVar(&baseURL, "base-url", "", "Commet base URL (default: https://commet.co, or commettest without a key)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (quote the value of -resume-cursor)", fs.Arg(0))
	}
	// A checkpoint file holds the cursor, then the output's size: keep the cursor.
	o.resumeCursor, _, _ = strings.Cut(strings.TrimSpace(o.resumeCursor), "\n")

	var client *commet.Client
	if os.Getenv("COMMET_API_KEY") == "" && baseURL == "" {
		srv := commettest.NewServer()
		defer srv.Close()
		fmt.Fprintln(stderr, "COMMET_API_KEY is not set: exporting from an in-process commettest server (no network)")
		client = srv.Client()
	} else {
		if generate > 0 && baseURL == "" {
			return errors.New("-generate only creates fake customers in a local server")
		}
		key := os.Getenv("COMMET_API_KEY")
		if key == "" {
			key = "ck_test_export" // a local server such as commet-fake takes any ck_ key
		}
		var opts []commet.ClientOption
		if baseURL != "" {
			opts = append(opts, commet.WithBaseURL(baseURL))
		}
		var err error
		if client, err = commet.NewClient(key, opts...); err != nil {
			return err
		}
	}
	if generate > 0 {
		if _, err := client.Customers.Import(ctx, fakeCustomers(generate), nil); err != nil {
			return fmt.Errorf("generating customers: %w", err)
		}
	}

	w := stdout
	if out != "" {
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if o.resumeCursor != "" {
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(out, flags, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		if o.resumeCursor != "" {
			if o.startSize, err = rewind(f, o.cursorFile, o.resumeCursor); err != nil {
				return err
			}
		}
		w = f
	}
	n, err := export(ctx, client, o, w)
	fmt.Fprintf(stderr, "exported %d customers\n", n)
	return err
}

var header = []string{"id", "external_id", "email", "full_name", "is_active", "created_at"}

// export writes the customers to w as CSV, a page at a time. After each
// page is written and flushed, it checkpoints the page's NextCursor and the
// output's size in o.cursorFile; once the last page is written it removes
// the file, since nothing is left to resume. A resumed export writes no
// header.
func export(ctx context.Context, client *commet.Client, o exportOptions, w io.Writer) (int, error) {
	counted := &countingWriter{w: w, n: o.startSize}
	cw := csv.NewWriter(counted)
	if o.resumeCursor == "" {
		if err := cw.Write(header); err != nil {
			return 0, err
		}
	}
	params := &commet.ListCustomersParams{Limit: 100, Cursor: o.resumeCursor}
	if o.activeOnly {
		params.IsActive = commet.Ptr(true)
	}
	n := 0
	for page, err := range client.Customers.Pages(ctx, params) {
		if err != nil {
			return n, err
		}
		for _, c := range page.Data {
			if err := cw.Write([]string{c.ID, c.ExternalID, c.Email, c.FullName,
				strconv.FormatBool(c.IsActive), c.CreatedAt.Format(time.RFC3339)}); err != nil {
				return n, err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
		n += len(page.Data)
		if o.cursorFile != "" && page.HasMore {
			if err := saveCheckpoint(o.cursorFile, page.NextCursor, counted.n); err != nil {
				return n, err
			}
		}
	}
	if o.cursorFile != "" {
		if err := os.Remove(o.cursorFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, err
		}
	}
	return n, nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// saveCheckpoint replaces the checkpoint file atomically, so a crash never
// leaves half a checkpoint behind.
func saveCheckpoint(name, cursor string, size int64) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".cursor-*")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(tmp, "%s\n%d\n", cursor, size)
	if err = errors.Join(err, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// rewind prepares out for an export resumed from cursor: when the
// checkpoint in cursorFile is for that cursor, out is cut back to the size
// it had then, dropping whatever a crash left half-written; otherwise the
// export appends to out as it is. It returns out's size.
func rewind(out *os.File, cursorFile, cursor string) (int64, error) {
	if cursorFile != "" {
		if b, err := os.ReadFile(cursorFile); err == nil {
			var saved string
			var size int64
			if _, err := fmt.Sscanf(string(b), "%s\n%d\n", &saved, &size); err == nil && saved == cursor {
				return size, out.Truncate(size)
			}
		}
	}
	info, err := out.Stat()
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// fakeCustomers yields n made-up customers, for a demo.
func fakeCustomers(n int) func(func(commet.CreateCustomerParams) bool) {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for i := range n {
			if !yield(commet.CreateCustomerParams{
				ID: fmt.Sprintf("user_%07d", i), Email: fmt.Sprintf("user%07d@example.com", i), FullName: fmt.Sprintf("User %d", i),
			}) {
				return
			}
		}
	}
}
