package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func post(t *testing.T, h http.Handler, body string, header ...string) (int, signupResponse) {
	req := httptest.NewRequest("POST", "/signup", strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp signupResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	return rec.Code, resp
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
	srv := commettest.NewServer()
	defer srv.Close()
	h := newHandler(srv.Client().Customers)

	// Refused by Commet and refused by the SDK read the same way.
	code, resp := post(t, h, `{"userId":"u_2","email":"not-an-email"}`)
	assert.Equal(t, 400, code)
	assert.Equal(t, map[string][]string{"email": {"Invalid email format"}}, resp.Fields, "Commet's billingEmail is the form's email")
	code, resp = post(t, h, `{"userId":"u_2"}`)
	assert.Equal(t, 400, code)
	assert.Equal(t, map[string][]string{"email": {"is required"}}, resp.Fields)

	code, _ = post(t, h, `{not json`)
	assert.Equal(t, 400, code)
	code, resp = post(t, h, `{"email":"a@example.com"}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, resp.Fields, "userId")
	assert.Zero(t, srv.Len())
	assert.Equal(t, 1, srv.Requests(), "only the malformed email reached Commet")

	srv.InjectFault(commettest.Fault{Status: 503, Times: 10})
	slow := newHandler(srv.Client(commet.WithMaxRetries(1), commet.WithRetryBackoff(time.Millisecond, time.Millisecond)).Customers)
	code, resp = post(t, slow, `{"userId":"u_3","email":"a@example.com"}`)
	assert.Equal(t, 502, code)
	assert.Contains(t, resp.Error, "request req_")
}
