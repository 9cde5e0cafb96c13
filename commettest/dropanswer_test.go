package commettest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tryDo sends one request through hc and returns its error, if any, and
// the status and body of its answer.
func tryDo(t *testing.T, hc *http.Client, base, method, path, body string, header ...string) (int, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("x-api-key", "ck_test_key")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw), nil
}

// testDropAnswer checks DropAnswer through hc, which reaches srv at base.
func testDropAnswer(t *testing.T, srv *Server, hc *http.Client, base string, isDropped func(error) bool) {
	const create = `{"billingEmail":"ada@example.com","externalId":"user_1"}`
	key := []string{"Idempotency-Key", "signup-1", "Content-Type", "application/json"}
	srv.InjectFault(Fault{Method: "POST", Path: "/customers", DropAnswer: true})
	_, _, err := tryDo(t, hc, base, "POST", "/api/v1/customers", create, key...)
	require.Error(t, err, "no answer")
	assert.True(t, isDropped(err), "a network error: %v", err)
	assert.Equal(t, 1, srv.Len(), "the customer was created before the answer was dropped")

	// Archived since: the replay is still the first answer, an active customer.
	status, archived, err := tryDo(t, hc, base, "PUT", "/api/v1/customers/user_1", `{"isActive":false}`)
	require.NoError(t, err)
	require.Equal(t, 200, status, archived)
	status, replay, err := tryDo(t, hc, base, "POST", "/api/v1/customers", create, key...)
	require.NoError(t, err)
	assert.Equal(t, 201, status, "the first answer's status")
	assert.Contains(t, replay, `"externalId":"user_1"`)
	assert.Contains(t, replay, `"isActive":true`, "the first answer's body, as it was")
	assert.Equal(t, 1, srv.Len())

	// An update is done, then its answer dropped.
	srv.InjectFault(Fault{Method: "PUT", DropAnswer: true})
	_, _, err = tryDo(t, hc, base, "PUT", "/api/v1/customers/user_1", `{"fullName":"Ada"}`, "Content-Type", "application/json")
	require.Error(t, err)
	assert.True(t, isDropped(err), "%v", err)

	// A GET does nothing, and loses its answer all the same.
	srv.InjectFault(Fault{Method: "GET", Path: "/customers/user_1", DropAnswer: true})
	_, _, err = tryDo(t, hc, base, "GET", "/api/v1/customers/user_1", "")
	require.Error(t, err)
	assert.True(t, isDropped(err), "%v", err)
	status, got, err := tryDo(t, hc, base, "GET", "/api/v1/customers/user_1", "")
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Contains(t, got, `"fullName":"Ada"`, "the dropped update was done")
	assert.Contains(t, got, `"isActive":false`)
	assert.Empty(t, srv.Faults())
}

func TestFaultDropAnswerInMemory(t *testing.T) {
	srv := newServer(t)
	testDropAnswer(t, srv, &http.Client{Transport: srv.Transport()}, InMemoryBaseURL, func(err error) bool {
		return assert.ErrorIs(t, err, ErrDropped) && assert.ErrorIs(t, err, io.EOF)
	})
}

func TestFaultDropAnswerOverHTTP(t *testing.T) {
	srv := newServer(t)
	// No keep-alive: net/http would itself resend a request with an
	// Idempotency-Key dropped on a reused connection.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	testDropAnswer(t, srv, hc, srv.URL(), func(err error) bool {
		return assert.ErrorIs(t, err, io.EOF)
	})
}

func TestFaultDropAnswerAndTheSDKsRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer()
		defer srv.Close()
		srv.RequireFaultsFired(t)
		srv.InjectFault(Fault{Method: "POST", Path: "/customers", DropAnswer: true})
		var resp commet.Response
		cust, err := srv.Client().Customers.Create(context.Background(), &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_1"},
			commet.WithResponseInto(&resp))
		require.NoError(t, err)
		assert.Equal(t, 2, resp.Attempts, "the lost answer was retried with the same key")
		assert.Equal(t, 201, resp.StatusCode, "and the first answer replayed")
		assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, "user_1", cust.ExternalID)
		assert.Equal(t, 1, srv.Len())
	})
}

func TestFaultDropAnswerRefusesDropAndStatus(t *testing.T) {
	assert.ErrorContains(t, Fault{DropAnswer: true, Drop: true}.validate(), "drop with dropAnswer")
	assert.ErrorContains(t, Fault{DropAnswer: true, Status: 503}.validate(), "status with dropAnswer")
	assert.NoError(t, Fault{DropAnswer: true, Delay: 1, Method: "GET"}.validate())
	assert.Equal(t, "Fault{Method: POST, DropAnswer: true}", Fault{Method: "POST", DropAnswer: true}.String())
}
