package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstartRunsOffline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, ""))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 7)
	assert.Contains(t, lines[0], "commettest")
	assert.Contains(t, lines[0], "no network")
	for i, want := range []string{"1. created cus_", "2. got cus_", "3. updated the address and email: accounts@acme.example",
		"4. listed a page of 1 customer(s), more: false", "5. iterated over every page: 1 customer(s)", "6. archived cus_"} {
		assert.Contains(t, lines[i+1], want)
	}
	assert.True(t, strings.HasSuffix(lines[6], "active=false"))
}

// TestMain runs main itself when QUICKSTART_MAIN_ARGS is set, so that a
// test can check its exit code in a process of its own.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("QUICKSTART_MAIN_ARGS"); ok {
		os.Args = append([]string{"quickstart"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestQuickstartFlags(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"--help"}} {
		var stdout, stderr bytes.Buffer
		code, done := parseArgs(args, &stdout, &stderr)
		assert.True(t, done, args)
		assert.Equal(t, 0, code, "%v asks for help: that is no error", args)
		assert.Contains(t, stdout.String(), "Usage: quickstart")
		assert.Empty(t, stderr.String())
	}
	for _, args := range [][]string{{"-bogus"}, {"now"}} {
		var stdout, stderr bytes.Buffer
		code, done := parseArgs(args, &stdout, &stderr)
		assert.True(t, done, args)
		assert.Equal(t, 2, code, args)
		assert.Contains(t, stderr.String(), "Usage: quickstart")
		assert.Empty(t, stdout.String())
	}
	_, done := parseArgs(nil, new(bytes.Buffer), new(bytes.Buffer))
	assert.False(t, done)
}

// TestQuickstartHelpExitsZero runs main in a process of its own: -h and
// -help exit 0 with the usage, and run nothing (no customer is created).
func TestQuickstartHelpExitsZero(t *testing.T) {
	for _, args := range []string{"-h", "-help"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "QUICKSTART_MAIN_ARGS="+args, "COMMET_API_KEY=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "%s: %s", args, stderr.String())
		assert.Contains(t, stdout.String(), "Usage: quickstart", args)
		assert.NotContains(t, stdout.String(), "created", args)
		assert.NotContains(t, stdout.String()+stderr.String(), "help requested", args)
	}
}
