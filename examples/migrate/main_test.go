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
`

func TestMigrateCSVThenRerun(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	dir := t.TempDir()
	in := filepath.Join(dir, "users.csv")
	require.NoError(t, os.WriteFile(in, []byte(usersCSV), 0o600))
	failed := filepath.Join(dir, "failed.csv")

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-in", in, "-failures", failed}, &stdout, &stderr)
	require.NoError(t, err)
	assert.Contains(t, stderr.String(), "commettest")
	assert.Contains(t, stdout.String(), "done: 6 rows: 2 created, 0 already existed, 2 failed, 2 unreadable")

	rows := readCSV(t, failed)
	require.Len(t, rows, 5, "header and four failures")
	assert.Equal(t, []string{"line", "id", "email", "error"}, rows[0])
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[1]] = r
	}
	assert.Contains(t, byID["user_3"][3], "billingEmail")
	assert.Contains(t, byID["user_6"][3], "country")
	assert.Equal(t, "5", byID["user_4"][0], "an unreadable row names its line")
	assert.Contains(t, byID["user_4"][3], "metadata")
	assert.Contains(t, byID[""][3], "id column is empty")
	assert.NotContains(t, stderr.String(), "ada@example.com", "no emails in the progress output")
}

func TestMigrateGenerate(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	var stdout, stderr bytes.Buffer
	failed := filepath.Join(t.TempDir(), "failed.csv")
	err := run(context.Background(), []string{"-generate", "2500", "-failures", failed}, &stdout, &stderr)
	require.NoError(t, err)
	assert.Contains(t, stdout.String(), "done: 2500 rows: 2500 created, 0 already existed, 0 failed")
	assert.Len(t, readCSV(t, failed), 1, "only the header")
}

func TestMigrateFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), nil, &out, &out), "neither -in nor -generate")
	assert.Error(t, run(context.Background(), []string{"-in", "x.csv", "-generate", "3"}, &out, &out))
}

func TestReadUsersStopsOnBadHeader(t *testing.T) {
	failures := &failureLog{w: csv.NewWriter(&bytes.Buffer{})}
	seq, readErr := readUsers(strings.NewReader("name,email\nx,y@z.com\n"), failures)
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
