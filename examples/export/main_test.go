package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportGenerated(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-generate", "250"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "commettest")
	assert.Contains(t, stderr.String(), "exported 250 customers")
	assert.Equal(t, 2, strings.Count(stderr.String(), "next page: -cursor "), "pages of 100: two cursors worth keeping")
	ids := map[string]bool{}
	for line := range strings.Lines(stdout.String()) {
		var c struct{ ExternalID string }
		require.NoError(t, json.Unmarshal([]byte(line), &c))
		ids[c.ExternalID] = true
	}
	assert.Len(t, ids, 250)
}

func TestExportFromACursor(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	srv := commettest.NewServer()
	defer srv.Close()
	_, err := srv.Client().Customers.Import(context.Background(), fakeCustomers(150), nil)
	require.NoError(t, err)
	var first, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-base-url", srv.URL()}, &first, &stderr))
	cursor := regexp.MustCompile(`-cursor (\S+)`).FindStringSubmatch(stderr.String())
	require.NotNil(t, cursor, stderr.String())

	var rest bytes.Buffer
	stderr.Reset()
	require.NoError(t, run(context.Background(), []string{"-base-url", srv.URL(), "-cursor", cursor[1]}, &rest, &stderr))
	assert.Contains(t, stderr.String(), "exported 50 customers")
	assert.True(t, strings.HasSuffix(first.String(), rest.String()), "the walk resumed where the page ended")
}

func TestExportFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-bogus"}, &out, &out))
	out.Reset()
	assert.NoError(t, run(context.Background(), []string{"-h"}, &out, &out), "asking for help is no failure: exit 0")
	assert.Contains(t, out.String(), "-cursor")
	t.Setenv("COMMET_API_KEY", "ck_sandbox_x")
	assert.ErrorContains(t, run(context.Background(), []string{"-generate", "3"}, &out, &out), "in-process")
}
