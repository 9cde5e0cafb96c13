//go:build unix

package commet_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	rssRun   = flag.Bool("rss", false, "run BenchmarkPeakRSS, which builds and runs programs for minutes")
	rssSizes = flag.String("rss-sizes", "100000,1000000", "BenchmarkPeakRSS: the numbers of users to import, comma-separated")
	rssCLI   = flag.Bool("rss-cli", true, "BenchmarkPeakRSS: measure the command line (cmd/commet) too")
)

// BenchmarkPeakRSS measures the peak resident memory of importing N
// made-up users (examples/migrate's: an ID, an email and a name, every
// hundredth without an email) into cmd/commet-fake (no rate limit, no
// latency) running as another process, for three programs side by side
// in one run:
//
//   - rawloop (testdata/rawloop): the same batch requests sent with plain
//     net/http, one at a time, remembering nothing: the floor;
//   - migrate (examples/migrate): Customers.Import;
//   - cli (cmd/commet, a module of its own): commet customers import of a
//     CSV of the same users.
//
// Each is built, then run as a child of testdata/peakrss, which reports its
// peak RSS as the kernel keeps it (getrusage's ru_maxrss, as /usr/bin/time -v
// shows "Maximum resident set size"), in MB of a thousand KiB: the metric
// MB-peak-rss. (This process's own ru_maxrss of its children would be at least
// its own size: see testdata/peakrss.) The fake is emptied before each run, so
// every run creates every user. It is skipped without -rss, so that -bench .
// stays quick:
//
//	go test -run '^$' -bench PeakRSS -benchtime 1x -count 3 -rss .
//
// (-rss-sizes 100000 for the smaller size alone; -rss-cli=false without
// the command line.) benchstat gives the median of the -count runs. Peak
// RSS depends on the machine (cores, the kernel's page size) and the Go
// version: compare programs within one run, not across machines.
func BenchmarkPeakRSS(b *testing.B) {
	if !*rssRun {
		b.Skip("pass -rss to run it (with -run '^$' -bench PeakRSS -benchtime 1x): it builds and runs programs for minutes")
	}
	var sizes []int
	for s := range strings.SplitSeq(*rssSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-rss-sizes: %q is not a positive number", s)
		}
		sizes = append(sizes, n)
	}
	dir := b.TempDir()
	bin := func(name string) string { return filepath.Join(dir, name) }
	build(b, ".", bin("commet-fake"), "./cmd/commet-fake")
	build(b, ".", bin("migrate"), "./examples/migrate")
	build(b, ".", bin("rawloop"), "./testdata/rawloop")
	build(b, ".", bin("peakrss"), "./testdata/peakrss")
	if *rssCLI {
		build(b, "cmd/commet", bin("commet"), ".") // its own module: built from its directory
	}
	base := startFake(b, bin("commet-fake"))

	for _, n := range sizes {
		want := n - n/100 // the users with an email
		programs := []struct {
			name string
			args []string
			ok   func(exit int) bool
		}{
			{"rawloop", []string{bin("rawloop"), "-n", fmt.Sprint(n), "-base-url", base}, func(exit int) bool { return exit == 0 }},
			{"migrate", []string{bin("migrate"), "-n", fmt.Sprint(n), "-base-url", base}, func(exit int) bool { return exit == 0 }},
		}
		if *rssCLI {
			csv := writeUsersCSV(b, dir, n)
			programs = append(programs, struct {
				name string
				args []string
				ok   func(exit int) bool
			}{"cli", []string{bin("commet"), "--base-url", base, "--api-key", "ck_sandbox_rss", "customers", "import", csv},
				func(exit int) bool { return exit == 7 }}) // 7: some rows failed, the users without an email
		}
		for _, p := range programs {
			b.Run(fmt.Sprintf("%s/%d", p.name, n), func(b *testing.B) {
				var peaks []float64
				for b.Loop() {
					b.StopTimer()
					post(b, base+"/_commettest/reset")
					b.StartTimer()
					peaks = append(peaks, runForPeakRSS(b, bin("peakrss"), p.args, p.ok))
					b.StopTimer()
					if got := storedCustomers(b, base); got != want {
						b.Fatalf("%s -n %d: the fake holds %d customers, not %d", p.name, n, got, want)
					}
					b.StartTimer()
				}
				slices.Sort(peaks)
				b.ReportMetric(peaks[len(peaks)/2], "MB-peak-rss")
			})
		}
	}
}

// build builds pkg, from the module directory dir (relative to this
// package), into out.
func build(b *testing.B, dir, out, pkg string) {
	b.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
}

// startFake starts commet-fake on a free port of loopback and returns its
// base URL; it is stopped when the benchmark ends.
func startFake(b *testing.B, path string) string {
	b.Helper()
	cmd := exec.Command(path, "-quiet", "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n') // "commet-fake listening on http://127.0.0.1:PORT"
	if err != nil {
		b.Fatalf("commet-fake said nothing: %v", err)
	}
	_, base, ok := strings.Cut(strings.TrimSpace(line), " on ")
	if !ok {
		b.Fatalf("commet-fake said %q", line)
	}
	return base
}

// runForPeakRSS runs args through testdata/peakrss (built as peakrss),
// whose exit status ok must accept, and returns its peak RSS in MB
// (thousands of KiB). Not this process's own ru_maxrss of the child: see
// testdata/peakrss.
func runForPeakRSS(b *testing.B, peakrss string, args []string, ok func(exit int) bool) float64 {
	b.Helper()
	report := filepath.Join(b.TempDir(), "peak")
	var out bytes.Buffer
	cmd := exec.Command(peakrss, append([]string{"-o", report, "--"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "COMMET_API_KEY=") // the programs' own keys: none of the caller's goes to the fake
	err := cmd.Run()
	if cmd.ProcessState == nil {
		b.Fatalf("%s: %v", filepath.Base(args[0]), err)
	}
	if exit := cmd.ProcessState.ExitCode(); !ok(exit) {
		b.Fatalf("%s exited with %d: %v\n%s", filepath.Base(args[0]), exit, err, tail(out.Bytes(), 2000))
	}
	text, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	kib, err := strconv.ParseFloat(strings.TrimSpace(string(text)), 64)
	if err != nil {
		b.Fatalf("peakrss wrote %q", text)
	}
	return kib / 1000
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// writeUsersCSV writes examples/migrate's n users as a CSV for the command
// line, and returns its path.
func writeUsersCSV(b *testing.B, dir string, n int) string {
	b.Helper()
	path := filepath.Join(dir, fmt.Sprintf("users-%d.csv", n))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,email,fullName")
	for i := range n {
		email := fmt.Sprintf("user%07d@example.com", i)
		if i%100 == 99 {
			email = ""
		}
		fmt.Fprintf(w, "user_%07d,%s,User %d\n", i, email, i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func post(b *testing.B, url string) {
	b.Helper()
	resp, err := http.Post(url, "application/json", nil)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.Fatalf("POST %s: %s", url, resp.Status)
	}
}

// storedCustomers is how many customers the fake holds.
func storedCustomers(b *testing.B, base string) int {
	b.Helper()
	client := http.Client{Timeout: time.Minute}
	resp, err := client.Get(base + "/_commettest/stats")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct {
		Data struct {
			Customers int `json:"customers"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		b.Fatalf("GET /_commettest/stats: %v", err)
	}
	return stats.Data.Customers
}
