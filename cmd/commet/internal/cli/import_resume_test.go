package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resumeInput is 1,000 users, every 50th with an email Commet refuses, and
// at the end a repeat of user_00010 under another name.
func resumeInput() string {
	var b strings.Builder
	b.WriteString("id,email,fullName\n")
	for i := range 1000 {
		email := fmt.Sprintf("user%05d@example.com", i)
		if i%50 == 49 {
			email = "not-an-email"
		}
		fmt.Fprintf(&b, "user_%05d,%s,User %d\n", i, email, i)
	}
	b.WriteString("user_00010,user00010@example.com,Someone Else\n")
	return b.String()
}

var requestsLine = regexp.MustCompile(`(?m)^  requests +(\d+)`)

func requestsOf(t *testing.T, stdout string) int {
	t.Helper()
	m := requestsLine.FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	n, _ := strconv.Atoi(m[1])
	return n
}

func settledItems(t *testing.T, state string) int {
	t.Helper()
	b, err := os.ReadFile(state)
	require.NoError(t, err)
	var st struct {
		Settled *struct {
			Items int `json:"items"`
		} `json:"settled"`
	}
	require.NoError(t, json.Unmarshal(b, &st))
	require.NotNil(t, st.Settled, string(b))
	return st.Settled.Items
}

// TestImportResumesOnlyWhatIsLeft stops an import gracefully, then runs the
// same command again: it sends only the batches of the rows past the state
// file's checkpoint, its report counts the whole migration as the store
// holds it, and the failures and differences files hold every row of the
// whole migration once.
func TestImportResumesOnlyWhatIsLeft(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeFile(t, "users.csv", []byte(resumeInput()))
	state, failed, differs := filepath.Join(dir, "import.state"), filepath.Join(dir, "failed.csv"), filepath.Join(dir, "differs.csv")
	args := []string{"customers", "import", in, "--concurrency", "1", "--state-file", state, "--failures", failed, "--differences", differs}
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(time.Second))
		defer srv.Close()
		sigs := make(chan os.Signal, 1)
		go func() {
			time.Sleep(4500 * time.Millisecond)
			sigs <- os.Interrupt
		}()
		res := run{srv: srv, sigs: sigs}.exec(t, args...)
		require.Equal(t, 3, res.code, res.stderr)
		settled := settledItems(t, state)
		require.Positive(t, settled)
		require.Less(t, settled, 1000)

		// What is left to send: the valid rows past the checkpoint, but for
		// the repeat, settled without a request.
		left := 0
		for i := settled; i < 1000; i++ {
			if i%50 != 49 {
				left++
			}
		}
		res = run{srv: srv}.exec(t, args...)
		require.Equal(t, 7, res.code, "some rows failed: %s", res.stderr)
		assert.Contains(t, res.stderr, fmt.Sprintf("%d rows settled by earlier runs", settled))
		assert.Equal(t, (left+99)/100, requestsOf(t, res.stdout), "only the batches of the rows left")
		assert.Regexp(t, `created +980\n +existed +0\n +archived +0\n +repeated +1\n +failed +20 `, res.stdout)
		assert.Contains(t, res.stdout, fmt.Sprintf("of which, settled by earlier runs (--state-file), not sent again %d", settled))
		assert.Equal(t, 980, srv.Len())

		rows := readLog(t, failed)
		require.Len(t, rows, 21, "the header and each refused row once: %v", rows)
		for k, row := range rows[1:] {
			assert.Equal(t, strconv.Itoa(2+50*k+49), row[0], "in the order they failed, once each")
			assert.Equal(t, "failed", row[3], "no not_sent row of the stopped run is left")
		}
		diffs := readLog(t, differs)
		require.Len(t, diffs, 2, "%v", diffs)
		assert.Equal(t, []string{"1002", "user_00010", "repeated", "fullName"}, diffs[1][:4])
		assert.Equal(t, "12", diffs[1][6], "it repeats line 12")

		res = run{srv: srv}.exec(t, args...)
		assert.Equal(t, 7, res.code)
		assert.Zero(t, requestsOf(t, res.stdout), "a settled migration sends nothing again")
		assert.Regexp(t, `created +980\n +existed +0\n +archived +0\n +repeated +1\n +failed +20 `, res.stdout)
		assert.Len(t, readLog(t, failed), 21)
	})
}

// TestImportStartsOverAChangedInput: a state file of another content of the
// same file is not resumed: the run says so, sends every row, and writes
// the logs anew; its report is still exact.
func TestImportStartsOverAChangedInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeFile(t, "users.csv", []byte(resumeInput()))
	state, failed := filepath.Join(dir, "import.state"), filepath.Join(dir, "failed.csv")
	args := []string{"customers", "import", in, "--concurrency", "1", "--state-file", state, "--failures", failed}
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(time.Second))
		defer srv.Close()
		sigs := make(chan os.Signal, 1)
		go func() {
			time.Sleep(3500 * time.Millisecond)
			sigs <- os.Interrupt
		}()
		res := run{srv: srv, sigs: sigs}.exec(t, args...)
		require.Equal(t, 3, res.code, res.stderr)
		require.Positive(t, settledItems(t, state))

		require.NoError(t, os.WriteFile(in, []byte(strings.Replace(resumeInput(), "User 3\n", "User Three\n", 1)), 0o600))
		res = run{srv: srv}.exec(t, args...)
		require.Equal(t, 7, res.code, res.stderr)
		assert.Contains(t, res.stderr, "changed since")
		assert.Contains(t, res.stderr, "starting over from its first row")
		assert.Equal(t, 10, requestsOf(t, res.stdout), "every batch again")
		assert.Regexp(t, `created +980\n +existed +0\n`, res.stdout, "exact still, by the migration's start")
		assert.Len(t, readLog(t, failed), 21, "the failures written anew")
	})
}
