package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// build compiles a command of this module into dir.
func build(t *testing.T, dir, name, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, b)
	return out
}

// startFake starts commet-fake with args and returns its URL; it is
// stopped when t ends.
func startFake(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-quiet"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "commet-fake listening on "), line)
	return strings.TrimSpace(strings.TrimPrefix(line, "commet-fake listening on "))
}

// countCustomers walks the fake's customers with a key of its own, so
// that its rate-limit bucket is not the import's.
func countCustomers(t *testing.T, url string) int {
	t.Helper()
	client, err := commet.NewClient("ck_sandbox_counter", commet.WithBaseURL(url))
	require.NoError(t, err)
	n := 0
	for _, err := range client.Customers.All(context.Background(), nil) {
		require.NoError(t, err)
		n++
	}
	return n
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

// TestProcessKill9ThenRerun kills an import with SIGKILL midway through,
// runs the same command again, and checks that its report and the fake's
// store agree.
func TestProcessKill9ThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries and imports 10,000 rows at a rate limit")
	}
	t.Parallel()
	dir := t.TempDir()
	commetBin, fakeBin := build(t, dir, "commet", "."), build(t, dir, "commet-fake", "../commet-fake")
	url := startFake(t, fakeBin, "-rate-limit", "20")

	const n = 10_000 // 5 s at 20 batches of 100 a second
	var b strings.Builder
	b.WriteString("id,email,fullName\n")
	for i := range n {
		fmt.Fprintf(&b, "user_%05d,user%05d@example.com,User %d\n", i, i, i)
	}
	in := filepath.Join(dir, "users.csv")
	require.NoError(t, os.WriteFile(in, []byte(b.String()), 0o600))
	args := []string{"customers", "import", in, "--base-url", url, "--state-file", filepath.Join(dir, "import.state"), "--failures", filepath.Join(dir, "failed.csv")}
	env := append(os.Environ(), "COMMET_API_KEY=ck_sandbox_process")

	first := exec.Command(commetBin, args...)
	first.Env = env
	require.NoError(t, first.Start())
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, first.Process.Kill()) // kill -9: no report, no cleanup
	first.Wait()
	before := countCustomers(t, url)
	require.Greater(t, before, 0, "the first run got going")
	require.Less(t, before, n, "and was killed midway")

	second := exec.Command(commetBin, args...)
	second.Env = env
	var stdout, stderr strings.Builder
	second.Stdout, second.Stderr = &stdout, &stderr
	start := time.Now()
	require.NoError(t, second.Run(), "exit 0: every row settled\n%s%s", stdout.String(), stderr.String())
	t.Logf("the re-run took %v:\n%s", time.Since(start), stdout.String())
	got := report(t, stdout.String())
	stored := countCustomers(t, url)
	assert.Equal(t, n, stored, "each row stored once")
	assert.Equal(t, n, got["created"]+got["existed"])
	assert.Zero(t, got["failed"]+got["unknown"]+got["not sent"]+got["repeated"]+got["archived"])
	assert.Equal(t, stored, got["created"], "with --state-file, the report counts what the killed run created")
	assert.Zero(t, got["existed"])
}
