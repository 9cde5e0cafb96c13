package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMigrate(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), nil, []string{"-n", "2500"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "commettest")
	assert.Equal(t, "2500 users: 2475 created, 0 existed, 0 repeated, 0 failed (0 not sent, 0 unknown), 25 invalid\n", stdout.String())
}

func TestMigrateStopsGracefully(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "")
	stop := make(chan struct{})
	close(stop) // Ctrl-C before the start: nothing is read
	var stdout, stderr bytes.Buffer
	_ = run(context.Background(), stop, []string{"-n", "500"}, &stdout, &stderr)
	assert.Contains(t, stdout.String(), "users:")
}

func TestMigrateFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), nil, []string{"-bogus"}, &out, &out))
	out.Reset()
	assert.NoError(t, run(context.Background(), nil, []string{"-h"}, &out, &out), "asking for help is no failure: exit 0")
	assert.Contains(t, out.String(), "-n")
}
