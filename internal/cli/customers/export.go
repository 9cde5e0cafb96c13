package customers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/internal/cli/cmdutil"
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
	Active   bool
	Archived bool
}

// NewCmdExport returns commet customers export.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "export [--output csv|ndjson|json] [--out FILE [--state FILE]]",
		Short: "Write every customer to a file, a page at a time, resumable after a crash",
		Long: `Write every customer, a page at a time, so that a million customers take no more memory
than a hundred. With --state, each page is checkpointed once it is written: running the
same command again after a crash cuts --out back to the last checkpoint (dropping a
half-written page) and goes on from there, so no customer is written twice or torn.
A finished export removes the state file.`,
		Args: noArgs,
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
				return cmdutil.UsageErrorf("--state needs --out: an export to standard output cannot be resumed")
			}
			if runF != nil {
				return runF(opts)
			}
			return run(func() error { return exportRun(opts) })
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Output, "output", "o", "", "csv, ndjson or json (default csv)")
	fl.StringVar(&opts.Out, "out", "", "write to this `file` (default: standard output)")
	fl.StringVar(&opts.State, "state", "", "checkpoint each page in this `file`, to resume after a crash")
	fl.BoolVar(&opts.Active, "active", false, "only active customers")
	fl.BoolVar(&opts.Archived, "archived", false, "only archived customers")
	return cmd
}

// exportState is an export's checkpoint: the page to fetch next, and the
// output's size and rows once the pages before it were written.
type exportState struct {
	Version int    `json:"version"`
	Out     string `json:"out"`
	Output  string `json:"output"`
	Filter  string `json:"filter"`
	Cursor  string `json:"cursor"`
	Size    int64  `json:"size"`
	Rows    int    `json:"rows"`
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
		return nil, cmdutil.ConfigError(fmt.Errorf("--state %s is not an export's state file", o.State))
	}
	if st.Out != out || st.Output != o.Output || st.Filter != o.filterName() {
		return nil, cmdutil.ConfigError(fmt.Errorf("--state %s is the checkpoint of another export (%s of %s customers to %s): remove it to start afresh",
			o.State, st.Output, st.Filter, st.Out))
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

func exportRun(o *ExportOptions) error {
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
	w := &countingWriter{w: f.IO.Out}
	if o.Out != "" {
		fh, err := openExportFile(o.Out, st)
		if err != nil {
			return err
		}
		defer fh.Close()
		w.w = fh
	}
	params := &commet.ListCustomersParams{Limit: 100, IsActive: filter(o.Active, o.Archived)}
	var p printer
	rows := 0
	if st != nil {
		params.Cursor, w.n, rows = st.Cursor, st.Size, st.Rows
		fmt.Fprintf(f.IO.ErrOut, "resuming the export to %s after %d customers\n", o.Out, rows)
	}
	switch o.Output {
	case formatCSV:
		p = newCSVPrinter(w, st == nil)
	case formatNDJSON:
		p = &ndjsonPrinter{w: w}
	default:
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
			b, _ := json.Marshal(exportState{Version: 1, Out: out, Output: o.Output, Filter: o.filterName(),
				Cursor: page.NextCursor, Size: w.n, Rows: rows})
			if err := cmdutil.WriteFileAtomic(o.State, b); err != nil {
				return err
			}
		}
	}
	if err := p.Close(); err != nil {
		return err
	}
	progress.finish(rows)
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
