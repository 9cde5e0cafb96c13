package commettest

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// controlCall sends a request to the control plane of srv, in memory and
// without an API key.
func controlCall(t *testing.T, srv *Server, method, path string, body any) reply {
	t.Helper()
	return send(t, &http.Client{Transport: memTransport{srv.Handler.ControlHandler()}}, InMemoryBaseURL, method, path, body, "x-api-key", "")
}

func TestControlPlaneFaults(t *testing.T) {
	srv := newServer(t)
	r := controlCall(t, srv, "POST", "/_commettest/faults", `{"method":"POST","path":"/customers","times":2,"status":503,"retryAfter":"1"}`)
	require.Equal(t, 201, r.Status, string(r.Raw))
	assert.Equal(t, map[string]any{"method": "POST", "path": "/customers", "times": 2.0, "status": 503.0, "retryAfter": "1",
		"fired": 0.0, "left": 2.0}, data(r))
	r = controlCall(t, srv, "POST", "/_commettest/faults", map[string]any{"method": "GET", "times": -1, "delayMs": 5, "status": 429, "retryAfter": 7})
	require.Equal(t, 201, r.Status, string(r.Raw))
	assert.Equal(t, "7", data(r)["retryAfter"], "a number of seconds is accepted too")
	assert.Equal(t, []Fault{{Method: "POST", Path: "/customers", Times: 2, Status: 503, RetryAfter: "1"},
		{Method: "GET", Times: Forever, Status: 429, RetryAfter: "7", Delay: 5 * time.Millisecond}}, srv.UnfiredFaults())

	p := call(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "a@x.com"})
	assert.Equal(t, 503, p.Status)
	assert.Equal(t, "1", p.Header.Get("Retry-After"))
	assert.Equal(t, 429, call(t, srv, "GET", "/api/v1/customers", nil).Status)
	assert.Equal(t, 429, call(t, srv, "GET", "/api/v1/customers", nil).Status)

	r = controlCall(t, srv, "GET", "/_commettest/faults", nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, []any{
		map[string]any{"method": "POST", "path": "/customers", "times": 2.0, "status": 503.0, "retryAfter": "1", "fired": 1.0, "left": 1.0},
		map[string]any{"method": "GET", "times": -1.0, "status": 429.0, "retryAfter": "7", "delayMs": 5.0, "fired": 2.0, "left": -1.0},
	}, r.Body["data"])

	r = controlCall(t, srv, "DELETE", "/_commettest/faults", nil)
	assert.Equal(t, map[string]any{"cleared": 2.0}, data(r))
	assert.Equal(t, []any{}, controlCall(t, srv, "GET", "/_commettest/faults", nil).Body["data"])
	assert.Equal(t, 200, call(t, srv, "GET", "/api/v1/customers", nil).Status)
	assert.Equal(t, 4, srv.Requests(), "control requests are not counted")
}

func TestControlPlaneRefusesBadFaults(t *testing.T) {
	srv := newServer(t)
	for body, message := range map[string]string{
		``:                                        "must be a JSON object",
		`{"status":`:                              "must be a JSON object",
		`[{"status":503}]`:                        "must be a JSON object",
		"{\"path\":\"\xff\"}":                     "not valid UTF-8",
		`{"Status":503}`:                          `unknown key "Status": keys are case-sensitive, did you mean "status"?`,
		`{"status":503,"count":2}`:                `unknown key "count"`,
		`{"status":"503"}`:                        `"status": want an integer`,
		`{"status":503,"times":1.5}`:              `"times": want an integer`,
		`{"drop":"yes"}`:                          `"drop": want a boolean`,
		`{"status":200}`:                          "want an error status",
		`{"status":503,"times":-2}`:               "Forever (-1)",
		`{"retryAfter":"1"}`:                      "retryAfter without a status",
		`{"delayMs":-5}`:                          "negative",
		`{"path":"customers"}`:                    "starting with /",
		`{"delayMs":1e30}`:                        `"delayMs": want an integer`,
		`{"delayMs":9223372036854775}`:            `"delayMs": 9223372036854775 is too large: want an integer of milliseconds, 0 to 9223372036854`,
		`{"delayMs":-9223372036855}`:              `"delayMs": -9223372036855 is negative`,
		`{"drop":true,"dropAnswer":true}`:         "drop with dropAnswer",
		`{"status":503,"dropAnswer":true}`:        "status with dropAnswer",
		`{"dropAnswer":1}`:                        `"dropAnswer": want a boolean`,
		`{"dropanswer":true}`:                     `did you mean "dropAnswer"?`,
		`{"method":"post"}`:                       `method "post": methods are case-sensitive and requests send them in upper case: did you mean "POST"?`,
		`{"method":"GE T"}`:                       `method "GE T": not an HTTP method`,
		`{"path":"/customers?limit=1"}`:           `path "/customers?limit=1": a fault matches the path alone, never a query or fragment: want "/customers"`,
		`{"path":"/customers#top"}`:               `want "/customers"`,
		`{"status":429,"retryAfter":-5}`:          `retryAfter "-5": want a whole number of seconds`,
		`{"status":429,"retryAfter":"1.5"}`:       `retryAfter "1.5": want a whole number of seconds (such as "2") or an HTTP date`,
		`{"status":429,"retryAfter":"soon"}`:      `retryAfter "soon"`,
		`{"status":429,"retryAfter":" 2"}`:        `retryAfter " 2"`,
		`{"status":429,"retryAfter":"2\r\nX: y"}`: `retryAfter "2\r\nX: y"`,
	} {
		r := controlCall(t, srv, "POST", "/_commettest/faults", body)
		assert.Equal(t, 400, r.Status, body)
		assert.Equal(t, "invalid_fault", r.Body["code"], body)
		assert.Contains(t, r.Body["message"], message, body)
	}
	assert.Empty(t, srv.Faults())
	r := controlCall(t, srv, "POST", "/_commettest/faults", `{"method":null,"drop":true}`)
	assert.Equal(t, 201, r.Status, "null is absent")
	for _, body := range []string{
		`{"method":"PATCH","path":"/customers/a%2Fb","status":429,"retryAfter":0}`,
		`{"status":503,"retryAfter":"Wed, 21 Oct 2026 07:28:00 GMT","delayMs":9223372036854}`,
		`{"status":503,"retryAfter":"120","delayMs":0}`,
	} {
		r := controlCall(t, srv, "POST", "/_commettest/faults", body)
		assert.Equal(t, 201, r.Status, "%s: %s", body, r.Raw)
	}

	assert.Equal(t, 404, controlCall(t, srv, "GET", "/_commettest/nothing", nil).Status)
	r = controlCall(t, srv, "PUT", "/_commettest/faults", nil)
	assert.Equal(t, 405, r.Status)
	assert.Equal(t, "GET, POST, DELETE", r.Header.Get("Allow"))
	assert.Equal(t, 405, controlCall(t, srv, "GET", "/_commettest/reset", nil).Status)
}

func TestControlPlaneIsNeverFaultedOrLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
		srv := NewServer(WithRateLimit(1, 1), WithLatency(time.Hour), WithClock(func() time.Time { return clock }))
		srv.InjectFault(Fault{Status: 500, Times: Forever})
		start := time.Now()
		for range 3 {
			r := controlCall(t, srv, "GET", "/_commettest/faults", nil)
			assert.Equal(t, 200, r.Status)
			assert.Empty(t, r.Header.Get("RateLimit-Limit"))
			assert.Equal(t, "Tue, 06 May 2031 07:08:09 GMT", r.Header.Get("Date"))
		}
		assert.Zero(t, time.Since(start), "no latency")
		assert.Zero(t, srv.Requests())
	})
}

func TestReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithRateLimit(1, 2))
		body := map[string]any{"billingEmail": "a@x.com", "externalId": "u1"}
		first := callMem(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k")
		require.Equal(t, 201, first.Status)
		page := callMem(t, srv, "GET", "/api/v1/customers?limit=1", nil)
		cursor := page.Body["nextCursor"]
		assert.Nil(t, cursor)
		callMem(t, srv, "POST", "/api/v1/customers", map[string]any{"billingEmail": "b@x.com"}) // 429: the bucket is empty
		srv.InjectFault(Fault{Path: "/nowhere", Status: 500})

		r := controlCall(t, srv, "POST", "/_commettest/reset", nil)
		assert.Equal(t, 200, r.Status)
		assert.Zero(t, srv.Len())
		assert.Empty(t, srv.Faults())
		again := callMem(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k")
		assert.Equal(t, 201, again.Status, "the key was forgotten, and so was the rate limit")
		assert.Empty(t, again.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, "1", again.Header.Get("RateLimit-Remaining"))
		assert.NotEqual(t, data(first)["id"], data(again)["id"], "IDs are never reused")
		assert.Equal(t, 404, callMem(t, srv, "GET", "/api/v1/customers/"+data(first)["id"].(string), nil).Status)
	})
}

func TestResetInvalidatesCursors(t *testing.T) {
	srv := newServer(t)
	seed(t, srv, 3)
	cursor := call(t, srv, "GET", "/api/v1/customers?limit=1", nil).Body["nextCursor"].(string)
	srv.Reset()
	seed(t, srv, 3)
	r := call(t, srv, "GET", "/api/v1/customers?limit=1&cursor="+cursor, nil)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, []string{"cursor"}, fieldsOf(r))
	next := call(t, srv, "GET", "/api/v1/customers?limit=1", nil).Body["nextCursor"].(string)
	assert.Equal(t, []string{"user_1", "user_2"}, listIDs(call(t, srv, "GET", "/api/v1/customers?limit=5&cursor="+next, nil)))
}

func TestControlPlaneDropAnswer(t *testing.T) {
	srv := newServer(t)
	r := controlCall(t, srv, "POST", "/_commettest/faults", `{"method":"POST","path":"/customers","dropAnswer":true}`)
	require.Equal(t, 201, r.Status, string(r.Raw))
	assert.Equal(t, map[string]any{"method": "POST", "path": "/customers", "times": 1.0, "dropAnswer": true, "fired": 0.0, "left": 1.0}, data(r))
	assert.Equal(t, []Fault{{Method: "POST", Path: "/customers", DropAnswer: true}}, srv.UnfiredFaults())

	body := `{"billingEmail":"a@x.com","externalId":"u1"}`
	_, _, err := tryDo(t, &http.Client{Transport: srv.Transport()}, InMemoryBaseURL, "POST", "/api/v1/customers", body, "Idempotency-Key", "k")
	require.ErrorIs(t, err, ErrDropped)
	assert.Equal(t, 1, srv.Len())
	again := callMem(t, srv, "POST", "/api/v1/customers", body, "Idempotency-Key", "k")
	assert.Equal(t, 201, again.Status)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
}
