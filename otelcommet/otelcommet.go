// Package otelcommet traces and measures a [commet.Client] with
// OpenTelemetry. It is a module of its own, so that the SDK's users who do
// not want OpenTelemetry never have it in their module graph. One option
// instruments a client:
//
//	client, err := commet.NewClient(key, otelcommet.Option())
//
// It uses the global providers (otel.GetTracerProvider and
// otel.GetMeterProvider) unless [WithTracerProvider] and
// [WithMeterProvider] name others.
//
// # Spans
//
// Each call of the SDK (Customers.Create, Customers.Get, ...) is a span named
// after its method, of kind internal, a child of the span in the call's
// context (a failed one says whether it may have been done all the same,
// commet.outcome_unknown, or surely not, commet.not_sent); each HTTP request
// it sends, retries included, is a span of kind client under it, named and
// described as OpenTelemetry's semantic conventions for HTTP clients say
// ("GET /api/v1/customers/{id}"; http.request.method, server.address,
// server.port, url.scheme, url.template, http.response.status_code, error.type,
// http.request.resend_count for a retry). A wait between attempts is an event
// "commet.wait" on the call's span, with its reason (commet.wait.reason:
// retry_after, backoff or pacer) and its length in seconds
// (commet.wait.duration), dated when the wait began.
//
// [commet.CustomersService.Import] is one span, "Customers.Import", with
// the calls of its batches ("Customers.CreateBatch") under it, and its
// outcomes counted in attributes when it ends (commet.import.created,
// commet.import.existed, ...).
//
// # Metrics
//
// http.client.request.duration is the histogram of the conventions, in
// seconds with their bucket boundaries, one point per HTTP request, with
// the span's attributes but the resend count. commet.import.items counts
// the items of every import that ended, by outcome (commet.import.outcome:
// created, existed, archived, repeated, failed), the failed ones by
// error.type too (not_sent, outcome_unknown, or _OTHER).
//
// # What is never recorded
//
// No attribute, event or status holds an email, a name, an address, an
// API key or a customer's ID: requests are named by their route's template
// (the ID is {id}), no URL, query, header or body is recorded, and errors
// are described by their kind (a status code, "timeout"), never by their
// message, which may quote what was sent.
package otelcommet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/commet-go/commet"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the name of the tracer and the meter that instrument a
// client: this package's import path.
const ScopeName = "github.com/commet-go/commet/otelcommet"

// Attribute keys of this package's own, beside the semantic conventions'.
const (
	// WaitEvent is the name of the span event of a wait between attempts.
	WaitEvent = "commet.wait"
	// WaitReasonKey holds a wait's reason: retry_after, backoff or pacer.
	WaitReasonKey = attribute.Key("commet.wait.reason")
	// WaitDurationKey holds a wait's length, in seconds.
	WaitDurationKey = attribute.Key("commet.wait.duration")
	// OperationKey holds the SDK method a call span is of, as
	// "Customers.Create".
	OperationKey = attribute.Key("commet.operation")
	// AttemptsKey holds the number of requests a call sent.
	AttemptsKey = attribute.Key("commet.attempts")
	// OutcomeUnknownKey is set (true) on the span of a write that failed
	// and may have been done all the same (commet.ErrOutcomeUnknown): its
	// answer was lost, say.
	OutcomeUnknownKey = attribute.Key("commet.outcome_unknown")
	// NotSentKey is set (true) on the span of a call that failed and of
	// which nothing was done (commet.ErrNotSent).
	NotSentKey = attribute.Key("commet.not_sent")
	// ImportOutcomeKey holds an outcome of commet.import.items.
	ImportOutcomeKey = attribute.Key("commet.import.outcome")
)

// ImportItemsMetric is the name of the counter of imported items.
const ImportItemsMetric = "commet.import.items"

// A Setting configures [Option].
type Setting func(*config)

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider makes spans with tp instead of the global provider.
// A nil tp is ignored.
func WithTracerProvider(tp trace.TracerProvider) Setting {
	return func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	}
}

// WithMeterProvider records metrics with mp instead of the global
// provider. A nil mp is ignored.
func WithMeterProvider(mp metric.MeterProvider) Setting {
	return func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	}
}

// Option returns the client option that traces and measures a client's
// calls, as the package's documentation says. An instrument the meter
// provider cannot make is reported to otel.Handle and left out.
func Option(settings ...Setting) commet.ClientOption {
	return commet.WithHooks(newInstrumentation(settings).hooks())
}

// instrumentation holds the tracer and instruments of one Option.
type instrumentation struct {
	tracer   trace.Tracer
	duration httpconv.ClientRequestDuration
	items    metric.Int64Counter
}

func newInstrumentation(settings []Setting) *instrumentation {
	c := config{tp: otel.GetTracerProvider(), mp: otel.GetMeterProvider()}
	for _, s := range settings {
		if s != nil {
			s(&c)
		}
	}
	meter := c.mp.Meter(ScopeName)
	in := &instrumentation{tracer: c.tp.Tracer(ScopeName)}
	var err error
	if in.duration, err = httpconv.NewClientRequestDuration(meter); err != nil {
		otel.Handle(err)
	}
	in.items, err = meter.Int64Counter(ImportItemsMetric, metric.WithUnit("{item}"),
		metric.WithDescription("Items of the imports that ended, by outcome."))
	if err != nil {
		otel.Handle(err)
	}
	return in
}

func (in *instrumentation) hooks() commet.Hooks {
	return commet.Hooks{
		CallStart:   in.callStart,
		CallEnd:     in.callEnd,
		Wait:        in.wait,
		ImportStart: in.importStart,
		ImportEnd:   in.importEnd,
		Middleware:  in.attempt,
	}
}

func (in *instrumentation) callStart(ctx context.Context, call commet.CallInfo) context.Context {
	ctx, _ = in.tracer.Start(ctx, call.Operation, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(OperationKey.String(call.Operation)))
	return ctx
}

func (in *instrumentation) callEnd(ctx context.Context, _ commet.CallInfo, resp commet.Response, err error) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(AttemptsKey.Int(resp.Attempts))
	if resp.StatusCode != 0 {
		span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
	}
	if err != nil {
		kind := callErrorType(err)
		span.SetAttributes(semconv.ErrorTypeKey.String(kind))
		span.SetStatus(codes.Error, kind)
		switch {
		case errors.Is(err, commet.ErrOutcomeUnknown):
			span.SetAttributes(OutcomeUnknownKey.Bool(true))
		case errors.Is(err, commet.ErrNotSent):
			span.SetAttributes(NotSentKey.Bool(true))
		}
	}
	span.End()
}

func (in *instrumentation) wait(ctx context.Context, w commet.Wait) {
	trace.SpanFromContext(ctx).AddEvent(WaitEvent, trace.WithTimestamp(w.Start), trace.WithAttributes(
		WaitReasonKey.String(string(w.Reason)),
		WaitDurationKey.Float64(w.Duration.Seconds()),
	))
}

func (in *instrumentation) importStart(ctx context.Context) context.Context {
	ctx, _ = in.tracer.Start(ctx, "Customers.Import", trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(OperationKey.String("Customers.Import")))
	return ctx
}

func (in *instrumentation) importEnd(ctx context.Context, s commet.ImportSummary, err error) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(
		attribute.Int("commet.import.done", s.Done),
		attribute.Int("commet.import.created", s.Created),
		attribute.Int("commet.import.existed", s.Existed),
		attribute.Int("commet.import.archived", s.Archived),
		attribute.Int("commet.import.repeated", s.Repeated),
		attribute.Int("commet.import.failed", s.Failed),
		attribute.Int("commet.import.not_sent", s.NotSent),
		attribute.Int("commet.import.outcome_unknown", s.Unknown),
	)
	if err != nil {
		kind := callErrorType(err)
		span.SetAttributes(semconv.ErrorTypeKey.String(kind))
		span.SetStatus(codes.Error, kind)
	}
	span.End()
	if in.items == nil {
		return
	}
	for _, c := range []struct {
		outcome, errorType string
		n                  int
	}{
		{"created", "", s.Created},
		{"existed", "", s.Existed},
		{"archived", "", s.Archived},
		{"repeated", "", s.Repeated},
		{"failed", "not_sent", s.NotSent},
		{"failed", "outcome_unknown", s.Unknown},
		{"failed", semconv.ErrorTypeOther.Value.AsString(), s.Failed - s.NotSent - s.Unknown},
	} {
		if c.n <= 0 {
			continue
		}
		attrs := []attribute.KeyValue{ImportOutcomeKey.String(c.outcome)}
		if c.errorType != "" {
			attrs = append(attrs, semconv.ErrorTypeKey.String(c.errorType))
		}
		in.items.Add(ctx, int64(c.n), metric.WithAttributes(attrs...))
	}
}

// attempt is the middleware that makes each request's client span and
// records its duration.
func (in *instrumentation) attempt(req *http.Request, a commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
	template := "/api/v1" + a.Route
	host, port := serverOf(req.URL)
	method := httpconv.RequestMethodAttr(a.Method)
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(a.Method),
		semconv.ServerAddress(host),
		semconv.ServerPort(port),
		semconv.URLScheme(req.URL.Scheme),
		semconv.URLTemplate(template),
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)}
	if a.Number > 1 {
		opts = append(opts, trace.WithAttributes(semconv.HTTPRequestResendCount(a.Number-1)))
	}
	ctx, span := in.tracer.Start(req.Context(), a.Method+" "+template, opts...)
	defer span.End()

	start := time.Now()
	resp, err := next(req.WithContext(ctx))
	elapsed := time.Since(start)

	kind := ""
	switch {
	case err != nil:
		kind = attemptErrorType(err)
	case resp != nil && resp.StatusCode >= 400:
		kind = strconv.Itoa(resp.StatusCode)
	}
	if resp != nil && err == nil {
		status := semconv.HTTPResponseStatusCode(resp.StatusCode)
		span.SetAttributes(status)
		attrs = append(attrs, status)
	}
	if kind != "" {
		errType := semconv.ErrorTypeKey.String(kind)
		span.SetAttributes(errType)
		span.SetStatus(codes.Error, kind)
		attrs = append(attrs, errType)
	}
	in.duration.Record(ctx, elapsed.Seconds(), method, host, port, attrs[3:]...)
	return resp, err
}

// serverOf is the host and port a request goes to, the port from the
// scheme when the URL names none.
func serverOf(u *url.URL) (string, int) {
	host := u.Hostname()
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return host, p
	}
	if u.Scheme == "http" {
		return host, 80
	}
	return host, 443
}

// attemptErrorType is the kind of a request that got no answer.
func attemptErrorType(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error says nothing of the kind, and its URL is never recorded
	}
	return semconv.ErrorType(err).Value.AsString()
}

// callErrorType is the kind of a call's failure: the status of its last
// answer when one came, else what the SDK's sentinel errors say of it.
func callErrorType(err error) string {
	var apiErr *commet.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode != 0 {
		return strconv.Itoa(apiErr.StatusCode)
	}
	for _, k := range []struct {
		target error
		kind   string
	}{
		{context.Canceled, "canceled"},
		{context.DeadlineExceeded, "timeout"},
		{commet.ErrNetwork, "network"},
		{commet.ErrBadResponse, "bad_response"},
		{commet.ErrPagination, "pagination"},
		{commet.ErrInvalidConfig, "invalid_config"},
		{commet.ErrValidation, "validation"},
	} {
		if errors.Is(err, k.target) {
			return k.kind
		}
	}
	return semconv.ErrorTypeOther.Value.AsString()
}
