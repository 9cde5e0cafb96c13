package otelcommet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/commet-go/commet/otelcommet"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// telemetry is an in-memory trace and metric pipeline.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	option commet.ClientOption
}

func newTelemetry() *telemetry {
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	return &telemetry{
		spans:  spans,
		reader: reader,
		option: otelcommet.Option(
			otelcommet.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))),
			otelcommet.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		),
	}
}

// ended returns the spans that ended, in the order they ended.
func (tm *telemetry) ended() []sdktrace.ReadOnlySpan { return tm.spans.Ended() }

// named returns the ended spans with the given name.
func (tm *telemetry) named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range tm.ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func (tm *telemetry) metrics(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tm.reader.Collect(context.Background(), &rm))
	return rm
}

// attrs returns a span's attributes as a map.
func attrs(kvs []attribute.KeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value.AsInterface()
	}
	return out
}

// firstThen answers the first request with first() and every later one
// with then(), each after latency.
func firstThen(latency time.Duration, first, then func() *http.Response) httpmock.Responder {
	var n atomic.Int32
	return func(*http.Request) (*http.Response, error) {
		time.Sleep(latency)
		if n.Add(1) == 1 {
			return first(), nil
		}
		return then(), nil
	}
}

func answerUnavailable() *http.Response {
	return jsonAnswer(503, map[string]any{"success": false, "code": "unavailable", "message": "later"})
}

func answerFound() *http.Response {
	return jsonAnswer(200, customer("cus_1", "user_1", "ada@example.com"))
}

func answerCreated() *http.Response {
	return jsonAnswer(201, customer("cus_1", "user_1", "ada@example.com"))
}

// mockClient is a client over an httpmock transport, instrumented by tm,
// with backoffs of about a second.
func mockClient(t *testing.T, tm *telemetry) (*commet.Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	c, err := commet.NewClient("ck_test_0123456789secret",
		commet.WithHTTPClient(&http.Client{Transport: mock}),
		commet.WithRetryBackoff(time.Second, time.Second),
		tm.option,
	)
	require.NoError(t, err)
	return c, mock
}

func jsonAnswer(status int, v any) *http.Response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	resp := httpmock.NewBytesResponse(status, b)
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Set("X-Request-Id", "req_1")
	return resp
}

func customer(id, externalID, email string) map[string]any {
	return map[string]any{"success": true, "data": map[string]any{
		"id": id, "organizationId": "org_1", "externalId": externalID, "billingEmail": email, "isActive": true,
		"createdAt": "2026-05-01T10:00:00Z", "updatedAt": "2026-05-01T10:00:00Z",
	}}
}

// TestSpansOfCalls: each call is an internal span named after its method,
// with one client span per request under it, described by the semantic
// conventions for HTTP clients, the ID kept out of the template.
func TestSpansOfCalls(t *testing.T) {
	tm := newTelemetry()
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client(tm.option)
	ctx := context.Background()

	_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: "user_1", Email: "ada@example.com"})
	require.NoError(t, err)
	_, err = client.Customers.Get(ctx, "user_1")
	require.NoError(t, err)
	_, err = client.Customers.Get(ctx, "nobody")
	require.ErrorIs(t, err, commet.ErrNotFound)

	spans := tm.ended()
	require.Len(t, spans, 6)
	for i, want := range []struct {
		call, attempt, template, method string
		status                          int
	}{
		{"Customers.Create", "POST /api/v1/customers", "/api/v1/customers", "POST", 201},
		{"Customers.Get", "GET /api/v1/customers/{id}", "/api/v1/customers/{id}", "GET", 200},
		{"Customers.Get", "GET /api/v1/customers/{id}", "/api/v1/customers/{id}", "GET", 404},
	} {
		attempt, call := spans[2*i], spans[2*i+1]
		assert.Equal(t, want.call, call.Name())
		assert.Equal(t, trace.SpanKindInternal, call.SpanKind())
		assert.False(t, call.Parent().IsValid(), "a call without a span in its context is a root")
		assert.Equal(t, want.attempt, attempt.Name())
		assert.Equal(t, trace.SpanKindClient, attempt.SpanKind())
		assert.Equal(t, call.SpanContext().SpanID(), attempt.Parent().SpanID(), "the request's span is the call's child")
		assert.Equal(t, call.SpanContext().TraceID(), attempt.SpanContext().TraceID())
		a := attrs(attempt.Attributes())
		assert.Equal(t, map[string]any{
			"http.request.method": want.method, "server.address": "localhost", "server.port": int64(80),
			"url.scheme": "http", "url.template": want.template, "http.response.status_code": int64(want.status),
		}, func() map[string]any { delete(a, "error.type"); return a }())
		c := attrs(call.Attributes())
		assert.Equal(t, want.call, c["commet.operation"])
		assert.Equal(t, int64(1), c["commet.attempts"])
		assert.Equal(t, int64(want.status), c["http.response.status_code"])
	}
	failed, failedCall := spans[4], spans[5]
	assert.Equal(t, "404", attrs(failed.Attributes())["error.type"])
	assert.Equal(t, codes.Error, failed.Status().Code)
	assert.Equal(t, "404", attrs(failedCall.Attributes())["error.type"])
	assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "404"}, failedCall.Status())
	assert.Equal(t, codes.Unset, spans[1].Status().Code)
	assert.NotContains(t, attrs(spans[0].Attributes()), "error.type")
}

// TestCallSpanUnderCallersSpan: a call made with a span in its context is
// that span's child.
func TestCallSpanUnderCallersSpan(t *testing.T) {
	tm := newTelemetry()
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client(tm.option)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tm.spans))
	ctx, parent := tp.Tracer("app").Start(context.Background(), "signup")
	_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: "user_1", Email: "ada@example.com"})
	require.NoError(t, err)
	parent.End()
	call := tm.named("Customers.Create")
	require.Len(t, call, 1)
	assert.Equal(t, parent.SpanContext().SpanID(), call[0].Parent().SpanID())
}

// TestRateLimitedThenCreated: a 429 then a 201 are two request spans, the
// second with its resend count, and the wait the 429 asked for is an
// event of the call's span, with its reason and length.
func TestRateLimitedThenCreated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTelemetry()
		client, mock := mockClient(t, tm)
		mock.RegisterResponder("POST", "https://commet.co/api/v1/customers", firstThen(0, func() *http.Response {
			resp := jsonAnswer(429, map[string]any{"success": false, "code": "rate_limited", "message": "slow down"})
			resp.Header.Set("Retry-After", "3")
			return resp
		}, answerCreated))
		start := time.Now()
		_, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "user_1", Email: "ada@example.com"})
		require.NoError(t, err)

		spans := tm.ended()
		require.Len(t, spans, 3)
		first, second, call := spans[0], spans[1], spans[2]
		assert.Equal(t, int64(429), attrs(first.Attributes())["http.response.status_code"])
		assert.Equal(t, "429", attrs(first.Attributes())["error.type"])
		assert.NotContains(t, attrs(first.Attributes()), "http.request.resend_count", "the first request is no resend")
		assert.Equal(t, int64(201), attrs(second.Attributes())["http.response.status_code"])
		assert.Equal(t, int64(1), attrs(second.Attributes())["http.request.resend_count"])
		assert.NotContains(t, attrs(second.Attributes()), "error.type")
		assert.Equal(t, 3*time.Second, second.StartTime().Sub(first.EndTime()), "the retry waits what the server asked")

		assert.Equal(t, codes.Unset, call.Status().Code, "the call succeeded")
		assert.Equal(t, int64(2), attrs(call.Attributes())["commet.attempts"])
		require.Len(t, call.Events(), 1)
		ev := call.Events()[0]
		assert.Equal(t, otelcommet.WaitEvent, ev.Name)
		assert.Equal(t, start, ev.Time)
		assert.Equal(t, map[string]any{"commet.wait.reason": "retry_after", "commet.wait.duration": 3.0}, attrs(ev.Attributes))
	})
}

// TestServerErrorRetried: a 503 then a 200 show the backoff as a wait.
func TestServerErrorRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTelemetry()
		client, mock := mockClient(t, tm)
		mock.RegisterResponder("GET", "https://commet.co/api/v1/customers/user_1", firstThen(0, answerUnavailable, answerFound))
		_, err := client.Customers.Get(context.Background(), "user_1")
		require.NoError(t, err)
		spans := tm.ended()
		require.Len(t, spans, 3)
		assert.Equal(t, "503", attrs(spans[0].Attributes())["error.type"])
		ev := spans[2].Events()
		require.Len(t, ev, 1)
		a := attrs(ev[0].Attributes)
		assert.Equal(t, "backoff", a["commet.wait.reason"])
		assert.InDelta(t, 0.75, a["commet.wait.duration"], 0.25+1e-9, "a backoff of 1 s, jittered down by up to half")
		assert.InDelta(t, a["commet.wait.duration"].(float64), spans[1].StartTime().Sub(spans[0].EndTime()).Seconds(), 1e-9)
	})
}

// TestLostAnswer: a request whose answer never comes is a request span
// with an error.type and no status, and the call that gives up on it
// fails with the kind of its failure, never its message.
func TestLostAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTelemetry()
		client, mock := mockClient(t, tm)
		mock.RegisterResponder("POST", "https://commet.co/api/v1/customers", func(*http.Request) (*http.Response, error) {
			return nil, errors.New("connection reset by peer while sending ada@example.com")
		})
		_, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "user_1", Email: "ada@example.com"}, commet.WithMaxRetries(1))
		require.ErrorIs(t, err, commet.ErrNetwork)
		require.ErrorIs(t, err, commet.ErrOutcomeUnknown)
		spans := tm.ended()
		require.Len(t, spans, 3)
		for _, s := range spans[:2] {
			a := attrs(s.Attributes())
			assert.NotContains(t, a, "http.response.status_code")
			assert.Equal(t, "*errors.errorString", a["error.type"])
			assert.Equal(t, codes.Error, s.Status().Code)
		}
		call := spans[2]
		assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "network"}, call.Status())
		assert.Equal(t, "network", attrs(call.Attributes())["error.type"])
		assert.Equal(t, true, attrs(call.Attributes())["commet.outcome_unknown"], "the create may have been done")
		assert.NotContains(t, attrs(call.Attributes()), "commet.not_sent")
	})
}

// TestRateLimitedToTheEnd: a call that gives up on 429s of the rate
// limiter did nothing at Commet, and its span says so.
func TestRateLimitedToTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTelemetry()
		client, mock := mockClient(t, tm)
		mock.RegisterResponder("POST", "https://commet.co/api/v1/customers", func(*http.Request) (*http.Response, error) {
			resp := jsonAnswer(429, map[string]any{"success": false, "code": "rate_limited", "message": "slow down"})
			resp.Header.Set("Retry-After", "1")
			return resp, nil
		})
		_, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "user_1", Email: "ada@example.com"}, commet.WithMaxRetries(1))
		require.ErrorIs(t, err, commet.ErrNotSent)
		call := tm.named("Customers.Create")
		require.Len(t, call, 1)
		a := attrs(call[0].Attributes())
		assert.Equal(t, true, a["commet.not_sent"])
		assert.Equal(t, "429", a["error.type"])
		assert.NotContains(t, a, "commet.outcome_unknown")
		assert.Len(t, call[0].Events(), 1, "one wait, before the one retry")
	})
}

// TestImportSpans: an import is one span; its batches' calls are its
// children, each with its requests; its outcomes are attributes when it
// ends; and the pacer's waits are events of the batches that waited.
func TestImportSpans(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTelemetry()
		srv := commettest.NewServer()
		defer srv.Close()
		client := srv.Client(tm.option)
		_, err := client.Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "user_0", Email: "user0@example.com"})
		require.NoError(t, err)
		time.Sleep(2 * time.Second) // so that user_0 was created before the import, on the fake's clock
		items := func(yield func(commet.CreateCustomerParams) bool) {
			for i := range 5 {
				email := fmt.Sprintf("user%d@example.com", i)
				if i == 4 {
					email = "not-an-email"
				}
				if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("user_%d", i), Email: email}) {
					return
				}
			}
		}
		sum, err := client.Customers.Import(context.Background(), items, &commet.ImportCustomersParams{BatchSize: 2, Concurrency: 1, RequestsPerSecond: 1})
		require.NoError(t, err)
		require.Equal(t, 3, sum.Created)
		require.Equal(t, 1, sum.Existed)
		require.Equal(t, 1, sum.Failed)

		imports := tm.named("Customers.Import")
		require.Len(t, imports, 1)
		imp := imports[0]
		assert.Equal(t, map[string]any{
			"commet.operation":   "Customers.Import",
			"commet.import.done": int64(5), "commet.import.created": int64(3), "commet.import.existed": int64(1),
			"commet.import.archived": int64(0), "commet.import.repeated": int64(0), "commet.import.failed": int64(1),
			"commet.import.not_sent": int64(0), "commet.import.outcome_unknown": int64(0),
		}, attrs(imp.Attributes()))
		batches := tm.named("Customers.CreateBatch")
		require.Len(t, batches, 2, "four items in two batches; the bad email is refused before sending")
		var waits []float64
		for _, b := range batches {
			assert.Equal(t, imp.SpanContext().SpanID(), b.Parent().SpanID())
			for _, ev := range b.Events() {
				a := attrs(ev.Attributes)
				assert.Equal(t, "pacer", a["commet.wait.reason"])
				waits = append(waits, a["commet.wait.duration"].(float64))
			}
		}
		assert.Equal(t, []float64{1}, waits, "the second batch waited a second for its turn")
		requests := tm.named("POST /api/v1/customers/batch")
		require.Len(t, requests, 2)
		for _, r := range requests {
			assert.True(t, slices.ContainsFunc(batches, func(b sdktrace.ReadOnlySpan) bool {
				return b.SpanContext().SpanID() == r.Parent().SpanID()
			}))
		}

		counts := map[string]int64{}
		for _, sm := range tm.metrics(t).ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != otelcommet.ImportItemsMetric {
					continue
				}
				assert.Equal(t, "{item}", m.Unit)
				sum := m.Data.(metricdata.Sum[int64])
				assert.True(t, sum.IsMonotonic)
				for _, dp := range sum.DataPoints {
					o, _ := dp.Attributes.Value(otelcommet.ImportOutcomeKey)
					e, _ := dp.Attributes.Value("error.type")
					counts[o.AsString()+"/"+e.AsString()] += dp.Value
				}
			}
		}
		assert.Equal(t, map[string]int64{"created/": 3, "existed/": 1, "failed/_OTHER": 1}, counts)
	})
}

// TestImportStoppedCountsNotSent: an import stopped before it sent
// anything counts its items as failed and not sent, in the span and the
// counter, and its span ends with the error's kind.
func TestImportStoppedCountsNotSent(t *testing.T) {
	tm := newTelemetry()
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client(tm.option)
	ctx, cancel := context.WithCancel(context.Background())
	items := func(yield func(commet.CreateCustomerParams) bool) {
		cancel()
		yield(commet.CreateCustomerParams{ID: "user_1", Email: "ada@example.com"})
	}
	_, err := client.Customers.Import(ctx, items, nil)
	require.ErrorIs(t, err, context.Canceled)
	imp := tm.named("Customers.Import")
	require.Len(t, imp, 1)
	assert.Equal(t, int64(1), attrs(imp[0].Attributes())["commet.import.not_sent"])
	assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "canceled"}, imp[0].Status())
	var got []string
	for _, sm := range tm.metrics(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == otelcommet.ImportItemsMetric {
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					o, _ := dp.Attributes.Value(otelcommet.ImportOutcomeKey)
					e, _ := dp.Attributes.Value("error.type")
					got = append(got, fmt.Sprintf("%s/%s=%d", o.AsString(), e.AsString(), dp.Value))
				}
			}
		}
	}
	assert.Equal(t, []string{"failed/not_sent=1"}, got)
}

// TestRequestDurationMetric: http.client.request.duration is a histogram
// in seconds with the conventions' buckets, one point per request, with
// the method, server, template, status and error type.
func TestRequestDurationMetric(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTelemetry()
		client, mock := mockClient(t, tm)
		mock.RegisterResponder("GET", "https://commet.co/api/v1/customers/user_1", firstThen(300*time.Millisecond, answerUnavailable, answerFound))
		_, err := client.Customers.Get(context.Background(), "user_1")
		require.NoError(t, err)

		var found bool
		for _, sm := range tm.metrics(t).ScopeMetrics {
			assert.Equal(t, otelcommet.ScopeName, sm.Scope.Name)
			for _, m := range sm.Metrics {
				if m.Name != "http.client.request.duration" {
					continue
				}
				found = true
				assert.Equal(t, "s", m.Unit)
				h := m.Data.(metricdata.Histogram[float64])
				require.Len(t, h.DataPoints, 2, "one series per status")
				byStatus := map[int64]metricdata.HistogramDataPoint[float64]{}
				for _, dp := range h.DataPoints {
					assert.Equal(t, []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}, dp.Bounds)
					s, _ := dp.Attributes.Value("http.response.status_code")
					byStatus[s.AsInt64()] = dp
				}
				for status, errType := range map[int64]string{503: "503", 200: ""} {
					dp := byStatus[status]
					assert.Equal(t, uint64(1), dp.Count)
					assert.InDelta(t, 0.3, dp.Sum, 1e-9)
					want := map[string]any{
						"http.request.method": "GET", "server.address": "commet.co", "server.port": int64(443),
						"url.scheme": "https", "url.template": "/api/v1/customers/{id}", "http.response.status_code": status,
					}
					if errType != "" {
						want["error.type"] = errType
					}
					assert.Equal(t, want, attrs(dp.Attributes.ToSlice()), status)
				}
			}
		}
		assert.True(t, found, "http.client.request.duration recorded")
	})
}

// TestNoPersonalDataInTelemetry: calls made with recognisable emails,
// names, addresses, IDs and key, succeeding and failing (the server's
// messages quoting them), leave none of them in any span name,
// attribute, event, status or metric attribute.
func TestNoPersonalDataInTelemetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const key = "ck_sandbox_KEYSECRET0042"
		tm := newTelemetry()
		srv := commettest.NewServer(commettest.WithAPIKey(key))
		defer srv.Close()
		client := srv.Client(tm.option)
		ctx := context.Background()
		secrets := []string{"KEYSECRET0042", "adasecret", "Lovelacesecret", "USERSECRET", "Secretstreet", "Secretville", "cus_"}

		params := &commet.CreateCustomerParams{ID: "USERSECRET-1", Email: "adasecret@example.com", FullName: "Ada Lovelacesecret",
			Address: &commet.Address{Line1: "1 Secretstreet", City: "Secretville", PostalCode: "12345", Country: "GB"}}
		created, err := client.Customers.Create(ctx, params)
		require.NoError(t, err)
		_, err = client.Customers.Create(ctx, params) // existed
		require.NoError(t, err)
		_, err = client.Customers.Get(ctx, "USERSECRET-1")
		require.NoError(t, err)
		_, err = client.Customers.Get(ctx, created.Customer.ID)
		require.NoError(t, err)
		_, err = client.Customers.Get(ctx, "USERSECRET-missing")
		require.ErrorIs(t, err, commet.ErrNotFound)
		_, err = client.Customers.Update(ctx, "USERSECRET-1", &commet.UpdateCustomerParams{FullName: commet.Ptr("Ada Lovelacesecret II")})
		require.NoError(t, err)
		_, err = client.Customers.List(ctx, &commet.ListCustomersParams{Search: "adasecret@example.com"})
		require.NoError(t, err)
		for _, err := range client.Customers.All(ctx, nil) {
			require.NoError(t, err)
		}
		_, err = client.Customers.CreateBatch(ctx, []commet.CreateCustomerParams{
			{ID: "USERSECRET-2", Email: "adasecret2@example.com"}, {ID: "USERSECRET-3", Email: "adasecret3@example.com"},
		})
		require.NoError(t, err)
		items := func(yield func(commet.CreateCustomerParams) bool) {
			for i := range 5 {
				if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("USERSECRET-i%d", i), Email: fmt.Sprintf("adasecret%d@example.com", i), FullName: "Lovelacesecret"}) {
					return
				}
			}
		}
		_, err = client.Customers.Import(ctx, items, &commet.ImportCustomersParams{BatchSize: 2})
		require.NoError(t, err)
		_, err = client.Customers.Archive(ctx, "USERSECRET-1")
		require.NoError(t, err)
		bad, err := commet.NewClient(key, commet.WithBaseURL(commettest.InMemoryBaseURL),
			commet.WithHTTPClient(&http.Client{Transport: commettest.NewServer(commettest.WithAPIKey("ck_sandbox_other")).Transport()}), tm.option)
		require.NoError(t, err)
		_, err = bad.Customers.Get(ctx, "USERSECRET-1")
		require.ErrorIs(t, err, commet.ErrUnauthorized)

		var texts []string
		add := func(kvs []attribute.KeyValue) {
			for _, kv := range kvs {
				texts = append(texts, string(kv.Key)+"="+kv.Value.String())
			}
		}
		spans := tm.ended()
		require.Greater(t, len(spans), 20)
		for _, s := range spans {
			texts = append(texts, s.Name(), s.Status().Description)
			add(s.Attributes())
			for _, ev := range s.Events() {
				texts = append(texts, ev.Name)
				add(ev.Attributes)
			}
			for _, l := range s.Links() {
				add(l.Attributes)
			}
		}
		rm := tm.metrics(t)
		add(rm.Resource.Attributes())
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				texts = append(texts, m.Name, m.Description)
				switch d := m.Data.(type) {
				case metricdata.Histogram[float64]:
					for _, dp := range d.DataPoints {
						add(dp.Attributes.ToSlice())
					}
				case metricdata.Sum[int64]:
					for _, dp := range d.DataPoints {
						add(dp.Attributes.ToSlice())
					}
				default:
					t.Errorf("metric %s of an unchecked kind %T", m.Name, d)
				}
			}
		}
		all := strings.ToLower(strings.Join(texts, "\n"))
		for _, s := range secrets {
			assert.NotContains(t, all, strings.ToLower(s))
		}
		assert.Contains(t, all, "url.template=/api/v1/customers/{id}", "the scan saw the attributes")
		assert.Contains(t, all, "error.type=401")
	})
}
