package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rows(t *testing.T, b []byte) [][]string {
	r, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return r
}

func TestExportGenerated(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-generate", "250"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "commettest")
	got := rows(t, stdout.Bytes())
	require.Len(t, got, 251)
	assert.Equal(t, header, got[0])
	ids := map[string]bool{}
	for _, r := range got[1:] {
		ids[r[0]] = true
	}
	assert.Len(t, ids, 250)
}

// failingWriter accepts limit bytes, then fails: a crash mid-export.
type failingWriter struct {
	bytes.Buffer
	limit int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.limit {
		return 0, errors.New("disk full")
	}
	return w.Buffer.Write(p)
}

func TestExportResumesAfterACrash(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	_, err := client.Customers.Import(context.Background(), fakeCustomers(250), nil)
	require.NoError(t, err)
	dir := t.TempDir()
	cursorFile, out := filepath.Join(dir, "export.cursor"), filepath.Join(dir, "customers.csv")

	// The first run dies with the disk full in the middle of a page, leaving
	// a torn row behind it.
	crashed := &failingWriter{limit: 15_000}
	_, err = export(context.Background(), client, exportOptions{cursorFile: cursorFile}, crashed)
	require.ErrorContains(t, err, "disk full")
	require.NoError(t, os.WriteFile(out, crashed.Bytes(), 0o600))
	checkpoint, err := os.ReadFile(cursorFile)
	require.NoError(t, err)
	require.NotEmpty(t, strings.SplitN(string(checkpoint), "\n", 2)[0])

	// As the shell would run it: -resume-cursor "$(cat export.cursor)".
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"-base-url", srv.URL(), "-out", out, "-cursor-file", cursorFile,
		"-resume-cursor", strings.TrimRight(string(checkpoint), "\n")}, &stdout, &stderr)
	require.NoError(t, err)
	_, err = os.Stat(cursorFile)
	assert.ErrorIs(t, err, os.ErrNotExist, "a finished export leaves nothing to resume")

	b, err := os.ReadFile(out)
	require.NoError(t, err)
	all := rows(t, b)
	require.Len(t, all, 251, "header + 250, no row torn, twice or missing")
	assert.Equal(t, header, all[0])
	ids := map[string]bool{}
	for _, r := range all[1:] {
		assert.False(t, ids[r[0]], "duplicate %s", r[0])
		ids[r[0]] = true
	}
}

func TestResumeWithoutCheckpointAppends(t *testing.T) {
	out := filepath.Join(t.TempDir(), "customers.csv")
	require.NoError(t, os.WriteFile(out, []byte("id\n"), 0o600))
	f, err := os.OpenFile(out, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	size, err := rewind(f, "", "somecursor")
	require.NoError(t, err)
	assert.EqualValues(t, 3, size)
}

func TestExportActiveOnly(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	client := srv.Client()
	_, err := client.Customers.Import(context.Background(), fakeCustomers(5), nil)
	require.NoError(t, err)
	_, err = client.Customers.Archive(context.Background(), "user_0000002")
	require.NoError(t, err)
	var out bytes.Buffer
	n, err := export(context.Background(), client, exportOptions{activeOnly: true}, &out)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.NotContains(t, out.String(), "user_0000002")
}

func TestExportRefusesStrayArguments(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	var stdout, stderr bytes.Buffer
	// -resume-cursor $(cat export.cursor), unquoted, splits the checkpoint in two.
	err := run(context.Background(), []string{"-resume-cursor", "abc", "12345"}, &stdout, &stderr)
	assert.ErrorContains(t, err, `unexpected argument "12345"`)
	assert.Empty(t, stdout.String())
}
