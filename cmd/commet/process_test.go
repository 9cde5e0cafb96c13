package main

import (
	"fmt"
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

// TestProcessKill9ThenRerun kills an import with SIGKILL midway through,
// runs the same command again, and checks that its report and the fake's
// store agree.
func TestProcessKill9ThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 4,000 rows at a rate limit")
	}
	t.Parallel()
	dir := t.TempDir()
	srv := commettest.NewServer(commettest.WithRateLimit(20, 20))
	t.Cleanup(srv.Close)

	const n = 4000 // 2 s at 20 batches of 100 a second
	var b strings.Builder
	b.WriteString("id,email,fullName\n")
	for i := range n {
		fmt.Fprintf(&b, "user_%05d,user%05d@example.com,User %d\n", i, i, i)
	}
	in := filepath.Join(dir, "users.csv")
	require.NoError(t, os.WriteFile(in, []byte(b.String()), 0o600))
	args := []string{"customers", "import", in, "--base-url", srv.URL(), "--state-file", filepath.Join(dir, "import.state"), "--failures", filepath.Join(dir, "failed.csv")}

	first := commet("ck_sandbox_process", args...)
	require.NoError(t, first.Start())
	require.Eventually(t, func() bool { return srv.Len() >= 1000 }, time.Minute, 5*time.Millisecond, "the first run got going")
	require.NoError(t, first.Process.Kill()) // kill -9: no report, no cleanup
	first.Wait()
	before := srv.Len()
	require.Less(t, before, n, "and was killed midway")

	second := commet("ck_sandbox_process", args...)
	var stdout, stderr strings.Builder
	second.Stdout, second.Stderr = &stdout, &stderr
	start := time.Now()
	require.NoError(t, second.Run(), "exit 0: every row settled\n%s%s", stdout.String(), stderr.String())
	t.Logf("the re-run took %v:\n%s", time.Since(start), stdout.String())
	got := report(t, stdout.String())
	stored := srv.Len()
	assert.Equal(t, n, stored, "each row stored once")
	assert.Equal(t, n, got["created"]+got["existed"])
	assert.Zero(t, got["failed"]+got["unknown"]+got["not sent"]+got["repeated"]+got["archived"])
	assert.Equal(t, stored, got["created"], "with --state-file, the report counts what the killed run created")
	assert.Zero(t, got["existed"])
}
