package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fakeCustomers(n int) iter.Seq[commet.CreateCustomerParams] {
	return func(yield func(commet.CreateCustomerParams) bool) {
		for i := range n {
			if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("user_%04d", i), Email: fmt.Sprintf("user%04d@example.com", i), FullName: fmt.Sprintf("User %d", i)}) {
				return
			}
		}
	}
}

func TestExportGolden(t *testing.T) {
	t.Parallel()
	srv := seeded(t)
	for _, format := range []string{"csv", "ndjson", "json"} {
		res := runCommet(t, srv, "customers", "export", "--output", format)
		require.Equal(t, 0, res.code, res.stderr)
		assert.Contains(t, res.stderr, "exported 3 customers to standard output")
		golden(t, "golden/export."+format, res.stdout)
	}
	res := runCommet(t, srv, "customers", "export", "--archived", "-o", "ndjson")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, `"externalId":"user_2"`)
	assert.NotContains(t, res.stdout, `"externalId":"user_1"`)
}

func TestExportResumesAfterACrash(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"csv", "ndjson", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, state, fresh := filepath.Join(dir, "customers."+format), filepath.Join(dir, "export.state"), filepath.Join(dir, "fresh."+format)
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer(commettest.WithLatency(time.Second))
				defer srv.Close()
				_, err := srv.Client().Customers.Import(context.Background(), fakeCustomers(450), nil)
				require.NoError(t, err)
				args := []string{"customers", "export", "-o", format, "--out", out, "--state", state}

				// The first run dies in its third page.
				sigs := make(chan os.Signal, 1)
				go func() {
					time.Sleep(2500 * time.Millisecond)
					sigs <- os.Interrupt
				}()
				res := run{srv: srv, sigs: sigs}.exec(t, args...)
				require.Equal(t, 1, res.code, res.stderr)
				var st map[string]any
				b, err := os.ReadFile(state)
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &st))
				assert.Equal(t, 200.0, st["rows"], "two pages checkpointed")
				// ... leaving half a row behind it, as a kill -9 in a write would.
				f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
				require.NoError(t, err)
				f.WriteString(`cus_torn,user_99`)
				f.Close()

				res = run{srv: srv}.exec(t, args...)
				require.Equal(t, 0, res.code, res.stderr)
				assert.Contains(t, res.stderr, "resuming the export to "+out+" after 200 customers")
				_, err = os.Stat(state)
				assert.ErrorIs(t, err, os.ErrNotExist, "a finished export leaves nothing to resume")

				res = run{srv: srv}.exec(t, "customers", "export", "-o", format, "--out", fresh)
				require.Equal(t, 0, res.code, res.stderr)
			})
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			want, err := os.ReadFile(fresh)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got), "the resumed export is the export, no row twice or torn")
			if format == "json" {
				var all []map[string]any
				require.NoError(t, json.Unmarshal(got, &all))
				assert.Len(t, all, 450)
			}
		})
	}
}

func TestExportStateIsForOneExport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, state := filepath.Join(dir, "c.csv"), filepath.Join(dir, "export.state")
	require.NoError(t, os.WriteFile(state, []byte(`{"version":1,"out":"/elsewhere.csv","output":"csv","filter":"all","cursor":"c1","size":10,"rows":1}`), 0o600))
	res := runCommet(t, newServer(t), "customers", "export", "--out", out, "--state", state)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "is the checkpoint of another export")
}
