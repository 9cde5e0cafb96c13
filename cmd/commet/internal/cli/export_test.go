package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
				// A metadata key seen only on the first page, before the crash,
				// must still be in the resumed CSV's header.
				_, err := srv.Client().Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "early", Email: "early@example.com", Metadata: map[string]any{"early": 7}})
				require.NoError(t, err)
				_, err = srv.Client().Customers.Import(context.Background(), fakeCustomers(449), nil)
				require.NoError(t, err)
				args := []string{"customers", "export", "-o", format, "--file", out, "--state-file", state}

				// The first run dies in its third page.
				sigs := make(chan os.Signal, 1)
				go func() {
					time.Sleep(2500 * time.Millisecond)
					sigs <- os.Interrupt
				}()
				res := run{srv: srv, sigs: sigs}.exec(t, args...)
				require.Equal(t, 3, res.code, res.stderr)
				var st map[string]any
				b, err := os.ReadFile(state)
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &st))
				assert.Equal(t, 200.0, st["rows"], "two pages checkpointed")
				// ... leaving half a row behind it, as a kill -9 in a write would:
				// in the output itself (NDJSON, JSON), or in the spool where a CSV's
				// rows wait for their header, the output not yet written.
				torn := out
				if format == "csv" {
					_, err := os.Stat(out)
					assert.ErrorIs(t, err, os.ErrNotExist, "a CSV is never half written")
					torn = st["spool"].(string)
					assert.Equal(t, dir, filepath.Dir(torn), "the spool is beside the output")
				}
				f, err := os.OpenFile(torn, os.O_APPEND|os.O_WRONLY, 0)
				require.NoError(t, err)
				f.WriteString(`{"id":"cus_torn","externalId":"user_99"`)
				f.Close()

				res = run{srv: srv}.exec(t, args...)
				require.Equal(t, 0, res.code, res.stderr)
				assert.Contains(t, res.stderr, "resuming the export to "+out+" after 200 customers")
				_, err = os.Stat(state)
				assert.ErrorIs(t, err, os.ErrNotExist, "a finished export leaves nothing to resume")

				res = run{srv: srv}.exec(t, "customers", "export", "-o", format, "--file", fresh)
				require.Equal(t, 0, res.code, res.stderr)
			})
			left, err := os.ReadDir(dir)
			require.NoError(t, err)
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			assert.ElementsMatch(t, []string{"customers." + format, "fresh." + format}, names, "no spool or temporary file is left")
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
	res := runCommet(t, newServer(t), "customers", "export", "--file", out, "--state-file", state)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "is the checkpoint of another export")
}

// exportedCSV parses a CSV output into its header and rows.
func exportedCSV(t *testing.T, s string) (header []string, rows []map[string]string) {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, records)
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, v := range rec {
			row[records[0][i]] = v
		}
		rows = append(rows, row)
	}
	return records[0], rows
}

// injectionNames are names that a spreadsheet would run as formulas.
var injectionNames = []string{`=HYPERLINK("http://x","y")`, `+cmd|' /C calc'!A0`, `-1`, `@SUM(A1)`,
	"\t=1+1", "\r=1+1", `'=already quoted`, "O'Brien", "Plain Name"}

func seedInjection(t *testing.T) *commettest.Server {
	srv := newServer(t)
	for i, name := range injectionNames {
		_, err := srv.Client().Customers.Create(context.Background(), &commet.CreateCustomerParams{
			ID: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i), FullName: name,
			Metadata: map[string]any{"note": "-" + strconv.Itoa(i)}})
		require.NoError(t, err)
	}
	return srv
}

func TestExportCSVNeutralizesFormulas(t *testing.T) {
	t.Parallel()
	srv := seedInjection(t)
	for _, args := range [][]string{
		{"customers", "export", "-o", "csv"},
		{"customers", "list", "--all", "-o", "csv"},
		{"customers", "list", "--limit", "100", "-o", "csv"},
	} {
		res := runCommet(t, srv, args...)
		require.Equal(t, 0, res.code, res.stderr)
		_, rows := exportedCSV(t, res.stdout)
		require.Len(t, rows, len(injectionNames))
		for i, row := range rows {
			name := injectionNames[i]
			switch name[0] {
			case '=', '+', '-', '@', '\t', '\r':
				assert.Equal(t, "'"+name, row["fullName"], "%v: %q is shown as text", args, name)
			case '\'':
				assert.Equal(t, "'"+name, row["fullName"], "%v: a quoted formula gets one more quote, so import restores it", args)
			default:
				assert.Equal(t, name, row["fullName"], "%v: other names are left alone", args)
			}
			assert.Equal(t, "'-"+strconv.Itoa(i), row["metadata.note"], "%v: metadata cells too", args)
		}
	}

	res := runCommet(t, srv, "customers", "export", "-o", "csv", "--raw-cells")
	require.Equal(t, 0, res.code, res.stderr)
	_, rows := exportedCSV(t, res.stdout)
	for i, row := range rows {
		assert.Equal(t, injectionNames[i], row["fullName"], "--raw-cells writes the value as it is")
	}
	res = runCommet(t, srv, "customers", "list", "-o", "csv", "--raw-cells")
	require.Equal(t, 0, res.code, res.stderr)
	_, rows = exportedCSV(t, res.stdout)
	assert.Equal(t, injectionNames[0], rows[0]["fullName"])

	for _, args := range [][]string{
		{"customers", "export", "-o", "ndjson", "--raw-cells"},
		{"customers", "list", "-o", "json", "--raw-cells"},
		{"customers", "list", "--raw-cells"}, // JSON, not on a terminal
	} {
		res := runCommet(t, srv, args...)
		assert.Equal(t, 2, res.code, "%v", args)
		assert.Contains(t, res.stderr, "--raw-cells is for --output csv")
		assert.Empty(t, res.stdout)
	}
}

func TestExportCSVTypesMetadataColumns(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx := context.Background()
	for _, p := range []commet.CreateCustomerParams{
		{ID: "a", Email: "a@example.com", Metadata: map[string]any{
			"plan": "pro", "seats": 5, "trial": true, "address": map[string]any{"city": "Paris", "zip": []any{1.0, "x"}},
			"mixed": "text", "nothing": nil, "empty": "", "padded": " x ", "odd:number": "text", " spaced ": "s", "<&>": "a<b",
		}},
		{ID: "b", Email: "b@example.com", Metadata: map[string]any{"plan": "team", "seats": 12.5, "trial": false, "mixed": 3}},
		{ID: "c", Email: "c@example.com"},
	} {
		_, err := srv.Client().Customers.Create(ctx, &p)
		require.NoError(t, err)
	}
	res := runCommet(t, srv, "customers", "export", "-o", "csv")
	require.Equal(t, 0, res.code, res.stderr)
	header, rows := exportedCSV(t, res.stdout)
	assert.Equal(t, []string{"id", "externalId", "billingEmail", "fullName", "domain", "website", "timezone",
		"language", "industry", "employeeCount", "isActive", "createdAt", "updatedAt",
		"metadata.<&>", "metadata.address:json", "metadata.empty:json", "metadata.mixed:json", "metadata.nothing:json",
		"metadata.odd:number:string", "metadata.padded:json", "metadata.plan", "metadata.seats:number", "metadata.trial:bool",
		"metadata"}, header)
	a, b, c := rows[0], rows[1], rows[2]
	assert.Equal(t, "a", a["externalId"])
	assert.Equal(t, "true", a["isActive"])
	assert.Equal(t, "pro", a["metadata.plan"])
	assert.Equal(t, "5", a["metadata.seats:number"])
	assert.Equal(t, "12.5", b["metadata.seats:number"])
	assert.Equal(t, "true", a["metadata.trial:bool"])
	assert.Equal(t, "false", b["metadata.trial:bool"])
	assert.JSONEq(t, `{"city":"Paris","zip":[1,"x"]}`, a["metadata.address:json"])
	assert.Equal(t, `"text"`, a["metadata.mixed:json"], "a key of two types is JSON in every row")
	assert.Equal(t, `3`, b["metadata.mixed:json"])
	assert.Equal(t, `null`, a["metadata.nothing:json"])
	assert.Equal(t, `""`, a["metadata.empty:json"], "an empty string is told from no key")
	assert.Equal(t, `" x "`, a["metadata.padded:json"], "spaces a reader would trim are kept")
	assert.Equal(t, "text", a["metadata.odd:number:string"])
	assert.Equal(t, "a<b", a["metadata.<&>"])
	assert.JSONEq(t, `{" spaced ":"s"}`, a["metadata"], "a key no column name reads back goes in the metadata object")
	for _, col := range header[13:] {
		assert.Empty(t, c[col], "a customer without metadata has empty metadata cells")
	}
	assert.Empty(t, b["metadata.plan:json"]+b["metadata"], "b has no odd keys")
}

func TestExportCSVHeaderHasKeysFirstSeenOnLaterPages(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.Client().Customers.Import(context.Background(), fakeCustomers(249), nil)
	require.NoError(t, err)
	_, err = srv.Client().Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "user_late", Email: "late@example.com", Metadata: map[string]any{"late": 1}})
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "c.csv")
	res := runCommet(t, srv, "customers", "export", "--file", out)
	require.Equal(t, 0, res.code, res.stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	header, rows := exportedCSV(t, string(b))
	require.Len(t, rows, 250)
	assert.Equal(t, "metadata.late:number", header[len(header)-1], "a key of the third page is in the header")
	late := 0
	for i, row := range rows {
		if row["externalId"] == "user_late" {
			late = i
			assert.Equal(t, "1", row["metadata.late:number"])
		} else {
			assert.Equal(t, "", row["metadata.late:number"])
		}
	}
	assert.GreaterOrEqual(t, late, 200, "the key's customer is on the third page")
	left, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	assert.Len(t, left, 1, "the spool is removed")
}

func TestExportTakesListFilters(t *testing.T) {
	t.Parallel()
	srv := seeded(t)
	res := runCommet(t, srv, "customers", "export", "-o", "ndjson", "--search", "grace")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, `"externalId":"user_2"`)
	assert.Equal(t, 1, strings.Count(res.stdout, "\n"), "only the customer matching --search")
	res = runCommet(t, srv, "customers", "export", "-o", "csv", "-s", "a", "--active")
	require.Equal(t, 0, res.code, res.stderr)
	_, rows := exportedCSV(t, res.stdout)
	for _, row := range rows {
		assert.Equal(t, "true", row["isActive"])
	}
}

func TestExportStateIsForOneSearch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, state := filepath.Join(dir, "c.ndjson"), filepath.Join(dir, "export.state")
	require.NoError(t, os.WriteFile(state, []byte(`{"version":2,"out":"`+out+`","output":"ndjson","filter":"all","search":"ada","cursor":"c1","size":0,"rows":1}`), 0o600))
	res := runCommet(t, newServer(t), "customers", "export", "-o", "ndjson", "--file", out, "--state-file", state, "--search", "grace")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, `all matching "ada" customers`)

	csvOut := filepath.Join(dir, "c.csv")
	require.NoError(t, os.WriteFile(state, []byte(`{"version":1,"out":"`+csvOut+`","output":"csv","filter":"all","cursor":"c1","size":10,"rows":1}`), 0o600))
	res = runCommet(t, newServer(t), "customers", "export", "--file", csvOut, "--state-file", state)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "by an older commet")
}

// TestExportImportRoundTripHostile exports an organization whose data is
// hard on a CSV (formulas, keys of two types, null, empty and padded text,
// keys that look typed or hold the other delimiters, nested objects, over
// several pages) and imports it into another, through a file with --state-file,
// and through a pipe: the other organization then holds the same customers.
func TestExportImportRoundTripHostile(t *testing.T) {
	t.Parallel()
	from := newServer(t)
	client := from.Client()
	ctx := context.Background()
	names := []string{`=HYPERLINK("http://x","y")`, `+cmd|' /C calc'!A0`, `-1`, `@SUM(A1)`, `'=quoted`, `''@twice`, "O'Brien", "Zoë Müller", `"quoted"`, "comma, inc", "two\nlines"}
	var ids []string
	for i := range 230 {
		p := commet.CreateCustomerParams{ID: fmt.Sprintf("ext-%03d", i), Email: fmt.Sprintf("c%d+tag@example.com", i),
			FullName: names[i%len(names)], Metadata: map[string]any{"seats": i, "neg": -i, "flag": i%2 == 0}}
		switch i % 5 {
		case 0:
			p.Domain, p.Website, p.Timezone, p.Language, p.Industry = "acme.dev", "https://acme.dev", "Europe/Paris", "fr", "software"
		case 1:
			p.Metadata["nested"] = map[string]any{"plan": "pro", "tags": []any{"a", 1.5, nil, map[string]any{"deep": true}}}
		case 2:
			p.Metadata["nothing"], p.Metadata["empty"], p.Metadata["padded"] = nil, "", " x "
		case 3:
			p.Metadata["odd:number"], p.Metadata[strings.Repeat("k;", 40)], p.Metadata[" spaced "] = "text", "semi", "edge"
		}
		if i == 7 {
			p.Metadata["mixed"] = "seven"
		}
		if i == 222 { // on the third page: the key becomes JSON for every row
			p.Metadata["mixed"] = 222
		}
		_, err := client.Customers.Create(ctx, &p)
		require.NoError(t, err)
		if i%7 == 3 {
			_, err := client.Customers.Archive(ctx, p.ID)
			require.NoError(t, err)
		}
		ids = append(ids, p.ID)
	}

	check := func(t *testing.T, to *commettest.Server, how string) {
		for _, id := range ids {
			orig, err := client.Customers.Get(ctx, id)
			require.NoError(t, err)
			got, err := to.Client().Customers.Get(ctx, id)
			require.NoError(t, err, "%s: %s", how, id)
			orig.ID, orig.OrganizationID, orig.CreatedAt, orig.UpdatedAt = got.ID, got.OrganizationID, got.CreatedAt, got.UpdatedAt
			assert.Equal(t, orig, got, "%s: %s comes back as it was, metadata types included", how, id)
		}
	}
	dir := t.TempDir()
	for _, format := range []string{"csv", "ndjson"} {
		out := filepath.Join(dir, "customers."+format)
		res := runCommet(t, from, "customers", "export", "-o", format, "--file", out, "--state-file", filepath.Join(dir, format+".state"))
		require.Equal(t, 0, res.code, res.stderr)
		to := newServer(t)
		res = runCommet(t, to, "customers", "import", out)
		require.Equal(t, 0, res.code, "%s: %s%s", format, res.stdout, res.stderr)
		assert.Regexp(t, `created +230\n`, res.stdout, format)
		check(t, to, format+" file")
	}

	res := runCommet(t, from, "customers", "export")
	require.Equal(t, 0, res.code, res.stderr)
	to := newServer(t)
	imp := run{srv: to, stdin: res.stdout}.exec(t, "customers", "import", "-")
	require.Equal(t, 0, imp.code, "%s%s", imp.stdout, imp.stderr)
	check(t, to, "csv through a pipe")
}

// TestExportCSVFailureLeavesOutAsItWas interrupts a CSV export without
// --state-file: --file keeps its old content, and no spool is left behind.
func TestExportCSVFailureLeavesOutAsItWas(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "customers.csv")
	require.NoError(t, os.WriteFile(out, []byte("yesterday's export\n"), 0o600))
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(time.Second))
		defer srv.Close()
		_, err := srv.Client().Customers.Import(context.Background(), fakeCustomers(450), nil)
		require.NoError(t, err)
		sigs := make(chan os.Signal, 1)
		go func() {
			time.Sleep(2500 * time.Millisecond)
			sigs <- os.Interrupt
		}()
		res := run{srv: srv, sigs: sigs}.exec(t, "customers", "export", "--file", out)
		require.Equal(t, 3, res.code, res.stderr)
	})
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "yesterday's export\n", string(b), "--file holds the old file or the whole new one")
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, left, 1, "no spool is left: %v", left)
}
