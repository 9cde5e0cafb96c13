package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogsOneLinePerRequestWithoutQueryOrBody(t *testing.T) {
	var logs syncBuffer // written by the server's goroutines
	h := commettest.NewHandler()
	h.InjectFault(commettest.Fault{Method: "PUT", Drop: true})
	srv := httptest.NewServer(logRequests(log.New(&logs, "", 0), withControl(h)))
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/customers", strings.NewReader(`{"billingEmail":"secret@example.com"}`))
	req.Header.Set("x-api-key", "ck_test_hidden")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	req, _ = http.NewRequest("GET", srv.URL+"/api/v1/customers?search=secret%40example.com", nil)
	resp, err = http.DefaultClient.Do(req) // no key: 401
	require.NoError(t, err)
	resp.Body.Close()
	req, _ = http.NewRequest("PUT", srv.URL+"/api/v1/customers/a%0Afake%20line", strings.NewReader(`{}`))
	_, err = http.DefaultClient.Do(req) // dropped
	require.Error(t, err)
	// The client can see the dropped connection before the line is logged.
	require.Eventually(t, func() bool { return strings.Count(logs.String(), "\n") == 3 }, 5*time.Second, time.Millisecond)
	resp, err = http.Get(srv.URL + "/_commettest/faults")
	require.NoError(t, err)
	resp.Body.Close()

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 4, logs.String())
	assert.Regexp(t, `^POST /api/v1/customers 201 \S+ req_[0-9a-f]{24}$`, lines[0])
	assert.Regexp(t, `^GET /api/v1/customers 401 \S+ req_[0-9a-f]{24}$`, lines[1])
	assert.Regexp(t, `^PUT /api/v1/customers/a%0Afake%20line - \S+ req_[0-9a-f]{24}$`, lines[2], "no answer; the path cannot forge a line")
	assert.Regexp(t, `^GET /_commettest/faults 200 \S+ req_[0-9a-f]{24}$`, lines[3])
	assert.NotContains(t, logs.String(), "secret")
	assert.NotContains(t, logs.String(), "ck_test_hidden")
}

func TestDropWorksThroughTheLogger(t *testing.T) {
	h := commettest.NewHandler()
	h.InjectFault(commettest.Fault{Drop: true})
	srv := httptest.NewServer(logRequests(log.New(io.Discard, "", 0), h))
	defer srv.Close()
	_, err := http.Get(srv.URL + "/api/v1/customers")
	assert.Error(t, err)
}

// syncBuffer is a bytes.Buffer safe to write from the server goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-api-key", "ck_test_only"}, pw, &stderr) }()

	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	url := strings.TrimSpace(strings.TrimPrefix(line, "commet-fake listening on "))
	req, _ := http.NewRequest("GET", url+"/api/v1/customers", nil)
	req.Header.Set("x-api-key", "ck_test_only")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	cancel()
	assert.NoError(t, <-done)
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"}, {"-rate-limit", "-1"}, {"-rate-limit", "NaN"}, {"-rate-limit", "ten"},
		{"-latency", "-1s"}, {"-latency", "5"}, {"extra"}, {"-addr", "256.0.0.1:0"},
		{"-seed", "-1"}, {"-seed", "1000001"}, {"-seed", "many"},
		{"-rate-limit", "5", "-rate-limit-headers", "ietf"}, {"-rate-limit-headers", "draft"},
	} {
		assert.Error(t, run(context.Background(), args, io.Discard, io.Discard), "%q", args)
	}
}

func TestRunHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var stdout, stderr bytes.Buffer
		require.NoError(t, run(context.Background(), []string{arg}, &stdout, &stderr), arg)
		assert.True(t, strings.HasPrefix(stdout.String(), "Usage: commet-fake [flags]\n"), "%s: %s", arg, stdout.String())
		for _, want := range []string{"-addr", "-api-key", "-strict", "-rate-limit", "-rate-limit-headers form", "-latency", "-seed N", "-quiet",
			"/_commettest/faults", "/_commettest/stats", "/_commettest/reset", "dropAnswer"} {
			assert.Contains(t, stdout.String(), want, arg)
		}
		assert.Empty(t, stderr.String(), arg)
	}
}

func TestRunPrintsUsageOnABadFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-no-such-flag"}, &stdout, &stderr)
	require.EqualError(t, err, "flag provided but not defined: -no-such-flag")
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), "Usage: commet-fake [flags]")
	assert.Contains(t, stderr.String(), "-seed N")
}

// TestRunRateLimitHeaders: -rate-limit-headers picks the form of the rate
// limit's headers.
func TestRunRateLimitHeaders(t *testing.T) {
	for _, c := range []struct {
		form          string
		legacy, draft bool
	}{{"legacy", true, false}, {"draft", false, true}, {"both", true, true}} {
		t.Run(c.form, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-quiet", "-rate-limit", "5", "-rate-limit-headers", c.form}, pw, io.Discard)
			}()
			line, err := bufio.NewReader(pr).ReadString('\n')
			require.NoError(t, err)
			url := strings.TrimSpace(strings.TrimPrefix(line, "commet-fake listening on "))
			req, _ := http.NewRequest("GET", url+"/api/v1/customers", nil)
			req.Header.Set("x-api-key", "ck_test_any")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, c.legacy, resp.Header.Get("RateLimit-Limit") == "5", "RateLimit-Limit: %q", resp.Header.Get("RateLimit-Limit"))
			want := ""
			if c.draft {
				want = `"default";q=5;w=1`
			}
			assert.Equal(t, want, resp.Header.Get("RateLimit-Policy"))
			cancel()
			assert.NoError(t, <-done)
		})
	}
}
