// Package cli is the commet command line: Run takes the arguments, the
// environment and the streams, and returns the exit status, so that every
// command runs in process in a test, against commettest, with nothing
// global. cmd/commet's main only calls it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/cmd/commet/internal/cli/customers"
	"github.com/spf13/cobra"
)

// Invocation is everything a run of the command reads from outside.
type Invocation struct {
	Args   []string
	Env    map[string]string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Interrupts delivers each Ctrl-C (nil: none comes).
	Interrupts <-chan os.Signal
	// IO, if set, replaces the streams above, with what is a terminal said
	// (a test's pretend terminal).
	IO *cmdutil.IOStreams
	// HTTPClient, if set, sends every request: a test's commettest transport.
	HTTPClient *http.Client
}

// Run runs the command and returns its exit status: 0 when everything
// settled, else one of cmdutil's Exit codes (see "commet help exit-codes").
func Run(ctx context.Context, inv Invocation) int {
	ios := inv.IO
	if ios == nil {
		ios = cmdutil.NewIOStreams(inv.Stdin, inv.Stdout, inv.Stderr)
	}
	ios = ios.Locked()
	ctx, cancel := context.WithCancel(ctx)
	it := cmdutil.NewInterrupts(inv.Interrupts)
	watched := it.Watch(ctx, cancel, ios.ErrOut)
	defer func() { cancel(); watched() }() // nothing writes once Run returns
	f := cmdutil.NewFactory(ios, inv.Env, it)
	f.HTTPClient = inv.HTTPClient

	root := NewCmdRoot(f)
	root.SetArgs(inv.Args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	code := cmdutil.ExitCode(err)
	if err != nil {
		var exit *cmdutil.ExitError
		if !errors.As(err, &exit) || exit.Err != nil {
			fmt.Fprintln(ios.ErrOut, cmdutil.Message(err))
		}
		if code == cmdutil.ExitAuth {
			fmt.Fprintln(ios.ErrOut, f.KeyHint())
		}
		if code == cmdutil.ExitUsage && (cmdutil.IsUsage(err) || !isRunError(err)) && cmd != nil {
			fmt.Fprintf(ios.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

func isRunError(err error) bool {
	var exit *cmdutil.ExitError
	var run *cmdutil.RunError
	return errors.As(err, &exit) || errors.As(err, &run)
}

// NewCmdRoot returns the commet command.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "commet <command> <subcommand> [flags]",
		Short: "Commet from the command line: customers, and migrations without writing a program",
		Long: `Commet from the command line: get, list, create, update and archive customers,
import a legacy export into Commet, and export every customer.

The API key comes from COMMET_API_KEY or --api-key; it decides sandbox or live data.
Writes with a key that is not a sandbox key (ck_sandbox_...) ask first on a terminal,
and need --yes otherwise. The exit status says what happened: commet help exit-codes.`,
		Version:       versionLine(debug.ReadBuildInfo),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.UsageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return cmdutil.UsageErrorf("%v", err)
	})
	pf := root.PersistentFlags()
	pf.StringVar(&f.APIKey, "api-key", "", "Commet API key (default: COMMET_API_KEY)")
	pf.StringVar(&f.BaseURL, "base-url", "", "Commet base URL, for a proxy or a fake (default: COMMET_BASE_URL, else "+commet.DefaultBaseURL+")")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "log each HTTP attempt to stderr (never headers or bodies)")
	root.AddCommand(customers.NewCmd(f), NewCmdVersion(f, debug.ReadBuildInfo))
	root.AddCommand(&cobra.Command{
		Use:   "exit-codes",
		Short: "What each exit status of commet means, for scripts",
		Long:  cmdutil.ExitCodesHelp,
	})
	return root
}
