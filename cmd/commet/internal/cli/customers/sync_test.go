package customers

import (
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
	"github.com/stretchr/testify/assert"
)

func TestNewCmdSync(t *testing.T) {
	t.Parallel()
	runVerbCases(t, NewCmdSync, []verbCase[SyncOptions]{
		{name: "a file", args: []string{"users.csv"}, check: func(t *testing.T, o *SyncOptions) {
			assert.Equal(t, "users.csv", o.File)
			assert.Equal(t, rows.Options{Name: "users.csv", IncompleteAddress: "fail"}, o.Rows)
			assert.False(t, o.Plan || o.ArchiveMissing || o.ClearEmpty || o.Yes)
			assert.Equal(t, -1, o.MaxArchive, "no allowance given: 1% of the active customers")
			assert.Equal(t, "json", o.Output, "JSON off a terminal")
		}},
		{name: "a table on a terminal", args: []string{"users.csv", "--plan"}, tty: true, check: func(t *testing.T, o *SyncOptions) {
			assert.True(t, o.Plan)
			assert.Equal(t, "table", o.Output)
		}},
		{name: "every flag", args: []string{"k.csv", "--plan", "--output", "csv", "--archive-missing", "--max-archive", "250", "--clear-empty",
			"--format", "csv", "--encoding", "windows-1252", "--delimiter", ";", "--map", "id=Kundennummer", "--null", "N/A",
			"--incomplete-address", "drop", "--failures", "f.csv", "--notes", "n.csv", "--state-file", "sync.state", "-y",
			"--batch-size", "50", "--concurrency", "2", "--rate", "5"},
			check: func(t *testing.T, o *SyncOptions) {
				assert.Equal(t, rows.Options{Name: "k.csv", Format: "csv", Encoding: "windows-1252", Delimiter: ";",
					Map: []string{"id=Kundennummer"}, Null: []string{"N/A"}, IncompleteAddress: "drop"}, o.Rows)
				assert.True(t, o.Plan && o.ArchiveMissing && o.ClearEmpty && o.Yes)
				assert.Equal(t, 250, o.MaxArchive)
				assert.Equal(t, "csv", o.Output)
				assert.Equal(t, []string{"f.csv", "n.csv", "sync.state"}, []string{o.Failures, o.Notes, o.State})
				assert.Equal(t, commet.ImportCustomersParams{BatchSize: 50, Concurrency: 2, RequestsPerSecond: 5}, o.Params)
			}},
		{name: "no file", wantErr: "takes one input file"},
		{name: "--output without --plan", args: []string{"a.csv", "--output", "csv"}, wantErr: "--output is the plan's format: give it with --plan"},
		{name: "ndjson is no plan format", args: []string{"a.csv", "--plan", "--output", "ndjson"}, wantErr: `--output "ndjson": want one of table, json, csv`},
		{name: "--max-archive negative", args: []string{"a.csv", "--max-archive", "-2"}, wantErr: "--max-archive is a number of customers"},
		{name: "--concurrency negative", args: []string{"a.csv", "--concurrency", "-1"}, wantErr: "--concurrency and --rate are not negative"},
		{name: "no --dry-run: --plan is sync's", args: []string{"a.csv", "--dry-run"}, wantErr: "unknown flag: --dry-run"},
	})
}

func TestArchiveAllowanceIsOnePercentOrMaxArchive(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ active, maxArchive, want int }{
		{10_000, -1, 100}, {10_000, 250, 250}, {10_000, 5, 100}, {99, -1, 0}, {99, 3, 3}, {0, -1, 0},
	} {
		assert.Equal(t, c.want, archiveAllowance(c.active, c.maxArchive), "%+v", c)
	}
}
