package customers

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

// testFactory is a factory whose streams are buffers; tty says whether
// they pretend to be terminals. No client is ever built: the verbs' runs
// are replaced.
func testFactory(tty bool) *cmdutil.Factory {
	ios := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}, InTTY: tty, OutTTY: tty, ErrTTY: tty}
	return cmdutil.NewFactory(ios, nil, nil)
}

// parse runs cmd on args, as gh's TestNewCmd tests do: the flags and
// arguments go into the verb's options, which its runF captures instead of
// running. It returns cobra's error or the verb's usage error.
func parse(t *testing.T, cmd *cobra.Command, args ...string) error {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

// verbCase is one command line of a verb, and what it must leave in the
// verb's options, or the error it must end with.
type verbCase[O any] struct {
	name    string
	args    []string
	tty     bool
	wantErr string
	check   func(t *testing.T, o *O)
}

// runVerbCases parses each case with newCmd and checks what it left.
func runVerbCases[O any](t *testing.T, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, cases []verbCase[O]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var got *O
			err := parse(t, newCmd(testFactory(c.tty), func(o *O) error { got = o; return nil }), c.args...)
			if c.wantErr != "" {
				require.ErrorContains(t, err, c.wantErr)
				require.Nil(t, got, "a refused command line does not run")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got, "runF ran")
			c.check(t, got)
		})
	}
}
