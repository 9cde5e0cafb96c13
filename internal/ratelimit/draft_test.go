package ratelimit

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParsePolicies: each policy's quota, window, unit and partition key;
// members that are not policies are left out; a malformed field is an
// error.
func TestParsePolicies(t *testing.T) {
	ps, err := ParsePolicies(`"burst";q=100;w=10, "day";q=100000;w=86400;qu="requests", "bytes";q=5000;qu="content-bytes";pk=:YWJj:, "open";q=7`)
	require.NoError(t, err)
	assert.Equal(t, []Policy{
		{Name: "burst", Quota: 100, Window: 10 * time.Second, Unit: "requests"},
		{Name: "day", Quota: 100000, Window: 24 * time.Hour, Unit: "requests"},
		{Name: "bytes", Quota: 5000, Unit: "content-bytes", PartitionKey: []byte("abc")},
		{Name: "open", Quota: 7, Unit: "requests"},
	}, ps)

	ps, err = ParsePolicies(`token;q=1, "noq";w=1, "negq";q=-1, "decq";q=1.5, "w0";q=1;w=0, "wstr";q=1;w="60", ` +
		`"wbig";q=1;w=999999999, "qutok";q=1;qu=requests, "pkstr";q=1;pk="abc", "qbig";q=99999999999, "ok";q=3;w=1;x=?1, "ok";q=9`)
	require.NoError(t, err)
	assert.Equal(t, []Policy{{Name: "ok", Quota: 3, Window: time.Second, Unit: "requests"}}, ps, "only the first well-formed policy of each name")

	for _, v := range []string{`"a";q=1,`, `"a";q=1 "b"`, `("a");q=1`, `"a";Q=1`} {
		ps, err := ParsePolicies(v)
		assert.True(t, errors.Is(err, errSF), "%q", v)
		assert.Nil(t, ps, "%q", v)
	}
}

// TestParseStatus: each member's remaining, reset and partition key.
func TestParseStatus(t *testing.T) {
	ss, err := ParseStatus(`"burst";r=42;t=3, "day";r=99000;t=86400;pk=:YWJj:, "open";r=0, "far";r=1;t=999999999`)
	require.NoError(t, err)
	assert.Equal(t, []Status{
		{Policy: "burst", Remaining: 42, Reset: 3 * time.Second, HasReset: true},
		{Policy: "day", Remaining: 99000, Reset: 24 * time.Hour, HasReset: true, PartitionKey: []byte("abc")},
		{Policy: "open"},
		{Policy: "far", Remaining: 1},
	}, ss)
	ss, err = ParseStatus(`tok;r=1, "nor";t=1, "negr";r=-1, "negt";r=1;t=-1, "dect";r=1;t=1.5, "pk";r=1;pk=?1`)
	require.NoError(t, err)
	assert.Empty(t, ss)
	_, err = ParseStatus(`"a";r=1;;`)
	assert.ErrorIs(t, err, errSF)
}

// TestReadDraft: the draft's fields alone fill a Limit, with the window
// the policy states; several policies: the one nearest exhaustion.
func TestReadDraft(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		h    http.Header
		want Limit
		ok   bool
	}{
		{"one policy", headers("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=50;t=30`),
			Limit{Limit: 100, Remaining: 50, Reset: 30 * time.Second, HasReset: true, Window: time.Minute}, true},
		{"no t: no reset", headers("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=50`),
			Limit{Limit: 100, Remaining: 50, Window: time.Minute}, true},
		{"no w: no window", headers("RateLimit-Policy", `"default";q=100`, "RateLimit", `"default";r=50;t=30`),
			Limit{Limit: 100, Remaining: 50, Reset: 30 * time.Second, HasReset: true}, true},
		{"stacked: the nearest exhaustion", headers("RateLimit-Policy", `"burst";q=100;w=10, "day";q=100000;w=86400`,
			"RateLimit", `"day";r=99000;t=80000, "burst";r=20;t=4`),
			Limit{Limit: 100, Remaining: 20, Reset: 4 * time.Second, HasReset: true, Window: 10 * time.Second}, true},
		{"stacked: the day nearer", headers("RateLimit-Policy", `"burst";q=100;w=10, "day";q=100000;w=86400`,
			"RateLimit", `"burst";r=90;t=4, "day";r=10;t=80000`),
			Limit{Limit: 100000, Remaining: 10, Reset: 80000 * time.Second, HasReset: true, Window: 24 * time.Hour}, true},
		{"fields on several lines", http.Header{"Ratelimit-Policy": {`"a";q=10;w=1`, `"b";q=5;w=1`}, "Ratelimit": {`"a";r=9`, `"b";r=1;t=1`}},
			Limit{Limit: 5, Remaining: 1, Reset: time.Second, HasReset: true, Window: time.Second}, true},
		{"bytes are not requests", headers("RateLimit-Policy", `"b";q=100;w=1;qu="content-bytes"`, "RateLimit", `"b";r=0;t=1`), Limit{}, false},
		{"a policy not named", headers("RateLimit-Policy", `"a";q=100;w=1`, "RateLimit", `"b";r=5;t=1`), Limit{}, false},
		{"no policy at all", headers("RateLimit", `"default";r=5;t=1`), Limit{}, false},
		{"no status", headers("RateLimit-Policy", `"default";q=100;w=60`), Limit{}, false},
		{"r beyond q", headers("RateLimit-Policy", `"d";q=10;w=1`, "RateLimit", `"d";r=11`), Limit{}, false},
		{"q 0", headers("RateLimit-Policy", `"d";q=0;w=1`, "RateLimit", `"d";r=0`), Limit{}, false},
		{"malformed RateLimit", headers("RateLimit-Policy", `"d";q=10;w=1`, "RateLimit", `"d";r=1,`), Limit{}, false},
		{"malformed policy", headers("RateLimit-Policy", `"d";q=10;w=1;`, "RateLimit", `"d";r=1`), Limit{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, ok := Read(tc.h, now)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, l)
		})
	}
}

// TestReadBothForms: when the older triple and the draft's fields both
// come, they agree, or the safer of each is kept: the smaller limit, the
// less remaining, the later reset; the window is the policy's.
func TestReadBothForms(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	both := func(limit, remaining, reset, policy, status string) http.Header {
		return headers("RateLimit-Limit", limit, "RateLimit-Remaining", remaining, "RateLimit-Reset", reset,
			"RateLimit-Policy", policy, "RateLimit", status, "Date", now.Format(http.TimeFormat))
	}
	cases := []struct {
		name string
		h    http.Header
		want Limit
	}{
		{"agree", both("100", "50", "30", `"d";q=100;w=60`, `"d";r=50;t=30`),
			Limit{Limit: 100, Remaining: 50, Reset: 30 * time.Second, HasReset: true, Window: time.Minute}},
		{"the draft leaves less, resets later", both("100", "50", "30", `"d";q=100;w=60`, `"d";r=40;t=35`),
			Limit{Limit: 100, Remaining: 40, Reset: 35 * time.Second, HasReset: true, Window: time.Minute}},
		{"the triple leaves less, resets later", both("100", "10", "50", `"d";q=100;w=60`, `"d";r=40;t=35`),
			Limit{Limit: 100, Remaining: 10, Reset: 50 * time.Second, HasReset: true, Window: time.Minute}},
		{"a smaller quota caps what is left", both("100", "50", "30", `"d";q=20;w=60`, `"d";r=20;t=30`),
			Limit{Limit: 20, Remaining: 20, Reset: 30 * time.Second, HasReset: true, Window: time.Minute}},
		{"the triple's larger limit loses", both("10", "5", "1", `"d";q=100;w=10`, `"d";r=50;t=1`),
			Limit{Limit: 10, Remaining: 5, Reset: time.Second, HasReset: true, Window: 10 * time.Second}},
		{"only the draft has a reset", both("100", "50", "soon", `"d";q=100;w=60`, `"d";r=50;t=7`),
			Limit{Limit: 100, Remaining: 50, Reset: 7 * time.Second, HasReset: true, Window: time.Minute}},
		{"only the triple has a reset", both("100", "50", "7", `"d";q=100;w=60`, `"d";r=50`),
			Limit{Limit: 100, Remaining: 50, Reset: 7 * time.Second, HasReset: true, Window: time.Minute}},
		{"a malformed draft: the triple alone", both("100", "50", "7", `"d";q=100;w=60`, `"d";r=50;`),
			Limit{Limit: 100, Remaining: 50, Reset: 7 * time.Second, HasReset: true}},
		{"a senseless triple: the draft alone", both("10", "11", "7", `"d";q=100;w=60`, `"d";r=50;t=9`),
			Limit{Limit: 100, Remaining: 50, Reset: 9 * time.Second, HasReset: true, Window: time.Minute}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, ok := Read(tc.h, now)
			assert.True(t, ok)
			assert.Equal(t, tc.want, l)
		})
	}
}

// TestWaitDraft: a 429 whose RateLimit field says r=0 is the rate limiter:
// wait for its t (the longest of those at 0), and the longer of the two
// forms when both say so; Retry-After still comes first.
func TestWaitDraft(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{"r=0: its t", headers("RateLimit", `"d";r=0;t=8`), 8 * time.Second, true},
		{"no policy needed", headers("RateLimit", `"d";r=0;t=8`, "RateLimit-Policy", `garbage;`), 8 * time.Second, true},
		{"several at 0: the longest", headers("RateLimit", `"a";r=0;t=3, "b";r=5;t=60, "c";r=0;t=9`), 9 * time.Second, true},
		{"r=0 without t: the floor", headers("RateLimit", `"d";r=0`), MinWait, true},
		{"both forms: the longer", headers("RateLimit-Remaining", "0", "RateLimit-Reset", "4", "RateLimit", `"d";r=0;t=6`), 6 * time.Second, true},
		{"the triple at 0, the draft not", headers("RateLimit-Remaining", "0", "RateLimit-Reset", "4", "RateLimit", `"d";r=3;t=6`), 4 * time.Second, true},
		{"Retry-After first", headers("Retry-After", "2", "RateLimit", `"d";r=0;t=6`), 2 * time.Second, true},
		{"r=3: not the limiter", headers("RateLimit", `"d";r=3;t=8`), 0, false},
		{"malformed: not the limiter", headers("RateLimit", `"d";r=0;t=8,`), 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wait, ok := Wait(tc.h, now)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, wait)
		})
	}
}
