package otelcommet_test

import (
	"context"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/commet-go/commet/otelcommet"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkGet compares, side by side, one Get on a fake in memory with no
// instrumentation, with otelcommet over OpenTelemetry's no-op providers
// (what a program that installed none pays), and over the SDK's providers
// recording every span and metric.
func BenchmarkGet(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []commet.ClientOption
	}{
		{"none", nil},
		{"otel-noop", []commet.ClientOption{otelcommet.Option(
			otelcommet.WithTracerProvider(tracenoop.NewTracerProvider()),
			otelcommet.WithMeterProvider(metricnoop.NewMeterProvider()))}},
		{"otel-sdk", []commet.ClientOption{newTelemetry().option}},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := commettest.NewServer()
			defer srv.Close()
			client := srv.Client(c.opts...)
			ctx := context.Background()
			if _, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: "user_7", Email: "u7@example.com"}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Customers.Get(ctx, "user_7"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
