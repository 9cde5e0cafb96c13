package customers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/internal/cli/rows"
	"github.com/spf13/cobra"
)

// ImportOptions are the options of commet customers import.
type ImportOptions struct {
	Factory *cmdutil.Factory
	Ctx     context.Context

	// File is the input, "-" for standard input.
	File   string
	Rows   rows.Options
	DryRun bool
	// Failures, Differences and State are files; empty for none.
	Failures, Differences, State string
	Yes                          bool
	Params                       commet.ImportCustomersParams
}

// NewCmdImport returns commet customers import.
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import customers from a CSV or NDJSON file, safely re-runnable",
		Long: `Import customers from a CSV file with a header row, or from NDJSON, in batches paced
to Commet's rate limit. Every row needs an id (your user ID), so that running the same
command again never creates anything twice.

Columns named as the fields (id, email, fullName, address.line1 ... address.country,
timezone, metadata.KEY; also externalId, billingEmail, full_name, line1, city,
postal_code, country, metadata) are mapped by default; --map maps the others.
The first Ctrl-C stops gracefully (the batches in flight finish), the second at once.

Exit status: 0 when every row settled, 1 when some row failed or has an unknown
outcome, 2 for a usage or configuration error.`,
		Example: `  commet customers import users.csv --dry-run --failures failed.csv
  commet customers import export.csv --encoding windows-1252 --delimiter ';' \
      --map id=Kundennummer,email=E-Mail,fullName=Name --failures failed.csv --state import.state`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("%s takes one input file (or - for standard input), got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.File = ctxOf(cmd), args[0]
			opts.Rows.Name = opts.File
			if p := opts.Params; p.BatchSize < 0 || p.BatchSize > commet.MaxCustomerBatchSize || p.Concurrency < 0 || p.RequestsPerSecond < 0 {
				return cmdutil.UsageErrorf("--batch-size is 1 to %d, --concurrency and --rate are not negative", commet.MaxCustomerBatchSize)
			}
			if runF != nil {
				return runF(opts)
			}
			return run(func() error { return importRun(opts) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Rows.Format, "format", "", "csv or ndjson (default: from the file's extension, csv)")
	fl.StringVar(&opts.Rows.Encoding, "encoding", "", "utf-8, windows-1252, iso-8859-1 or utf-16 (default utf-8; a byte order mark wins)")
	fl.StringVar(&opts.Rows.Delimiter, "delimiter", "", `CSV delimiter: ",", ";" or tab (default: detected from the header row)`)
	fl.StringSliceVar(&opts.Rows.Map, "map", nil, "map fields to columns: `field=column,...` (fields: "+strings.Join(rows.Fields, ", ")+")")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "read and check every row, send nothing")
	fl.StringVar(&opts.Failures, "failures", "", "write the rows that failed to this CSV `file`")
	fl.StringVar(&opts.Differences, "differences", "", "write the rows whose customer exists with other data to this CSV `file`")
	fl.StringVar(&opts.State, "state", "", "keep the migration's start in this `file`, so that a re-run after a crash reports exactly (a dry run leaves it alone)")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask before writing with a key that is not a sandbox key")
	fl.IntVar(&opts.Params.BatchSize, "batch-size", 0, "customers per request, 1 to 100 (default 100)")
	fl.IntVar(&opts.Params.Concurrency, "concurrency", 0, "batch requests in flight (default: adapt to Commet's rate limit)")
	fl.Float64Var(&opts.Params.RequestsPerSecond, "rate", 0, "cap on requests per second (default: Commet's rate limit only)")
	return cmd
}

// input is the file being read, with a count of the bytes read so far.
type input struct {
	r    io.Reader
	size int64        // -1 when unknown (standard input)
	read atomic.Int64 // bytes
	rows atomic.Int64 // rows read
	name string
}

func (in *input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	in.read.Add(int64(n))
	return n, err
}

// openInput opens the file to import and, for a regular file read as
// UTF-8, checks its encoding before anything is sent.
func openInput(o *ImportOptions) (*input, func(), error) {
	if o.File == "-" {
		return &input{r: o.Factory.IO.In, size: -1, name: "standard input"}, func() {}, nil
	}
	fh, err := os.Open(o.File)
	if err != nil {
		return nil, nil, cmdutil.ConfigError(err)
	}
	in := &input{r: fh, size: -1, name: o.File}
	if info, err := fh.Stat(); err == nil && info.Mode().IsRegular() {
		in.size = info.Size()
		if err := rows.CheckEncoding(fh, o.Rows); err != nil {
			fh.Close()
			return nil, nil, inputError(o.File, err)
		}
		if _, err := fh.Seek(0, io.SeekStart); err != nil {
			fh.Close()
			return nil, nil, err
		}
	}
	return in, func() { fh.Close() }, nil
}

// inputError says that err is about the input; the input's own faults
// (encoding, header, flags) are configuration errors.
func inputError(name string, err error) error {
	var enc *rows.EncodingError
	var conf *rows.ConfigError
	if errors.As(err, &enc) || errors.As(err, &conf) {
		return cmdutil.ConfigError(fmt.Errorf("%s: %w", name, err))
	}
	return fmt.Errorf("%s: %w", name, err)
}

func importRun(o *ImportOptions) error {
	f := o.Factory
	in, closeIn, err := openInput(o)
	if err != nil {
		return err
	}
	defer closeIn()
	rd, err := rows.Open(in, o.Rows)
	if err != nil {
		return inputError(in.name, err)
	}
	if rd.OverriddenByBOM {
		fmt.Fprintf(f.IO.ErrOut, "%s starts with a byte order mark: reading it as %s\n", in.name, rd.Encoding)
	}
	if len(rd.Ignored) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "ignoring the columns %s (map them with --map field=column)\n", strings.Join(quoteAll(rd.Ignored), ", "))
	}

	var client *commet.Client
	if !o.DryRun {
		if client, err = f.Client(); err != nil {
			return err
		}
		if err := f.ConfirmWrite(o.Yes, "importing "+in.name); err != nil {
			return err
		}
	}
	failures, err := newFailureLog(o.Failures)
	if err != nil {
		return err
	}
	differences, err := newDifferenceLog(o.Differences)
	if err != nil {
		return errors.Join(err, failures.close())
	}
	if !o.DryRun && o.State != "" {
		since, err := migrationStart(o, client, in.name)
		if err != nil {
			return errors.Join(err, failures.close(), differences.close())
		}
		o.Params.Since = since
	}

	rep := &report{name: in.name, dryRun: o.DryRun, failuresFile: o.Failures, stateFile: o.State}
	lines := &lineIndex{}
	stop := f.Interrupts().Graceful()
	var readErr error
	var unreadable atomic.Int64
	items := func(yield func(commet.CreateCustomerParams) bool) {
		for {
			select {
			case <-stop:
				rep.stoppedEarly = true
				return
			default:
			}
			row, err := rd.Next()
			if err == io.EOF {
				return
			}
			in.rows.Add(1)
			if err != nil {
				readErr = err
				return
			}
			if row.Err != nil {
				failures.write(row.Line, row.Params.ID, row.Params.Email, "failed", row.Err.Field, row.Err.Reason, "")
				unreadable.Add(1)
				continue
			}
			lines.add(row.Line)
			if !yield(row.Params) {
				return
			}
		}
	}

	progress := startProgress(f, in, &unreadable, o.DryRun)
	start := time.Now()
	var sum commet.ImportProgress
	var importErr error
	if o.DryRun {
		sum = dryRun(items, lines, failures, progress)
	} else {
		o.Params.Stop = stop
		o.Params.OnResult = func(r commet.CustomerImportResult) {
			line := lines.of(r.Index)
			if r.Outcome == commet.OutcomeFailed {
				fields, reason := describe(r.Err)
				failures.write(line, r.Item.ID, r.Item.Email, outcomeOf(r.Err), fields, reason, r.RequestID)
			} else if len(r.Differs) > 0 {
				repeats := 0
				if r.Outcome == commet.OutcomeRepeated {
					repeats = lines.of(r.RepeatOf)
				}
				differences.write(line, r.Item.ID, r.Outcome.String(), strings.Join(r.Differs, ";"), repeats)
			}
		}
		o.Params.OnProgress = progress.update
		sum, importErr = client.Customers.Import(o.Ctx, items, &o.Params)
	}
	progress.finish(sum)
	rep.elapsed = time.Since(start)
	rep.sum = sum
	rep.unreadable = int(unreadable.Load())
	rep.requests, rep.limited = f.Requests.Sent(), f.Requests.RateLimited()
	closeErr := errors.Join(failures.close(), differences.close())
	rep.print(f.IO.Out)

	switch {
	case readErr != nil:
		return inputError(in.name, readErr)
	case importErr != nil && errors.Is(importErr, context.Canceled):
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: errors.New("stopped at once: run the same command again to settle the rows not settled")}
	case importErr != nil && rep.settled() == 0 && rep.total() > 0:
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: importErr}
	case closeErr != nil:
		return closeErr
	case importErr != nil:
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: importErr}
	case !rep.ok():
		return cmdutil.ErrSomeFailed
	}
	return nil
}

// dryRun checks every row as the import would before sending it, and
// finds the repeated IDs, sending nothing.
func dryRun(items iter.Seq[commet.CreateCustomerParams], lines *lineIndex, failures *failureLog, progress *importProgress) commet.ImportProgress {
	var sum commet.ImportProgress
	seen := map[string]bool{}
	i := 0
	for p := range items {
		switch err := p.Validate(); {
		case err != nil:
			fields, reason := describe(err)
			failures.write(lines.of(i), p.ID, p.Email, "failed", fields, reason, "")
			sum.Failed++
		case seen[p.ID]:
			sum.Repeated++
		default:
			seen[p.ID] = true
			sum.Created++ // to send
		}
		sum.Done++
		i++
		if i%1000 == 0 {
			progress.update(sum)
		}
	}
	return sum
}

// outcomeOf names a failed row's outcome in the failures file.
func outcomeOf(err error) string {
	switch {
	case errors.Is(err, commet.ErrOutcomeUnknown):
		return "unknown"
	case errors.Is(err, commet.ErrNotSent):
		return "not_sent"
	}
	return "failed"
}

func quoteAll(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return q
}
