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
	"net/url"
	"slices"
	"strings"
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

// BenchmarkGet is one Get through the SDK against the same request done
// with raw net/http.
func BenchmarkGet(b *testing.B) {
	srv, client := seeded(b, 100)
	defer srv.Close()
	b.Run("sdk", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, err := client.Customers.Get(context.Background(), "user_7"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-net-http", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		hc := &http.Client{}
		for b.Loop() {
			var env struct {
				Data *commet.Customer `json:"data"`
			}
			rawGet(b, hc, srv.URL()+"/api/v1/customers/user_7", &env)
		}
	})
}

// BenchmarkCreate is one Create of an existing ID (the sign-up path)
// through the SDK against the same POST done with raw net/http, which
// sends the body, an Idempotency-Key and the headers the contract asks for.
func BenchmarkCreate(b *testing.B) {
	srv, client := seeded(b, 100)
	defer srv.Close()
	params := &commet.CreateCustomerParams{ID: "user_7", Email: "user7@example.com"}
	b.Run("sdk", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, err := client.Customers.Create(context.Background(), params); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-net-http", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		hc := &http.Client{}
		for b.Loop() {
			body, err := json.Marshal(params)
			if err != nil {
				b.Fatal(err)
			}
			var key [16]byte
			crand.Read(key[:])
			var env struct {
				Data *commet.Customer `json:"data"`
			}
			rawDo(b, hc, http.MethodPost, srv.URL()+"/api/v1/customers", body, hex.EncodeToString(key[:]), &env)
		}
	})
}

// BenchmarkList is one page of 100 customers through the SDK against the
// same request done with raw net/http.
func BenchmarkList(b *testing.B) {
	srv, client := seeded(b, 200)
	defer srv.Close()
	params := &commet.ListCustomersParams{Limit: 100}
	b.Run("sdk", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			page, err := client.Customers.List(context.Background(), params)
			if err != nil || len(page.Data) != 100 {
				b.Fatal(page, err)
			}
		}
	})
	b.Run("raw-net-http", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		hc := &http.Client{}
		for b.Loop() {
			q := url.Values{"limit": {"100"}}
			var page struct {
				Data       []commet.Customer `json:"data"`
				HasMore    bool              `json:"hasMore"`
				NextCursor string            `json:"nextCursor"`
			}
			rawGet(b, hc, srv.URL()+"/api/v1/customers?"+q.Encode(), &page)
			if len(page.Data) != 100 {
				b.Fatalf("got %d customers", len(page.Data))
			}
		}
	})
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
	req.Header.Set("x-api-key", "ck_test_bench")
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
