package commettest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// reply is an answer as seen over HTTP.
type reply struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// call sends one request over a loopback socket with a valid key unless
// header says otherwise, and decodes the JSON answer.
func call(t *testing.T, srv *Server, method, path string, body any, header ...string) reply {
	t.Helper()
	return send(t, http.DefaultClient, srv.URL(), method, path, body, header...)
}

// callMem is call through the in-memory transport: it works inside a
// synctest bubble.
func callMem(t *testing.T, srv *Server, method, path string, body any, header ...string) reply {
	t.Helper()
	return send(t, &http.Client{Transport: srv.Transport()}, InMemoryBaseURL, method, path, body, header...)
}

// send sends one request through hc to base+path.
func send(t *testing.T, hc *http.Client, base, method, path string, body any, header ...string) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("x-api-key", "ck_test_key")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	require.NoError(t, json.Unmarshal(raw, &r.Body), "every answer is JSON: %s", raw)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Regexp(t, `^req_[0-9a-f]{24}$`, resp.Header.Get("X-Request-Id"))
	_, err = http.ParseTime(resp.Header.Get("Date"))
	require.NoError(t, err, "every answer is dated")
	require.Equal(t, int64(len(raw)), resp.ContentLength)
	return r
}

func newServer(t *testing.T, opts ...Option) *Server {
	srv := NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func data(r reply) map[string]any {
	d, _ := r.Body["data"].(map[string]any)
	return d
}

// fieldsOf returns the fields named in a validation_error's details.
func fieldsOf(r reply) []string {
	var out []string
	details, _ := r.Body["details"].([]any)
	for _, d := range details {
		if m, ok := d.(map[string]any); ok {
			out = append(out, m["field"].(string))
		}
	}
	return out
}

// pathEscape escapes an ID as the SDK does.
func pathEscape(id string) string {
	e := url.PathEscape(id)
	if e == "." || e == ".." {
		e = strings.ReplaceAll(e, ".", "%2E")
	}
	return e
}
