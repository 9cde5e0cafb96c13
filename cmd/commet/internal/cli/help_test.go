package cli_test

import (
	"strings"
	"testing"

	"github.com/commet-go/commet/cmd/commet/internal/cli"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleWords splits an example's command line into words: quotes, a
// redirection (> file) dropped, $VARIABLES kept as words.
func exampleWords(line string) []string {
	var words []string
	var w strings.Builder
	inWord, quote := false, byte(0)
	flush := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			w.WriteByte(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			flush()
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	flush()
	for i, word := range words {
		if word == ">" {
			return words[:i]
		}
	}
	return words
}

// TestEveryVerbHasAnExampleThatParses checks that every command that runs
// has an Example, and that each of its lines names flags the command has,
// with arguments it takes.
func TestEveryVerbHasAnExampleThatParses(t *testing.T) {
	t.Parallel()
	var verbs []*cobra.Command
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" || !sub.Runnable() {
				continue
			}
			verbs = append(verbs, sub)
			walk(sub)
		}
	}
	walk(cli.NewCmdRoot(cmdutil.NewFactory(&cmdutil.IOStreams{}, nil, nil)))
	require.GreaterOrEqual(t, len(verbs), 9, "customers, its seven verbs, version")
	for _, verb := range verbs {
		t.Run(verb.CommandPath(), func(t *testing.T) {
			require.NotEmpty(t, verb.Example, "%s has an Example", verb.CommandPath())
			example := strings.ReplaceAll(verb.Example, "\\\n", " ")
			n := 0
			for line := range strings.Lines(example) {
				line = strings.TrimSpace(line)
				if !strings.HasPrefix(line, "commet ") {
					continue
				}
				n++
				root := cli.NewCmdRoot(cmdutil.NewFactory(&cmdutil.IOStreams{}, nil, nil))
				cmd, rest, err := root.Find(exampleWords(line)[1:])
				require.NoError(t, err, line)
				if cmd.Name() == "help" {
					continue
				}
				require.NoError(t, cmd.ParseFlags(rest), line)
				require.NoError(t, cmd.ValidateArgs(cmd.Flags().Args()), line)
			}
			assert.Positive(t, n, "%s's Example shows a commet command line", verb.CommandPath())
		})
	}
}

func TestFlagValuesComplete(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"customers", "get", "user_1", "--output", ""}, []string{"table", "json", "ndjson", "csv"}},
		{[]string{"customers", "list", "-o", ""}, []string{"table", "json", "ndjson", "csv"}},
		{[]string{"customers", "create", "--output", ""}, []string{"table", "json", "ndjson", "csv"}},
		{[]string{"customers", "update", "u", "--output", ""}, []string{"table", "json", "ndjson", "csv"}},
		{[]string{"customers", "archive", "u", "--output", ""}, []string{"table", "json", "ndjson", "csv"}},
		{[]string{"customers", "export", "--output", ""}, []string{"csv", "ndjson", "json"}},
		{[]string{"customers", "import", "a.csv", "--format", ""}, []string{"csv", "ndjson"}},
		{[]string{"customers", "import", "a.csv", "--encoding", ""}, []string{"utf-8", "windows-1252", "iso-8859-1", "utf-16"}},
		{[]string{"customers", "import", "a.csv", "--incomplete-address", ""}, []string{"fail", "drop"}},
	}
	for _, c := range cases {
		res := runCommet(t, nil, append([]string{cobra.ShellCompRequestCmd}, c.args...)...)
		require.Equal(t, 0, res.code, res.stderr)
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		require.NotEmpty(t, lines)
		assert.Equal(t, c.want, lines[:len(lines)-1], "%q", c.args)
		assert.Equal(t, ":4", lines[len(lines)-1], "no file names: %q", c.args)
	}
}
