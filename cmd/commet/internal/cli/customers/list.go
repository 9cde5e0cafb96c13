package customers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// ListOptions are the options of commet customers list.
type ListOptions struct {
	Factory  *cmdutil.Factory
	Ctx      context.Context
	Limit    int
	Search   string
	Active   bool
	Archived bool
	All      bool
	Cursor   string
	RawCells bool
	Output   string
}

// NewCmdList returns commet customers list.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "list [--cursor C] [--all]",
		Short: "List customers: one page, or every one with --all",
		Long: `List one page of customers, or with --all every page, streamed as it comes.

To page by hand, pass a page's next cursor as --cursor. With --output json, one
page is an object as Commet returns it: {"data": [...], "hasMore": ..., "nextCursor": ...};
with --all it is an array of every customer. With the other formats, a page that
has more after it says its next cursor on standard error.

` + csvHelp,
		Example: `  commet customers list --limit 10 --search ada
  commet customers list --all --active --output ndjson > active.ndjson
  commet customers list --output json --cursor "$NEXT_CURSOR"`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = ctxOf(cmd)
			if opts.Active && opts.Archived {
				return cmdutil.UsageErrorf("--active and --archived exclude each other")
			}
			if opts.RawCells {
				if format, err := resolveFormat(f.IO, opts.Output, customerFormats...); err == nil && format != formatCSV {
					return cmdutil.UsageErrorf("--raw-cells is for --output csv; %s is never read as formulas", format)
				}
			}
			if opts.Limit < 0 || opts.Limit > 100 {
				return cmdutil.UsageErrorf("--limit %d: want 1 to 100", opts.Limit)
			}
			return runPrinting(f.IO, &opts.Output, opts, runF, listRun)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&opts.Limit, "limit", "L", 0, "customers per page, 1 to 100 (default: Commet's, or 100 with --all)")
	fl.StringVarP(&opts.Search, "search", "s", "", "only customers whose email, name or ID matches")
	fl.BoolVar(&opts.Active, "active", false, "only active customers")
	fl.BoolVar(&opts.Archived, "archived", false, "only archived customers")
	fl.BoolVarP(&opts.All, "all", "a", false, "every page, streamed as it comes")
	fl.StringVar(&opts.Cursor, "cursor", "", "start at this page: the nextCursor of the page before")
	fl.BoolVar(&opts.RawCells, "raw-cells", false, "CSV: write cells as they are, even those a spreadsheet would run as formulas")
	outputFlag(cmd, &opts.Output, customerFormats...)
	return cmd
}

// filter is the isActive filter of --active or --archived.
func filter(active, archived bool) *bool {
	switch {
	case active:
		return commet.Ptr(true)
	case archived:
		return commet.Ptr(false)
	}
	return nil
}

func listRun(opts *ListOptions) error {
	client, err := opts.Factory.Client()
	if err != nil {
		return err
	}
	streams := opts.Factory.IO
	params := &commet.ListCustomersParams{Limit: opts.Limit, Cursor: opts.Cursor, Search: opts.Search, IsActive: filter(opts.Active, opts.Archived)}
	p := newPrinter(opts.Output, streams.Out, true)
	if opts.All {
		// All files through a temporary file, so that a CSV's columns are
		// known before its first row.
		if _, ok := p.(*csvPrinter); ok {
			fh, err := os.CreateTemp("", "commet-list-*.spool")
			if err != nil {
				return err
			}
			p = &csvPrinter{out: streams.Out, spool: newFileSpool(fh, 0), kinds: metaKinds{}}
		}
	}
	if cp, ok := p.(*csvPrinter); ok {
		cp.raw = opts.RawCells
		defer cp.spool.remove()
	}
	if !opts.All {
		page, err := client.Customers.List(opts.Ctx, params)
		if err != nil {
			return err
		}
		if opts.Output == formatJSON {
			return printPage(streams.Out, page)
		}
		for i := range page.Data {
			if err := p.Add(&page.Data[i]); err != nil {
				return err
			}
		}
		if err := p.Close(); err != nil {
			return err
		}
		if page.HasMore {
			fmt.Fprintf(streams.ErrOut, "more customers follow: --cursor %s gives the next page, --all lists every one\n", page.NextCursor)
		}
		return nil
	}
	for page, err := range client.Customers.Pages(opts.Ctx, params) {
		if err != nil {
			p.Flush()
			return err
		}
		for i := range page.Data {
			if err := p.Add(&page.Data[i]); err != nil {
				return err
			}
		}
		if err := p.Flush(); err != nil { // stream: each page as it comes
			return err
		}
	}
	return p.Close()
}

// printPage writes one page as JSON, as Commet returns it: its customers,
// hasMore, and the nextCursor to pass as --cursor.
func printPage(w io.Writer, page *commet.Page[commet.Customer]) error {
	if page.Data == nil {
		page.Data = []commet.Customer{}
	}
	b, err := json.MarshalIndent(page, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
