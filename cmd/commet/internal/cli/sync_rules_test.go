package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedSync makes customers in srv.
func seedSync(t *testing.T, srv *commettest.Server, customers ...commet.CreateCustomerParams) {
	t.Helper()
	for _, p := range customers {
		_, err := srv.Client().Customers.Create(context.Background(), &p)
		require.NoError(t, err)
	}
}

func getCustomer(t *testing.T, srv *commettest.Server, id string) *commet.Customer {
	t.Helper()
	c, err := srv.Client().Customers.Get(context.Background(), id)
	require.NoError(t, err)
	return c
}

// TestSyncEmptyCellsChangeNothingUnlessClearEmpty: an empty cell keeps
// Commet's value, and a metadata key its own; --clear-empty clears them,
// key by key, keeping the keys the file has no column for; the billing
// email cannot be cleared, and the row that asks it fails, named.
func TestSyncEmptyCellsChangeNothingUnlessClearEmpty(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seedSync(t, srv,
		commet.CreateCustomerParams{ID: "u1", Email: "ada@example.com", FullName: "Ada", Industry: "software", Metadata: map[string]any{"plan": "pro", "seats": 5, "keep": "x"}},
		commet.CreateCustomerParams{ID: "u2", Email: "bob@example.com", FullName: "Bob"})
	in := writeFile(t, "users.csv", []byte("id,email,fullName,industry,metadata.plan,metadata.seats:number\n"+
		"u1,ada@example.com,,,,7\n"+
		"u2,,Bob,,,\n"))
	failures := filepath.Join(filepath.Dir(in), "failed.csv")

	plan := planOf(t, srv, in)
	require.Len(t, plan.Steps, 1, "only u1's seats: every other cell is empty")
	assert.Equal(t, "metadata.seats", plan.Steps[0].Changes[0].Field)
	assert.Equal(t, 1, plan.Unchanged, "u2: its empty email leaves Commet's")

	res := runCommet(t, srv, "customers", "sync", "--plan", "--output", "csv", in, "--clear-empty", "--failures", failures)
	assert.Equal(t, 7, res.code, "a row fails: %s", res.stderr)
	assert.Equal(t, "action,line,id,commet_id,field,in_commet,in_file,reason\n"+
		"update,2,u1,CID,fullName,Ada,,\n"+
		"update,2,u1,CID,industry,software,,\n"+
		"update,2,u1,CID,metadata.plan,\"\"\"pro\"\"\",,\n"+
		"update,2,u1,CID,metadata.seats,5,7,\n", strings.ReplaceAll(res.stdout, getCustomer(t, srv, "u1").ID, "CID"))
	assert.Contains(t, res.stderr, "addresses are not compared", "said on stderr beside a CSV plan")
	failed := byLine(readLog(t, failures))
	assert.Equal(t, []string{"3", "u2", "", "failed", "billingEmail"}, failed["3"][:5])
	assert.Contains(t, failed["3"][5], "Commet cannot clear a billing email")

	res = runCommet(t, srv, "customers", "sync", in)
	require.Equal(t, 0, res.code, res.stderr)
	c := getCustomer(t, srv, "u1")
	assert.Equal(t, "Ada", c.FullName)
	assert.Equal(t, map[string]any{"plan": "pro", "seats": 7.0, "keep": "x"}, c.Metadata)

	res = runCommet(t, srv, "customers", "sync", in, "--clear-empty", "--failures", failures)
	assert.Equal(t, 7, res.code, res.stderr)
	c = getCustomer(t, srv, "u1")
	assert.Empty(t, c.FullName)
	assert.Empty(t, c.Industry)
	assert.Equal(t, map[string]any{"seats": 7.0, "keep": "x"}, c.Metadata, "keep has no column: it stays")
	assert.Equal(t, "bob@example.com", getCustomer(t, srv, "u2").Email)
	assert.Regexp(t, `updated +1\n`, res.stdout)
	assert.Regexp(t, `failed +1  \(listed in `, res.stdout)
}

// archiveStory is 150 active customers and a file that lacks 3 of them:
// 2% of them, over the 1% apply allows.
func archiveStory(t *testing.T) (*commettest.Server, string) {
	srv := newServer(t)
	seed := func(yield func(commet.CreateCustomerParams) bool) {
		for i := range 150 {
			if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("g%03d", i), Email: fmt.Sprintf("g%03d@example.com", i)}) {
				return
			}
		}
	}
	_, err := srv.Client().Customers.Import(context.Background(), seed, nil)
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("id,email\n")
	for i := 3; i < 150; i++ {
		fmt.Fprintf(&b, "g%03d,g%03d@example.com\n", i, i)
	}
	return srv, writeFile(t, "users.csv", []byte(b.String()))
}

func activeCount(t *testing.T, srv *commettest.Server) int {
	n := 0
	for c, err := range srv.Client().Customers.All(context.Background(), &commet.ListCustomersParams{IsActive: commet.Ptr(true)}) {
		require.NoError(t, err)
		if c.IsActive {
			n++
		}
	}
	return n
}

// TestSyncArchivesOnlyWhatIsAllowed: without --archive-missing nothing is
// archived; with it, a plan over 1% of the active customers is refused
// before anything is sent, unless --max-archive allows it; on a terminal,
// apply asks with the count, and a no is cancelled (exit 3).
func TestSyncArchivesOnlyWhatIsAllowed(t *testing.T) {
	t.Parallel()
	srv, in := archiveStory(t)

	res := runCommet(t, srv, "customers", "sync", in)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Regexp(t, `archived +0\n`, res.stdout)
	assert.Equal(t, 150, activeCount(t, srv), "never an archive without --archive-missing")

	res = run{srv: srv, tty: true}.exec(t, "customers", "sync", "--plan", in, "--archive-missing")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "apply would refuse: it archives 3 of the 150 active customers, more than 1%; --max-archive 3 allows it")
	assert.Regexp(t, `\narchive +g000 +not in the file \(--archive-missing\)`, res.stdout)

	state := filepath.Join(t.TempDir(), "sync.state")
	res = runCommet(t, srv, "customers", "sync", in, "--archive-missing", "--state-file", state)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "the plan archives 3 of the 150 active customers, more than 1%")
	assert.NoFileExists(t, state, "a refused plan starts no migration")
	assert.Contains(t, res.stderr, "--max-archive 3")
	res = runCommet(t, srv, "customers", "sync", in, "--archive-missing", "--max-archive", "2")
	assert.Equal(t, 2, res.code, "2 is not enough")
	assert.Equal(t, 150, activeCount(t, srv), "nothing was archived")

	res = run{srv: srv, tty: true, stdin: "n\n"}.exec(t, "customers", "sync", in, "--archive-missing", "--max-archive", "3")
	assert.Equal(t, 3, res.code, res.stderr)
	assert.Contains(t, res.stderr, "Archive 3 customers? Archiving cannot be undone. [y/N]")
	assert.Equal(t, 150, activeCount(t, srv), "a no archives nothing")

	res = run{srv: srv, tty: true, stdin: "y\n"}.exec(t, "customers", "sync", in, "--archive-missing", "--max-archive", "3")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Regexp(t, `archived +3\n`, res.stdout)
	assert.Equal(t, 147, activeCount(t, srv))
}

// TestSyncWithALiveKeyNeedsConsent: apply writes, so a key that is not a
// sandbox key needs --yes (or a yes on a terminal); a plan only reads.
func TestSyncWithALiveKeyNeedsConsent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	live := map[string]string{"COMMET_API_KEY": "ck_live_example"}
	input := "id,email\nu1,a@example.com\n"
	res := run{srv: srv, env: live, stdin: input}.exec(t, "customers", "sync", "-")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "pass --yes")
	res = run{srv: srv, env: live, stdin: input}.exec(t, "customers", "sync", "-", "--plan")
	assert.Equal(t, 0, res.code, "a plan writes nothing: %s", res.stderr)
	assert.Equal(t, 0, srv.Len())
	res = run{srv: srv, env: live, stdin: input}.exec(t, "customers", "sync", "-", "--yes")
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, 1, srv.Len())
}

// TestSyncListsAFailedChangeAndWaitsOutA429: an update Commet refuses is
// listed in the failures file with its line, fields and request ID; a 429
// is waited out as Retry-After says, and the archive behind it goes on.
func TestSyncListsAFailedChangeAndWaitsOutA429(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		seedSync(t, srv, commet.CreateCustomerParams{ID: "u1", Email: "a@example.com", FullName: "A"},
			commet.CreateCustomerParams{ID: "u2", Email: "b@example.com"})
		dir := t.TempDir()
		in, failures := filepath.Join(dir, "users.csv"), filepath.Join(dir, "failed.csv")
		require.NoError(t, os.WriteFile(in, []byte("id,email,fullName,isActive\nu1,a@example.com,Ada,\nu2,b@example.com,,false\n"), 0o600))
		srv.InjectFault(commettest.Fault{Method: "PUT", Path: "/customers/" + getCustomer(t, srv, "u1").ID, Status: 400})
		srv.InjectFault(commettest.Fault{Method: "PUT", Path: "/customers/" + getCustomer(t, srv, "u2").ID, Status: 429, RetryAfter: "7"})
		start := time.Now()
		res := runCommet(t, srv, "customers", "sync", in, "--failures", failures, "--max-archive", "1")
		assert.Equal(t, 7, res.code, res.stderr)
		assert.GreaterOrEqual(t, time.Since(start), 7*time.Second, "the 429's Retry-After was waited out")
		assert.Regexp(t, `updated +0\n +archived +1\n`, res.stdout, "u2's isActive false archives it")
		assert.Regexp(t, `failed +1  \(listed in .*failed.csv\)\n`, res.stdout)
		assert.Contains(t, res.stdout, "(1 answered 429)")
		assert.False(t, getCustomer(t, srv, "u2").IsActive)
		failed := byLine(readLog(t, failures))
		require.Len(t, failed, 1)
		assert.Equal(t, []string{"2", "u1", "a@example.com", "failed", "fullName"}, failed["2"][:5])
		assert.Contains(t, failed["2"][5], "update: ")
		assert.Regexp(t, `^req_`, failed["2"][6])
	})
}

// TestSyncStopsGracefullyThenEndsExact: a Ctrl-C during the updates lets
// those in flight finish and counts the rest as not sent; the same command
// again makes exactly those.
func TestSyncStopsGracefullyThenEndsExact(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		var b strings.Builder
		b.WriteString("id,email,fullName\n")
		seed := func(yield func(commet.CreateCustomerParams) bool) {
			for i := range 40 {
				fmt.Fprintf(&b, "u%02d,u%02d@example.com,New %d\n", i, i, i)
				if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("u%02d", i), Email: fmt.Sprintf("u%02d@example.com", i), FullName: "Old"}) {
					return
				}
			}
		}
		_, err := srv.Client().Customers.Import(context.Background(), seed, nil)
		require.NoError(t, err)
		srv.InjectFault(commettest.Fault{Method: "PUT", Delay: time.Second, Times: commettest.Forever})
		sigs := make(chan os.Signal, 1)
		go func() {
			time.Sleep(2500 * time.Millisecond)
			sigs <- os.Interrupt
		}()
		res := run{srv: srv, stdin: b.String(), sigs: sigs}.exec(t, "customers", "sync", "-", "--concurrency", "2")
		assert.Equal(t, 3, res.code, res.stderr)
		first := syncCounts(t, res.stdout)
		assert.Equal(t, 6, first["updated"], "three rounds of two, each a second, before the Ctrl-C; those in flight finish")
		assert.Equal(t, 34, first["not sent"])
		assert.Contains(t, res.stdout, "run the same command again")

		srv.ClearFaults()
		res = run{srv: srv, stdin: b.String()}.exec(t, "customers", "sync", "-")
		require.Equal(t, 0, res.code, res.stderr)
		second := syncCounts(t, res.stdout)
		assert.Equal(t, 34, second["updated"], "exactly what the first run left")
		assert.Equal(t, 6, second["unchanged"])
		for c, err := range srv.Client().Customers.All(context.Background(), nil) {
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(c.FullName, "New "), c.ExternalID)
		}
	})
}

// TestSyncReportsWhatAnEarlierRunChanged: after a stop, the changes the
// stopped run made are no longer in the plan; with --state-file, the
// re-run's report counts them, as it counts the customers an earlier run
// created: the customers updated and archived since the migration's start.
func TestSyncReportsWhatAnEarlierRunChanged(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := commettest.NewServer()
		defer srv.Close()
		var b strings.Builder
		b.WriteString("id,email,fullName\n")
		seed := func(yield func(commet.CreateCustomerParams) bool) {
			for i := range 50 {
				id := fmt.Sprintf("u%02d", i)
				if i < 40 { // the last 10 are missing from the file
					name := "Same"
					if i < 4 {
						name = "New" // 4 to update
					}
					fmt.Fprintf(&b, "%s,%s@example.com,%s\n", id, id, name)
				}
				if !yield(commet.CreateCustomerParams{ID: id, Email: id + "@example.com", FullName: "Same"}) {
					return
				}
			}
		}
		_, err := srv.Client().Customers.Import(context.Background(), seed, nil)
		require.NoError(t, err)
		time.Sleep(time.Minute) // the seeding is well before the migration's start
		in := writeFile(t, "users.csv", []byte(b.String()))
		args := []string{"customers", "sync", in, "--archive-missing", "--max-archive", "10", "--concurrency", "2",
			"--state-file", filepath.Join(t.TempDir(), "sync.state")}

		// two at a time, each a second: 4 updates, then 4 of the 10
		// archives, before a Ctrl-C at 3.5 s
		srv.InjectFault(commettest.Fault{Method: "PUT", Delay: time.Second, Times: commettest.Forever})
		sigs := make(chan os.Signal, 1)
		go func() {
			time.Sleep(3500 * time.Millisecond)
			sigs <- os.Interrupt
		}()
		res := run{srv: srv, sigs: sigs}.exec(t, args...)
		assert.Equal(t, 3, res.code, res.stderr)
		first := syncCounts(t, res.stdout)
		assert.Equal(t, []int{4, 4, 6}, []int{first["updated"], first["archived"], first["not sent"]})

		srv.ClearFaults()
		res = run{srv: srv}.exec(t, args...)
		require.Equal(t, 0, res.code, res.stderr)
		second := syncCounts(t, res.stdout)
		assert.Equal(t, []int{0, 6, 40}, []int{second["updated"], second["archived"], second["unchanged"]}, "what the first run left")
		assert.Contains(t, res.stdout, "  of which unchanged, updated since --state-file's start (by an earlier run, or another writer) 4\n")
		assert.Contains(t, res.stdout, "  archived since --state-file's start (by an earlier run, or another writer), not planned again 4\n")
		assert.NotContains(t, res.stdout, "created by an earlier run")
	})
}
