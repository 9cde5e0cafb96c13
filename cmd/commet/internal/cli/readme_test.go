package cli_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
)

// readmeCommands returns the commet command lines of the command line's
// README, cmd/commet/README.md: every line of its sh blocks that begins
// with "commet ", continuation lines joined.
func readmeCommands(t *testing.T, b []byte) []string {
	section := string(b)
	require.Contains(t, section, "\n## Exit status\n", "the README documents the exit codes")
	var cmds []string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		text := strings.ReplaceAll(block[1], "\\\n", " ")
		for line := range strings.Lines(text) {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "commet ") {
				cmds = append(cmds, line)
			}
		}
	}
	return cmds
}

// shellWords splits a command line as sh would: words, quotes, comments.
func shellWords(t *testing.T, line string) []string {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			require.GreaterOrEqual(t, end, 0, "unbalanced quote in %q", line)
			w.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '#' && !inWord:
			i = len(line)
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		default:
			require.NotContains(t, "|><&;$`", string(c), "README commands are run without a shell: %q", line)
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// TestREADMECommandLineRuns runs every commet command of cmd/commet's
// README, in order, against commettest, in a directory holding the files
// they name, and checks that the README shows every verb.
func TestREADMECommandLineRuns(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	cmds := readmeCommands(t, readme)
	t.Chdir(t.TempDir())
	require.NoError(t, os.WriteFile("users.csv", []byte("id,email,fullName,country,city,line1,postal_code\n"+
		"user_2,grace@example.com,Grace Hopper,US,Arlington,1 Navy Rd,22201\n"+
		"user_3,zoe@example.com,Zoë Müller,,,,\n"), 0o600))
	kunden, err := charmap.Windows1252.NewEncoder().Bytes([]byte("Kundennummer;E-Mail;Name\nk1;zoe@example.de;Zoë Müller\nk2;nandu@example.es;\"Ñandú; S.A.\"\n"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile("kunden.csv", kunden, 0o600))
	require.NoError(t, os.WriteFile("dump.csv", []byte("id,email,full_name,line1,city,postal_code,country,plan,seats\n"+
		"d1,ada+billing@example.com,Ada,1 Loop Rd,Austin,78701,US,pro,5\n"+
		"d2,bob@example.com,N/A,2 Main St,Boston,N/A,US,N/A,N/A\n"), 0o600))

	srv := newServer(t)
	require.GreaterOrEqual(t, len(cmds), 16, "the README's commands: %q", cmds)
	for _, verb := range []string{"version", "help exit-codes", "customers create", "customers get", "customers update",
		"customers archive", "customers list", "customers import", "customers export", "customers sync"} {
		assert.True(t, slices.ContainsFunc(cmds, func(c string) bool { return strings.HasPrefix(c, "commet "+verb) }), "the README shows commet %s", verb)
	}
	for _, line := range cmds {
		args := shellWords(t, line)[1:]
		res := runCommet(t, srv, args...)
		assert.Equal(t, 0, res.code, "%s\nstdout: %s\nstderr: %s", line, res.stdout, res.stderr)
	}
	assert.Equal(t, 7, srv.Len(), "user_1 from create, user_2 and user_3, k1 and k2, d1 and d2")
	b, err := os.ReadFile("customers.csv")
	require.NoError(t, err)
	assert.Equal(t, 8, strings.Count(string(b), "\n"), "the export: a header and seven customers")
	assert.Contains(t, string(b), "Ñandú; S.A.")
}
