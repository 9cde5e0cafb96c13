package customers

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNewCmdArchive(t *testing.T) {
	t.Parallel()
	runVerbCases(t, NewCmdArchive, []verbCase[ArchiveOptions]{
		{name: "an ID", args: []string{"user_1"}, check: func(t *testing.T, o *ArchiveOptions) {
			assert.Equal(t, "user_1", o.ID)
			assert.False(t, o.Yes)
			assert.Equal(t, "json", o.Output)
		}},
		{name: "--yes -o ndjson", args: []string{"user_1", "--yes", "-o", "ndjson"}, check: func(t *testing.T, o *ArchiveOptions) {
			assert.True(t, o.Yes)
			assert.Equal(t, "ndjson", o.Output)
		}},
		{name: "-y", args: []string{"-y", "user_1"}, check: func(t *testing.T, o *ArchiveOptions) { assert.True(t, o.Yes) }},
		{name: "no ID", wantErr: "takes one customer ID"},
	})
}
