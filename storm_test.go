package commet_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// stormResult is how a storm of sign-ups fared.
type stormResult struct {
	signUps, succeeded, requests, limited int
	elapsed                               time.Duration
}

func (r stormResult) String() string {
	return fmt.Sprintf("%d of %d sign-ups succeeded (%.1f%%), %d of %d requests answered 429 (%.1f%%), in %v",
		r.succeeded, r.signUps, 100*r.successShare(), r.limited, r.requests, 100*r.limitedShare(), r.elapsed.Round(time.Millisecond))
}

func (r stormResult) successShare() float64 { return float64(r.succeeded) / float64(r.signUps) }
func (r stormResult) limitedShare() float64 { return float64(r.limited) / float64(max(r.requests, 1)) }

// statusCount counts the answers a client's attempts got, and the 429s.
type statusCount struct{ answers, limited atomic.Int64 }

// middleware counts the answers of every attempt it wraps.
func (s *statusCount) middleware(req *http.Request, _ commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
	resp, err := next(req)
	if err == nil {
		s.answers.Add(1)
		if resp.StatusCode == http.StatusTooManyRequests {
			s.limited.Add(1)
		}
	}
	return resp, err
}

// commetFake, if set, is the URL of a running commet-fake that
// BenchmarkSignUpStorm and BenchmarkImportFirstWindow use instead of
// commettest (resetting it before each run), in real time.
var commetFake = flag.String("commet-fake", "", "run BenchmarkSignUpStorm and BenchmarkImportFirstWindow against the commet-fake at this `URL`")

// resetFake forgets the customers, rate limits and stats of the
// commet-fake at base.
func resetFake(tb testing.TB, base string) {
	resp, err := http.Post(base+"/_commettest/reset", "", nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
}

// storm signs users up at once on client, each twice (Create with the
// same ID), each sign-up with budget to finish and 2 retries; counts must
// count client's answers.
func storm(client *commet.Client, counts *statusCount, users int, budget time.Duration) stormResult {
	var ok atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 2 * users {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			defer cancel()
			id := fmt.Sprintf("user_%d", i%users)
			_, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: id, Email: id + "@example.com"}, commet.WithMaxRetries(2))
			if err == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	return stormResult{signUps: 2 * users, succeeded: int(ok.Load()), elapsed: time.Since(start),
		requests: int(counts.answers.Load()), limited: int(counts.limited.Load())}
}

// TestSharedPacingWeathersAStorm: 400 sign-ups at once on one client
// (200 users, twice each), against a limit of 200 a second with a burst
// of 50 and 20 ms of latency, each with 10 s and 2 retries, on synctest's
// clock: with the client's calls sharing what they learn, at least 90%
// succeed and at most 10% of requests are answered 429; each call on its
// own (WithSharedPacing(false)) retries in lockstep and fares far worse.
// BenchmarkSignUpStorm runs the full size over loopback.
func TestSharedPacingWeathersAStorm(t *testing.T) {
	t.Parallel() // a server, a client and a clock of its own
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer(commettest.WithRateLimit(200, 50), commettest.WithLatency(20*time.Millisecond))
				defer srv.Close()
				var counts statusCount
				r := storm(srv.Client(commet.WithSharedPacing(shared), commet.WithMiddleware(counts.middleware)), &counts, 200, 10*time.Second)
				t.Log(r)
				if shared {
					assert.GreaterOrEqual(t, r.successShare(), 0.90)
					assert.LessOrEqual(t, r.limitedShare(), 0.10)
				} else {
					assert.Less(t, r.successShare(), 0.90, "the baseline")
				}
			})
		})
	}
}

// BenchmarkSignUpStorm signs up 1,600 users at once on one client (800
// users, twice each) through loopback against commettest at 200 requests a
// second with a burst of 50 and 20 ms of latency, each sign-up with 10 s
// and 2 retries, with the client's calls sharing what they learn of the
// limit and without (WithSharedPacing(false)), and reports the share of
// sign-ups that succeeded and of requests answered 429. It runs in real
// time (about 10 s an iteration). With -commet-fake, it runs against a
// commet-fake started as "commet-fake -rate-limit 200 -latency 20ms"
// (whose burst is 200) instead:
//
//	go test -run '^$' -bench SignUpStorm -benchtime 1x
func BenchmarkSignUpStorm(b *testing.B) {
	for _, shared := range []bool{true, false} {
		b.Run(fmt.Sprintf("shared=%v", shared), func(b *testing.B) {
			var r stormResult
			for b.Loop() {
				base := *commetFake
				var srv *commettest.Server
				if base == "" {
					srv = commettest.NewServer(commettest.WithRateLimit(200, 50), commettest.WithLatency(20*time.Millisecond))
					base = srv.URL()
				} else {
					resetFake(b, base)
				}
				var counts statusCount
				client, err := commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(base), commet.WithSharedPacing(shared), commet.WithMiddleware(counts.middleware))
				if err != nil {
					b.Fatal(err)
				}
				r = storm(client, &counts, 800, 10*time.Second)
				if srv != nil {
					srv.Close()
				}
			}
			b.Log(r)
			b.ReportMetric(100*r.successShare(), "%succeeded")
			b.ReportMetric(100*r.limitedShare(), "%429")
			b.ReportMetric(float64(r.requests), "requests")
		})
	}
}
