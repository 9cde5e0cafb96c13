package customers

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNewCmdList(t *testing.T) {
	t.Parallel()
	runVerbCases(t, NewCmdList, []verbCase[ListOptions]{
		{name: "no flags", check: func(t *testing.T, o *ListOptions) {
			assert.Equal(t, ListOptions{Factory: o.Factory, Ctx: o.Ctx, Output: "json"}, *o)
		}},
		{name: "every flag", args: []string{"-L", "10", "-s", "ada", "--active", "--all", "--cursor", "c1", "-o", "csv", "--raw-cells"},
			check: func(t *testing.T, o *ListOptions) {
				assert.Equal(t, ListOptions{Factory: o.Factory, Ctx: o.Ctx, Limit: 10, Search: "ada", Active: true, All: true, Cursor: "c1", RawCells: true, Output: "csv"}, *o)
			}},
		{name: "--archived", args: []string{"--archived", "--limit", "100"}, check: func(t *testing.T, o *ListOptions) {
			assert.True(t, o.Archived)
			assert.Equal(t, 100, o.Limit)
		}},
		{name: "--active and --archived", args: []string{"--active", "--archived"}, wantErr: "exclude each other"},
		{name: "--limit over 100", args: []string{"--limit", "101"}, wantErr: "--limit 101"},
		{name: "--limit negative", args: []string{"--limit", "-1"}, wantErr: "--limit -1"},
		{name: "--raw-cells with JSON", args: []string{"--raw-cells", "-o", "json"}, wantErr: "--raw-cells is for --output csv"},
		{name: "an argument", args: []string{"ada"}, wantErr: "takes no arguments"},
	})
}
