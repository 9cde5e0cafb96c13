package customers

import (
	"context"

	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// GetOptions are the options of commet customers get.
type GetOptions struct {
	Factory *cmdutil.Factory
	Ctx     context.Context
	ID      string
	Output  string
}

// NewCmdGet returns commet customers get; runF, if set, replaces its run
// (for tests of the flags).
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a customer, by Commet's ID (cus_...) or your own",
		Long:  "Show a customer, by Commet's ID (cus_...) or your own.\n\nWith --output csv, the customer is one row as export writes it: typed\nmetadata.KEY columns, and cells a spreadsheet would run as formulas\nneutralised (see commet customers export --help).",
		Example: `  commet customers get user_1
  commet customers get cus_0123456789abcdef01234567 --output json`,
		Args: exactID,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.ID = ctxOf(cmd), args[0]
			return runPrinting(f.IO, &opts.Output, opts, runF, getRun)
		},
	}
	outputFlag(cmd, &opts.Output, customerFormats...)
	return cmd
}

func getRun(opts *GetOptions) error {
	client, err := opts.Factory.Client()
	if err != nil {
		return err
	}
	c, err := client.Customers.Get(opts.Ctx, opts.ID)
	if err != nil {
		return describeErr(opts.ID, err)
	}
	return printOne(opts.Factory, opts.Output, c)
}
