package customers

import (
	"context"
	"fmt"

	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// ArchiveOptions are the options of commet customers archive.
type ArchiveOptions struct {
	Factory *cmdutil.Factory
	Ctx     context.Context
	ID      string
	Output  string
	Yes     bool
}

// NewCmdArchive returns commet customers archive.
func NewCmdArchive(f *cmdutil.Factory, runF func(*ArchiveOptions) error) *cobra.Command {
	opts := &ArchiveOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "archive ID",
		Short: "Archive a customer (this cannot be undone)",
		Long:  "Archive a customer (this cannot be undone).\n\nWith --output csv, the customer is one row as export writes it: typed\nmetadata.KEY columns, and cells a spreadsheet would run as formulas\nneutralised (see commet customers export --help).",
		Example: `  # with a sandbox key, or after a yes (--yes in a script) with a live one
  commet customers archive user_1
  commet customers archive cus_0123456789abcdef01234567 --yes --output json`,
		Args: exactID,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.ID = ctxOf(cmd), args[0]
			return runPrinting(f.IO, &opts.Output, opts, runF, archiveRun)
		},
	}
	outputFlag(cmd, &opts.Output, customerFormats...)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask before writing with a key that is not a sandbox key")
	return cmd
}

func archiveRun(opts *ArchiveOptions) error {
	f := opts.Factory
	client, err := f.Client()
	if err != nil {
		return err
	}
	if err := f.ConfirmWrite(opts.Yes, "archiving "+opts.ID); err != nil {
		return err
	}
	c, err := client.Customers.Archive(opts.Ctx, opts.ID)
	if err != nil {
		return describeErr(opts.ID, err)
	}
	fmt.Fprintf(f.IO.ErrOut, "archived customer %s\n", c.ID)
	return printOne(f, opts.Output, c)
}
