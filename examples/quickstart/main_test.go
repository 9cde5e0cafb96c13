package main

import (
	"bytes"
	"context"
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
