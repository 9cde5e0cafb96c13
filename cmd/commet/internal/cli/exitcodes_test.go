package cli_test

import (
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEachExitCode runs one command per exit status, end to end, and checks
// that "commet help exit-codes" documents each.
func TestEachExitCode(t *testing.T) {
	t.Parallel()
	get := []string{"customers", "get", "user_1"}
	cases := []struct {
		name  string
		code  int
		fault *commettest.Fault
		run   run
		args  []string
		// stderr holds this, when set.
		stderr string
	}{
		{name: "ok", code: 0, args: get},
		{name: "refused by Commet", code: 1, fault: &commettest.Fault{Status: 400, Times: commettest.Forever}, args: get, stderr: "400 injected_fault"},
		{name: "usage", code: 2, args: []string{"customers", "get"}, stderr: "takes one customer ID"},
		{name: "declined confirmation", code: 3, run: run{env: map[string]string{"COMMET_API_KEY": "ck_live_example"}, tty: true, stdin: "n\n"},
			args: []string{"customers", "archive", "user_1"}, stderr: "cancelled: nothing was sent"},
		{name: "not authorized", code: 4, run: run{env: map[string]string{"COMMET_API_KEY": "ck_sandbox_wrong"}}, args: get, stderr: "Check the API key: it came from COMMET_API_KEY"},
		{name: "not found", code: 5, args: []string{"customers", "get", "nobody"}, stderr: "404"},
		{name: "server error", code: 6, fault: &commettest.Fault{Status: 503, Times: commettest.Forever}, args: get, stderr: "503"},
		{name: "rate limited", code: 6, fault: &commettest.Fault{Status: 429, Times: commettest.Forever}, args: get, stderr: "429"},
		{name: "network", code: 6, fault: &commettest.Fault{Drop: true, Times: commettest.Forever}, args: get, stderr: "network error"},
		{name: "rows failed", code: 7, run: run{stdin: "id,email\nu2,not-an-email\n"}, args: []string{"customers", "import", "-"}, stderr: "not an email address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer(commettest.WithAPIKey(sandboxKey)) // a declined write sends nothing
				defer srv.Close()
				require.Equal(t, 0, runCommet(t, srv, "customers", "create", "--id", "user_1", "--email", "ada@example.com").code)
				if c.fault != nil {
					srv.InjectFault(*c.fault)
				}
				r := c.run
				r.srv = srv
				res := r.exec(t, c.args...)
				assert.Equal(t, c.code, res.code, res.stderr)
				assert.Contains(t, res.stderr, c.stderr)
				if c.code != 0 {
					assert.Equal(t, 1, strings.Count(res.stderr, "commet: "), "one commet: prefix: %s", res.stderr)
				}
			})
		})
	}

	help := runCommet(t, nil, "help", "exit-codes")
	require.Equal(t, 0, help.code, help.stderr)
	for code := range 8 {
		assert.Regexp(t, `(?m)^  `+string(rune('0'+code))+`  \S`, help.stdout, "exit-codes documents %d", code)
	}
}

// TestCtrlCExitsCancelled stops a list that waits for its answer.
func TestCtrlCExitsCancelled(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(time.Hour))
		defer srv.Close()
		sigs := make(chan os.Signal, 1)
		go func() {
			time.Sleep(time.Second)
			sigs <- os.Interrupt
		}()
		res := run{srv: srv, sigs: sigs}.exec(t, "customers", "list")
		assert.Equal(t, 3, res.code, res.stderr)
		assert.Contains(t, res.stderr, "stopping at once")
	})
}

func TestUnauthorizedSaysWhatToCheck(t *testing.T) {
	t.Parallel()
	srv := newServer(t, commettest.WithAPIKey("ck_sandbox_right"))
	env := map[string]string{"COMMET_API_KEY": "ck_live_wrong_s3cr3t"}
	res := run{srv: srv, env: env}.exec(t, "customers", "list", "--api-key", "ck_sandbox_wrong_s3cr3t")
	assert.Equal(t, 4, res.code)
	assert.Contains(t, res.stderr, "it came from --api-key (it wins over COMMET_API_KEY, which is set too)")
	assert.Contains(t, res.stderr, "a sandbox key (ck_sandbox_...), so it reaches only sandbox data")
	assert.NotContains(t, res.stderr, "s3cr3t")

	res = run{srv: srv, env: env}.exec(t, "customers", "list")
	assert.Equal(t, 4, res.code)
	assert.Contains(t, res.stderr, "it came from COMMET_API_KEY and is not a sandbox key, so it reaches only live data")
}
