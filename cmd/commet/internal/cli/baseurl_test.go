package cli_test

import (
	"testing"

	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
)

// TestBaseURLWithAPIPath: --base-url and COMMET_BASE_URL copied from the
// README's curl lines (ending in /api/v1) reach the API, as WithBaseURL
// does; a base URL ending in another API path is a usage error before any
// request; and one whose path misses the API reads as an endpoint problem,
// never as "customer not found".
func TestBaseURLWithAPIPath(t *testing.T) {
	srv := newServer(t)
	r := run{srv: srv, env: map[string]string{"COMMET_BASE_URL": commettest.InMemoryBaseURL + "/api/v1"}}
	res := r.exec(t, "customers", "create", "--id", "u1", "--email", "ada@example.com")
	assert.Equal(t, 0, res.code, res.stderr)
	res = runCommet(t, srv, "--base-url", commettest.InMemoryBaseURL+"/api/v1/", "customers", "get", "u1")
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "u1")

	before := srv.Stats()
	res = runCommet(t, srv, "--base-url", commettest.InMemoryBaseURL+"/api/v2", "customers", "get", "u1")
	assert.Equal(t, 2, res.code, res.stderr)
	assert.Contains(t, res.stderr, "/api/v1")
	assert.Equal(t, before, srv.Stats(), "nothing was sent")

	res = runCommet(t, srv, "--base-url", commettest.InMemoryBaseURL+"/wrong", "customers", "get", "u1")
	assert.NotEqual(t, 0, res.code)
	assert.Contains(t, res.stderr, "endpoint")
	assert.NotContains(t, res.stderr, "not found")
}
