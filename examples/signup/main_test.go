package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain runs main itself when SIGNUP_MAIN_ARGS is set, so that a test
// can check its exit code in a process of its own.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("SIGNUP_MAIN_ARGS"); ok {
		os.Args = append([]string{"signup"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSignupFlags(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"--help"}} {
		var stdout, stderr bytes.Buffer
		_, code, done := parseArgs(args, &stdout, &stderr)
		assert.True(t, done, args)
		assert.Equal(t, 0, code, "%v asks for help: that is no error", args)
		assert.Contains(t, stdout.String(), "Usage: signup")
		assert.Contains(t, stdout.String(), "-addr")
		assert.NotContains(t, stdout.String(), "help requested")
		assert.Empty(t, stderr.String())
	}
	for _, args := range [][]string{{"-bogus"}, {"-addr"}, {"serve"}} {
		var stdout, stderr bytes.Buffer
		_, code, done := parseArgs(args, &stdout, &stderr)
		assert.True(t, done, args)
		assert.Equal(t, 2, code, args)
		assert.Contains(t, stderr.String(), "Usage: signup")
		assert.Empty(t, stdout.String())
	}
	var stdout, stderr bytes.Buffer
	addr, _, done := parseArgs([]string{"-addr", "127.0.0.1:9999"}, &stdout, &stderr)
	assert.False(t, done)
	assert.Equal(t, "127.0.0.1:9999", addr)
	assert.Empty(t, stdout.String()+stderr.String())
}

// TestSignupHelpExitsZero runs main in a process of its own: -h and -help
// exit 0 with the usage, not "flag: help requested" and exit 1.
func TestSignupHelpExitsZero(t *testing.T) {
	for _, args := range []string{"-h", "-help"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SIGNUP_MAIN_ARGS="+args, "COMMET_API_KEY=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "%s: %s", args, stderr.String())
		assert.Contains(t, stdout.String(), "Usage: signup", args)
		assert.NotContains(t, stdout.String()+stderr.String(), "help requested", args)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SIGNUP_MAIN_ARGS=-bogus")
	err := cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 2, exit.ExitCode(), "a bad flag is a usage error")
}

func post(t *testing.T, h http.Handler, body string, header ...string) (int, signupResponse) {
	rec := serve(h, body, header...)
	var resp signupResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	return rec.Code, resp
}

func serve(h http.Handler, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/signup", strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// keyRecorder is a middleware that keeps the Idempotency-Key of every
// request the SDK sends.
type keyRecorder struct {
	mu   sync.Mutex
	keys []string
}

func (k *keyRecorder) middleware(req *http.Request, _ commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
	k.mu.Lock()
	k.keys = append(k.keys, req.Header.Get("Idempotency-Key"))
	k.mu.Unlock()
	return next(req)
}

// TestSignupAnswersFromThePresent: every sign-up sends a key of its own, so
// Commet never replays an earlier sign-up's answer: a repeated sign-up finds
// the customer (200 "existing"), and one after the account was closed is
// refused, not answered with the 201 of the first.
func TestSignupAnswersFromThePresent(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	var keys keyRecorder
	client := srv.Client(commet.WithMiddleware(keys.middleware))
	h := newHandler(client.Customers)

	body := `{"userId":"u_1","email":"ada@example.com","name":"Ada"}`
	code1, first := post(t, h, body)
	code2, second := post(t, h, body, "Idempotency-Key", "chosen-by-the-browser") // the same sign-up again
	assert.Equal(t, 201, code1)
	assert.Equal(t, "created", first.Status)
	assert.Equal(t, 200, code2, "a repeated sign-up finds the customer, it does not replay the first 201")
	assert.Equal(t, "existing", second.Status)
	assert.Equal(t, first.CustomerID, second.CustomerID)
	assert.Equal(t, 1, srv.Len())

	// The same user signing up again with other data finds the customer too.
	code3, third := post(t, h, `{"userId":"u_1","email":"ada@example.org","name":"Ada L."}`)
	assert.Equal(t, 200, code3)
	assert.Equal(t, "existing", third.Status)
	assert.Equal(t, first.CustomerID, third.CustomerID)

	// Once the account is closed, the very sign-up that created it is refused.
	_, err := client.Customers.Archive(context.Background(), "u_1")
	require.NoError(t, err)
	code4, fourth := post(t, h, body)
	assert.Equal(t, 409, code4, "a closed account is refused, not answered with the replayed 201 of its first sign-up")
	assert.Contains(t, fourth.Error, "closed")
	assert.Empty(t, fourth.CustomerID)

	// One key per sign-up (the Archive PUT carries none), never the browser's.
	keys.mu.Lock()
	defer keys.mu.Unlock()
	var sent []string
	for _, k := range keys.keys {
		if k != "" {
			sent = append(sent, k)
		}
	}
	require.Len(t, sent, 4)
	assert.Len(t, uniq(sent), 4, "two sign-ups of the same user send different keys")
	assert.NotContains(t, sent, "chosen-by-the-browser")
	assert.Equal(t, 1, srv.Len())
}

func uniq(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

func TestSignupKeysDoNotCollideAcrossUsers(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	h := newHandler(srv.Client().Customers)

	// Two browsers that send the same key sign up two users.
	code1, first := post(t, h, `{"userId":"u_1","email":"ada@example.com"}`, "Idempotency-Key", "1")
	code2, second := post(t, h, `{"userId":"u_2","email":"ada@example.com"}`, "Idempotency-Key", "1")
	assert.Equal(t, 201, code1)
	assert.Equal(t, 201, code2)
	assert.NotEqual(t, first.CustomerID, second.CustomerID)
	assert.Equal(t, 2, srv.Len())
}

// TestSignupOfAClosedAccount: an archived customer is not a working account.
func TestSignupOfAClosedAccount(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	h := newHandler(client.Customers)
	code, _ := post(t, h, `{"userId":"u_1","email":"ada@example.com"}`)
	require.Equal(t, 201, code)
	_, err := client.Customers.Archive(context.Background(), "u_1")
	require.NoError(t, err)

	code, resp := post(t, h, `{"userId":"u_1","email":"ada@example.com","name":"Ada"}`)
	assert.Equal(t, 409, code)
	assert.Contains(t, resp.Error, "closed")
	assert.Empty(t, resp.CustomerID)
}

func TestSignupErrors(t *testing.T) {
	// A rule of Commet's that the SDK does not know, so that Commet refuses.
	srv := commettest.NewServer(commettest.WithRule(func(field, value string) string {
		if field == "billingEmail" && value == "not-an-email@blocked.example" {
			return "Email domain not allowed"
		}
		return ""
	}))
	defer srv.Close()
	h := newHandler(srv.Client().Customers)

	// Refused by Commet and refused by the SDK read the same way.
	code, resp := post(t, h, `{"userId":"u_2","email":"not-an-email@blocked.example"}`)
	assert.Equal(t, 400, code)
	assert.Equal(t, map[string][]string{"email": {"Email domain not allowed"}}, resp.Fields, "Commet's billingEmail is the form's email")
	code, resp = post(t, h, `{"userId":"u_2"}`)
	assert.Equal(t, 400, code)
	assert.Equal(t, map[string][]string{"email": {"is required"}}, resp.Fields)

	code, _ = post(t, h, `{not json`)
	assert.Equal(t, 400, code)
	code, resp = post(t, h, `{"email":"a@example.com"}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, resp.Fields, "userId")
	assert.Zero(t, srv.Len())
	assert.Equal(t, 1, srv.Requests(), "only the email Commet refuses reached Commet")

	srv.InjectFault(commettest.Fault{Status: 503, Times: 10})
	fast := newHandler(srv.Client(commet.WithRetryBackoff(time.Millisecond, time.Millisecond)).Customers)
	rec := serve(fast, `{"userId":"u_3","email":"a@example.com"}`)
	assert.Equal(t, 503, rec.Code)
	assert.Equal(t, "30", rec.Header().Get("Retry-After"))
	assert.Contains(t, rec.Body.String(), "request req_")
	assert.Equal(t, 1+1+maxRetries, srv.Requests(), "the sign-up's own retry budget, not the client's")

	// A key Commet refuses is not the person's to retry: 502, no Retry-After.
	refusing := commettest.NewServer(commettest.WithAPIKey("ck_the_only_good_key"))
	defer refusing.Close()
	wrongKey, err := commet.NewClient("ck_revoked_key", commet.WithBaseURL(commettest.InMemoryBaseURL),
		commet.WithHTTPClient(&http.Client{Transport: refusing.Transport()}))
	require.NoError(t, err)
	rec = serve(newHandler(wrongKey.Customers), `{"userId":"u_4","email":"a@example.com"}`)
	assert.Equal(t, 502, rec.Code)
	assert.Empty(t, rec.Header().Get("Retry-After"))
	assert.Contains(t, rec.Body.String(), "billing is unavailable")
}

// TestSignupAnswersWithinItsBudget: whatever Commet does (hang, fail,
// drop the connection, ask for a long wait), the person gets a clear answer
// within signupBudget, with Retry-After and nothing of the error's text.
// The SDK's defaults (30 s per attempt, 3 retries) would hold them for
// over 2 minutes.
func TestSignupAnswersWithinItsBudget(t *testing.T) {
	never := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done() // a Commet that never answers
		return nil, r.Context().Err()
	})
	for _, tc := range []struct {
		name       string
		fault      commettest.Fault
		transport  http.RoundTripper
		status     int
		retryAfter string
		fast       bool // answered well before the budget runs out
	}{
		{name: "hangs", fault: commettest.Fault{Delay: time.Hour, Times: commettest.Forever}, status: 504, retryAfter: "30"},
		{name: "never answers (a transport of our own)", transport: never, status: 504, retryAfter: "30"},
		{name: "answers 503 forever", fault: commettest.Fault{Status: 503, Times: commettest.Forever}, status: 503, retryAfter: "30", fast: true},
		{name: "drops every connection", fault: commettest.Fault{Drop: true, Times: commettest.Forever}, status: 503, retryAfter: "30", fast: true},
		{name: "asks for 2 minutes", fault: commettest.Fault{Status: 429, RetryAfter: "120", Times: commettest.Forever}, status: 503, retryAfter: "120", fast: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer()
				defer srv.Close()
				var client *commet.Client
				if tc.transport != nil {
					var err error
					client, err = commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(commettest.InMemoryBaseURL),
						commet.WithHTTPClient(&http.Client{Transport: tc.transport}))
					require.NoError(t, err)
				} else {
					srv.InjectFault(tc.fault)
					srv.RequireFaultsFired(t)
					client = srv.Client() // the SDK's defaults: the sign-up's budget must win over them
				}
				h := newHandler(client.Customers)

				start := time.Now() // the bubble's clock
				rec := serve(h, `{"userId":"u_1","email":"ada@example.com","name":"Ada"}`)
				elapsed := time.Since(start)

				assert.LessOrEqual(t, elapsed, signupBudget, "answered within the budget")
				if tc.fast {
					assert.Less(t, elapsed, signupBudget/2)
				}
				assert.Equal(t, tc.status, rec.Code)
				assert.Equal(t, tc.retryAfter, rec.Header().Get("Retry-After"))
				var resp signupResponse
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
				assert.Contains(t, resp.Error, "try again in")
				assert.Empty(t, resp.CustomerID)
				for _, leak := range []string{"ada@example.com", "commet:", "commettest", "EOF", "deadline", "context", "/customers", "budget"} {
					assert.NotContains(t, rec.Body.String(), leak)
				}
				if tc.transport == nil {
					assert.LessOrEqual(t, srv.Requests(), 1+maxRetries)
					assert.Zero(t, srv.Len())
				}
			})
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
