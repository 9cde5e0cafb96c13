package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const usersCSV = `email,id,full_name,line1,city,postal_code,country,metadata
ada@example.com,user_1,Ada,1 Loop Rd,Austin,78701,US,"{""plan"":""pro""}"
grace@example.com,user_2,Grace,,,,,
not-an-email,user_3,Bad Email,,,,,
linus@example.com,user_4,Linus,,,,,{not json}
ken@example.com,,No ID,,,,,
ken@example.com,user_6,Ken,1 Rd,Austin,78701,USA,
ada@example.org,user_1,Ada L.,,,,,
`

func TestMigrateCSVThenRerun(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	dir := t.TempDir()
	in := filepath.Join(dir, "users.csv")
	require.NoError(t, os.WriteFile(in, []byte(usersCSV), 0o600))
	failed := filepath.Join(dir, "failed.csv")

	differences := filepath.Join(dir, "differences.csv")

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-in", in, "-failures", failed, "-differences", differences}, &stdout, &stderr)
	require.NoError(t, err)
	assert.Contains(t, stderr.String(), "commettest")
	assert.Contains(t, stdout.String(), "done: 7 rows: 2 created, 0 already existed, 0 archived, 1 repeated, 2 failed (0 not sent), 2 unreadable")

	rows := readCSV(t, failed)
	require.Len(t, rows, 5, "header and four failures")
	assert.Equal(t, []string{"line", "id", "email", "fields", "reason", "request_id"}, rows[0])
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[1]] = r
	}
	assert.Equal(t, []string{"4", "user_3", "not-an-email", "billingEmail"}, byID["user_3"][:4], "refused by Commet: line and field")
	assert.Contains(t, byID["user_3"][4], "billingEmail: Invalid email format")
	assert.NotContains(t, byID["user_3"][4], "batch item")
	assert.Regexp(t, `^req_`, byID["user_3"][5], "the batch's request ID, for support")
	assert.Equal(t, []string{"7", "user_6", "ken@example.com", "address.country"}, byID["user_6"][:4])
	assert.Equal(t, []string{"5", "user_4", "linus@example.com", "metadata"}, byID["user_4"][:4], "an unreadable row names its line")
	assert.Equal(t, "externalId", byID[""][3])
	assert.Contains(t, byID[""][4], "id column is empty")
	assert.NotContains(t, stderr.String(), "ada@example.com", "no emails in the progress output")

	// The last row repeats user_1 with other data: listed, with the line it repeats.
	assert.Equal(t, [][]string{{"line", "id", "outcome", "fields", "repeats_line"},
		{"8", "user_1", "repeated", "billingEmail;fullName", "2"}}, readCSV(t, differences))
}

func TestMigrateGenerate(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	var stdout, stderr bytes.Buffer
	failed := filepath.Join(t.TempDir(), "failed.csv")
	err := run(context.Background(), []string{"-generate", "2500", "-failures", failed}, &stdout, &stderr)
	require.NoError(t, err)
	assert.Contains(t, stdout.String(), "done: 2500 rows: 2500 created, 0 already existed, 0 archived, 0 repeated, 0 failed")
	assert.Len(t, readCSV(t, failed), 1, "only the header")
}

func TestMigrateFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), nil, &out, &out), "neither -in nor -generate")
	assert.Error(t, run(context.Background(), []string{"-in", "x.csv", "-generate", "3"}, &out, &out))
}

func TestReadUsersStopsOnBadHeader(t *testing.T) {
	failures := &failureLog{w: csv.NewWriter(&bytes.Buffer{})}
	seq, readErr := readUsers(strings.NewReader("name,email\nx,y@z.com\n"), failures, &lineIndex{})
	for range seq {
		t.Fatal("no row may come out of a file without an id column")
	}
	assert.ErrorContains(t, readErr(), `"id"`)
}

func readCSV(t *testing.T, name string) [][]string {
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}
