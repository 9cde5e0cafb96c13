package customers

import (
	"fmt"
	"strings"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
	"github.com/spf13/cobra"
)

// The setup that import and sync share: they read the same inputs with the
// same flags, write the same failures and notes files, keep the same state
// file, and pace their creates the same way.

// inputArgs checks that args hold one input file, or - for standard input.
func inputArgs(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return cmdutil.UsageErrorf("%s takes one input file (or - for standard input), got %d arguments", cmd.CommandPath(), len(args))
	}
	return nil
}

// takeInput fills o from the command line: its context, the input named
// by args, and the pacing flags, checked.
func (o *ImportOptions) takeInput(cmd *cobra.Command, args []string) error {
	o.Ctx, o.File = ctxOf(cmd), args[0]
	o.Rows.Name = o.File
	if p := o.Params; p.BatchSize < 0 || p.BatchSize > commet.MaxCustomerBatchSize || p.Concurrency < 0 || p.RequestsPerSecond < 0 {
		return cmdutil.UsageErrorf("--batch-size is 1 to %d, --concurrency and --rate are not negative", commet.MaxCustomerBatchSize)
	}
	return nil
}

// addInputFlags adds the flags that say how to read the input.
func addInputFlags(cmd *cobra.Command, o *rows.Options) {
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "", "csv or ndjson (default: from the file's extension, csv)")
	fl.StringVar(&o.Encoding, "encoding", "", "utf-8, windows-1252, iso-8859-1 or utf-16 (default utf-8; a byte order mark wins)")
	fl.StringVar(&o.Delimiter, "delimiter", "", `CSV delimiter: ",", ";" or tab (default: detected from the header row)`)
	fl.StringSliceVar(&o.Map, "map", nil, "map fields to columns: `field=column[:type],...`, type for metadata.KEY only: number, bool, json or string (fields: "+strings.Join(rows.Fields, ", ")+")")
	fl.StringSliceVar(&o.Null, "null", nil, "cell `values` that mean empty, such as N/A,NULL,- (spaces around a cell trimmed, case kept)")
	fl.StringVar(&o.IncompleteAddress, "incomplete-address", "fail", "an address without line1, city, postalCode or country: fail the row, or drop the address and send the row")
	completeValues(cmd, "format", "csv", "ndjson")
	completeValues(cmd, "encoding", rows.Encodings...)
	completeValues(cmd, "incomplete-address", "fail", "drop")
}

// addRunFlags adds the flags of a run that writes: its files, the
// live-key guard and the pacing; what names "the rows" (import's rows,
// sync's changes) and state says what the state file keeps.
func addRunFlags(cmd *cobra.Command, o *ImportOptions, what, state string) {
	fl := cmd.Flags()
	fl.StringVar(&o.Failures, "failures", "", "write the "+what+" that failed to this CSV `file`")
	fl.StringVar(&o.Notes, "notes", "", "write the notes on rows (address dropped, archived after create, too large) to this CSV `file` instead of stderr")
	fl.StringVar(&o.State, "state-file", "", state)
	fl.BoolVarP(&o.Yes, "yes", "y", false, "do not ask before writing with a key that is not a sandbox key")
	fl.IntVar(&o.Params.BatchSize, "batch-size", 0, "customers per request, 1 to 100 (default 100)")
	fl.IntVar(&o.Params.Concurrency, "concurrency", 0, "batch requests in flight (default: adapt to Commet's rate limit)")
	fl.Float64Var(&o.Params.RequestsPerSecond, "rate", 0, "cap on requests per second (default: Commet's rate limit only)")
}

// openRows opens and checks the input (openInput), starts reading its
// rows, and says on stderr how it reads them: a byte order mark that chose
// the encoding, Commet's own IDs, the columns no field takes.
func openRows(o *ImportOptions, repeats bool) (*input, *rows.Reader, *rows.Scan, func(), error) {
	in, scan, closeIn, err := openInput(o, repeats)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rd, err := rows.Open(in, o.Rows)
	if err != nil {
		closeIn()
		return nil, nil, nil, nil, inputError(in.name, err)
	}
	errOut := o.Factory.IO.ErrOut
	if rd.OverriddenByBOM {
		fmt.Fprintf(errOut, "%s starts with a byte order mark: reading it as %s\n", in.name, rd.Encoding)
	}
	if rd.CommetIDs || scan != nil && scan.CommetIDs {
		fmt.Fprintf(errOut, "%s holds customers as Commet returns them: externalId is the ID, and Commet's own id (cus_...) is not taken for it\n", in.name)
	}
	if len(rd.Ignored) > 0 {
		fmt.Fprintf(errOut, "ignoring the columns %s (map them with --map field=column)\n", strings.Join(quoteAll(rd.Ignored), ", "))
	}
	return in, rd, scan, closeIn, nil
}
