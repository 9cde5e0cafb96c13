package customers

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
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
	// Failures, Differences, Notes and State are files; empty for none.
	Failures, Differences, Notes, State string
	Yes                                 bool
	Params                              commet.ImportCustomersParams
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

The whole input (standard input too, kept in a temporary file) is read and checked
before anything is sent: a file in another encoding, a header without an id or email
column, or a quote that opens a field and never closes (or whose field swallows
lines that read as rows) refuses it, naming the line. Line endings may be LF, CRLF
or a bare CR (Excel for Mac), mixed. A row that fails alone is listed with its line.

Fixing data on the way:
  --null N/A,NULL,-          cells equal to one of these (spaces trimmed, case kept) are empty
  --incomplete-address drop  send a row whose address lacks line1, city, postalCode or
                             country without its address, and note it (default: fail it)
  --map metadata.seats=seats:number
                             a metadata value's type: :number, :bool (true/false, t/f,
                             yes/no, 1/0), :json or :string (the default); a header
                             metadata.KEY:TYPE says the same; a cell that does not parse
                             fails its row, an empty cell sets no key

The command line's own export imports back (another organization, say): its id column is
Commet's own (cus_...) and is ignored, externalId is the ID (an input shaped as Commet's
customers, with organizationId or isActive and createdAt, never takes id for the ID
unless --map id=id says so); a row with isActive false is created, then archived. A
cell that begins with ' followed by =, +, -, @, a tab, a CR or another ' (as export
writes cells a spreadsheet would run as formulas) loses that one '.

Notes on rows (an address dropped, a customer archived after its create, in a dry run
an item whose JSON alone is over 1,000,000 bytes: Commet's body limit is undocumented,
and 1 MB is the default of the Node.js server it runs on; flagged, not refused) go to
--notes FILE, else to stderr, each with its line and ID; never an email or an address.

Exit status: 0 when every row settled, 7 when some row failed or has an unknown
outcome, 3 after a Ctrl-C, 2 for a usage or configuration error; a request error
that ends the import exits as its kind (4 not authorized, 6 try later): see
commet help exit-codes.`,
		Example: `  commet customers import users.csv --dry-run --failures failed.csv
  commet customers import export.csv --encoding windows-1252 --delimiter ';' \
      --map id=Kundennummer,email=E-Mail,fullName=Name --failures failed.csv --state-file import.state
  commet customers import dump.csv --null N/A --incomplete-address drop \
      --map metadata.seats=seats:number --notes notes.csv`,
		Args: inputArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.takeInput(cmd, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return run(func() error { return importRun(opts) })
		},
	}
	addInputFlags(cmd, &opts.Rows)
	addRunFlags(cmd, opts, "rows", "keep the migration's start and its settled rows in this `file`: a re-run after a stop sends only the rows left and reports the whole migration exactly (a dry run leaves it alone)")
	fl := cmd.Flags()
	fl.BoolVar(&opts.DryRun, "dry-run", false, "read and check every row, send nothing (and flag items over the 1 MB Commet likely takes)")
	fl.StringVar(&opts.Differences, "differences", "", "write each field that differs from the customer Commet holds, its value there and in the file, to this CSV `file`, in input order")
	return cmd
}

// input is the file being read, with a count of the bytes read so far.
type input struct {
	r    io.Reader
	size int64        // -1 when unknown (standard input)
	read atomic.Int64 // bytes
	rows atomic.Int64 // rows read
	name string
	hash string // of its content, for --state-file (contentHash)
}

func (in *input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	in.read.Add(int64(n))
	return n, err
}

// openInput opens the input and checks the whole of it before anything is
// sent (rows.Check): its encoding, its quotes, its header. Standard input
// is first copied to a temporary file (readable by this user only, removed
// at the end), so that it is checked as a file is, in constant memory.
func openInput(o *ImportOptions, repeats bool) (*input, *rows.Scan, func(), error) {
	in := &input{size: -1, name: o.File}
	var fh *os.File
	if o.File == "-" {
		in.name = "standard input"
	} else {
		var err error
		if fh, err = os.Open(o.File); err != nil {
			return nil, nil, nil, cmdutil.ConfigError(err)
		}
	}
	closeIn := func() {}
	if fh != nil {
		closeIn = func() { fh.Close() }
	}
	info, statErr := statOf(fh)
	if statErr != nil || !info.Mode().IsRegular() {
		// Standard input, or a pipe given by name, cannot be read twice.
		var src io.Reader = o.Factory.IO.In
		if fh != nil {
			src = fh
		}
		tmp, err := os.CreateTemp("", "commet-import-*") // mode 0600: it holds emails
		if err != nil {
			closeIn()
			return nil, nil, nil, err
		}
		prev := closeIn
		closeIn = func() { prev(); tmp.Close(); os.Remove(tmp.Name()) }
		if _, err := io.Copy(tmp, src); err != nil {
			closeIn()
			return nil, nil, nil, fmt.Errorf("reading %s: %w", in.name, err)
		}
		fh = tmp
		if info, err = tmp.Stat(); err != nil {
			closeIn()
			return nil, nil, nil, err
		}
	}
	in.r = fh
	in.size = info.Size()
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		closeIn()
		return nil, nil, nil, err
	}
	var check io.Reader = fh
	h := sha256.New()
	if o.State != "" && !o.DryRun { // a resumed import must know the file is the same
		check = io.TeeReader(fh, h)
	}
	scan, err := rows.Check(check, o.Rows, repeats)
	if err != nil {
		closeIn()
		return nil, nil, nil, inputError(in.name, err)
	}
	if _, err := io.Copy(io.Discard, check); err != nil { // what the check left unread, if anything
		closeIn()
		return nil, nil, nil, err
	}
	in.hash = contentHash(o, h.Sum(nil))
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		closeIn()
		return nil, nil, nil, err
	}
	return in, scan, closeIn, nil
}

// statOf stats fh; a nil fh (standard input) has no stat.
func statOf(fh *os.File) (os.FileInfo, error) {
	if fh == nil {
		return nil, errors.New("standard input")
	}
	return fh.Stat()
}

// inputError says that err is about the input; the input's own faults
// (encoding, quotes, header, flags) are configuration errors.
func inputError(name string, err error) error {
	var enc *rows.EncodingError
	var conf *rows.ConfigError
	var quote *rows.QuoteError
	if errors.As(err, &enc) || errors.As(err, &conf) || errors.As(err, &quote) {
		return cmdutil.ConfigError(fmt.Errorf("%s: %w", name, err))
	}
	return fmt.Errorf("%s: %w", name, err)
}

// RequestBodyLimit is the size, in bytes, of the largest request body the
// dry run expects Commet to take: 1 MB. Commet does not document its limit;
// it runs on Node.js (Next.js), whose usual default body limit is 1 MB.
// A dry run flags an item whose JSON alone is larger, since no batch can
// carry it; it does not refuse it, as the true limit may be higher.
const RequestBodyLimit = 1_000_000

func importRun(o *ImportOptions) error {
	f := o.Factory
	in, rd, scan, closeIn, err := openRows(o, o.Differences != "")
	if err != nil {
		return err
	}
	defer closeIn()

	var client *commet.Client
	if !o.DryRun {
		if client, err = f.Client(); err != nil {
			return err
		}
		if err := f.ConfirmWrite(o.Yes, "importing "+in.name); err != nil {
			return err
		}
	}
	// With --state-file, the rows settled by earlier runs are read but not
	// sent, and their lines in the logs kept; the rest is done as anew.
	var st *importState
	var from settledRows
	if !o.DryRun && o.State != "" {
		if st, err = loadState(o, client, in, true); err != nil {
			return err
		}
		o.Params.Since = st.Since
		if st.Settled != nil {
			from = *st.Settled
		}
		failed := make(map[int]bool, len(from.FailedItems))
		for _, i := range from.FailedItems {
			failed[i] = true
		}
		o.Params.Resume, o.Params.ResumeFailed = from.checkpoint(), func(i int) bool { return failed[i] }
	}
	var keep func(line int) bool // the lines settled, when resuming
	if from.any() {
		keep = from.holds
	}
	failures, err := newFailureLog(o.Failures, keep)
	if err != nil {
		return err
	}
	differences, err := newDifferenceLog(o.Differences, scan, keep, from.Items)
	if err != nil {
		return errors.Join(err, failures.close())
	}
	notes, err := newNoteLog(o.Notes, f.IO.ErrOut, keep)
	if err != nil {
		return errors.Join(err, failures.close(), differences.close())
	}
	closeLogs := func() error { return errors.Join(failures.close(), differences.close(), notes.close()) }

	rep := &report{name: in.name, dryRun: o.DryRun, failuresFile: o.Failures, stateFile: o.State, resumed: from.count()}
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
			if errors.Is(err, io.EOF) {
				return
			}
			in.rows.Add(1)
			if err != nil {
				readErr = err
				return
			}
			settled := from.holds(row.Line) // by an earlier run, which wrote its lines in the logs
			if row.Err != nil {
				if !settled {
					failures.write(row.Line, row.Params.ID, row.Params.Email, "failed", row.Err.Field, row.Err.Reason, "")
				}
				unreadable.Add(1)
				continue
			}
			if row.AddressDropped != nil {
				if !settled {
					notes.write(row.Line, row.Params.ID, "address dropped: it has no "+strings.Join(row.AddressDropped, ", ")+" (--incomplete-address drop)")
				}
				rep.dropped++
			}
			lines.add(row.Line, row.Archive && !settled)
			if !yield(row.Params) {
				return
			}
		}
	}

	progress := startProgress(f, in, &unreadable, o.DryRun)
	start := time.Now()
	var sum commet.ImportSummary
	var importErr error
	var toArchive []archiveItem
	var saver *stateSaver
	var stateErr error
	if o.DryRun {
		sum = dryRun(items, lines, failures, notes, rep, progress)
	} else {
		if st != nil {
			saver = newStateSaver(o.State, st, lines, o.Differences != "", failures, differences, notes)
		}
		o.Params.Stop = stop
		o.Params.OnResult = func(r commet.ImportItemResult) {
			line := lines.of(r.Index)
			if r.Outcome == commet.OutcomeFailed {
				fields, reason := describe(r.Err)
				failures.write(line, r.Item.ID, r.Item.Email, outcomeOf(r.Err), fields, reason, r.RequestID)
				if saver != nil && errors.Is(r.Err, commet.ErrValidation) {
					saver.failedRow(r.Index)
				}
			}
			repeats := 0
			if r.Outcome == commet.OutcomeRepeated {
				repeats = lines.of(r.RepeatOf)
			}
			differences.add(r, line, repeats)
			if lines.archive(r.Index) && (r.Outcome == commet.OutcomeCreated || r.Outcome == commet.OutcomeExisted) && r.Customer != nil && r.Customer.IsActive {
				toArchive = append(toArchive, archiveItem{index: r.Index, line: line, id: r.Item.ID, email: r.Item.Email, commetID: r.Customer.ID})
			}
		}
		o.Params.OnProgress = progress.update
		if saver != nil {
			o.Params.OnProgress = func(s commet.ImportSummary) { progress.update(s); saver.progress(s) }
		}
		sum, importErr = client.Customers.Import(o.Ctx, items, &o.Params)
		archived := archiveAll(o.Ctx, client, toArchive, stop, rep.stoppedEarly, failures, notes, rep)
		if saver != nil {
			stateErr = saver.finish(sum, rep.notArchived == 0, archived)
		}
		rep.archivedAfter += from.ArchivedAfter
	}
	progress.finish(sum)
	rep.elapsed = time.Since(start)
	rep.sum = sum
	rep.unreadable = int(unreadable.Load())
	rep.requests, rep.limited = f.Requests.Sent(), f.Requests.RateLimited()
	closeErr := errors.Join(stateErr, closeLogs())
	rep.print(f.IO.Out)

	switch {
	case readErr != nil:
		return inputError(in.name, readErr)
	case importErr != nil && errors.Is(importErr, context.Canceled):
		return cmdutil.Cancelled(errors.New("stopped at once: run the same command again to settle the rows not settled"))
	case importErr != nil && closed(stop) && errors.Is(importErr, commet.ErrNotSent):
		return cmdutil.Cancelled(importErr) // the first Ctrl-C: the report says what was left
	case importErr != nil && rep.settled() == 0 && rep.total() > 0:
		return rowsFailed(importErr)
	case closeErr != nil:
		return closeErr
	case importErr != nil:
		return rowsFailed(importErr)
	case !rep.ok() && rep.stoppedEarly && rep.sum.Failed+rep.sum.Unknown+rep.unreadable+rep.notArchived == 0:
		return &cmdutil.ExitError{Code: cmdutil.ExitCancelled} // the report says what was left
	case !rep.ok():
		return cmdutil.ErrSomeFailed
	}
	return nil
}

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// rowsFailed is the error that ended an import: it exits as its kind (not
// authorized, try later, ...), and as rows failed when it only says that
// Commet refused the rows' data.
func rowsFailed(err error) error {
	if cmdutil.ExitCode(&cmdutil.RunError{Err: err}) == cmdutil.ExitFailed {
		return &cmdutil.ExitError{Code: cmdutil.ExitRowsFailed, Err: err}
	}
	return err
}

// archiveItem is a customer to archive after its create: its row said
// isActive false.
type archiveItem struct {
	index, line         int
	id, email, commetID string
}

// archiveAll archives, one at a time, the customers whose rows said
// isActive false, once their creates settled; each is noted, and one that
// could not be archived is listed in the failures file as not_archived
// (run the same command again: the customer exists, active, and is
// archived then). After a graceful stop (before or while archiving), the
// rest are not. It returns the indexes of the rows archived.
func archiveAll(ctx context.Context, client *commet.Client, items []archiveItem, stop <-chan struct{}, stopped bool, failures *failureLog, notes *noteLog, rep *report) (archived []int) {
	for _, it := range items {
		select {
		case <-stop:
			stopped = true
		default:
		}
		var err error
		if stopped {
			err = fmt.Errorf("%w: stopped before archiving it", commet.ErrNotSent)
		} else if ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", commet.ErrNotSent, ctx.Err())
		} else {
			_, err = client.Customers.Archive(ctx, it.commetID)
		}
		if err != nil {
			_, reason := describe(err)
			failures.write(it.line, it.id, it.email, "not_archived", "isActive",
				"created (isActive false in the file), but not archived ("+outcomeOf(err)+"): "+reason+"; run the same command again to archive it", "")
			rep.notArchived++
			continue
		}
		notes.write(it.line, it.id, "archived after its create (isActive false)")
		rep.archivedAfter++
		archived = append(archived, it.index)
	}
	return archived
}

// dryRun checks every row as the import would before sending it, and
// finds the repeated IDs, sending nothing. It flags, without failing, an
// item whose JSON alone exceeds RequestBodyLimit.
func dryRun(items iter.Seq[commet.CreateCustomerParams], lines *lineIndex, failures *failureLog, notes *noteLog, rep *report, progress *importProgress) commet.ImportSummary {
	var sum commet.ImportSummary
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
			if lines.archive(i) {
				rep.archivedAfter++ // to archive
			}
			if b, err := json.Marshal(&p); err == nil && len(b) > RequestBodyLimit {
				notes.write(lines.of(i), p.ID, fmt.Sprintf("is %d bytes as JSON, over the %d Commet likely takes in one request: the real run may fail it as too large", len(b), RequestBodyLimit))
				rep.tooLarge++
			}
		}
		sum.Done++
		i++
		if i%1000 == 0 {
			progress.update(sum)
		}
	}
	return sum
}

// outcomeOf names a failed row's outcome in the failures file, as the
// summary counts it: never sent first, then sent but unanswered.
func outcomeOf(err error) string {
	switch {
	case errors.Is(err, commet.ErrNotSent):
		return "not_sent"
	case errors.Is(err, commet.ErrOutcomeUnknown):
		return "unknown"
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
