// Command otel shows what package otelcommet records: it creates, reads,
// retries (a 503 the fake injects) and imports customers (one refused) against an
// in-process commettest server, with every span printed as JSON by
// OpenTelemetry's stdout exporter and the metrics read once at the end:
//
//	go run ./examples/otel
//
// It needs no network and no account. In a program of your own, give
// otelcommet.Option() your providers (or none, for the global ones) and
// export to your collector instead. Nothing it prints holds an email, a
// name, a customer's ID or the API key.
//
// It is a module of its own, so that the SDK's module never requires
// OpenTelemetry. It takes no arguments: -h or -help prints the usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/commet-go/commet/otelcommet"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	fs := flag.NewFlagSet("otel", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: otel\n\nTraces and measures calls to an in-process fake Commet, printing the spans and metrics.\n")
	}
	switch err := fs.Parse(os.Args[1:]); {
	case err == flag.ErrHelp:
		os.Exit(0)
	case err != nil || fs.NArg() > 0:
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // never hang
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "otel:", err)
		os.Exit(1)
	}
}

// run makes the calls and prints their spans and metrics to out.
func run(ctx context.Context, out io.Writer) error {
	exporter, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer tp.Shutdown(context.Background())
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client(
		otelcommet.Option(otelcommet.WithTracerProvider(tp), otelcommet.WithMeterProvider(mp)),
		commet.WithRetryBackoff(10*time.Millisecond, 50*time.Millisecond),
	)

	ctx, span := tp.Tracer("examples/otel").Start(ctx, "onboarding")
	if _, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: "user_1", Email: "ada@example.com", FullName: "Ada Lovelace"}); err != nil {
		return err
	}
	srv.InjectFault(commettest.Fault{Method: "GET", Path: "/api/v1/customers/user_1", Status: 503})
	if _, err := client.Customers.Get(ctx, "user_1"); err != nil { // a 503, then the customer
		return err
	}
	items := slices.Values([]commet.CreateCustomerParams{
		{ID: "user_2", Email: "grace@example.com", FullName: "Grace Hopper"},
		{ID: "user_3", Email: "edsger@example.com"},
		{ID: "user_4", Email: "not-an-email"}, // refused before sending
	})
	if _, err := client.Customers.Import(ctx, items, &commet.ImportCustomersParams{BatchSize: 2}); err != nil {
		return err
	}
	span.End()

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return err
	}
	fmt.Fprintln(out, "metrics:")
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					fmt.Fprintf(out, "  %s %v: %d requests\n", m.Name, dp.Attributes.ToSlice(), dp.Count)
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					fmt.Fprintf(out, "  %s %v: %d\n", m.Name, dp.Attributes.ToSlice(), dp.Value)
				}
			}
		}
	}
	return nil
}
