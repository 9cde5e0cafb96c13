package customers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// ExportOptions are the options of commet customers export.
type ExportOptions struct {
	Factory  *cmdutil.Factory
	Ctx      context.Context
	Output   string
	Out      string
	State    string
	Search   string
	Active   bool
	Archived bool
	RawCells bool

	// openFile opens --file for NDJSON and JSON: openExportFile, or a
	// test's file whose Close fails.
	openFile func(name string, st *exportState) (io.WriteCloser, error)
}

// NewCmdExport returns commet customers export.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "export [--output csv|ndjson|json] [--file FILE [--state-file FILE]] [--search TEXT] [--active|--archived]",
		Short: "Write every customer to a file, a page at a time, resumable after a crash",
		Long: `Write every customer, a page at a time, so that a million customers take no more memory
than a hundred; --search, --active and --archived keep only some, as they do for list.
What export writes, commet customers import reads back into another organization: the
same external IDs, emails, names, optional fields and typed metadata, and the customers
that were archived are archived again.

With --state-file, each page is checkpointed once it is written: running the same command
again after a crash goes on from the last checkpoint (dropping a half-written page),
so no customer is written twice or torn. A finished export removes the state file.

` + csvHelp + `
With --file, the CSV is written beside the file and renamed onto it at the end, so
--file never holds half an export; the rows wait in a hidden file beside it
(.NAME.*.spool), which --state-file keeps for the resume and a finished export removes.
Without --file they wait in the system's temporary directory.
NDJSON and JSON hold each customer as Commet returns it, metadata as an object.`,
		Example: `  commet customers export --file customers.csv --state-file export.state
  commet customers export --archived --output ndjson > archived.ndjson
  commet customers export --search example.com -o json -f example.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = ctxOf(cmd)
			if opts.Output == "" {
				opts.Output = formatCSV
			}
			if _, err := resolveFormat(f.IO, opts.Output, formatCSV, formatNDJSON, formatJSON); err != nil {
				return err
			}
			if opts.Active && opts.Archived {
				return cmdutil.UsageErrorf("--active and --archived exclude each other")
			}
			if opts.State != "" && opts.Out == "" {
				return cmdutil.UsageErrorf("--state-file needs --file: an export to standard output cannot be resumed")
			}
			if opts.RawCells && opts.Output != formatCSV {
				return cmdutil.UsageErrorf("--raw-cells is for --output csv; %s is never read as formulas", opts.Output)
			}
			if runF != nil {
				return runF(opts)
			}
			return run(func() error { return exportRun(opts) })
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Output, "output", "o", "", "csv, ndjson or json (default csv)")
	completeValues(cmd, "output", formatCSV, formatNDJSON, formatJSON)
	fl.StringVarP(&opts.Out, "file", "f", "", "write to this `file` (default: standard output)")
	fl.StringVar(&opts.State, "state-file", "", "checkpoint each page in this `file`, to resume after a crash")
	fl.StringVarP(&opts.Search, "search", "s", "", "only customers whose email, name or ID matches")
	fl.BoolVar(&opts.Active, "active", false, "only active customers")
	fl.BoolVar(&opts.Archived, "archived", false, "only archived customers")
	fl.BoolVar(&opts.RawCells, "raw-cells", false, "CSV: write cells as they are, even those a spreadsheet would run as formulas")
	return cmd
}

// exportState is an export's checkpoint: the page to fetch next, and what
// the pages before it left: the output's size (NDJSON, JSON), or the
// spool's size and the metadata keys seen (CSV), and the rows written.
type exportState struct {
	Version   int               `json:"version"`
	Out       string            `json:"out"`
	Output    string            `json:"output"`
	Filter    string            `json:"filter"`
	Search    string            `json:"search,omitempty"`
	Cursor    string            `json:"cursor"`
	Size      int64             `json:"size"`
	Rows      int               `json:"rows"`
	Spool     string            `json:"spool,omitempty"`
	SpoolSize int64             `json:"spoolSize,omitempty"`
	Kinds     map[string]string `json:"kinds,omitempty"`
}

func (o *ExportOptions) filterName() string {
	switch {
	case o.Active:
		return "active"
	case o.Archived:
		return "archived"
	}
	return "all"
}

// loadExportState returns the checkpoint of an export to resume, or nil
// for a new export.
func loadExportState(o *ExportOptions, out string) (*exportState, error) {
	if o.State == "" {
		return nil, nil
	}
	b, err := os.ReadFile(o.State)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, cmdutil.ConfigError(err)
	}
	var st exportState
	if err := json.Unmarshal(b, &st); err != nil || st.Cursor == "" {
		return nil, cmdutil.ConfigError(fmt.Errorf("--state-file %s is not an export's state file", o.State))
	}
	if st.Out != out || st.Output != o.Output || st.Filter != o.filterName() || st.Search != o.Search {
		what := st.Filter
		if st.Search != "" {
			what += fmt.Sprintf(" matching %q", st.Search)
		}
		return nil, cmdutil.ConfigError(fmt.Errorf("--state-file %s is the checkpoint of another export (%s of %s customers to %s): remove it to start afresh",
			o.State, st.Output, what, st.Out))
	}
	if st.Output == formatCSV && st.Spool == "" {
		return nil, cmdutil.ConfigError(fmt.Errorf("--state-file %s is the checkpoint of a CSV export by an older commet, which this one cannot go on with: remove it to start afresh", o.State))
	}
	return &st, nil
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

func exportRun(o *ExportOptions) (err error) {
	f := o.Factory
	client, err := f.Client()
	if err != nil {
		return err
	}
	out := ""
	if o.Out != "" {
		if out, err = filepath.Abs(o.Out); err != nil {
			return err
		}
	}
	st, err := loadExportState(o, out)
	if err != nil {
		return err
	}
	params := &commet.ListCustomersParams{Limit: 100, Search: o.Search, IsActive: filter(o.Active, o.Archived)}
	rows := 0
	if st != nil {
		params.Cursor, rows = st.Cursor, st.Rows
		fmt.Fprintf(f.IO.ErrOut, "resuming the export to %s after %d customers\n", o.Out, rows)
	}
	w := &countingWriter{w: f.IO.Out}
	closeOut := func() error { return nil } // --file of NDJSON or JSON
	checkpointed := st != nil
	var p printer
	var csvp *csvPrinter
	switch o.Output {
	case formatCSV:
		spool, spoolErr := openExportSpool(out, st)
		if spoolErr != nil {
			return spoolErr
		}
		csvp = &csvPrinter{out: f.IO.Out, raw: o.RawCells, spool: spool, kinds: metaKinds{}}
		if st != nil {
			maps.Copy(csvp.kinds, st.Kinds)
		}
		defer func() {
			if err == nil || !checkpointed { // a failed export with a checkpoint keeps its rows to resume
				if rmErr := spool.remove(); err == nil {
					err = rmErr
				}
			}
		}()
		p = csvp
	case formatNDJSON, formatJSON:
		if o.Out != "" {
			open := o.openFile
			if open == nil {
				open = func(name string, st *exportState) (io.WriteCloser, error) { return openExportFile(name, st) }
			}
			fh, err := open(o.Out, st)
			if err != nil {
				return err
			}
			closed := false
			defer func() {
				if !closed {
					fh.Close() // an error already ends the export
				}
			}()
			closeOut = func() error {
				closed = true
				return closeSynced(fh)
			}
			w.w = fh
		}
		if st != nil {
			w.n = st.Size
		}
		if o.Output == formatNDJSON {
			p = newNDJSONPrinter(w)
			break
		}
		jp := &jsonPrinter{w: w, list: true, open: st != nil, n: rows}
		if err := jp.begin(); err != nil {
			return err
		}
		p = jp
	}

	progress := newExportProgress(f)
	start := time.Now()
	for page, err := range client.Customers.Pages(o.Ctx, params) {
		if err != nil {
			progress.finish(rows)
			return err
		}
		for i := range page.Data {
			if err := p.Add(&page.Data[i]); err != nil {
				return err
			}
		}
		if err := p.Flush(); err != nil {
			return err
		}
		rows += len(page.Data)
		progress.update(rows)
		if o.State != "" && page.HasMore {
			next := exportState{Version: 2, Out: out, Output: o.Output, Filter: o.filterName(), Search: o.Search,
				Cursor: page.NextCursor, Size: w.n, Rows: rows}
			if csvp != nil {
				next.Size = 0
				next.Spool, next.SpoolSize, next.Kinds = csvp.spool.(*fileSpool).f.Name(), csvp.spool.size(), csvp.kinds
			}
			b, err := json.Marshal(next)
			if err != nil {
				return err
			}
			if err := cmdutil.WriteFileAtomic(o.State, b); err != nil {
				return err
			}
			checkpointed = true
		}
	}
	progress.finish(rows)
	switch {
	case csvp != nil && o.Out != "":
		err = writeCSVAtomic(o.Out, csvp)
	case csvp != nil:
		err = csvp.writeTo(f.IO.Out)
	default:
		err = p.Close()
		if err == nil {
			err = closeOut() // a full disk is an error, never a short file
		}
	}
	if err != nil {
		return err
	}
	if o.State != "" {
		if err := os.Remove(o.State); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	dest := "standard output"
	if o.Out != "" {
		dest = o.Out
	}
	fmt.Fprintf(f.IO.ErrOut, "exported %d customers to %s in %v\n", rows, dest, round(time.Since(start)))
	return nil
}

// openExportSpool opens the file where a CSV export's rows wait for their
// header: a new hidden file beside out (or in the temporary directory when
// there is no out), or, to resume, the checkpoint's, cut back to its size.
func openExportSpool(out string, st *exportState) (*fileSpool, error) {
	if st == nil {
		dir, pattern := "", "commet-export-*.spool"
		if out != "" {
			dir, pattern = filepath.Dir(out), "."+filepath.Base(out)+".*.spool"
		}
		fh, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		return newFileSpool(fh, 0), nil
	}
	fh, err := os.OpenFile(st.Spool, os.O_RDWR, 0)
	if err != nil {
		return nil, cmdutil.ConfigError(fmt.Errorf("resuming the export: the rows it had written are gone (%w): remove the state file to start afresh", err))
	}
	info, err := fh.Stat()
	if err == nil && info.Size() < st.SpoolSize {
		err = cmdutil.ConfigError(fmt.Errorf("%s is shorter than its checkpoint: it changed since; remove the state file to start afresh", st.Spool))
	}
	if err == nil {
		err = fh.Truncate(st.SpoolSize)
	}
	if err == nil {
		_, err = fh.Seek(st.SpoolSize, io.SeekStart)
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	return newFileSpool(fh, st.SpoolSize), nil
}

// writeCSVAtomic writes p's CSV to a new file beside name, then renames it
// onto name: name holds the old file or the whole new one, never half.
func writeCSVAtomic(name string, p *csvPrinter) error {
	fh, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(fh, 64<<10)
	err = p.writeTo(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = fh.Sync()
	}
	if closeErr := fh.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(fh.Name(), name)
	}
	if err != nil {
		os.Remove(fh.Name())
	}
	return err
}

// closeSynced writes fh to disk, when it is a file, and closes it: a disk
// that fills may say so only then.
func closeSynced(fh io.WriteCloser) error {
	var err error
	if s, ok := fh.(interface{ Sync() error }); ok {
		err = s.Sync()
	}
	return errors.Join(err, fh.Close())
}

// openExportFile opens the output: afresh for a new export; for a resumed
// one, cut back to the checkpoint's size, dropping what a crash left
// half-written after it.
func openExportFile(name string, st *exportState) (*os.File, error) {
	if st == nil {
		return os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	}
	fh, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return nil, cmdutil.ConfigError(fmt.Errorf("resuming the export: %w", err))
	}
	info, err := fh.Stat()
	if err == nil && info.Size() < st.Size {
		err = cmdutil.ConfigError(fmt.Errorf("%s is shorter than its checkpoint: it changed since; remove the state file to start afresh", name))
	}
	if err == nil {
		err = fh.Truncate(st.Size)
	}
	if err == nil {
		_, err = fh.Seek(st.Size, io.SeekStart)
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	return fh, nil
}

// exportProgress shows how many customers are written: a spinner on a
// terminal, a line every few seconds otherwise.
type exportProgress struct {
	w    io.Writer
	bar  *progressbar.ProgressBar
	last time.Time
}

func newExportProgress(f *cmdutil.Factory) *exportProgress {
	p := &exportProgress{w: f.IO.ErrOut, last: time.Now()}
	if f.IO.ErrTTY {
		p.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(f.IO.ErrOut), progressbar.OptionSetDescription("exporting"),
			progressbar.OptionShowCount(), progressbar.OptionSpinnerType(14),
			progressbar.OptionSetSpinnerChangeInterval(0), // no goroutine of its own: it renders on updates
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	return p
}

func (p *exportProgress) update(rows int) {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("exported %d customers", rows))
		p.bar.Add(0)
		return
	}
	if time.Since(p.last) >= lineEvery {
		p.last = time.Now()
		fmt.Fprintf(p.w, "export: %d customers\n", rows)
	}
}

func (p *exportProgress) finish(int) {
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
