package cli_test

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commet-go/commet/cmd/commet/internal/cli"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// sandboxKey is the key of the tests: writes need no confirmation.
const sandboxKey = "ck_sandbox_clitest"

// result is what a run of the command left.
type result struct {
	code           int
	stdout, stderr string
}

// run is one invocation of the command, in process.
type run struct {
	srv   *commettest.Server
	env   map[string]string
	stdin string
	tty   bool // pretend stdin, stdout and stderr are terminals
	sigs  chan os.Signal
}

// fixedClock is the fake's clock in golden tests, so that timestamps are stable.
var fixedClock = func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }

func newServer(t *testing.T, opts ...commettest.Option) *commettest.Server {
	srv := commettest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// exec runs commet with args against r.srv, in memory.
func (r run) exec(t *testing.T, args ...string) result {
	t.Helper()
	env := map[string]string{"COMMET_API_KEY": sandboxKey, "COMMET_BASE_URL": commettest.InMemoryBaseURL}
	for k, v := range r.env {
		env[k] = v
	}
	var stdout, stderr bytes.Buffer
	ios := &cmdutil.IOStreams{In: strings.NewReader(r.stdin), Out: &stdout, ErrOut: &stderr, InTTY: r.tty, OutTTY: r.tty, ErrTTY: r.tty}
	inv := cli.Invocation{Args: args, Env: env, IO: ios, Interrupts: r.sigs}
	if r.srv != nil {
		inv.HTTPClient = &http.Client{Transport: r.srv.Transport()}
	}
	code := cli.Run(context.Background(), inv)
	return result{code, stdout.String(), stderr.String()}
}

// runCommet runs commet with args against srv, as from a script (no terminal).
func runCommet(t *testing.T, srv *commettest.Server, args ...string) result {
	t.Helper()
	return run{srv: srv}.exec(t, args...)
}

var scrubs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`cus_[0-9a-f]{24}`), "cus_XXXXXXXXXXXXXXXXXXXXXXXX"},
	{regexp.MustCompile(`org_[0-9a-f]{24}`), "org_XXXXXXXXXXXXXXXXXXXXXXXX"},
	{regexp.MustCompile(`req_[0-9a-f]{24}`), "req_XXXXXXXXXXXXXXXXXXXXXXXX"},
	{regexp.MustCompile(`in [0-9.]+µ?m?s \([0-9]+ rows/s\)`), "in 0s (N rows/s)"},
}

// scrub replaces what changes from run to run (random IDs, durations).
func scrub(s string) string {
	for _, sc := range scrubs {
		s = sc.re.ReplaceAllString(s, sc.with)
	}
	return s
}

// golden compares got, scrubbed, with testdata/name; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	got = scrub(got)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to write it")
	assert.Equal(t, string(want), got, "%s differs (go test -update rewrites it)", path)
}
