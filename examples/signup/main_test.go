package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestSignupTwiceCreatesOneCustomer(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	h := newHandler(client.Customers)

	body := `{"userId":"u_1","email":"ada@example.com","name":"Ada"}`
	code1, first := post(t, h, body)
	code2, second := post(t, h, body, "Idempotency-Key", "signup-u_1") // the retried request
	assert.Equal(t, 200, code1)
	assert.Equal(t, 200, code2)
	assert.Equal(t, first.CustomerID, second.CustomerID)
	assert.Equal(t, 1, srv.Len())

	page, err := client.Customers.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, "u_1", page.Data[0].ExternalID)
}

func TestSignupIdempotencyKeysAreScopedToTheUser(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	h := newHandler(srv.Client().Customers)

	// Two browsers that happen to pick the same key sign up two users.
	code1, first := post(t, h, `{"userId":"u_1","email":"ada@example.com"}`, "Idempotency-Key", "1")
	code2, second := post(t, h, `{"userId":"u_2","email":"grace@example.com"}`, "Idempotency-Key", "1")
	assert.Equal(t, 200, code1)
	assert.Equal(t, 200, code2)
	assert.NotEqual(t, first.CustomerID, second.CustomerID)
	assert.Equal(t, 2, srv.Len())
}

func TestSignupErrors(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	h := newHandler(srv.Client().Customers)

	code, resp := post(t, h, `{"userId":"u_2","email":"not-an-email"}`)
	assert.Equal(t, 400, code)
	assert.Equal(t, map[string][]string{"email": {"Invalid email format"}}, resp.Fields, "Commet's billingEmail is the form's email")

	code, resp = post(t, h, `{"userId":"u_2"}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, resp.Fields, "email")
	code, _ = post(t, h, `{not json`)
	assert.Equal(t, 400, code)
	code, resp = post(t, h, `{"email":"a@example.com"}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, resp.Fields, "userId")
	assert.Zero(t, srv.Len())
	assert.Equal(t, 1, srv.Requests(), "only the invalid email reached Commet")

	// The caller reused its Idempotency-Key for another sign-up of the same user.
	code, _ = post(t, h, `{"userId":"u_4","email":"a@example.com"}`, "Idempotency-Key", "k")
	assert.Equal(t, 200, code)
	code, _ = post(t, h, `{"userId":"u_4","email":"b@example.com"}`, "Idempotency-Key", "k")
	assert.Equal(t, 409, code)

	srv.InjectFault(commettest.Fault{Status: 503, Times: 10})
	slow := newHandler(srv.Client(commet.WithMaxRetries(1), commet.WithRetryBackoff(time.Millisecond, time.Millisecond)).Customers)
	code, resp = post(t, slow, `{"userId":"u_3","email":"a@example.com"}`)
	assert.Equal(t, 502, code)
	assert.Contains(t, resp.Error, "request req_")
}
