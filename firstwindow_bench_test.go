package commet_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// BenchmarkImportFirstWindow imports rows into commettest at 100 requests
// a second (a bucket of 100, as commet-fake -rate-limit 100 has) with
// 50 ms of latency, on synctest's clock, and reports the share of the
// rate limit's ideal: the rows' requests beyond the bucket's first 100,
// at 100 a second. The import's time counts from the call to its return,
// so the first answer's round trip and the last one's are inside it.
// With -commet-fake, it runs in real time against a commet-fake started
// as "commet-fake -rate-limit 100 -latency 50ms" instead:
//
//	go test -run '^$' -bench ImportFirstWindow
func BenchmarkImportFirstWindow(b *testing.B) {
	for _, rows := range []int{30_000, 200_000} {
		b.Run(fmt.Sprint(rows), func(b *testing.B) {
			var share, limited, took float64
			for b.Loop() {
				if *commetFake != "" {
					resetFake(b, *commetFake)
					share, limited, took = firstWindowOn(b, *commetFake, rows)
					continue
				}
				ok := testing.RunTests(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{Name: b.Name(), F: func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) { share, limited, took = firstWindow(t, rows) })
				}}})
				if !ok {
					b.Fatal("the run failed")
				}
			}
			b.ReportMetric(share, "share-of-ideal")
			b.ReportMetric(limited, "%429")
			b.ReportMetric(took, "s")
		})
	}
}

// firstWindowOn imports rows into the commet-fake at base, which limits
// requests to 100 a second, and returns what firstWindow does.
func firstWindowOn(tb testing.TB, base string, rows int) (share, limited, took float64) {
	const limit = 100
	var counts statusCount
	client, err := commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(base), commet.WithMiddleware(counts.middleware))
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	sum, err := client.Customers.Import(context.Background(), people(rows), nil)
	elapsed := time.Since(start)
	if err != nil || sum.Created != rows {
		tb.Fatalf("%+v, %v", sum, err)
	}
	batches := (rows + commet.MaxCustomerBatchSize - 1) / commet.MaxCustomerBatchSize
	ideal := float64(batches-limit) / limit
	return ideal / elapsed.Seconds(), 100 * float64(counts.limited.Load()) / float64(counts.answers.Load()), elapsed.Seconds()
}

// firstWindow imports rows at 100 requests a second with 50 ms of latency
// and returns the share of the ideal, the percentage of requests answered
// 429 and the seconds taken.
func firstWindow(t testing.TB, rows int) (share, limited, took float64) {
	const limit = 100
	srv := commettest.NewServer(commettest.WithRateLimit(limit, limit), commettest.WithLatency(50*time.Millisecond))
	defer srv.Close()
	start := time.Now()
	sum, err := srv.Client().Customers.Import(context.Background(), people(rows), nil)
	elapsed := time.Since(start)
	if err != nil || sum.Created != rows {
		t.Fatalf("%+v, %v", sum, err)
	}
	batches := (rows + commet.MaxCustomerBatchSize - 1) / commet.MaxCustomerBatchSize
	ideal := float64(batches-limit) / limit
	requests, refused := 0, 0
	for _, r := range srv.Stats().Requests {
		requests += r.Count
		if r.Status == http.StatusTooManyRequests {
			refused += r.Count
		}
	}
	return ideal / elapsed.Seconds(), 100 * float64(refused) / float64(requests), elapsed.Seconds()
}
