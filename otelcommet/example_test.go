package otelcommet_test

import (
	"context"
	"fmt"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/commet-go/commet/otelcommet"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// One option traces and measures a client: here into an in-memory span
// recorder and a manual metric reader, where a program would give its own
// providers (or none, for the global ones).
func Example() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))

	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client(otelcommet.Option(
		otelcommet.WithTracerProvider(tp),
		otelcommet.WithMeterProvider(mp),
	))

	ctx := context.Background()
	if _, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: "user_1", Email: "ada@example.com"}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := client.Customers.Get(ctx, "user_1"); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range spans.Ended() {
		fmt.Printf("%s (%s)\n", s.Name(), s.SpanKind())
		for _, a := range s.Attributes() {
			fmt.Printf("  %s=%s\n", a.Key, a.Value.String())
		}
	}
	// Output:
	// POST /api/v1/customers (client)
	//   http.request.method=POST
	//   server.address=localhost
	//   server.port=80
	//   url.scheme=http
	//   url.template=/api/v1/customers
	//   http.response.status_code=201
	// Customers.Create (internal)
	//   commet.operation=Customers.Create
	//   commet.attempts=1
	//   http.response.status_code=201
	// GET /api/v1/customers/{id} (client)
	//   http.request.method=GET
	//   server.address=localhost
	//   server.port=80
	//   url.scheme=http
	//   url.template=/api/v1/customers/{id}
	//   http.response.status_code=200
	// Customers.Get (internal)
	//   commet.operation=Customers.Get
	//   commet.attempts=1
	//   http.response.status_code=200
}
