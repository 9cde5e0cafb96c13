package cli_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
)

// european is a legacy export as Excel saves it on a German Windows:
// Windows-1252, semicolons, a delimiter and a line break inside quotes,
// repeated IDs, a bad email, country names instead of codes, a row without
// an ID.
const european = "Kundennummer;E-Mail;Name;Straße;Ort;PLZ;Land;Notiz\n" +
	"k1;zoe@example.com;Zoë Müller;\"Hauptstr. 1; Hinterhaus\";Köln;50667;DE;\"Zeile eins\nZeile zwei\"\n" + // lines 2-3
	"k2;nandu@example.com;\"Ñandú; S.A.\";Calle 2;Sevilla;41001;ES;\n" + // 4
	"k3;not-an-email;Bad Email;;;;;\n" + // 5
	"k4;vier@example.com;Vier;Weg 4;Berlin;10115;Deutschland;\n" + // 6
	"k1;zoe.other@example.com;Zoë M.;;;;;\n" + // 7: repeats k1
	";noid@example.com;No ID;;;;;\n" + // 8
	"k6;sechs@example.com;\"Jürgen \"\"JJ\"\" Groß\";;;;;\n" + // 9
	"k2;nandu@example.com;\"Ñandú; S.A.\";Calle 2;Sevilla;41001;ES;\n" + // 10: repeats k2
	"k7;sieben@example.com;Sieben;Weg 7;Wien;1010;Österreich;\n" // 11

var europeanMap = "id=Kundennummer,email=E-Mail,fullName=Name,address.line1=Straße,address.city=Ort," +
	"address.postalCode=PLZ,address.country=Land,metadata.note=Notiz"

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func readLog(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

// byLine indexes a failures file by its line column.
func byLine(rows [][]string) map[string][]string {
	m := map[string][]string{}
	for _, r := range rows[1:] {
		m[r[0]] = r
	}
	return m
}

func TestImportWindows1252Export(t *testing.T) {
	t.Parallel()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(european))
	require.NoError(t, err)
	in := writeFile(t, "kunden.csv", b)
	failures := filepath.Join(filepath.Dir(in), "failed.csv")
	var later atomic.Int64 // the fake's clock runs ahead between runs
	srv := newServer(t, commettest.WithClock(func() time.Time { return time.Now().Add(time.Duration(later.Load())) }))
	args := []string{"customers", "import", in, "--encoding", "windows-1252", "--map", europeanMap, "--failures", failures}

	// Without --encoding, the file is refused before anything is sent.
	res := runCommet(t, srv, "customers", "import", in, "--map", europeanMap)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "line 1 is not valid UTF-8: the file is probably windows-1252")
	assert.Equal(t, 0, srv.Requests())

	// A dry run reads and checks every row and sends nothing.
	res = runCommet(t, srv, append(args, "--dry-run")...)
	assert.Equal(t, 7, res.code, res.stderr)
	assert.Equal(t, 0, srv.Requests(), "a dry run sends nothing")
	assert.Empty(t, srv.Stats().Requests, "not one request, by any method or path")
	assert.Contains(t, res.stdout, "dry run of "+in+", nothing sent: 9 rows")
	dry := byLine(readLog(t, failures))
	assert.Equal(t, []string{"8", "", "noid@example.com", "failed", "externalId"}, dry["8"][:5])
	assert.ElementsMatch(t, []string{"5", "6", "8", "11"}, slices.Collect(maps.Keys(dry)), "every row the real run will refuse")

	// The real run stores each valid ID once and lists every other row.
	res = runCommet(t, srv, args...)
	assert.Equal(t, 7, res.code, "some rows failed: %s", res.stderr)
	golden(t, "golden/import-european.report", strings.ReplaceAll(res.stdout, filepath.Dir(in)+string(filepath.Separator), ""))
	assert.Equal(t, 3, srv.Len(), "k1, k2 and k6, once each")
	rows := readLog(t, failures)
	assert.Equal(t, []string{"line", "id", "email", "outcome", "fields", "reason", "request_id"}, rows[0])
	failed := byLine(rows)
	assert.Len(t, failed, 4)
	assert.Equal(t, []string{"5", "k3", "not-an-email", "failed", "billingEmail", "billingEmail: is not an email address"}, failed["5"][:6])
	assert.Empty(t, failed["5"][6], "refused before sending: no request, no request ID")
	assert.Equal(t, []commettest.RequestCount{{Method: "POST", Path: "/customers/batch", Status: 200, Count: 1}}, srv.Stats().Requests,
		"one batch for the rows that passed Validate")
	assert.Equal(t, []string{"6", "k4", "vier@example.com", "failed", "address.country"}, failed["6"][:5])
	assert.Equal(t, []string{"11", "k7", "sieben@example.com", "failed", "address.country"}, failed["11"][:5])
	assert.Equal(t, "externalId", failed["8"][4])
	for line := range dry {
		assert.Contains(t, failed, line, "a row the dry run lists fails in the real run")
	}
	assert.NotContains(t, res.stderr, "@example.com", "no email in progress or messages")

	// Names survive the encoding, quotes and line breaks.
	client := srv.Client()
	for id, want := range map[string]string{"k1": "Zoë Müller", "k2": "Ñandú; S.A.", "k6": `Jürgen "JJ" Groß`} {
		c, err := client.Customers.Get(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, want, c.FullName)
	}
	k1, err := client.Customers.Get(context.Background(), "k1")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"note": "Zeile eins\nZeile zwei"}, k1.Metadata)
	assert.Equal(t, "zoe@example.com", k1.Email, "the first row of an ID wins")

	// Run again, later: every row that settled is settled the same way.
	later.Store(int64(time.Hour))
	res = runCommet(t, srv, args...)
	assert.Equal(t, 7, res.code)
	assert.Equal(t, 3, srv.Len())
	assert.Regexp(t, `existed +3`, res.stdout)
}

func TestImportNDJSONFromStandardInput(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	input := `{"externalId":"u1","billingEmail":"a@example.com","fullName":"Ada","metadata":{"seats":5}}
{"externalId":"u2","billingEmail":"b@example.com","address":{"line1":"1 Rd","city":"Austin","postalCode":"78701","country":"US"}}
`
	res := run{srv: srv, stdin: input}.exec(t, "customers", "import", "-", "--format", "ndjson")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Regexp(t, `created +2`, res.stdout)
	c, err := srv.Client().Customers.Get(context.Background(), "u1")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"seats": 5.0}, c.Metadata)
}

func TestImportOldMigrateColumnsAndDifferences(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	in := writeFile(t, "users.csv", []byte(`email,id,full_name,line1,city,postal_code,country,metadata,extra
ada@example.com,user_1,Ada,1 Loop Rd,Austin,78701,US,"{""plan"":""pro""}",x
linus@example.com,user_4,Linus,,,,,{not json},
ada@example.org,user_1,Ada L.,,,,,,
`))
	differences := filepath.Join(filepath.Dir(in), "differences.csv")
	failures := filepath.Join(filepath.Dir(in), "failures.csv")
	res := runCommet(t, srv, "customers", "import", in, "--differences", differences, "--failures", failures)
	assert.Equal(t, 7, res.code)
	assert.Contains(t, res.stderr, `ignoring the columns "extra"`)
	assert.Equal(t, [][]string{{"line", "id", "outcome", "field", "in_commet", "in_file", "repeats_line"},
		{"4", "user_1", "repeated", "billingEmail", "ada@example.com", "ada@example.org", "2"},
		{"4", "user_1", "repeated", "fullName", "Ada", "Ada L.", "2"}},
		readLog(t, differences), "each differing field, its value in Commet (the customer line 2 created) and in the file")
	assert.Equal(t, []string{"3", "user_4", "linus@example.com", "failed", "metadata", "is not a JSON object", ""}, readLog(t, failures)[1])
}

// users makes an input of n users.
func users(n int) string {
	var b strings.Builder
	b.WriteString("id,email,fullName\n")
	for i := range n {
		fmt.Fprintf(&b, "user_%05d,user%05d@example.com,User %d\n", i, i, i)
	}
	return b.String()
}

func TestImportCountsRequestsAndRateLimitAnswers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		srv.InjectFault(commettest.Fault{Method: "POST", Path: "/customers/batch", Status: 429, RetryAfter: "2"})
		res := run{srv: srv, stdin: users(250)}.exec(t, "customers", "import", "-", "--concurrency", "1")
		require.Equal(t, 0, res.code, res.stderr)
		assert.Regexp(t, `created +250`, res.stdout)
		assert.Regexp(t, `requests +4  \(1 answered 429\)`, res.stdout, "three batches and one 429")
	})
}

func TestImportProgressIsALineEveryFewSecondsOffATerminal(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(2 * time.Second))
		defer srv.Close()
		res := run{srv: srv, stdin: users(1000)}.exec(t, "customers", "import", "-", "--concurrency", "1")
		require.Equal(t, 0, res.code, res.stderr)
		lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
		assert.GreaterOrEqual(t, len(lines), 3, "10 batches of 2 s: a line every 5 s\n%s", res.stderr)
		assert.Regexp(t, `^import: \d+ rows, \d+ rows/s, 0 failed, \d+ requests, 0 answered 429$`, lines[0])
		assert.NotContains(t, res.stderr, "@example.com")
	})
}

func TestImportProgressBarOnATerminal(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(time.Second))
		defer srv.Close()
		res := run{srv: srv, stdin: users(500), tty: true}.exec(t, "customers", "import", "-", "--concurrency", "1")
		require.Equal(t, 0, res.code, res.stderr)
		assert.Contains(t, res.stderr, "rows/s")
		assert.NotContains(t, res.stderr, "@example.com")
		assert.NotContains(t, res.stdout, "rows/s,", "the bar is on stderr only")
	})
}

func TestImportStopsGracefullyThenResumesWithState(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "import.state")
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(time.Second))
		defer srv.Close()
		input := users(1000)
		sigs := make(chan os.Signal, 2)
		go func() {
			time.Sleep(3500 * time.Millisecond)
			sigs <- os.Interrupt
		}()
		res := run{srv: srv, stdin: input, sigs: sigs}.exec(t, "customers", "import", "-", "--concurrency", "1", "--state-file", state)
		assert.Equal(t, 3, res.code, res.stderr)
		assert.Contains(t, res.stderr, "stopping: no more rows are sent")
		assert.Contains(t, res.stdout, "run the same command again to import the rest")
		first := srv.Len()
		assert.Greater(t, first, 0)
		assert.Less(t, first, 1000)
		_, err := os.Stat(state)
		require.NoError(t, err, "the state is kept")

		res = run{srv: srv, stdin: input}.exec(t, "customers", "import", "-", "--concurrency", "1", "--state-file", state)
		require.Equal(t, 0, res.code, res.stderr)
		assert.Contains(t, res.stderr, "resuming the migration begun at")
		assert.Equal(t, 1000, srv.Len())
		assert.Regexp(t, `created +1000\n +existed +0\n`, res.stdout, "the re-run counts what the first run created")
	})
}

func TestImportSecondCtrlCStopsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(10 * time.Second))
		defer srv.Close()
		sigs := make(chan os.Signal, 2)
		go func() {
			time.Sleep(time.Second)
			sigs <- os.Interrupt
			time.Sleep(time.Second)
			sigs <- os.Interrupt
		}()
		start := time.Now()
		res := run{srv: srv, stdin: users(300), sigs: sigs}.exec(t, "customers", "import", "-", "--concurrency", "1")
		assert.Equal(t, 3, res.code)
		assert.Less(t, time.Since(start), 5*time.Second, "it did not wait for the batch in flight")
		assert.Contains(t, res.stderr, "stopping at once")
		assert.Contains(t, res.stderr, "commet: stopped at once")
	})
}

func TestImportStateIsForOneInput(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	a := writeFile(t, "a.csv", []byte(users(3)))
	state := filepath.Join(dir, "import.state")
	res := runCommet(t, srv, "customers", "import", a, "--state-file", state)
	require.Equal(t, 0, res.code, res.stderr)
	b := writeFile(t, "b.csv", []byte(users(3)))
	res = runCommet(t, srv, "customers", "import", b, "--state-file", state)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "is the state of importing")
	require.NoError(t, os.WriteFile(state, []byte("{garbage"), 0o600))
	res = runCommet(t, srv, "customers", "import", a, "--state-file", state)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "is not an import's state file")
}
