package commet_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingTransport keeps the body of every answer that passes through.
type recordingTransport struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies []recorded
}

// recorded is an answer's body, with the request's method and path.
type recorded struct {
	method, path string
	body         []byte
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.bodies = append(rt.bodies, recorded{req.Method, req.URL.Path, body})
	rt.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// TestDecodeFastTakesWhatCommettestAnswers: the answers commettest writes
// for a create, a get and a list take the fast path, and read as
// encoding/json reads them; otherwise the fast path would gain nothing in
// the benchmarks, which run against commettest.
func TestDecodeFastTakesWhatCommettestAnswers(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	rt := &recordingTransport{next: srv.Transport()}
	client, err := commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(commettest.InMemoryBaseURL),
		commet.WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: "user_1", Email: "user1@example.com"})
	require.NoError(t, err)
	_, err = client.Customers.Create(ctx, &commet.CreateCustomerParams{
		ID: "user_2", Email: "user2@example.com", FullName: "Zoë Ünal", Domain: "acme.com", Website: "https://acme.com/",
		Timezone: "Europe/Paris", Language: "fr", Industry: "software",
		Metadata: map[string]any{"plan": "pro", "seats": 12, "tags": []any{"a", "b"}, "nested": map[string]any{"ok": true}},
	})
	require.NoError(t, err)
	_, err = client.Customers.Get(ctx, "user_2")
	require.NoError(t, err)
	_, err = client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 1})
	require.NoError(t, err)
	_, err = client.Customers.List(ctx, &commet.ListCustomersParams{Limit: 100})
	require.NoError(t, err)

	pages := 0
	for _, r := range rt.bodies {
		page := r.method == http.MethodGet && strings.HasSuffix(r.path, "/customers")
		took, err := commet.FastDecodeAgrees(r.body, page)
		require.NoError(t, err, "%s %s: %s", r.method, r.path, r.body)
		assert.True(t, took, "%s %s: the fast path gave up on %s", r.method, r.path, r.body)
		if page {
			pages++
		}
	}
	assert.Len(t, rt.bodies, 5, "two creates, a get and two lists")
	assert.Equal(t, 2, pages, "a page with more after it, and the last")
}
