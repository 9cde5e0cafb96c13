package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sdk "github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncPlanCounts runs commet customers sync --plan and returns its counts.
func syncPlanCounts(t *testing.T, args []string) map[string]int {
	t.Helper()
	out, err := commet("ck_sandbox_process", append(args, "--plan", "--output", "json")...).Output()
	require.NoError(t, err)
	var counts map[string]any
	require.NoError(t, json.Unmarshal(out, &counts))
	m := map[string]int{}
	for _, k := range []string{"create", "update", "archive", "unchanged"} {
		m[k] = int(counts[k].(float64))
	}
	return m
}

var syncLine = regexp.MustCompile(`(?m)^  (created|updated|archived|unchanged|failed|unknown|not sent) +(\d+)$|created by an earlier run \(since --state-file's start\) (\d+)|updated since --state-file's start \(by an earlier run, or another writer\) (\d+)`)

// TestProcessSyncKill9ThenRerun kills a sync with SIGKILL midway through
// its updates, runs the same command again, and checks that the re-run
// makes exactly what the plan then holds, that with --state-file its
// report counts what the killed run created and updated, and that the
// fake then equals the file.
func TestProcessSyncKill9ThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("syncs 10,000 customers at a paced rate")
	}
	t.Parallel()
	dir := t.TempDir()
	srv := commettest.NewServer()
	t.Cleanup(srv.Close)
	seed := func(yield func(sdk.CreateCustomerParams) bool) {
		for i := range 10_000 {
			if !yield(sdk.CreateCustomerParams{ID: fmt.Sprintf("c%05d", i), Email: fmt.Sprintf("c%05d@example.com", i), FullName: "Before"}) {
				return
			}
		}
	}
	_, err := srv.Client().Customers.Import(context.Background(), seed, nil)
	require.NoError(t, err)
	// The migration's start is Commet's Date, in whole seconds, rounded
	// down: a customer created in the same second before it counts as
	// created by the migration. Seeded in that second (1 run in 3 here),
	// all 10,000 would.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
	// 500 renamed (every 20th), 100 missing (every 100th, from 99), 200 new.
	var b strings.Builder
	b.WriteString("id,email,fullName\n")
	for i := range 10_000 {
		name := "Before"
		if i%20 == 0 {
			name = "After"
		}
		if i%100 != 99 {
			fmt.Fprintf(&b, "c%05d,c%05d@example.com,%s\n", i, i, name)
		}
	}
	for i := range 200 {
		fmt.Fprintf(&b, "n%03d,n%03d@example.com,New\n", i, i)
	}
	in := filepath.Join(dir, "users.csv")
	require.NoError(t, os.WriteFile(in, []byte(b.String()), 0o600))
	args := []string{"customers", "sync", in, "--base-url", srv.URL(), "--archive-missing", "--state-file", filepath.Join(dir, "sync.state")}
	require.Equal(t, map[string]int{"create": 200, "update": 500, "archive": 100, "unchanged": 9_400}, syncPlanCounts(t, args))

	puts := func() int {
		n := 0
		for _, r := range srv.Stats().Requests {
			if r.Method == "PUT" {
				n += r.Count
			}
		}
		return n
	}
	first := commet("ck_sandbox_process", append(args, "--rate", "250", "--batch-size", "50")...)
	require.NoError(t, first.Start())
	require.Eventually(t, func() bool { return puts() >= 100 }, time.Minute, 5*time.Millisecond, "the first run got to its updates")
	require.NoError(t, first.Process.Kill()) // kill -9: no report, no cleanup
	first.Wait()
	left := syncPlanCounts(t, args)
	require.Zero(t, left["create"], "the creates came first, and were all made")
	require.Greater(t, left["update"]+left["archive"], 0, "and the run was killed midway")

	second := commet("ck_sandbox_process", args...)
	var stdout, stderr strings.Builder
	second.Stdout, second.Stderr = &stdout, &stderr
	require.NoError(t, second.Run(), "exit 0: every change made\n%s%s", stdout.String(), stderr.String())
	t.Logf("the re-run:\n%s", stdout.String())
	got := map[string]int{}
	for _, m := range syncLine.FindAllStringSubmatch(stdout.String(), -1) {
		switch {
		case m[1] != "":
			got[m[1]], _ = strconv.Atoi(m[2])
		case m[3] != "":
			got["created earlier"], _ = strconv.Atoi(m[3])
		default:
			got["updated earlier"], _ = strconv.Atoi(m[4])
		}
	}
	assert.Equal(t, map[string]int{"created": 0, "updated": left["update"], "archived": left["archive"], "unchanged": left["unchanged"],
		"failed": 0, "unknown": 0, "not sent": 0, "created earlier": 200, "updated earlier": 500 - left["update"]}, got,
		"exactly what was left, and the killed run's creates and updates")
	assert.Equal(t, map[string]int{"create": 0, "update": 0, "archive": 0, "unchanged": 10_100}, syncPlanCounts(t, args), "the fake equals the file")
}
