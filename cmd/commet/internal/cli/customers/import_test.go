package customers

import (
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
	"github.com/stretchr/testify/assert"
)

func TestNewCmdImport(t *testing.T) {
	t.Parallel()
	runVerbCases(t, NewCmdImport, []verbCase[ImportOptions]{
		{name: "a file", args: []string{"users.csv"}, check: func(t *testing.T, o *ImportOptions) {
			assert.Equal(t, "users.csv", o.File)
			assert.Equal(t, rows.Options{Name: "users.csv", IncompleteAddress: "fail"}, o.Rows)
			assert.Equal(t, commet.ImportCustomersParams{}, o.Params)
			assert.False(t, o.DryRun)
			assert.False(t, o.Yes)
		}},
		{name: "standard input", args: []string{"-"}, check: func(t *testing.T, o *ImportOptions) { assert.Equal(t, "-", o.File) }},
		{name: "every flag", args: []string{"k.csv", "--format", "csv", "--encoding", "windows-1252", "--delimiter", ";",
			"--map", "id=Kundennummer,email=E-Mail", "--map", "metadata.seats=seats:number", "--null", "N/A,NULL", "--incomplete-address", "drop",
			"--dry-run", "--failures", "f.csv", "--differences", "d.csv", "--notes", "n.csv", "--state-file", "import.state", "-y",
			"--batch-size", "50", "--concurrency", "2", "--rate", "5"},
			check: func(t *testing.T, o *ImportOptions) {
				assert.Equal(t, rows.Options{Name: "k.csv", Format: "csv", Encoding: "windows-1252", Delimiter: ";",
					Map:  []string{"id=Kundennummer", "email=E-Mail", "metadata.seats=seats:number"},
					Null: []string{"N/A", "NULL"}, IncompleteAddress: "drop"}, o.Rows)
				assert.True(t, o.DryRun)
				assert.True(t, o.Yes)
				assert.Equal(t, []string{"f.csv", "d.csv", "n.csv", "import.state"}, []string{o.Failures, o.Differences, o.Notes, o.State})
				assert.Equal(t, commet.ImportCustomersParams{BatchSize: 50, Concurrency: 2, RequestsPerSecond: 5}, o.Params)
			}},
		{name: "no file", wantErr: "takes one input file"},
		{name: "two files", args: []string{"a.csv", "b.csv"}, wantErr: "got 2 arguments"},
		{name: "--batch-size over the limit", args: []string{"a.csv", "--batch-size", "101"}, wantErr: "--batch-size is 1 to 100"},
		{name: "--concurrency negative", args: []string{"a.csv", "--concurrency", "-1"}, wantErr: "--concurrency and --rate are not negative"},
		{name: "--state is not the state file", args: []string{"a.csv", "--state", "import.state"}, wantErr: "unknown flag: --state"},
	})
}
