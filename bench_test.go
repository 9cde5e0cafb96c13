package commet_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

var benchN = flag.Int("bench-customers", 100_000, "customers per op in BenchmarkImport and BenchmarkExport")

// BenchmarkImport compares, side by side, importing the same customers into
// commettest over loopback with Import (default params) and with a loop of
// single Creates.
func BenchmarkImport(b *testing.B) {
	n := *benchN
	b.Run("importer", func(b *testing.B) {
		eachOnFreshServer(b, n, func(client *commet.Client) {
			sum, err := client.Customers.Import(context.Background(), people(n), nil)
			if err != nil || sum.Created != n {
				b.Fatalf("import: %+v, %v", sum, err)
			}
		})
	})
	b.Run("create-loop", func(b *testing.B) {
		eachOnFreshServer(b, n, func(client *commet.Client) {
			for p := range people(n) {
				if _, err := client.Customers.Create(context.Background(), &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// eachOnFreshServer times importN once per iteration, each against a new,
// empty server whose start and stop are not timed, and reports the rate.
func eachOnFreshServer(b *testing.B, n int, importN func(*commet.Client)) {
	for b.Loop() {
		b.StopTimer()
		srv := commettest.NewServer()
		client, err := loopbackClient(srv)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		importN(client)
		b.StopTimer()
		srv.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}

// seeded returns a commettest server holding n customers, and a client
// that reaches it over loopback, as the raw net/http baselines do.
func seeded(b *testing.B, n int) (*commettest.Server, *commet.Client) {
	srv := commettest.NewServer()
	client, err := loopbackClient(srv)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := client.Customers.Import(context.Background(), people(n), nil); err != nil {
		b.Fatal(err)
	}
	return srv, client
}

// loopbackClient returns a client of srv over a real loopback socket.
func loopbackClient(srv *commettest.Server) (*commet.Client, error) {
	return commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(srv.URL()))
}

// BenchmarkExport walks every customer with All, against the same walk done
// with raw net/http and encoding/json: the SDK's cost over the bare minimum.
func BenchmarkExport(b *testing.B) {
	n := *benchN
	srv, client := seeded(b, n)
	defer srv.Close()
	b.Run("sdk-all", func(b *testing.B) {
		for b.Loop() {
			got := 0
			for _, err := range client.Customers.All(context.Background(), nil) {
				if err != nil {
					b.Fatal(err)
				}
				got++
			}
			if got != n {
				b.Fatalf("got %d customers", got)
			}
		}
	})
	b.Run("raw-net-http", func(b *testing.B) {
		hc := &http.Client{}
		for b.Loop() {
			got, cursor := 0, ""
			for {
				q := url.Values{"limit": {"100"}}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				var page struct {
					Data       []commet.Customer `json:"data"`
					HasMore    bool              `json:"hasMore"`
					NextCursor string            `json:"nextCursor"`
				}
				rawGet(b, hc, srv.URL()+"/api/v1/customers?"+q.Encode(), &page)
				got += len(page.Data)
				if !page.HasMore {
					break
				}
				cursor = page.NextCursor
			}
			if got != n {
				b.Fatalf("got %d customers", got)
			}
		}
	})
}

// BenchmarkInterleaved is one Get, Create (of an existing ID, the sign-up
// path) and List (a page of 100) through the SDK against the same request
// done with raw net/http, over loopback to the same commettest server.
// The two sides run in one loop, one request of each per iteration, the
// side that goes first alternating, each timed on its own: load that comes
// and goes on the machine falls on both alike, where two sub-benchmarks run
// one after the other would each see a different share of it. It reports
// each side's mean wall time per request and their ratio (sdk/raw), the
// ratio of the medians (sdk/raw-p50, which a preempted request does not
// move), and the ratio of the process's CPU time (sdk/raw-cpu: the client's
// work and the in-process server's, which other processes move far less):
//
//	go test -run '^$' -bench Interleaved -count 10
//
// The raw side does what a careful caller of the contract must: the
// x-api-key and Commet-Version headers, for Create a JSON body with
// Content-Type and a random Idempotency-Key, a check of the status and of
// the envelope's success and data; it keeps its connections alive as the
// SDK's client does (a copy of http.DefaultTransport, as many idle
// connections per host). It sets no timeout, where the SDK bounds each
// attempt (DefaultTimeout).
func BenchmarkInterleaved(b *testing.B) {
	srv, client := seeded(b, 200)
	defer srv.Close()
	raw := &http.Client{Transport: keepAliveTransport()}
	customers := srv.URL() + "/api/v1/customers"
	create := &commet.CreateCustomerParams{ID: "user_7", Email: "user7@example.com"}
	type envelope struct {
		Success bool             `json:"success"`
		Data    *commet.Customer `json:"data"`
	}
	cases := []struct {
		name     string
		sdk, raw func(b *testing.B)
	}{
		{"get", func(b *testing.B) {
			if _, err := client.Customers.Get(context.Background(), "user_7"); err != nil {
				b.Fatal(err)
			}
		}, func(b *testing.B) {
			var env envelope
			rawGet(b, raw, customers+"/user_7", &env)
			if !env.Success || env.Data == nil {
				b.Fatal("no customer in the answer")
			}
		}},
		{"create", func(b *testing.B) {
			if _, err := client.Customers.Create(context.Background(), create); err != nil {
				b.Fatal(err)
			}
		}, func(b *testing.B) {
			body, err := json.Marshal(create)
			if err != nil {
				b.Fatal(err)
			}
			var key [16]byte
			crand.Read(key[:])
			var env envelope
			rawDo(b, raw, http.MethodPost, customers, body, hex.EncodeToString(key[:]), &env)
			if !env.Success || env.Data == nil {
				b.Fatal("no customer in the answer")
			}
		}},
		{"list", func(b *testing.B) {
			page, err := client.Customers.List(context.Background(), &commet.ListCustomersParams{Limit: 100})
			if err != nil || len(page.Data) != 100 {
				b.Fatal(page, err)
			}
		}, func(b *testing.B) {
			var page struct {
				Success    bool              `json:"success"`
				Data       []commet.Customer `json:"data"`
				HasMore    *bool             `json:"hasMore"`
				NextCursor string            `json:"nextCursor"`
			}
			rawGet(b, raw, customers+"?"+url.Values{"limit": {"100"}}.Encode(), &page)
			if !page.Success || page.HasMore == nil || len(page.Data) != 100 {
				b.Fatalf("got %d customers", len(page.Data))
			}
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) { interleave(b, tc.sdk, tc.raw) })
	}
}

// BenchmarkInterleavedParts splits BenchmarkInterleaved/get in two: what
// the SDK's wire features cost a raw net/http Get (a 30 s timeout on the
// request, as DefaultTimeout bounds each attempt; an httptrace.ClientTrace
// with GetConn and WroteHeaders, as the SDK counts the requests that left;
// the SDK's User-Agent and Accept headers; the answer read whole, then
// decoded), as "features" against the plain raw Get; and the SDK against
// that raw Get with the features, as "sdk-vs-features", which leaves the
// SDK's own code (options, checks, pacing, envelope, hooks):
//
//	go test -run '^$' -bench InterleavedParts -count 10
//
// The ratios are reported under the same names as BenchmarkInterleaved's
// (sdk/raw and so on), the first side being "sdk".
func BenchmarkInterleavedParts(b *testing.B) {
	srv, client := seeded(b, 200)
	defer srv.Close()
	target := srv.URL() + "/api/v1/customers/user_7"
	rawGet := func(features bool) func(*testing.B) {
		hc := &http.Client{Transport: keepAliveTransport()}
		return func(b *testing.B) {
			ctx := context.Background()
			if features {
				var sent atomic.Int32
				ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GetConn: func(string) { sent.Add(1) }, WroteHeaders: func() { sent.Add(1) }})
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, commet.DefaultTimeout)
				defer cancel()
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("x-api-key", commettest.TestAPIKey)
			req.Header.Set("Commet-Version", commet.DefaultAPIVersion)
			if features {
				req.Header.Set("User-Agent", "commet-go/"+commet.Version+" go/"+strings.TrimPrefix(runtime.Version(), "go")+" "+runtime.GOOS+"/"+runtime.GOARCH)
				req.Header.Set("Accept", "application/json")
			}
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			defer resp.Body.Close()
			var env struct {
				Success bool             `json:"success"`
				Data    *commet.Customer `json:"data"`
			}
			if features {
				body, rerr := io.ReadAll(resp.Body)
				if rerr != nil {
					b.Fatal(rerr)
				}
				err = json.Unmarshal(body, &env)
			} else {
				err = json.NewDecoder(resp.Body).Decode(&env)
			}
			if err != nil || resp.StatusCode/100 != 2 || !env.Success || env.Data == nil {
				b.Fatal(resp.StatusCode, err)
			}
		}
	}
	plain, featured := rawGet(false), rawGet(true)
	b.Run("features", func(b *testing.B) { interleave(b, featured, plain) })
	b.Run("sdk-vs-features", func(b *testing.B) {
		interleave(b, func(b *testing.B) {
			if _, err := client.Customers.Get(context.Background(), "user_7"); err != nil {
				b.Fatal(err)
			}
		}, featured)
	})
}

// interleave runs sdk and raw once each per iteration, the first of the
// two alternating, times each apart, and reports each side's mean
// (sdk-ns/op, raw-ns/op) and their ratio (sdk/raw), the ratio of their
// medians (sdk/raw-p50: a request that another process preempted for a
// few milliseconds moves a mean, not a median), and the ratio of the
// process's CPU time (sdk/raw-cpu) when it can be read. ns/op is the time
// of the pair.
func interleave(b *testing.B, sdk, raw func(*testing.B)) {
	sdk(b) // a connection of each side's own in its pool before timing
	raw(b)
	var took [2][]time.Duration
	var cpu [2]time.Duration
	timed := func(side int, f func(*testing.B)) {
		c, t := cpuTime(), time.Now()
		f(b)
		d := time.Since(t)
		cpu[side] += cpuTime() - c
		took[side] = append(took[side], d)
	}
	sdkFirst := false
	for b.Loop() {
		if sdkFirst = !sdkFirst; sdkFirst {
			timed(0, sdk)
			timed(1, raw)
		} else {
			timed(1, raw)
			timed(0, sdk)
		}
	}
	var sum, median [2]float64
	for side, ds := range took {
		for _, d := range ds {
			sum[side] += float64(d)
		}
		slices.Sort(ds)
		median[side] = float64(ds[len(ds)/2])
	}
	n := float64(b.N)
	b.ReportMetric(sum[0]/n, "sdk-ns/op")
	b.ReportMetric(sum[1]/n, "raw-ns/op")
	b.ReportMetric(sum[0]/sum[1], "sdk/raw")
	b.ReportMetric(median[0]/median[1], "sdk/raw-p50")
	if cpu[1] > 0 {
		b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "sdk/raw-cpu")
	}
}

// keepAliveTransport is what the SDK's default client sends through: a
// copy of http.DefaultTransport that keeps up to 32 idle connections per
// host.
func keepAliveTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return t
}

func rawGet(b *testing.B, hc *http.Client, target string, out any) {
	rawDo(b, hc, http.MethodGet, target, nil, "", out)
}

// rawDo sends one request as a careful user of raw net/http would, and
// decodes its 2xx answer into out.
func rawDo(b *testing.B, hc *http.Client, method, target string, body []byte, idemKey string, out any) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("x-api-key", commettest.TestAPIKey)
	req.Header.Set("Commet-Version", commet.DefaultAPIVersion)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.Fatal(fmt.Sprint("status ", resp.StatusCode))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkImportTrial is the trial of a legacy migration on synctest's
// clock: 30,000 rows with 1% repeated IDs (each repeat well after its
// first row) into commettest at 20 requests a second with 60 ms of
// latency. It reports the share of the rate limit's ideal (the distinct
// IDs' batches at 20 a second, less the bucket's first 20) and the
// requests sent per batch of distinct IDs: repeats of settled IDs are
// settled without a request, so it is 1.00 when nothing is sent twice.
func BenchmarkImportTrial(b *testing.B) {
	const rows, limit = 30_000, 20
	items, distinct := trialRows(rows)
	for b.Loop() {
		// A benchmark has no *testing.T to start a bubble with: run one test.
		ok := testing.RunTests(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{Name: b.Name(), F: func(t *testing.T) {
			synctest.Test(t, func(*testing.T) { trial(b, items, distinct, limit) })
		}}})
		if !ok {
			b.Fatal("the trial failed")
		}
	}
}

func trial(b *testing.B, items []commet.CreateCustomerParams, distinct, limit int) {
	srv := commettest.NewServer(commettest.WithRateLimit(float64(limit), limit), commettest.WithLatency(60*time.Millisecond))
	defer srv.Close()
	start := time.Now()
	sum, err := srv.Client().Customers.Import(context.Background(), slices.Values(items), nil)
	took := time.Since(start)
	if err != nil || sum.Created != distinct || sum.Repeated != len(items)-distinct {
		b.Fatalf("%+v, %v", sum, err)
	}
	batches := (distinct + commet.MaxCustomerBatchSize - 1) / commet.MaxCustomerBatchSize
	ideal := time.Duration(float64(batches-limit) / float64(limit) * float64(time.Second))
	requests := 0
	for _, r := range srv.Stats().Requests {
		requests += r.Count
	}
	b.ReportMetric(ideal.Seconds()/took.Seconds(), "share-of-limit")
	b.ReportMetric(float64(requests)/float64(batches), "requests/batch")
	b.ReportMetric(took.Seconds(), "synctest-s")
}

// trialRows is the trial's input: rows rows, 1% of them a repeat of an ID
// seen at least 1,000 rows before; distinct is the number of IDs.
func trialRows(rows int) (items []commet.CreateCustomerParams, distinct int) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range rows {
		id := fmt.Sprintf("k%06d", i)
		if i > 1000 && rng.IntN(100) == 0 {
			id = items[rng.IntN(i-1000)].ID
		} else {
			distinct++
		}
		items = append(items, commet.CreateCustomerParams{ID: id, Email: fmt.Sprintf("kunde%d@example.com", i)})
	}
	return items, distinct
}

// cannedTransport answers every request at once with body, as a server
// would (Date, X-Request-Id), with no socket and no server in between.
type cannedTransport struct {
	status int
	body   string
}

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req_1"},
		"Date": {"Sat, 05 Dec 2026 12:00:00 GMT"}}, Body: io.NopCloser(strings.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r}, nil
}

const cannedCustomer = `{"id":"cus_1","organizationId":"org_1","externalId":"user_7","billingEmail":"user7@example.com","isActive":true,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`

// BenchmarkCallOverhead is what a call costs the client alone: Get,
// Create and a List of 100 customers through the SDK against the same
// request and decode with raw net/http, both over a transport that answers
// at once. Without a socket or a server to share the time with, the SDK's
// own cost (options, headers, timeout, trace, checks) is the difference.
func BenchmarkCallOverhead(b *testing.B) {
	page := `{"success":true,"data":[` + strings.TrimSuffix(strings.Repeat(cannedCustomer+",", 100), ",") + `],"hasMore":true,"nextCursor":"c1"}`
	cases := []struct {
		name, method, body string
		status             int
		sdk                func(*commet.Client) error
	}{
		{"get", http.MethodGet, `{"success":true,"data":` + cannedCustomer + `}`, 200, func(c *commet.Client) error {
			_, err := c.Customers.Get(context.Background(), "user_7")
			return err
		}},
		{"create", http.MethodPost, `{"success":true,"data":` + cannedCustomer + `}`, 200, func(c *commet.Client) error {
			_, err := c.Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "user_7", Email: "user7@example.com"})
			return err
		}},
		{"list", http.MethodGet, page, 200, func(c *commet.Client) error {
			_, err := c.Customers.List(context.Background(), &commet.ListCustomersParams{Limit: 100})
			return err
		}},
	}
	for _, tc := range cases {
		hc := &http.Client{Transport: cannedTransport{tc.status, tc.body}}
		b.Run(tc.name+"/sdk", func(b *testing.B) {
			client, err := commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL("http://127.0.0.1:1"), commet.WithHTTPClient(hc))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.sdk(client); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/raw-net-http", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var body []byte
				key := ""
				target := "http://127.0.0.1:1/api/v1/customers"
				switch tc.name {
				case "get":
					target += "/user_7"
				case "create":
					var err error
					if body, err = json.Marshal(&commet.CreateCustomerParams{ID: "user_7", Email: "user7@example.com"}); err != nil {
						b.Fatal(err)
					}
					var k [16]byte
					crand.Read(k[:])
					key = hex.EncodeToString(k[:])
				case "list":
					target += "?" + url.Values{"limit": {"100"}}.Encode()
				}
				if tc.name == "list" {
					var page struct {
						Data       []commet.Customer `json:"data"`
						HasMore    bool              `json:"hasMore"`
						NextCursor string            `json:"nextCursor"`
					}
					rawDo(b, hc, tc.method, target, body, key, &page)
					continue
				}
				var env struct {
					Data *commet.Customer `json:"data"`
				}
				rawDo(b, hc, tc.method, target, body, key, &env)
			}
		})
	}
}
