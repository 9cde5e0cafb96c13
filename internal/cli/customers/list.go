package customers

import (
	"context"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/internal/cli/cmdutil"
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
	Output   string
}

// NewCmdList returns commet customers list.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List customers: one page, or every one with --all",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = ctxOf(cmd)
			if opts.Active && opts.Archived {
				return cmdutil.UsageErrorf("--active and --archived exclude each other")
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
	outputFlag(fl, &opts.Output, customerFormats...)
	return cmd
}

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cmdutil.UsageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
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
	params := &commet.ListCustomersParams{Limit: opts.Limit, Search: opts.Search, IsActive: filter(opts.Active, opts.Archived)}
	p := newPrinter(opts.Output, opts.Factory.IO.Out, true)
	if !opts.All {
		page, err := client.Customers.List(opts.Ctx, params)
		if err != nil {
			return err
		}
		for i := range page.Data {
			if err := p.Add(&page.Data[i]); err != nil {
				return err
			}
		}
		if err := p.Close(); err != nil {
			return err
		}
		if page.HasMore && opts.Factory.IO.ErrTTY {
			opts.Factory.IO.ErrOut.Write([]byte("more customers follow: --all lists every one\n"))
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
