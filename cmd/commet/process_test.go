package main

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runAsMain makes the test binary run as commet itself: the process tests
// start it again with this variable set, so that they test the real
// command (its signals, its exit status, a kill -9) in a process of its
// own, without a go build.
const runAsMain = "COMMET_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMain) == "1" {
		main() // exits with commet's status
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// commet returns the command commet with args, as a process of its own:
// this test binary, told to run main. Its environment is ours, the key
// given, and a race detector (under -race) that exits at once instead of
// sleeping a second.
func commet(key string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsMain+"=1", "COMMET_API_KEY="+key, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	return cmd
}

var reportLine = regexp.MustCompile(`(?m)^  (created|existed|archived|repeated|failed|unknown|not sent) +(\d+)`)

func report(t *testing.T, stdout string) map[string]int {
	m := map[string]int{}
	for _, sub := range reportLine.FindAllStringSubmatch(stdout, -1) {
		m[sub[1]], _ = strconv.Atoi(sub[2])
	}
	require.Len(t, m, 7, "a report: %s", stdout)
	return m
}

// settledOf reads a report's count of rows settled by earlier runs (0 if
// it has none).
func settledOf(t *testing.T, stdout string) int {
	m := settledLine.FindStringSubmatch(stdout)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

var settledLine = regexp.MustCompile(`settled by earlier runs \(--state-file\), not sent again +(\d+)`)

func TestProcessExitStatus(t *testing.T) {
	t.Parallel()
	srv := commettest.NewServer()
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"version"}, 0},
		{[]string{"customers", "get", "nobody", "--base-url", srv.URL()}, 5},
		{[]string{"customers", "get"}, 2},
	} {
		cmd := commet("ck_sandbox_process", c.args...)
		out, err := cmd.CombinedOutput()
		assert.Equal(t, c.code, cmd.ProcessState.ExitCode(), "%q: %v %s", c.args, err, out)
	}
}

// TestProcessKill9ThenRerun kills an import with SIGKILL at random moments,
// up to three times in a row, each time running the same command again,
// then lets the last run finish: its report of the whole migration equals
// the fake's store, the failures file lists each refused row once, and the
// last run sends only the batches of the rows the state file had not
// settled: the rows left at the last kill, the batches in flight (4) and
// those the state had yet to record.
func TestProcessKill9ThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 4,000 rows at a rate limit")
	}
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 9))
	t.Logf("seed %d", seed)
	for round := range 3 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			dir := t.TempDir()
			srv := commettest.NewServer(commettest.WithRateLimit(20, 20))
			t.Cleanup(srv.Close)

			const n, bad = 4000, 40 // 2 s at 20 batches of 100 a second
			var b strings.Builder
			b.WriteString("id,email,fullName\n")
			for i := range n {
				email := fmt.Sprintf("user%05d@example.com", i)
				if i%100 == 99 {
					email = "not-an-email" // refused: listed once in the failures file
				}
				fmt.Fprintf(&b, "user_%05d,%s,User %d\n", i, email, i)
			}
			in := filepath.Join(dir, "users.csv")
			require.NoError(t, os.WriteFile(in, []byte(b.String()), 0o600))
			failures := filepath.Join(dir, "failed.csv")
			args := []string{"customers", "import", in, "--base-url", srv.URL(), "--concurrency", "4",
				"--state-file", filepath.Join(dir, "import.state"), "--failures", failures}

			stored := 0
			for kill := range 1 + rnd.IntN(3) {
				if n-bad-stored < 200 {
					break // too little left to aim a kill at: the last run finishes it
				}
				at := stored + 100 + rnd.IntN(max(1, n-bad-stored-300))
				run := commet("ck_sandbox_process", args...)
				require.NoError(t, run.Start())
				require.Eventually(t, func() bool { return srv.Len() >= at }, time.Minute, time.Millisecond, "run %d got going", kill)
				require.NoError(t, run.Process.Kill()) // kill -9: no report, no cleanup
				run.Wait()
				stored = srv.Len()
				t.Logf("kill %d at %d stored (aimed at %d)", kill, stored, at)
				if stored == n-bad {
					break
				}
			}

			last := commet("ck_sandbox_process", args...)
			var stdout, stderr strings.Builder
			last.Stdout, last.Stderr = &stdout, &stderr
			before := srv.Requests()
			start := time.Now()
			err := last.Run()
			require.Equal(t, 7, last.ProcessState.ExitCode(), "exit 7: the refused rows failed\n%v %s%s", err, stdout.String(), stderr.String())
			requests := srv.Requests() - before
			t.Logf("the last run took %v, %d requests:\n%s", time.Since(start), requests, stdout.String())
			got := report(t, stdout.String())
			assert.Equal(t, n-bad, srv.Len(), "each row stored once")
			assert.Equal(t, srv.Len(), got["created"], "the report counts what the killed runs created")
			assert.Equal(t, bad, got["failed"])
			assert.Zero(t, got["existed"]+got["unknown"]+got["not sent"]+got["repeated"]+got["archived"])
			limited := limitedOf(stdout.String())
			settled := settledOf(t, stdout.String())
			left := (n - bad - stored + 99) / 100 // the batches of the rows left, at the fewest
			unsettled := (n - settled + 99) / 100 // the batches of the rows the state had not settled
			t.Logf("%d rows left: %d batches at least; %d rows settled by the state, %d unsettled batches; %d sent (%d answered 429)",
				n-bad-stored, left, settled, unsettled, requests-limited, limited)
			// The last run sends the rows the state file had not settled
			// and none other (plus one part batch at each edge of the 4
			// ranges the batches in flight leave): the rows left, the
			// batches that were in flight (4), and those answered that the
			// state had yet to record. The state is written once the logs
			// are synced to disk, a few fsyncs a write, so a burst of
			// quick answers (the limiter's 20 at a run's start) outruns it:
			// up to 11 batches were seen here. It lags by no more than a
			// second of the limit (20 batches) unless it stopped keeping up.
			assert.LessOrEqual(t, requests-limited, unsettled+4, "only the rows the state had not settled")
			assert.LessOrEqual(t, stored-settled, 20*100, "the state file keeps up with the import")

			f, err := os.Open(failures)
			require.NoError(t, err)
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			require.NoError(t, err)
			require.Len(t, rows, 1+bad, "the header and each refused row once")
			seen := map[string]bool{}
			for _, r := range rows[1:] {
				assert.False(t, seen[r[0]], "line %s listed once", r[0])
				seen[r[0]] = true
				assert.Equal(t, "failed", r[3])
			}
		})
	}
}

var limitedLine = regexp.MustCompile(`\((\d+) answered 429\)`)

func limitedOf(stdout string) int {
	m := limitedLine.FindStringSubmatch(stdout)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
