// Command commet-fake serves the commettest fake Commet API on an address
// of your choice, for SDKs in any language, CI jobs and containers:
//
//	go run ./cmd/commet-fake -addr 127.0.0.1:12111
//
// Point a client at http://127.0.0.1:12111 (the API is under /api/v1, as on
// Commet) with any API key starting with "ck_", or only the one given with
// -api-key. Commet serves live and sandbox data from one host, and the key
// decides which; the fake holds one organization in one environment, so
// every key it accepts reaches the same customers. The fake follows the
// contract of API version 2026-05-01: create, batch create, get, update,
// list and archive, with Commet's envelopes, validation errors and
// idempotency.
//
// Flags:
//
//	-addr host:port    where to listen (default 127.0.0.1:12111)
//	-api-key key       accept only this key
//	-strict            refuse, with a 400 contract_violation, what Commet
//	                   accepts but a well-behaved client should never send:
//	                   no Commet-Version header, a POST without an
//	                   Idempotency-Key, a body without Content-Type
//	                   application/json, a field the contract does not know
//	                   (a wrong letter case included)
//	-rate-limit N      allow N requests a second per API key, N at once
//	                   (at least 1), answering 429 rate_limited with
//	                   Retry-After beyond; every answer carries
//	                   RateLimit-Limit, RateLimit-Remaining and
//	                   RateLimit-Reset
//	-rate-limit-headers form
//	                   the form of those headers: legacy (the three
//	                   above, the default), draft (the IETF draft's
//	                   RateLimit-Policy and RateLimit instead, such as
//	                   "default";q=10;w=1 and "default";r=9;t=1) or both
//	-latency d         delay every answer by d (such as 50ms)
//	-seed N            start with N generated customers (at most 1000000):
//	                   external IDs seed_000001 to seed_N in six digits,
//	                   emails seed_000001@example.com and so on, the odd
//	                   ones named "Seed Customer 1" and so on; a reset
//	                   makes them again
//	-quiet             do not log requests
//	-h, -help          print the usage and exit
//
// A control plane, which needs no API key and is never faulted,
// rate-limited or counted, lets a test in any language inject faults, see
// what the fake stored and served, and start afresh:
//
//	curl -X POST localhost:12111/_commettest/faults -d '{"path":"/customers","status":503,"times":2}'
//	curl localhost:12111/_commettest/faults          # the faults not used up, with how often each fired
//	curl -X DELETE localhost:12111/_commettest/faults
//	curl localhost:12111/_commettest/stats           # customers stored, requests by method, path and status
//	curl -X POST localhost:12111/_commettest/reset   # forget customers, keys, rate limits, faults and stats
//
// A fault takes "method", "path" ("/customers" or "/api/v1/customers"),
// "times" (-1 for ever), "status", "retryAfter", "delayMs", "drop" (close
// the connection, doing nothing) and "dropAnswer" (do the work, keep the
// answer for the Idempotency-Key, then close the connection), each
// optional; keys are case-sensitive and an unknown one is a 400. Stats
// answer {"customers": n, "requests": [{"method", "path", "status",
// "count"}]}, paths named as the SDK names them with IDs collapsed
// ("/customers", "/customers/batch", "/customers/{id}"), status 0 for a
// request that got no answer.
//
// In a container, listen on every interface so that other containers can
// reach it, e.g. in docker-compose:
//
//	commet-fake:
//	  image: golang:1.26
//	  working_dir: /src
//	  volumes: ["./:/src"] # a clone of this repository
//	  command: go run ./cmd/commet-fake -addr 0.0.0.0:12111
//	  ports: ["12111:12111"]
//
// The fake speaks plain HTTP, never TLS. The Go SDK accepts plain http only
// for loopback hosts; to reach http://commet-fake:12111 from another
// container it needs the explicit opt-in commet.WithInsecureHTTP() beside
// commet.WithBaseURL. Never use that option against Commet itself.
//
// It logs one line per request to stderr: method, escaped path (never the
// query, which may hold an email), status, duration and request ID. It
// never logs headers or bodies. It stops on SIGINT or SIGTERM, letting
// requests in flight finish for up to 5 seconds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/commet-go/commet/commettest"
)

// maxSeed bounds -seed, so that a typo cannot fill the memory.
const maxSeed = 1_000_000

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "commet-fake:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("commet-fake", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, and usage printed below
	addr := fs.String("addr", "127.0.0.1:12111", "address to listen on, as `host:port`; 0.0.0.0:12111 in a container")
	apiKey := fs.String("api-key", "", "accept only this API `key` (default: any key starting with ck_)")
	strict := fs.Bool("strict", false, "refuse requests a well-behaved client should never send (400 contract_violation)")
	rate := fs.Float64("rate-limit", 0, "allow `N` requests a second per API key, N at once (0: no limit)")
	rateHeaders := fs.String("rate-limit-headers", "legacy", "the `form` of -rate-limit's headers: legacy (RateLimit-Limit, -Remaining, -Reset), draft (the IETF draft's RateLimit-Policy and RateLimit) or both")
	latency := fs.Duration("latency", 0, "delay every answer by this long")
	seed := fs.Int("seed", 0, "start with `N` generated customers, seed_000001 onwards (at most 1000000); a reset makes them again")
	quiet := fs.Bool("quiet", false, "do not log requests")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // -h or -help: asked for, not an error
			usage(fs, stdout)
			return nil
		}
		usage(fs, stderr)
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var opts []commettest.Option
	if *apiKey != "" {
		opts = append(opts, commettest.WithAPIKey(*apiKey))
	}
	if *strict {
		opts = append(opts, commettest.WithStrict())
	}
	switch {
	case *rate < 0 || math.IsNaN(*rate) || math.IsInf(*rate, 0):
		return fmt.Errorf("-rate-limit %v: want a number of requests a second, or 0 for no limit", *rate)
	case *rate > 0:
		opts = append(opts, commettest.WithRateLimit(*rate, max(1, int(min(*rate, math.MaxInt32)))))
	}
	switch *rateHeaders {
	case "legacy":
	case "draft", "both":
		if *rate == 0 {
			return fmt.Errorf("-rate-limit-headers %s: needs -rate-limit", *rateHeaders)
		}
		form := commettest.HeadersDraft
		if *rateHeaders == "both" {
			form = commettest.HeadersBoth
		}
		opts = append(opts, commettest.WithRateLimitHeaders(form))
	default:
		return fmt.Errorf("-rate-limit-headers %q: want legacy, draft or both", *rateHeaders)
	}
	if *latency < 0 {
		return fmt.Errorf("-latency %v is negative", *latency)
	}
	if *latency > 0 {
		opts = append(opts, commettest.WithLatency(*latency))
	}
	if *seed < 0 || *seed > maxSeed {
		return fmt.Errorf("-seed %d: want 0 to %d customers", *seed, maxSeed)
	}
	opts = append(opts, commettest.WithSeedCustomers(*seed))
	handler := withControl(commettest.NewHandler(opts...))
	if !*quiet {
		handler = logRequests(log.New(stderr, "", log.LstdFlags|log.Lmicroseconds), handler)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "commet-fake listening on http://%s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close() // requests still in flight (a long Delay fault): cut them
		<-done
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// usage writes how to use commet-fake, with its flags, to w.
func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `Usage: commet-fake [flags]

commet-fake serves the fake Commet customers API of commettest (API version
2026-05-01) over plain HTTP, for tests in any language. Point a client at
http://ADDR (the API is under /api/v1) with any API key starting with ck_,
or only the one given with -api-key. The fake holds one organization in one
environment: every key it accepts reaches the same customers.

Control plane (no API key; never faulted, rate-limited or counted):
  POST   /_commettest/faults  inject a fault: {"method", "path", "times",
                              "status", "retryAfter", "delayMs", "drop",
                              "dropAnswer"}, each optional
  GET    /_commettest/faults  the faults not used up, with how often each fired
  DELETE /_commettest/faults  clear the faults
  GET    /_commettest/stats   customers stored, requests by method, path, status
  POST   /_commettest/reset   forget customers, keys, rate limits, faults, stats

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// withControl serves the control plane under commettest.ControlPrefix and
// the API everywhere else. It is not an http.ServeMux, which would clean
// and redirect paths the API must see as they are ("/customers/%2E%2E").
func withControl(h *commettest.Handler) http.Handler {
	control := h.ControlHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, commettest.ControlPrefix) {
			control.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, 0 for none.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (for dropped
// connections injected as faults).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one line per request, without query, headers or body:
// method, path, status ("-" when there was no answer: a dropped
// connection, a client that went away), duration and request ID. The path
// is logged escaped, so that no request can write a line of its own into
// the log.
func logRequests(l *log.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := "-"
		if rec.status != 0 {
			status = strconv.Itoa(rec.status)
		}
		l.Printf("%s %s %s %v %s", r.Method, r.URL.EscapedPath(), status, time.Since(start).Round(time.Microsecond), w.Header().Get("X-Request-Id"))
	})
}
