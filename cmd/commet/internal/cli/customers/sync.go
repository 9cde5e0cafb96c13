package customers

import (
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// SyncOptions are the options of commet customers sync: import's input,
// files, state file and pacing, and what sync adds.
type SyncOptions struct {
	ImportOptions

	// Plan prints the plan and sends nothing but reads.
	Plan bool
	// Output is the plan's format: table, json or csv.
	Output string
	// ArchiveMissing archives the active customers the file lacks.
	ArchiveMissing bool
	// MaxArchive allows a plan to archive this many customers, when that
	// is more than 1% of the active ones; -1 when not given.
	MaxArchive int
	// ClearEmpty clears a field (or a metadata key) whose cell is empty.
	ClearEmpty bool
}

// syncFormats are the formats of a plan.
var syncFormats = []string{formatTable, formatJSON, formatCSV}

// NewCmdSync returns commet customers sync.
func NewCmdSync(f *cmdutil.Factory, runF func(*SyncOptions) error) *cobra.Command {
	opts := &SyncOptions{ImportOptions: ImportOptions{Factory: f}}
	cmd := &cobra.Command{
		Use:   "sync FILE|-",
		Short: "Make Commet's customers match a file: plan, then apply",
		Long: `Compare a file of customers (read as import reads it: the same formats, encodings,
--map, --null and --incomplete-address) with the customers Commet holds, plan what
would make Commet match it, and apply the plan.

Each row's customer, by its id (your ID, externalId in Commet), is:
  create     absent from Commet: created (through import's batches and pacing)
  update     present with other data: each differing field, with Commet's value
             and the file's, is changed; a field the file leaves empty is left as
             it is, unless --clear-empty says to clear it; metadata follows the same
             rule key by key (a metadata.KEY column's empty cell keeps the key,
             --clear-empty removes it; a key the file has no column for is kept)
  unchanged  present with the same data
and with --archive-missing, each active customer the file lacks is archived (never
without that flag). A row whose isActive is false archives its customer.

Addresses are not compared: Commet does not return them. A row's address is sent
with its create only; to change the address of an existing customer, use update.
The billing email cannot be cleared (Commet requires one): --clear-empty with an
empty email cell fails that row.

Archiving cannot be undone, and a truncated file would archive real customers:
apply refuses a plan that archives more than 1% of the active customers unless
--max-archive N allows N, and on a terminal asks first, with the count (--yes
does not ask).

--plan prints the plan (a table on a terminal, JSON otherwise; --output csv lists
one line per changed field) and sends nothing but the reads of Commet's customers.
Apply creates in paced batches as import does, and updates and archives with
--concurrency requests at once (default 4) under --rate, each 429 waited out as
Retry-After says; the first Ctrl-C stops gracefully, the second at once. The report
counts what was done; a change that failed is listed in --failures with its line.
Running the same command again plans only what is left, so it is safe after any
stop, a crash or kill -9; with --state-file, its report also counts the customers
an earlier run created, and those updated or archived since the migration's start
(by an earlier run, or by another writer: Commet does not say which).

Commet's customers are read whole first and kept in memory (about 1 KB each).

Exit status: 0 when every change was made, 7 when some row or change failed or has an
unknown outcome, 3 after a Ctrl-C or a declined confirmation, 2 for a usage error or a
plan that archives more than allowed (nothing sent); see commet help exit-codes.`,
		Example: `  commet customers sync users.csv --plan
  commet customers sync users.csv --plan --output csv > plan.csv
  commet customers sync users.csv --failures failed.csv --state-file sync.state
  commet customers sync users.csv --archive-missing --max-archive 250 --clear-empty`,
		Args: inputArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.takeInput(cmd, args); err != nil {
				return err
			}
			if opts.MaxArchive < -1 {
				return cmdutil.UsageErrorf("--max-archive is a number of customers, not negative")
			}
			if !opts.Plan && cmd.Flags().Changed("output") {
				return cmdutil.UsageErrorf("--output is the plan's format: give it with --plan (apply prints a report)")
			}
			return runPrinting(f.IO, &opts.Output, opts, runF, syncRun, syncFormats...)
		},
	}
	addInputFlags(cmd, &opts.Rows)
	addRunFlags(cmd, &opts.ImportOptions, "rows and changes", "keep the migration's start in this `file`, so that a re-run after a crash reports exactly (a dry run leaves it alone)")
	fl := cmd.Flags()
	fl.BoolVar(&opts.Plan, "plan", false, "print the plan and send nothing (only reads Commet's customers)")
	fl.BoolVar(&opts.ArchiveMissing, "archive-missing", false, "archive the active customers the file lacks (archiving cannot be undone)")
	fl.IntVar(&opts.MaxArchive, "max-archive", -1, "let apply archive up to `N` customers when that is more than 1% of the active ones")
	fl.BoolVar(&opts.ClearEmpty, "clear-empty", false, "clear a field, or remove a metadata key, whose cell is empty (default: an empty cell changes nothing)")
	outputFlag(cmd, &opts.Output, syncFormats...)
	return cmd
}
