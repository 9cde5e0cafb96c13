// Package customers holds the commet customers commands: get, list, create,
// update, archive, import, export and sync. Each is an options struct, a NewCmd
// that fills it from flags, and a run that does the work through the
// factory's client and streams.
package customers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// NewCmd returns the customers command and its verbs.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "customers <command>",
		Short: "Create, read, update, list, archive, import, export and sync customers",
		Example: `  commet customers list --all --output csv
  commet customers import users.csv --dry-run
  commet customers help import`,
		RunE: groupRunE,
	}
	cmd.AddCommand(
		NewCmdGet(f, nil),
		NewCmdList(f, nil),
		NewCmdCreate(f, nil),
		NewCmdUpdate(f, nil),
		NewCmdArchive(f, nil),
		NewCmdImport(f, nil),
		NewCmdExport(f, nil),
		NewCmdSync(f, nil),
	)
	return cmd
}

// groupRunE shows the help of a command that only groups others, and
// refuses an unknown verb (cobra would show the help and exit 0).
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cmdutil.UsageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}

// run wraps a command's run, so that its errors are told from cobra's
// (which are usage errors) when mapped to an exit code.
// customerFormats are the outputs of the verbs that print customers.
var customerFormats = []string{formatTable, formatJSON, formatNDJSON, formatCSV}

// runPrinting ends the RunE of a verb that prints customers: it resolves
// --output (a table on a terminal, JSON otherwise) among formats
// (customerFormats when none is given), then runs the verb with runF when
// a test gave one, else with its own run.
func runPrinting[O any](io *cmdutil.IOStreams, output *string, opts O, runF, verbRun func(O) error, formats ...string) error {
	if len(formats) == 0 {
		formats = customerFormats
	}
	format, err := resolveFormat(io, *output, formats...)
	if err != nil {
		return err
	}
	*output = format
	if runF != nil {
		return runF(opts)
	}
	return run(func() error { return verbRun(opts) })
}

func run(fn func() error) error {
	err := fn()
	var exit *cmdutil.ExitError
	if err == nil || errors.As(err, &exit) {
		return err
	}
	return &cmdutil.RunError{Err: err}
}

// exactID checks that args hold one customer ID.
func exactID(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return cmdutil.UsageErrorf("%s takes one customer ID (Commet's cus_... or your own), got %d arguments", cmd.CommandPath(), len(args))
	}
	if strings.TrimSpace(args[0]) == "" {
		return cmdutil.UsageErrorf("the customer ID is empty")
	}
	return nil
}

// addressFlags are the flags of a billing address.
type addressFlags struct {
	line1, line2, city, state, postalCode, country string
}

func (a *addressFlags) register(flags *pflag.FlagSet) {
	flags.StringVar(&a.line1, "line1", "", "address: street")
	flags.StringVar(&a.line2, "line2", "", "address: apartment, suite or floor")
	flags.StringVar(&a.city, "city", "", "address: city")
	flags.StringVar(&a.state, "state", "", "address: state, province or region")
	flags.StringVar(&a.postalCode, "postal-code", "", "address: ZIP or postal code")
	flags.StringVar(&a.country, "country", "", "address: ISO 3166-1 alpha-2 country code, such as DE")
}

// address is the address given, nil when no address flag was.
func (a *addressFlags) address() *commet.Address {
	addr := commet.Address{Line1: a.line1, Line2: a.line2, City: a.city, State: a.state, PostalCode: a.postalCode, Country: a.country}
	if addr == (commet.Address{}) {
		return nil
	}
	return &addr
}

// printOne prints one customer in the chosen format.
func printOne(f *cmdutil.Factory, format string, c *commet.Customer) error {
	p := newPrinter(format, f.IO.Out, false)
	if err := p.Add(c); err != nil {
		return err
	}
	return p.Close()
}

// ctxOf is the command's context.
func ctxOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// describeErr names the customer an error is about.
func describeErr(id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("customer %q: %w", id, err)
}
