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

func TestSignupTwiceCreatesOneCustomer(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	var keys keyRecorder
	client := srv.Client(commet.WithMiddleware(keys.middleware))
	h := newHandler(client.Customers)

	body := `{"userId":"u_1","email":"ada@example.com","name":"Ada"}`
	code1, first := post(t, h, body)
	code2, second := post(t, h, body, "Idempotency-Key", "chosen-by-the-browser") // the retried request
	assert.Equal(t, 201, code1)
	assert.Equal(t, "created", first.Status)
	assert.Equal(t, 201, code2, "the retry replays Commet's first answer")
	assert.Equal(t, first.CustomerID, second.CustomerID)
	assert.Equal(t, 1, srv.Len())

	// The key comes from the user's ID and data, never from the browser.
	want := idempotencyKey(&commet.CreateCustomerParams{ID: "u_1", Email: "ada@example.com", FullName: "Ada"})
	assert.Equal(t, []string{want, want}, keys.keys)
	assert.NotContains(t, keys.keys, "chosen-by-the-browser")

	// The same user signing up again with other data finds the customer.
	code3, third := post(t, h, `{"userId":"u_1","email":"ada@example.org","name":"Ada L."}`)
	assert.Equal(t, 200, code3)
	assert.Equal(t, "existing", third.Status)
	assert.Equal(t, first.CustomerID, third.CustomerID)
	assert.NotEqual(t, want, keys.keys[2], "other data, another key: no idempotency_key_mismatch")

	page, err := client.Customers.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, "u_1", page.Data[0].ExternalID)
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
