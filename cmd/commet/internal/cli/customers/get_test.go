package customers

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNewCmdGet(t *testing.T) {
	t.Parallel()
	runVerbCases(t, NewCmdGet, []verbCase[GetOptions]{
		{name: "an ID, piped: JSON", args: []string{"user_1"}, check: func(t *testing.T, o *GetOptions) {
			assert.Equal(t, "user_1", o.ID)
			assert.Equal(t, "json", o.Output)
			assert.NotNil(t, o.Ctx)
		}},
		{name: "on a terminal: a table", args: []string{"cus_1"}, tty: true, check: func(t *testing.T, o *GetOptions) {
			assert.Equal(t, "table", o.Output)
		}},
		{name: "-o csv", args: []string{"user_1", "-o", "csv"}, tty: true, check: func(t *testing.T, o *GetOptions) {
			assert.Equal(t, "csv", o.Output)
		}},
		{name: "no ID", args: nil, wantErr: "takes one customer ID"},
		{name: "two IDs", args: []string{"a", "b"}, wantErr: "got 2 arguments"},
		{name: "an empty ID", args: []string{" "}, wantErr: "the customer ID is empty"},
		{name: "an unknown format", args: []string{"a", "-o", "yaml"}, wantErr: "yaml"},
	})
}
