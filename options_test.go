package commet

import (
	"context"
	"iter"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBaseURL(t *testing.T) {
	good := map[string]string{
		"https://commet.co":                 "https://commet.co",
		"https://proxy.example.com/commet/": "https://proxy.example.com/commet",
		"http://localhost:12111":            "http://localhost:12111",
		"http://127.0.0.1:8080":             "http://127.0.0.1:8080",
		"http://127.9.9.9":                  "http://127.9.9.9",
		"http://[::1]:9000":                 "http://[::1]:9000",
		" https://commet.co ":               "https://commet.co",
		// The API's own path, as the README's curl lines show it, is the
		// API root, not a prefix: /api/v1 is not sent twice.
		"http://127.0.0.1:12111/api/v1":             "http://127.0.0.1:12111",
		"https://commet.co/api/v1/":                 "https://commet.co",
		"https://proxy.example.com/commet/api/v1":   "https://proxy.example.com/commet",
		"https://proxy.example.com/commet/API/V1//": "https://proxy.example.com/commet",
		"https://proxy.example.com/api/v1x":         "https://proxy.example.com/api/v1x",
		"https://proxy.example.com/apis/v1/commet/": "https://proxy.example.com/apis/v1/commet",
	}
	for raw, want := range good {
		got, err := parseBaseURL(raw, false)
		assert.NoError(t, err, raw)
		assert.Equal(t, want, got, raw)
	}
	bad := []string{
		"http://commet.co", "http://10.0.0.1", "http://localhost.evil.com", "ftp://commet.co",
		"commet.co", "https://", "https://user:pw@commet.co", "https://commet.co?x=1",
		"https://commet.co#frag", "://", "",
		// Another version's path, the API path without its version, or an
		// endpoint's: each would put a second API path in every request.
		"https://commet.co/api", "https://commet.co/api/", "https://commet.co/api/v2",
		"https://commet.co/api/v1/customers", "http://127.0.0.1:12111/api/v1/customers/",
	}
	for _, raw := range bad {
		_, err := parseBaseURL(raw, false)
		assert.Error(t, err, raw)
		_, err = NewClient(testKey, WithBaseURL(raw))
		assert.ErrorIs(t, err, ErrInvalidConfig, raw)
	}
}

func TestBaseURLKeepsPrefixAndAppendsAPIPath(t *testing.T) {
	mock := httpmock.NewMockTransport()
	rec := answers(okCustomer)
	mock.RegisterResponder("GET", "https://proxy.example.com/commet/api/v1/customers/x", rec.responder)
	c, err := NewClient(testKey, WithBaseURL("https://proxy.example.com/commet/"), WithHTTPClient(&http.Client{Transport: mock}))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Len(t, rec.requests(), 1)
}

// TestDefaultHostIsCommetForEveryKey: Commet serves live and sandbox data
// from one host, and the key decides which; a recorder behind the client's
// transport sees every request of a sandbox key and of a live key go to
// https://commet.co/api/v1.
func TestDefaultHostIsCommetForEveryKey(t *testing.T) {
	for _, key := range []string{"ck_sandbox_abc123", "ck_live_abc123", testKey} {
		var hosts []string
		record := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			hosts = append(hosts, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
			return okCustomer(req)
		})
		c, err := NewClient(key, WithHTTPClient(&http.Client{Transport: record}))
		require.NoError(t, err)
		_, err = c.Customers.Get(context.Background(), "x")
		require.NoError(t, err, key)
		_, err = c.Customers.List(context.Background(), nil)
		require.Error(t, err, "okCustomer is not a page") // sent all the same
		assert.Equal(t, []string{"https://commet.co/api/v1/customers/x", "https://commet.co/api/v1/customers"}, hosts, key)
	}
	assert.Equal(t, "https://commet.co", DefaultBaseURL)
}

func TestWithHeaderDoesNotShareMaps(t *testing.T) {
	c, err := NewClient(testKey, WithHeader("X-A", "1"))
	require.NoError(t, err)
	call, err := c.newCallConfig([]CallOption{WithHeader("X-B", "2")})
	require.NoError(t, err)
	assert.Equal(t, "2", call.header.Get("X-B"))
	assert.Equal(t, "1", call.header.Get("X-A"))
	assert.Empty(t, c.cfg.header.Get("X-B"), "a call's header reached the client's map")
}

func TestWithLoggerNilDisablesLogging(t *testing.T) {
	c, err := NewClient(testKey, WithLogger(nil))
	require.NoError(t, err)
	assert.Nil(t, c.cfg.logger)
}

// TestInsecureHTTPIsAnExplicitOptIn: plain http to a host that is not
// loopback (a commet-fake container) needs WithInsecureHTTP, given before
// or after the base URL.
func TestInsecureHTTPIsAnExplicitOptIn(t *testing.T) {
	_, err := NewClient(testKey, WithBaseURL("http://commet-fake:12111"))
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "WithInsecureHTTP")
	for _, opts := range [][]ClientOption{
		{WithBaseURL("http://commet-fake:12111"), WithInsecureHTTP()},
		{WithInsecureHTTP(), WithBaseURL("http://commet-fake:12111/")},
	} {
		c, err := NewClient(testKey, opts...)
		require.NoError(t, err)
		assert.Equal(t, "http://commet-fake:12111", c.cfg.baseURL)
	}
	_, err = NewClient(testKey, WithInsecureHTTP(), WithBaseURL("ftp://commet-fake"))
	assert.ErrorIs(t, err, ErrInvalidConfig, "only http is let through")
}

// TestBaseURLWithAPIPathReachesTheAPI: WithBaseURL("…/api/v1"), copied from
// the README's curl lines, reaches /api/v1/customers, not
// /api/v1/api/v1/customers, whose 404 a sign-up would read as "no such
// customer, create it".
func TestBaseURLWithAPIPathReachesTheAPI(t *testing.T) {
	mock := httpmock.NewMockTransport()
	rec := answers(okCustomer)
	mock.RegisterResponder("GET", "http://127.0.0.1:12111/api/v1/customers/x", rec.responder)
	c, err := NewClient(testKey, WithBaseURL("http://127.0.0.1:12111/api/v1"), WithHTTPClient(&http.Client{Transport: mock}))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Len(t, rec.requests(), 1)

	_, err = NewClient(testKey, WithBaseURL("https://commet.co/api/v2"))
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "/api/v1")
}

// TestOptionsReachOnlyWhereTheyMakeSense: which option applies where is a
// matter of types, so a misplaced option does not compile. Per-call options
// are not ClientOptions; client options are not CallOptions; and All, Pages
// and Import, which send many requests, take only Options, so
// WithResponseInto (which one call fills) and WithIdempotencyKey (which one
// request carries) cannot reach them.
func TestOptionsReachOnlyWhereTheyMakeSense(t *testing.T) {
	clientOnly := map[string]any{
		"WithBaseURL":      WithBaseURL("https://x.example"),
		"WithInsecureHTTP": WithInsecureHTTP(), "WithHTTPClient": WithHTTPClient(http.DefaultClient),
		"WithAPIVersion": WithAPIVersion("v"), "WithLogger": WithLogger(nil), "WithMiddleware": WithMiddleware(),
	}
	callOnly := map[string]any{"WithIdempotencyKey": WithIdempotencyKey("k"), "WithResponseInto": WithResponseInto(new(Response))}
	everywhere := map[string]any{
		"WithMaxRetries": WithMaxRetries(1), "WithRetryBackoff": WithRetryBackoff(1, 2),
		"WithTimeout": WithTimeout(1), "WithHeader": WithHeader("X-A", "b"),
	}
	is := func(v any) (client, call, multi bool) {
		_, client = v.(ClientOption)
		_, call = v.(CallOption)
		_, multi = v.(Option)
		return
	}
	for name, opt := range clientOnly {
		client, call, multi := is(opt)
		assert.True(t, client, name)
		assert.False(t, call || multi, "%s must not reach a call", name)
	}
	for name, opt := range callOnly {
		client, call, multi := is(opt)
		assert.True(t, call, name)
		assert.False(t, client, "%s must not reach NewClient", name)
		assert.False(t, multi, "%s must not reach All, Pages or Import", name)
	}
	for name, opt := range everywhere {
		client, call, multi := is(opt)
		assert.True(t, client && call && multi, name)
	}
	c, _ := newMockClient(t)
	option := reflect.TypeFor[Option]()
	for name, method := range map[string]any{"All": c.Customers.All, "Pages": c.Customers.Pages, "Import": c.Customers.Import} {
		typ := reflect.TypeOf(method)
		assert.Equal(t, option, typ.In(typ.NumIn()-1).Elem(), "%s takes ...Option", name)
	}
	callOption := reflect.TypeFor[CallOption]()
	for name, method := range map[string]any{"Create": c.Customers.Create, "Get": c.Customers.Get, "Update": c.Customers.Update,
		"Archive": c.Customers.Archive, "List": c.Customers.List, "CreateBatch": c.Customers.CreateBatch} {
		typ := reflect.TypeOf(method)
		assert.Equal(t, callOption, typ.In(typ.NumIn()-1).Elem(), "%s takes ...CallOption", name)
	}
	assert.Equal(t, reflect.TypeFor[ClientOption](), reflect.TypeOf(NewClient).In(1).Elem())
}

func TestPerCallOptionsOverrideOnlyThatCall(t *testing.T) {
	c, mock := newMockClient(t, WithHeader("X-Team", "billing"))
	rec := answers(okCustomer)
	mock.RegisterResponder("GET", custURL+"/x", rec.responder)

	_, err := c.Customers.Get(context.Background(), "x", WithHeader("X-Trace", "t1"), WithHeader("X-Team", "payments"))
	require.NoError(t, err)
	_, err = c.Customers.Get(context.Background(), "x")
	require.NoError(t, err)

	reqs := rec.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "t1", reqs[0].Header.Get("X-Trace"))
	assert.Equal(t, "payments", reqs[0].Header.Get("X-Team"))

	assert.Empty(t, reqs[1].Header.Get("X-Trace"), "a per-call header leaked into the client")
	assert.Equal(t, "billing", reqs[1].Header.Get("X-Team"))
}

func TestInvalidOptionsSendNothing(t *testing.T) {
	c, mock := newMockClient(t)
	shared := map[string]Option{
		"negative retries":      WithMaxRetries(-1),
		"backoff max < initial": WithRetryBackoff(2*time.Second, time.Second),
		"zero backoff":          WithRetryBackoff(0, time.Second),
		"negative timeout":      WithTimeout(-time.Second),
		"reserved header":       WithHeader("x-api-key", "ck_other"),
		"empty header name":     WithHeader("", "v"),
	}
	calls := map[string]CallOption{
		"blank idempotency key": WithIdempotencyKey(" "),
		"nil response":          WithResponseInto(nil),
	}
	clients := map[string]ClientOption{
		"nil http client": WithHTTPClient(nil),
		"empty version":   WithAPIVersion(""),
		"http base URL":   WithBaseURL("http://commet.example.com"),
		"empty base URL":  WithBaseURL(" "),
		"nil middleware":  WithMiddleware(nil),
	}
	for name, opt := range shared {
		calls[name], clients[name] = opt, opt
		t.Run(name+" in All", func(t *testing.T) {
			err := firstErr(c.Customers.All(context.Background(), nil, opt))
			assert.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
	for name, opt := range calls {
		t.Run(name, func(t *testing.T) {
			_, err := c.Customers.Get(context.Background(), "x", opt)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			assert.NotErrorIs(t, err, ErrValidation)
		})
	}
	for name, opt := range clients {
		t.Run(name, func(t *testing.T) {
			_, err := NewClient(testKey, opt)
			assert.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
	assert.Zero(t, mock.GetTotalCallCount())
}

// TestNilOptionsAreIgnored: a nil option of any kind, as commet.Option(nil)
// is, is skipped by NewClient and by every method; none panics. When
// Option was a function type, NewClient(key, commet.Option(nil)) called it.
func TestNilOptionsAreIgnored(t *testing.T) {
	c, mock := newMockClient(t, Option(nil), ClientOption(nil))
	mock.RegisterResponder("GET", custURL+"/u1", func(*http.Request) (*http.Response, error) {
		return jsonResponse(200, envelope(customerJSON("cus_1", "u1", "a@example.com"))), nil
	})
	mock.RegisterResponder("GET", custURL, func(*http.Request) (*http.Response, error) {
		return jsonResponse(200, map[string]any{"success": true, "data": []any{}, "hasMore": false}), nil
	})
	ctx := context.Background()
	_, err := c.Customers.Get(ctx, "u1", Option(nil), CallOption(nil))
	require.NoError(t, err)
	for _, err := range c.Customers.All(ctx, nil, Option(nil)) {
		require.NoError(t, err)
	}
	for _, err := range c.Customers.Pages(ctx, nil, Option(nil)) {
		require.NoError(t, err)
	}
	var none iter.Seq[CreateCustomerParams] = func(func(CreateCustomerParams) bool) {}
	_, err = c.Customers.Import(ctx, none, nil, Option(nil))
	require.NoError(t, err)
	assert.Equal(t, 3, mock.GetTotalCallCount())
}

// TestOptionKindsAreSealed: every method of each option kind is
// unexported, so that no type outside the package can implement one, and
// only the package's With functions make them.
func TestOptionKindsAreSealed(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[Option](), reflect.TypeFor[ClientOption](), reflect.TypeFor[CallOption]()} {
		require.Equal(t, reflect.Interface, typ.Kind(), typ.Name())
		require.Positive(t, typ.NumMethod(), typ.Name())
		for i := range typ.NumMethod() {
			assert.False(t, typ.Method(i).IsExported(), "%s.%s", typ.Name(), typ.Method(i).Name)
		}
	}
}
