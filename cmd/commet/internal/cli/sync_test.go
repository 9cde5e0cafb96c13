package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncStory is the nightly reconciliation of issue 24: Commet holds
// 10,000 customers; the file changes 500 of them, adds 200 and lacks 100.
type syncStory struct {
	file                       string
	created, updated, archived []string // the IDs the plan must list
	rows                       map[string][]string
}

// syncColumns are the story file's columns.
var syncColumns = []string{"id", "email", "fullName", "timezone", "metadata.plan", "metadata.seats:number"}

func newSyncStory(t *testing.T, srv *commettest.Server) *syncStory {
	t.Helper()
	seed := func(yield func(commet.CreateCustomerParams) bool) {
		for i := range 10_000 {
			if !yield(commet.CreateCustomerParams{ID: fmt.Sprintf("user_%05d", i), Email: fmt.Sprintf("user%05d@example.com", i),
				FullName: fmt.Sprintf("User %d", i), Metadata: map[string]any{"plan": "basic", "seats": i % 7}}) {
				return
			}
		}
	}
	sum, err := srv.Client().Customers.Import(context.Background(), seed, nil)
	require.NoError(t, err)
	require.Equal(t, 10_000, sum.Created)

	st := &syncStory{rows: map[string][]string{}}
	var b strings.Builder
	b.WriteString(strings.Join(syncColumns, ",") + "\n")
	add := func(cells ...string) {
		st.rows[cells[0]] = cells
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	for i := range 10_000 {
		id := fmt.Sprintf("user_%05d", i)
		cells := []string{id, fmt.Sprintf("user%05d@example.com", i), fmt.Sprintf("User %d", i), "", "basic", strconv.Itoa(i % 7)}
		switch {
		case i%100 == 99: // missing from the file
			st.archived = append(st.archived, id)
			continue
		case i%20 == 3: // changed, one field of four kinds
			st.updated = append(st.updated, id)
			switch i / 20 % 4 {
			case 0:
				cells[2] = fmt.Sprintf("User %d Renamed", i)
			case 1:
				cells[4] = "pro"
			case 2:
				cells[1] = fmt.Sprintf("new%05d@example.com", i)
			case 3:
				cells[3], cells[5] = "Europe/Paris", "42"
			}
		case i%50 == 7: // an empty cell, which changes nothing
			cells[2] = ""
		case i%50 == 8: // an email in other letter case, and seats as 5.0: the same
			cells[1] = strings.ToUpper(cells[1])
			cells[5] += ".0"
		}
		add(cells...)
	}
	for i := range 200 {
		id := fmt.Sprintf("new_%03d", i)
		st.created = append(st.created, id)
		add(id, fmt.Sprintf("new%03d@example.com", i), fmt.Sprintf("New %d", i), "UTC", "trial", "1")
	}
	st.file = writeFile(t, "users.csv", []byte(b.String()))
	return st
}

// syncPlanJSON is the plan as --plan --output json prints it.
type syncPlanJSON struct {
	Rows, Create, Update, Archive, Unchanged, Repeated, Failed, Active int
	Steps                                                              []struct {
		Action, ID, CommetID, Reason string
		Line                         int
		Changes                      []struct{ Field, InCommet, InFile string }
	}
	Addresses string
}

func planOf(t *testing.T, srv *commettest.Server, args ...string) syncPlanJSON {
	t.Helper()
	res := runCommet(t, srv, append([]string{"customers", "sync", "--plan", "--output", "json"}, args...)...)
	require.Equal(t, 0, res.code, res.stderr)
	var plan syncPlanJSON
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &plan), res.stdout)
	return plan
}

func (p syncPlanJSON) ids(action string) []string {
	var ids []string
	for _, s := range p.Steps {
		if s.Action == action {
			ids = append(ids, s.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

var syncReportLine = regexp.MustCompile(`(?m)^  (created|updated|archived|unchanged|repeated|failed|unknown|not sent) +(\d+)`)

// syncCounts reads a sync's report.
func syncCounts(t *testing.T, stdout string) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, sub := range syncReportLine.FindAllStringSubmatch(stdout, -1) {
		m[sub[1]], _ = strconv.Atoi(sub[2])
	}
	require.Len(t, m, 8, "a report: %s", stdout)
	return m
}

// requireMatches checks that the fake holds what the file says: every
// non-empty cell of each row, and archived exactly the customers the file
// lacks.
func (st *syncStory) requireMatches(t *testing.T, srv *commettest.Server) {
	t.Helper()
	n, archived := 0, []string{}
	for c, err := range srv.Client().Customers.All(context.Background(), nil) {
		require.NoError(t, err)
		n++
		row, ok := st.rows[c.ExternalID]
		if !ok {
			assert.False(t, c.IsActive, "%s is not in the file", c.ExternalID)
			archived = append(archived, c.ExternalID)
			continue
		}
		assert.True(t, c.IsActive, c.ExternalID)
		got := []string{c.ExternalID, c.Email, c.FullName, c.Timezone, fmt.Sprint(c.Metadata["plan"]), fmt.Sprint(c.Metadata["seats"])}
		for i, want := range row {
			if want != "" {
				want = strings.TrimSuffix(want, ".0")
				if i == 1 {
					want, got[i] = strings.ToLower(want), strings.ToLower(got[i])
				}
				assert.Equal(t, want, got[i], "%s %s", c.ExternalID, syncColumns[i])
			}
		}
	}
	assert.Equal(t, 10_200, n)
	slices.Sort(archived)
	assert.Equal(t, st.archived, archived)
}

// TestSyncStory plans, applies and plans again the story: the plan lists
// exactly the 200 creates, 500 updates and 100 archives; apply makes the
// fake equal to the file; the next plan is empty.
func TestSyncStory(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	st := newSyncStory(t, srv)

	before, seeding := srv.Requests(), srv.Stats().Requests
	plan := planOf(t, srv, st.file, "--archive-missing")
	for _, r := range srv.Stats().Requests {
		if r.Method != "GET" {
			assert.Contains(t, seeding, r, "a plan only reads")
		}
	}
	assert.Equal(t, 100, srv.Requests()-before, "a page of 100 customers a request")
	assert.Equal(t, st.created, plan.ids("create"))
	assert.Equal(t, st.updated, plan.ids("update"))
	assert.Equal(t, st.archived, plan.ids("archive"))
	assert.Equal(t, syncPlanJSON{Rows: 10_100, Create: 200, Update: 500, Archive: 100, Unchanged: 9_400, Active: 10_000},
		syncPlanJSON{plan.Rows, plan.Create, plan.Update, plan.Archive, plan.Unchanged, plan.Repeated, plan.Failed, plan.Active, nil, ""})
	assert.Contains(t, plan.Addresses, "addresses are not compared: Commet does not return them")
	byID := map[string]int{}
	for i, s := range plan.Steps {
		byID[s.ID] = i
	}
	for id, want := range map[string][]string{ // each kind of change, with both values
		"user_00003": {"fullName", "User 3", "User 3 Renamed"},
		"user_00023": {"metadata.plan", `"basic"`, `"pro"`},
		"user_00043": {"billingEmail", "user00043@example.com", "new00043@example.com"},
	} {
		s := plan.Steps[byID[id]]
		require.Len(t, s.Changes, 1, id)
		assert.Equal(t, want, []string{s.Changes[0].Field, s.Changes[0].InCommet, s.Changes[0].InFile}, id)
	}
	changes := plan.Steps[byID["user_00063"]].Changes
	require.Len(t, changes, 2)
	assert.Equal(t, []string{"timezone", "metadata.seats"}, []string{changes[0].Field, changes[1].Field})
	assert.Equal(t, []string{"0", "42"}, []string{changes[1].InCommet, changes[1].InFile})
	assert.Equal(t, "not in the file (--archive-missing)", plan.Steps[byID["user_00099"]].Reason)

	assert.Equal(t, 10_000, srv.Len(), "the plan sent nothing")

	res := runCommet(t, srv, "customers", "sync", st.file, "--archive-missing", "--failures", writeFile(t, "failed.csv", nil))
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, map[string]int{"created": 200, "updated": 500, "archived": 100, "unchanged": 9_400,
		"repeated": 0, "failed": 0, "unknown": 0, "not sent": 0}, syncCounts(t, res.stdout))
	assert.Contains(t, res.stdout, "addresses are not compared")
	assert.NotContains(t, res.stderr, "@example.com", "no email in progress or messages")
	st.requireMatches(t, srv)

	again := planOf(t, srv, st.file, "--archive-missing")
	assert.Empty(t, again.Steps, "a second run right after plans nothing")
	assert.Equal(t, 10_100, again.Unchanged)
}
