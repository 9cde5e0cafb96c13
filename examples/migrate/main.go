// Command migrate imports users from a CSV file into Commet, the way a
// one-off migration script would: in batches paced to Commet's rate limit,
// with a progress line, writing the rows that failed to a CSV of their own
// (line, id, email, the rejected fields, the reason, and the request ID to
// quote to Commet's support). It is safe to run again after a crash: every
// row carries the user's ID, and Commet creates each ID once. With
// -differences, it also lists the rows whose customer existed (or was
// repeated earlier in the file) with other data than the row's, for a
// follow-up update.
//
//	go run ./examples/migrate -in users.csv -failures failed.csv
//	go run ./examples/migrate -generate 100000
//
// The input has a header row naming its columns, in any order: email and
// id (required), full_name, line1, line2, city, state, postal_code, country
// and metadata (a JSON object). Without COMMET_API_KEY it imports into an
// in-process commettest server; -base-url points it at another server,
// such as cmd/commet-fake.
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

type options struct {
	in, failures, differences, baseURL string
	generate                           int
	params                             commet.ImportCustomersParams
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.in, "in", "", "CSV file of users to import (- for standard input)")
	fs.StringVar(&o.failures, "failures", "failures.csv", "CSV file to write the rows that failed to")
	fs.IntVar(&o.generate, "generate", 0, "import N generated users instead of reading -in")
	fs.StringVar(&o.baseURL, "base-url", "", "Commet base URL (default: https://commet.co, or commettest without a key)")
	fs.StringVar(&o.differences, "differences", "", "CSV file to list the rows whose customer exists with other data (default: none)")
	fs.IntVar(&o.params.Concurrency, "concurrency", 0, "batch requests in flight at once (0: adapt to Commet's rate limit)")
	fs.IntVar(&o.params.BatchSize, "batch-size", commet.MaxCustomerBatchSize, "customers per request")
	fs.Float64Var(&o.params.RequestsPerSecond, "rate", 0, "cap on batch requests per second (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (o.in == "") == (o.generate == 0) {
		return errors.New("give either -in FILE or -generate N")
	}

	client, closeServer, err := newClient(o.baseURL, stderr)
	if err != nil {
		return err
	}
	defer closeServer()

	out, err := os.Create(o.failures)
	if err != nil {
		return err
	}
	defer out.Close()
	failures := &failureLog{w: csv.NewWriter(out)}
	failures.write("line", "id", "email", "fields", "reason", "request_id")
	var differences *csv.Writer
	closeDifferences := func() error { return nil }
	if o.differences != "" {
		f, err := os.Create(o.differences)
		if err != nil {
			return err
		}
		defer f.Close()
		differences = csv.NewWriter(f)
		_ = differences.Write([]string{"line", "id", "outcome", "fields", "repeats_line"}) // errors surface at Flush
		closeDifferences = func() error {
			differences.Flush()
			return errors.Join(differences.Error(), f.Close())
		}
	}

	var items iter.Seq[commet.CreateCustomerParams]
	readErr := func() error { return nil }
	lines := &lineIndex{}
	if o.generate > 0 {
		items = generated(o.generate)
	} else {
		f, err := openInput(o.in)
		if err != nil {
			return err
		}
		defer f.Close()
		items, readErr = readUsers(f, failures, lines)
	}

	progress := newProgressLine(stderr)
	o.params.OnResult = func(r commet.CustomerImportResult) { // called from one goroutine at a time
		line := lines.of(r.Index)
		switch {
		case r.Outcome == commet.OutcomeFailed:
			fields, reason := describe(r.Err)
			failures.write(line, r.Item.ID, r.Item.Email, fields, reason, r.RequestID)
		case differences != nil && len(r.Differs) > 0:
			repeats := ""
			if r.Outcome == commet.OutcomeRepeated {
				repeats = lines.of(r.RepeatOf)
			}
			_ = differences.Write([]string{line, r.Item.ID, r.Outcome.String(), strings.Join(r.Differs, ";"), repeats})
		}
	}
	o.params.OnProgress = progress.update
	sum, importErr := client.Customers.Import(ctx, items, &o.params)
	progress.done(sum)
	fmt.Fprintf(stdout, "done: %d rows: %d created, %d already existed, %d archived, %d repeated, %d failed (%d not sent), %d unreadable (see %s) in %v\n",
		sum.Done+failures.unreadable, sum.Created, sum.Existed, sum.Archived, sum.Repeated, sum.Failed, sum.NotSent,
		failures.unreadable, o.failures, sum.Elapsed.Round(time.Millisecond))
	return errors.Join(importErr, readErr(), failures.flush(), out.Close(), closeDifferences())
}

// failureLog is the CSV of rows that failed, written by the reader (rows
// that cannot be parsed) and by the import (rows Commet refused).
type failureLog struct {
	mu         sync.Mutex
	w          *csv.Writer
	unreadable int
}

func (f *failureLog) write(row ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.w.Write(row) // a write error is reported by flush
}

func (f *failureLog) unparsable(line int, id, email, field string, err error) {
	f.write(fmt.Sprint(line), id, email, field, err.Error(), "")
	f.mu.Lock()
	f.unreadable++
	f.mu.Unlock()
}

func (f *failureLog) flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.w.Flush()
	return f.w.Error()
}

// newClient talks to Commet with COMMET_API_KEY, or to an in-process
// commettest server without it.
func newClient(baseURL string, stderr io.Writer) (*commet.Client, func(), error) {
	if os.Getenv("COMMET_API_KEY") == "" && baseURL == "" {
		srv := commettest.NewServer()
		fmt.Fprintln(stderr, "COMMET_API_KEY is not set: importing into an in-process commettest server (no network)")
		return srv.Client(), srv.Close, nil
	}
	var opts []commet.ClientOption
	if baseURL != "" {
		opts = append(opts, commet.WithBaseURL(baseURL))
	}
	key := os.Getenv("COMMET_API_KEY")
	if key == "" {
		key = "ck_test_migrate" // a local server such as commet-fake takes any ck_ key
	}
	client, err := commet.NewClient(key, opts...)
	return client, func() {}, err
}

func openInput(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(name)
}

// generated yields n made-up users, for a demo.
func generated(n int) iter.Seq[commet.CreateCustomerParams] {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for i := range n {
			if !yield(commet.CreateCustomerParams{
				ID:       fmt.Sprintf("user_%07d", i),
				Email:    fmt.Sprintf("user%07d@example.com", i),
				FullName: fmt.Sprintf("User %d", i),
				Metadata: map[string]any{"source": "migrate-demo"},
			}) {
				return
			}
		}
	}
}

// describe splits an item's error into the fields Commet (or the SDK)
// rejected, by wire name, and a reason without the SDK's prefixes.
func describe(err error) (fields, reason string) {
	var invalid *commet.ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) == 0 {
		return "", err.Error()
	}
	names := slices.Sorted(maps.Keys(invalid.Fields))
	reasons := make([]string, len(names))
	for i, name := range names {
		reasons[i] = name + ": " + strings.Join(invalid.Fields[name], ", ")
	}
	return strings.Join(names, ";"), strings.Join(reasons, "; ")
}

// lineIndex maps the index of each row yielded to the import to its line in
// the input: 4 bytes a row. Generated rows have no line.
type lineIndex struct {
	mu    sync.Mutex
	lines []int32
}

func (l *lineIndex) add(line int) {
	l.mu.Lock()
	l.lines = append(l.lines, int32(line))
	l.mu.Unlock()
}

func (l *lineIndex) of(index int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if index < 0 || index >= len(l.lines) {
		return ""
	}
	return fmt.Sprint(l.lines[index])
}

// readUsers streams the rows of a users CSV as customers, one row at a
// time, so a million-row file takes little more memory than a small one. A
// row that cannot become a customer goes to the failures log with its
// line, and the import goes on. The line of each row yielded goes to lines.
// The returned func reports an error that stopped the reading (an
// unreadable file or header).
func readUsers(r io.Reader, failures *failureLog, lines *lineIndex) (iter.Seq[commet.CreateCustomerParams], func() error) {
	var err error
	seq := func(yield func(commet.CreateCustomerParams) bool) {
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		header, e := cr.Read()
		if e != nil {
			err = fmt.Errorf("reading the header: %w", e)
			return
		}
		col := make(map[string]int, len(header))
		for i, name := range header {
			col[strings.ToLower(strings.TrimSpace(name))] = i
		}
		for _, required := range []string{"email", "id"} {
			if _, ok := col[required]; !ok {
				err = fmt.Errorf("the header has no %q column", required)
				return
			}
		}
		for {
			rec, e := cr.Read()
			if e == io.EOF {
				return
			}
			var parseErr *csv.ParseError
			if errors.As(e, &parseErr) {
				failures.unparsable(parseErr.StartLine, "", "", "", e)
				continue
			}
			if e != nil {
				err = e
				return
			}
			line, _ := cr.FieldPos(0)
			p, field, e := parseRow(rec, col)
			if e != nil {
				failures.unparsable(line, p.ID, p.Email, field, e)
				continue
			}
			lines.add(line)
			if !yield(p) {
				return
			}
		}
	}
	return seq, func() error { return err }
}

// parseRow reads one row; a row it cannot read names the field at fault.
func parseRow(rec []string, col map[string]int) (commet.CreateCustomerParams, string, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	p := commet.CreateCustomerParams{Email: get("email"), ID: get("id"), FullName: get("full_name")}
	if p.ID == "" {
		return p, "externalId", errors.New("the id column is empty: without it a re-run would create duplicates")
	}
	addr := commet.Address{Line1: get("line1"), Line2: get("line2"), City: get("city"),
		State: get("state"), PostalCode: get("postal_code"), Country: get("country")}
	if addr != (commet.Address{}) {
		p.Address = &addr
	}
	if m := get("metadata"); m != "" {
		if err := json.Unmarshal([]byte(m), &p.Metadata); err != nil {
			return p, "metadata", fmt.Errorf("metadata is not a JSON object: %w", err)
		}
	}
	return p, "", nil
}

// progressLine rewrites one line of progress on a terminal, at most a few
// times a second.
type progressLine struct {
	w    io.Writer
	last time.Time
}

func newProgressLine(w io.Writer) *progressLine { return &progressLine{w: w} }

func (p *progressLine) update(pr commet.ImportProgress) {
	if time.Since(p.last) < 250*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.print(pr)
}

func (p *progressLine) print(pr commet.ImportProgress) {
	fmt.Fprintf(p.w, "\r%d done: %d created, %d existed, %d repeated, %d failed (%.0f/s)   ",
		pr.Done, pr.Created, pr.Existed+pr.Archived, pr.Repeated, pr.Failed, pr.Rate())
}

func (p *progressLine) done(pr commet.ImportProgress) {
	p.print(pr)
	fmt.Fprintln(p.w)
}
