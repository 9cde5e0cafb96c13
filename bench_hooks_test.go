package commet_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// getInMemory runs b's loop of Gets on a client of a fake in memory, made
// with opts: no socket, so that what the SDK adds to a call shows.
func getInMemory(b *testing.B, opts ...commet.ClientOption) {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client(opts...)
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
}

// BenchmarkGetInMemory is one Get without hooks. It compiles at the
// commits before WithHooks too: run side by side with the same benchmark
// there, it shows what a client without hooks pays for them.
func BenchmarkGetInMemory(b *testing.B) { getInMemory(b) }

// BenchmarkGetHooks is the same Get without hooks, with empty hooks, and
// with hooks that do nothing but return, each function set.
func BenchmarkGetHooks(b *testing.B) {
	b.Run("none", func(b *testing.B) { getInMemory(b) })
	b.Run("empty", func(b *testing.B) { getInMemory(b, commet.WithHooks(commet.Hooks{})) })
	b.Run("noop", func(b *testing.B) {
		getInMemory(b, commet.WithHooks(commet.Hooks{
			CallStart: func(ctx context.Context, _ commet.CallInfo) context.Context { return ctx },
			CallEnd:   func(context.Context, commet.CallInfo, commet.Response, error) {},
			Wait:      func(context.Context, commet.Wait) {},
			Middleware: func(req *http.Request, _ commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
				return next(req)
			},
		}))
	})
}
