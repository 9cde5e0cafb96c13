package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dump is a users table as Postgres's COPY ... CSV HEADER writes it, with
// N/A in optional cells, an address without a postal code, plan and seats.
const dump = "id,email,full_name,line1,city,postal_code,country,plan,seats\n" +
	"u1,ada+billing@example.com,Ada,1 Loop Rd,Austin,78701,US,pro,5\n" + // 2
	"u2,bob@example.com,N/A,2 Main St,Boston,N/A,US,N/A,N/A\n" + // 3: no postal code
	"u3,cy@example.com,Cy,N/A,N/A,N/A,N/A,free,1\n" + // 4: no address at all
	"u4,dee@example.com,Dee,,,,,pro,many\n" // 5: seats not a number

func TestImportFixesDataOnTheWay(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	in := writeFile(t, "users.csv", []byte(dump))
	failures := filepath.Join(filepath.Dir(in), "failed.csv")
	args := []string{"customers", "import", in, "--null", "N/A", "--incomplete-address", "drop",
		"--map", "metadata.seats=seats:number,metadata.plan=plan", "--failures", failures}

	dry := runCommet(t, srv, append(args, "--dry-run")...)
	assert.Equal(t, 7, dry.code, dry.stderr)
	assert.Regexp(t, `to send +3\n`, dry.stdout)
	assert.Contains(t, dry.stdout, "of which, address dropped (--incomplete-address drop) 1")

	res := runCommet(t, srv, args...)
	assert.Equal(t, 7, res.code, res.stderr)
	assert.Regexp(t, `created +3\n`, res.stdout)
	assert.Contains(t, res.stdout, "of which, address dropped (--incomplete-address drop) 1")
	assert.Contains(t, res.stderr, `line 3 (id "u2"): address dropped: it has no postalCode (--incomplete-address drop)`)
	assert.NotContains(t, res.stderr, "@", "no email on stderr")
	assert.NotContains(t, res.stderr, "Main St", "no address on stderr")
	failed := readLog(t, failures)
	require.Len(t, failed, 2)
	assert.Equal(t, []string{"5", "u4", "dee@example.com", "failed", "metadata.seats"}, failed[1][:5])
	assert.Contains(t, failed[1][5], "is not a number")

	client := srv.Client()
	ada, err := client.Customers.Get(context.Background(), "u1")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"plan": "pro", "seats": 5.0}, ada.Metadata, "seats is a number: code reading .(float64) gets it")
	bob, err := client.Customers.Get(context.Background(), "u2")
	require.NoError(t, err)
	assert.Empty(t, bob.FullName, "N/A is empty")
	assert.Nil(t, bob.Metadata, "a null cell sets no key")

	// With --notes, the notes go to that file, not to stderr.
	notes := filepath.Join(filepath.Dir(in), "notes.csv")
	res = runCommet(t, newServer(t), append(args, "--notes", notes)...)
	assert.Equal(t, 7, res.code)
	assert.NotContains(t, res.stderr, "address dropped")
	assert.Equal(t, [][]string{{"line", "id", "note"}, {"3", "u2", "address dropped: it has no postalCode (--incomplete-address drop)"}}, readLog(t, notes))

	// By default, an incomplete address fails its row, naming what it lacks.
	res = runCommet(t, newServer(t), "customers", "import", in, "--null", "N/A", "--failures", failures)
	assert.Equal(t, 7, res.code)
	byLine := byLine(readLog(t, failures))
	assert.Equal(t, "address.postalCode", byLine["3"][4])
	assert.Contains(t, byLine["3"][5], "the address has no postalCode")
}

func TestCreateAndUpdateTakeTypedMetadata(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	res := runCommet(t, srv, "customers", "create", "--email", "a@example.com", "--id", "u1",
		"--metadata", "seats:number=5", "--metadata", "vip:bool=true", "--metadata", `extra:json={"a":[1,"x"]}`, "--metadata", "note=5", "--metadata", "code:string=007")
	require.Equal(t, 0, res.code, res.stderr)
	c, err := srv.Client().Customers.Get(context.Background(), "u1")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"seats": 5.0, "vip": true, "extra": map[string]any{"a": []any{1.0, "x"}}, "note": "5", "code": "007"}, c.Metadata)

	res = runCommet(t, srv, "customers", "update", "u1", "--metadata", "seats:number=6.5")
	require.Equal(t, 0, res.code, res.stderr)
	c, err = srv.Client().Customers.Get(context.Background(), "u1")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"seats": 6.5}, c.Metadata)

	before := srv.Requests()
	for _, bad := range []string{"seats:number=many", "vip:bool=maybe", "extra:json={", ":number=1"} {
		res = runCommet(t, srv, "customers", "update", "u1", "--metadata", bad)
		assert.Equal(t, 2, res.code, bad)
		assert.Contains(t, res.stderr, "--metadata", bad)
	}
	assert.Equal(t, before, srv.Requests(), "nothing sent")
}

func TestImportArchivesRowsWhoseIsActiveIsFalse(t *testing.T) {
	t.Parallel()
	for name, input := range map[string]string{
		"export.csv": "id,externalId,billingEmail,fullName,isActive,createdAt\n" +
			"cus_1,u1,a@example.com,Ada,true,2026-01-01T00:00:00Z\n" +
			"cus_2,u2,b@example.com,Bob,false,2026-01-01T00:00:00Z\n",
		"export.ndjson": `{"id":"cus_1","organizationId":"org_1","externalId":"u1","billingEmail":"a@example.com","fullName":"Ada","isActive":true}` + "\n" +
			`{"id":"cus_2","organizationId":"org_1","externalId":"u2","billingEmail":"b@example.com","fullName":"Bob","isActive":false}` + "\n",
	} {
		var later atomic.Int64 // the fake's clock runs ahead between runs
		srv := newServer(t, commettest.WithClock(func() time.Time { return time.Now().Add(time.Duration(later.Load())) }))
		in := writeFile(t, name, []byte(input))
		line := map[string]string{"export.csv": "3", "export.ndjson": "2"}[name]
		dry := runCommet(t, srv, "customers", "import", in, "--dry-run")
		require.Equal(t, 0, dry.code, dry.stderr)
		assert.Contains(t, dry.stdout, "to archive (isActive false) 1", name)

		res := runCommet(t, srv, "customers", "import", in)
		require.Equal(t, 0, res.code, res.stderr)
		assert.Regexp(t, `created +2\n`, res.stdout, name)
		assert.Contains(t, res.stdout, "archived after create (isActive false) 1", name)
		assert.Contains(t, res.stderr, `line `+line+` (id "u2"): archived after its create (isActive false)`, name)
		assert.Contains(t, res.stderr, "externalId is the ID", name)
		client := srv.Client()
		for id, active := range map[string]bool{"u1": true, "u2": false} {
			c, err := client.Customers.Get(context.Background(), id)
			require.NoError(t, err, name)
			assert.Equal(t, active, c.IsActive, "%s %s", name, id)
		}

		// Again, later: the archived customer is reported archived, and nothing is sent twice.
		later.Store(int64(time.Hour))
		res = runCommet(t, srv, "customers", "import", in)
		require.Equal(t, 0, res.code, res.stderr)
		assert.Regexp(t, `existed +1\n +archived +1\n`, res.stdout, name)
		assert.NotContains(t, res.stdout, "archived after create", name)
		assert.Equal(t, 2, srv.Len())
	}
}

// TestImportRoundTripsItsOwnExport exports customers of one organization,
// as CSV and as NDJSON, and imports each file into another: the same
// external IDs, emails, names, optional fields, typed metadata, and the
// archived ones archived again.
func TestImportRoundTripsItsOwnExport(t *testing.T) {
	t.Parallel()
	from := newServer(t)
	client := from.Client()
	ctx := context.Background()
	want := []commet.CreateCustomerParams{
		{ID: "u1", Email: "ada@example.com", FullName: `=HYPERLINK("http://x","y")`, Timezone: "Europe/London", Language: "en",
			Domain: "ada.dev", Website: "https://ada.dev", Industry: "software", Metadata: map[string]any{"seats": 5, "vip": true, "extra": map[string]any{"a": []any{1, "x"}}, "plan": "-1"}},
		{ID: "u2", Email: "bob@example.com", FullName: "+cmd|' /C calc'!A0", Metadata: map[string]any{"note": "@SUM(A1)"}},
		{ID: "u3", Email: "cy@example.com", FullName: "-1"},
		{ID: "u4", Email: "dee@example.com", FullName: "'quoted"},
	}
	for _, p := range want {
		_, err := client.Customers.Create(ctx, &p)
		require.NoError(t, err)
	}
	_, err := client.Customers.Archive(ctx, "u3")
	require.NoError(t, err)
	_, err = client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "noid@example.com", FullName: "No external ID"})
	require.NoError(t, err)

	for _, format := range []string{"csv", "ndjson"} {
		out := filepath.Join(t.TempDir(), "customers."+format)
		res := runCommet(t, from, "customers", "export", "-o", format, "--file", out)
		require.Equal(t, 0, res.code, res.stderr)

		to := newServer(t)
		failures := out + ".failed"
		res = runCommet(t, to, "customers", "import", out, "--failures", failures)
		assert.Equal(t, 7, res.code, "%s: the customer without an external ID fails: %s", format, res.stderr)
		assert.Regexp(t, `created +4\n`, res.stdout, format)
		assert.Contains(t, res.stdout, "archived after create (isActive false) 1", format)
		failed := readLog(t, failures)
		require.Len(t, failed, 2, format)
		assert.Equal(t, []string{"", "noid@example.com", "failed", "externalId"}, failed[1][1:5], format)
		assert.Contains(t, failed[1][5], "Commet's own", format)

		for _, p := range want {
			orig, err := client.Customers.Get(ctx, p.ID)
			require.NoError(t, err)
			got, err := to.Client().Customers.Get(ctx, p.ID)
			require.NoError(t, err, format)
			assert.NotEqual(t, orig.ID, got.ID, "a new customer in the other organization")
			orig.ID, orig.OrganizationID, orig.CreatedAt, orig.UpdatedAt = got.ID, got.OrganizationID, got.CreatedAt, got.UpdatedAt
			assert.Equal(t, orig, got, "%s %s", format, p.ID)
		}
	}
}

func TestImportDifferencesGiveBothValuesInInputOrder(t *testing.T) {
	t.Parallel()
	var later atomic.Int64
	srv := newServer(t, commettest.WithClock(func() time.Time { return time.Now().Add(time.Duration(later.Load())) }))
	var b strings.Builder
	b.WriteString("id,email,fullName,metadata.seats:number\n")
	for i := range 450 {
		b.WriteString("u" + itoa(i) + ",u" + itoa(i) + "@example.com,User " + itoa(i) + "," + itoa(i) + "\n")
	}
	in := writeFile(t, "users.csv", []byte(b.String()))
	res := runCommet(t, srv, "customers", "import", in)
	require.Equal(t, 0, res.code, res.stderr)

	later.Store(int64(time.Hour))
	changed := strings.NewReplacer("User 7,", "Seven,", "User 300,", "Three Hundred,", ",12\n", ",13\n").Replace(b.String())
	in2 := writeFile(t, "changed.csv", []byte(changed))
	differences := in2 + ".diff"
	res = runCommet(t, srv, "customers", "import", in2, "--differences", differences, "--concurrency", "4", "--batch-size", "10")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, [][]string{
		{"line", "id", "outcome", "field", "in_commet", "in_file", "repeats_line"},
		{"9", "u7", "existed", "fullName", "User 7", "Seven", ""},
		{"14", "u12", "existed", "metadata", `{"seats":12}`, `{"seats":13}`, ""},
		{"302", "u300", "existed", "fullName", "User 300", "Three Hundred", ""},
	}, readLog(t, differences))
}

// TestImportFailuresFileAgreesWithTheSummary stops an import at once while
// batches are in flight (their outcome unknown) and others were never
// sent: the failures file lists as many of each as the summary counts.
// It needs the SDK to count ErrNotSent before ErrOutcomeUnknown, as the CLI
// classifies them.
func TestImportFailuresFileAgreesWithTheSummary(t *testing.T) {
	t.Parallel()
	failures := filepath.Join(t.TempDir(), "failed.csv")
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer(commettest.WithLatency(time.Hour))
		defer srv.Close()
		sigs := make(chan os.Signal, 2)
		go func() {
			time.Sleep(time.Second)
			sigs <- os.Interrupt
			time.Sleep(time.Second)
			sigs <- os.Interrupt
		}()
		res := run{srv: srv, stdin: users(1000), sigs: sigs}.exec(t, "customers", "import", "-", "--concurrency", "2", "--failures", failures)
		assert.Equal(t, 3, res.code)
		counts := map[string]int{}
		for _, row := range readLog(t, failures)[1:] {
			counts[row[3]]++
		}
		summary := func(label string) int {
			for line := range strings.Lines(res.stdout) {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), label); ok {
					return atoi(t, strings.Fields(rest)[0])
				}
			}
			t.Fatalf("no %q in %s", label, res.stdout)
			return 0
		}
		assert.Positive(t, counts["unknown"], res.stdout)
		assert.Positive(t, counts["not_sent"], res.stdout)
		assert.Equal(t, summary("unknown"), counts["unknown"])
		assert.Equal(t, summary("not sent"), counts["not_sent"])
		assert.Equal(t, summary("failed"), counts["failed"])
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err, s)
	return n
}

func TestDryRunFlagsAnItemTooLargeForOneRequest(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	big := strings.Repeat("x", 1_000_001)
	in := writeFile(t, "users.csv", []byte("id,email,fullName\nu1,a@example.com,Ada\nu2,b@example.com,"+big+"\n"))
	res := runCommet(t, srv, "customers", "import", in, "--dry-run")
	assert.Equal(t, 0, res.code, "flagged, not refused: %s", res.stderr)
	assert.Regexp(t, `to send +2\n`, res.stdout)
	assert.Contains(t, res.stdout, "over 1000000 bytes as JSON, which Commet may refuse as too large 1")
	assert.Regexp(t, `line 3 \(id "u2"\): is 10000\d\d bytes as JSON, over the 1000000 Commet likely takes in one request`, res.stderr)
	assert.NotContains(t, res.stderr, "xxxx")
	assert.Equal(t, 0, srv.Requests())
}

func TestImportListsACustomerItCouldNotArchive(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.InjectFault(commettest.Fault{Method: "PUT", Status: 400, Times: commettest.Forever}) // an archive is a PUT
	in := writeFile(t, "export.ndjson", []byte(`{"id":"cus_1","organizationId":"org_1","externalId":"u1","billingEmail":"a@example.com","isActive":false}`+"\n"))
	failures := in + ".failed"
	res := runCommet(t, srv, "customers", "import", in, "--failures", failures)
	assert.Equal(t, 7, res.code, res.stderr)
	assert.Regexp(t, `created +1\n`, res.stdout)
	assert.Contains(t, res.stdout, "created but not archived 1 (listed in the failures as not_archived)")
	assert.Contains(t, res.stdout, "run the same command again")
	failed := readLog(t, failures)
	require.Len(t, failed, 2)
	assert.Equal(t, []string{"1", "u1", "a@example.com", "not_archived", "isActive"}, failed[1][:5])
	assert.Contains(t, failed[1][5], "run the same command again to archive it")

	// Run again once Commet takes it: the customer exists, active, and is archived.
	srv.ClearFaults()
	res = runCommet(t, srv, "customers", "import", in, "--failures", failures)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "archived after create (isActive false) 1")
	c, err := srv.Client().Customers.Get(context.Background(), "u1")
	require.NoError(t, err)
	assert.False(t, c.IsActive)
}
