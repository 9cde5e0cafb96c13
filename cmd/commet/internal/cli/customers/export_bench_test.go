package customers

import (
	"context"
	"flag"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/commettest"
)

var benchExportN = flag.Int("bench-export-customers", 20_000, "customers per op in BenchmarkExportFormats")

// BenchmarkExportFormats exports the same customers from commettest (in
// memory) to a file, as `commet customers export -o FORMAT > file` does,
// in each format side by side: the cost of NDJSON against CSV's.
func BenchmarkExportFormats(b *testing.B) {
	n := *benchExportN
	srv := commettest.NewServer()
	defer srv.Close()
	hc := &http.Client{Transport: srv.Transport()}
	client, err := commet.NewClient("ck_sandbox_bench", commet.WithBaseURL(commettest.InMemoryBaseURL), commet.WithHTTPClient(hc))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := client.Customers.Import(context.Background(), benchCustomers(n), nil); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for _, format := range []string{formatCSV, formatNDJSON} {
		b.Run(format, func(b *testing.B) {
			out, err := os.Create(filepath.Join(dir, "out."+format))
			if err != nil {
				b.Fatal(err)
			}
			defer out.Close()
			for b.Loop() {
				if err := out.Truncate(0); err != nil {
					b.Fatal(err)
				}
				if _, err := out.Seek(0, io.SeekStart); err != nil {
					b.Fatal(err)
				}
				f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: out, ErrOut: io.Discard},
					map[string]string{"COMMET_API_KEY": "ck_sandbox_bench", "COMMET_BASE_URL": commettest.InMemoryBaseURL}, nil)
				f.HTTPClient = hc
				if err := exportRun(&ExportOptions{Factory: f, Ctx: context.Background(), Output: format}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
		})
	}
}

// benchCustomers are n customers with the fields and metadata a real
// export carries.
func benchCustomers(n int) iter.Seq[commet.CreateCustomerParams] {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for i := range n {
			p := commet.CreateCustomerParams{ID: fmt.Sprintf("user_%07d", i), Email: fmt.Sprintf("user%07d@example.com", i),
				FullName: fmt.Sprintf("User %d", i), Domain: "example.com", Timezone: "Europe/Paris", Language: "en",
				Metadata: map[string]any{"plan": "pro", "seats": i % 50}}
			if !yield(p) {
				return
			}
		}
	}
}
