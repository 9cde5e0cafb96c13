package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runAsMain makes the test binary run as commet-fake itself: the process
// tests start it again with this variable set, so they test the real
// command, flags, signals and exit code included, in a process of its own.
const runAsMain = "COMMET_FAKE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childEnv is the environment of a commet-fake process: ours, with the
// test binary told to run main, and a race detector (under -race) that
// exits at once instead of sleeping a second.
func childEnv() []string {
	return append(os.Environ(), runAsMain+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// fake is a commet-fake process.
type fake struct {
	url    string
	stderr *syncBuffer
}

// startFake starts commet-fake with args on a free loopback port and
// returns once it listens. It stops the process, with SIGINT, when t ends,
// and requires a clean exit.
func startFake(t *testing.T, args ...string) *fake {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = childEnv()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	f := &fake{stderr: &syncBuffer{}}
	cmd.Stderr = f.stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(os.Interrupt)
		}
		select {
		case err := <-exited:
			assert.NoError(t, err, "commet-fake exits cleanly on SIGINT; stderr:\n%s", f.stderr)
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("commet-fake did not stop on SIGINT")
		}
	})

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout) // until the process exits
		exited <- cmd.Wait()
	}()
	select {
	case line := <-lines:
		require.True(t, strings.HasPrefix(line, "commet-fake listening on http://127.0.0.1:"), "%q; stderr:\n%s", line, f.stderr)
		f.url = strings.TrimSpace(strings.TrimPrefix(line, "commet-fake listening on "))
	case <-time.After(20 * time.Second):
		t.Fatalf("commet-fake did not start; stderr:\n%s", f.stderr)
	}
	return f
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

// do sends a raw request; header holds name, value pairs.
func (f *fake) do(t *testing.T, method, path, body string, header ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&a.body))
	return a
}

func TestProcessControlPlane(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	key := []string{"x-api-key", "ck_test_proc"}

	r := f.do(t, "POST", "/_commettest/faults", `{"method":"GET","path":"/customers","status":503,"retryAfter":"2","times":2}`)
	require.Equal(t, 201, r.status, r.body)
	r = f.do(t, "POST", "/_commettest/faults", `{"path":"/customers/nobody","status":500}`)
	require.Equal(t, 201, r.status, r.body)
	r = f.do(t, "POST", "/_commettest/faults", `{"Status":503}`)
	assert.Equal(t, 400, r.status, "keys are case-sensitive")
	assert.Contains(t, r.body["message"], `did you mean "status"?`)
	r = f.do(t, "POST", "/_commettest/faults", `{"status":503`)
	assert.Equal(t, 400, r.status, "bad JSON")

	r = f.do(t, "GET", "/api/v1/customers", "", key...)
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "2", r.header.Get("Retry-After"))

	r = f.do(t, "GET", "/_commettest/faults", "")
	assert.Equal(t, []any{
		map[string]any{"method": "GET", "path": "/customers", "status": 503.0, "retryAfter": "2", "times": 2.0, "fired": 1.0, "left": 1.0},
		map[string]any{"path": "/customers/nobody", "status": 500.0, "times": 1.0, "fired": 0.0, "left": 1.0},
	}, r.body["data"], "another language can see which faults never fired")

	r = f.do(t, "DELETE", "/_commettest/faults", "")
	assert.Equal(t, map[string]any{"cleared": 2.0}, r.body["data"])
	r = f.do(t, "POST", "/api/v1/customers", `{"billingEmail":"a@x.com","externalId":"u1"}`, key...)
	assert.Equal(t, 201, r.status)
	r = f.do(t, "POST", "/_commettest/reset", "")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, 404, f.do(t, "GET", "/api/v1/customers/u1", "", key...).status, "reset forgot the customer")
}

func TestProcessStrict(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-strict")
	good := []string{"x-api-key", "ck_test_proc", "Commet-Version", "2026-05-01", "Content-Type", "application/json", "Idempotency-Key", "k1"}
	with := func(pairs ...string) []string {
		h := append([]string(nil), good...)
		for i := 0; i+1 < len(pairs); i += 2 {
			for j := 0; j+1 < len(h); j += 2 {
				if h[j] == pairs[i] {
					h[j+1] = pairs[i+1]
				}
			}
		}
		return h
	}
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		rule                     string
	}{
		{"unpinned", "GET", "/api/v1/customers", "", with("Commet-Version", ""), "commet_version"},
		{"POST without a key", "POST", "/api/v1/customers", `{"billingEmail":"a@x.com"}`, with("Idempotency-Key", ""), "idempotency_key"},
		{"no JSON content type", "PUT", "/api/v1/customers/u1", `{"fullName":"A"}`, with("Content-Type", "text/plain"), "content_type"},
		{"a field in the wrong case", "POST", "/api/v1/customers", `{"billingEmail":"a@x.com","FullName":"A"}`, good, "unknown_field"},
		{"an unknown address field", "POST", "/api/v1/customers",
			`{"billingEmail":"a@x.com","address":{"line1":"1 Rd","city":"A","postalCode":"1","country":"US","zip":"1"}}`, good, "unknown_field"},
		{"a typo in a batch item", "POST", "/api/v1/customers/batch", `{"customers":[{"billingemail":"a@x.com"}]}`, good, "unknown_field"},
		{"externalId in an update", "PUT", "/api/v1/customers/u1", `{"externalId":"u2"}`, good, "unknown_field"},
	} {
		r := f.do(t, tc.method, tc.path, tc.body, tc.header...)
		assert.Equal(t, 400, r.status, tc.name)
		assert.Equal(t, "contract_violation", r.body["code"], tc.name)
		assert.Contains(t, r.body["message"], "Strict mode: ", tc.name)
		require.NotEmpty(t, r.body["details"], tc.name)
		assert.Equal(t, tc.rule, r.body["details"].([]any)[0].(map[string]any)["rule"], tc.name)
	}

	// The Go SDK breaks none of the rules.
	lines := func() int { return strings.Count(f.stderr.String(), "\n") }
	require.Eventually(t, func() bool { return lines() == 7 }, 5*time.Second, time.Millisecond, "a log line per refusal")
	logged := len(f.stderr.String())
	client, err := commet.NewClient("ck_test_proc", commet.WithBaseURL(f.url), commet.WithMaxRetries(0))
	require.NoError(t, err)
	ctx := context.Background()
	addr := &commet.Address{Line1: "1 Rd", Line2: "Unit 2", City: "Austin", State: "TX", PostalCode: "78701", Country: "US"}
	created, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_1", FullName: "Ada",
		Domain: "ada.dev", Website: "https://ada.dev", Timezone: "Europe/London", Language: "en", Industry: "math",
		Address: addr, Metadata: map[string]any{"plan": "pro"}})
	require.NoError(t, err)
	got, err := client.Customers.Get(ctx, "user_1")
	require.NoError(t, err)
	assert.Equal(t, created.ID, got.ID)
	updated, err := client.Customers.Update(ctx, created.ID, &commet.UpdateCustomerParams{Email: commet.Ptr("ada@math.dev"),
		FullName: commet.Ptr("Ada L."), Address: addr, Metadata: map[string]any{}})
	require.NoError(t, err)
	assert.Equal(t, "ada@math.dev", updated.Email)
	page, err := client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 10, Search: "ada", IsActive: commet.Ptr(true)})
	require.NoError(t, err)
	assert.Len(t, page.Data, 1)
	archived, err := client.Customers.Archive(ctx, "user_1")
	require.NoError(t, err)
	assert.False(t, archived.IsActive)
	batch, err := client.Customers.CreateBatch(ctx, []commet.CreateCustomerParams{{Email: "b@x.com", ID: "user_2", Address: addr}, {Email: "not-an-email@x"}})
	require.NoError(t, err)
	assert.Len(t, batch.Successful, 1)
	require.Len(t, batch.Failed, 1)
	assert.Equal(t, "billingEmail: is not an email address: its domain has no dot, as in name@example.com", batch.Failed[0].Message, "refused alone, before sending")
	n := 0
	for _, err := range client.Customers.All(ctx, &commet.ListCustomersParams{Limit: 1}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n)
	require.Eventually(t, func() bool { return lines() == 7+8 }, 5*time.Second, time.Millisecond, "a log line per request:\n%s", f.stderr)
	sdkLog := f.stderr.String()[logged:]
	assert.NotRegexp(t, ` [45]\d\d `, sdkLog, "no request of the SDK was refused")
}

func TestProcessRateLimitAndLatency(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-rate-limit", "1", "-latency", "100ms", "-quiet")
	key := []string{"x-api-key", "ck_test_proc"}
	start := time.Now()
	r := f.do(t, "GET", "/api/v1/customers", "", key...)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "-latency")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, []string{"1", "0", "1"}, []string{r.header.Get("RateLimit-Limit"), r.header.Get("RateLimit-Remaining"), r.header.Get("RateLimit-Reset")})
	r = f.do(t, "GET", "/api/v1/customers", "", key...)
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "rate_limited", r.body["code"])
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Equal(t, "0", r.header.Get("RateLimit-Remaining"))
	r = f.do(t, "GET", "/api/v1/customers", "", "x-api-key", "ck_test_other")
	assert.Equal(t, 200, r.status, "each key has its own bucket")
	assert.Empty(t, f.stderr.String(), "-quiet")

	// The SDK waits for Retry-After, then succeeds.
	client, err := commet.NewClient("ck_test_proc", commet.WithBaseURL(f.url))
	require.NoError(t, err)
	var resp commet.Response
	_, err = client.Customers.List(context.Background(), nil, commet.WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, "1", resp.Header.Get("RateLimit-Limit"))
}

func TestProcessFailsOnABadFlag(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-rate-limit", "-3")
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, string(out), "commet-fake: -rate-limit -3")
}

func TestProcessDropAnswer(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-quiet")
	r := f.do(t, "POST", "/_commettest/faults", `{"method":"POST","path":"/customers","dropAnswer":true}`)
	require.Equal(t, 201, r.status, r.body)
	assert.Equal(t, true, r.body["data"].(map[string]any)["dropAnswer"])

	// A connection of its own: net/http would resend a request with an
	// Idempotency-Key dropped on a reused one.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	post := func() (*http.Response, error) {
		req, err := http.NewRequest("POST", f.url+"/api/v1/customers", strings.NewReader(`{"billingEmail":"a@x.com","externalId":"u1"}`))
		require.NoError(t, err)
		req.Header.Set("x-api-key", "ck_test_proc")
		req.Header.Set("Idempotency-Key", "signup-u1")
		return hc.Do(req)
	}
	_, err := post()
	require.ErrorIs(t, err, io.EOF, "the connection closed without an answer")
	resp, err := post()
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 201, resp.StatusCode, "the first answer, replayed")
	assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, 200, f.do(t, "GET", "/api/v1/customers/u1", "", "x-api-key", "ck_test_proc").status)
}

func TestProcessStats(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-quiet")
	key := []string{"x-api-key", "ck_test_proc"}
	f.do(t, "POST", "/api/v1/customers", `{"billingEmail":"a@x.com","externalId":"u1"}`, key...)
	f.do(t, "GET", "/api/v1/customers/u1", "", key...)
	f.do(t, "GET", "/api/v1/customers/u2", "", key...)
	f.do(t, "GET", "/_commettest/faults", "")

	r := f.do(t, "GET", "/_commettest/stats", "")
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, map[string]any{"success": true, "data": map[string]any{"customers": 1.0, "requests": []any{
		map[string]any{"method": "POST", "path": "/customers", "status": 201.0, "count": 1.0},
		map[string]any{"method": "GET", "path": "/customers/{id}", "status": 200.0, "count": 1.0},
		map[string]any{"method": "GET", "path": "/customers/{id}", "status": 404.0, "count": 1.0},
	}}}, r.body, "control requests are not counted")
	f.do(t, "POST", "/_commettest/reset", "")
	r = f.do(t, "GET", "/_commettest/stats", "")
	assert.Equal(t, map[string]any{"customers": 0.0, "requests": []any{}}, r.body["data"])
}

func TestProcessSeed(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-seed", "150", "-quiet")
	key := []string{"x-api-key", "ck_test_proc"}
	r := f.do(t, "GET", "/api/v1/customers?limit=100", "", key...)
	require.Equal(t, 200, r.status, r.body)
	list := r.body["data"].([]any)
	require.Len(t, list, 100)
	assert.Equal(t, true, r.body["hasMore"])
	first, second := list[0].(map[string]any), list[1].(map[string]any)
	assert.Equal(t, "seed_000001", first["externalId"])
	assert.Equal(t, "seed_000001@example.com", first["billingEmail"])
	assert.Equal(t, "Seed Customer 1", first["fullName"])
	assert.Equal(t, "seed_000002", second["externalId"])
	assert.NotContains(t, second, "fullName")
	assert.Equal(t, 200, f.do(t, "GET", "/api/v1/customers/seed_000150", "", key...).status)
	assert.Equal(t, 404, f.do(t, "GET", "/api/v1/customers/seed_000151", "", key...).status)

	f.do(t, "POST", "/_commettest/reset", "")
	r = f.do(t, "GET", "/_commettest/stats", "")
	assert.Equal(t, map[string]any{"customers": 150.0, "requests": []any{}}, r.body["data"], "a reset makes the seed again")
}

func TestProcessHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "-help"} {
		cmd := exec.Command(os.Args[0], arg)
		cmd.Env = childEnv()
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "%s exits 0; stderr:\n%s", arg, stderr.String())
		assert.Contains(t, stdout.String(), "Usage: commet-fake [flags]", arg)
		assert.Contains(t, stdout.String(), "-seed N", arg)
		assert.NotContains(t, stdout.String()+stderr.String(), "help requested", arg)
	}
}
