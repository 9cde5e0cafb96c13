package customers

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNewCmdExport(t *testing.T) {
	t.Parallel()
	runVerbCases(t, NewCmdExport, []verbCase[ExportOptions]{
		{name: "no flags: CSV to standard output", tty: true, check: func(t *testing.T, o *ExportOptions) {
			assert.Equal(t, ExportOptions{Factory: o.Factory, Ctx: o.Ctx, Output: "csv"}, *o)
		}},
		{name: "every flag", args: []string{"-o", "csv", "-f", "out.csv", "--state-file", "export.state", "-s", "example.com", "--archived", "--raw-cells"},
			check: func(t *testing.T, o *ExportOptions) {
				assert.Equal(t, ExportOptions{Factory: o.Factory, Ctx: o.Ctx, Output: "csv", Out: "out.csv", State: "export.state",
					Search: "example.com", Archived: true, RawCells: true}, *o)
			}},
		{name: "--file and --output ndjson", args: []string{"--output", "ndjson", "--file", "out.ndjson", "--active"}, check: func(t *testing.T, o *ExportOptions) {
			assert.Equal(t, "ndjson", o.Output)
			assert.Equal(t, "out.ndjson", o.Out)
			assert.True(t, o.Active)
		}},
		{name: "a table is not an export", args: []string{"-o", "table"}, wantErr: "table"},
		{name: "--state-file needs --file", args: []string{"--state-file", "x.state"}, wantErr: "--state-file needs --file"},
		{name: "--active and --archived", args: []string{"--active", "--archived"}, wantErr: "exclude each other"},
		{name: "--raw-cells with JSON", args: []string{"-o", "json", "--raw-cells"}, wantErr: "--raw-cells is for --output csv"},
		{name: "--out is gone: --file", args: []string{"--out", "x.csv"}, wantErr: "unknown flag: --out"},
		{name: "an argument", args: []string{"x.csv"}, wantErr: "takes no arguments"},
	})
}
