package rows

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNeutralizeCell(t *testing.T) {
	cases := []struct{ in, out string }{
		{"", ""},
		{"Ada Lovelace", "Ada Lovelace"},
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{`+cmd|' /C calc'!A0`, `'+cmd|' /C calc'!A0`},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tindented", "'\tindented"},
		{"\rreturn", "'\rreturn"},
		// Already quoted formulas get one more quote, so restoring is exact.
		{"'=1+1", "''=1+1"},
		{"''-2", "'''-2"},
		// A quote not followed by a formula lead is left alone.
		{"'hello", "'hello"},
		{"'", "'"},
		{"''", "''"},
		{"O'Brien", "O'Brien"},
		// Only the first character counts.
		{"a=b", "a=b"},
		{" =1", " =1"},
	}
	for _, c := range cases {
		assert.Equal(t, c.out, NeutralizeCell(c.in), "NeutralizeCell(%q)", c.in)
		assert.Equal(t, c.in, RestoreCell(c.out), "RestoreCell(%q)", c.out)
	}
}

func TestRestoreCellLeavesOtherCellsAlone(t *testing.T) {
	for _, s := range []string{"", "'", "''", "'hello", "'' x", "plain", "=1"} {
		assert.Equal(t, s, RestoreCell(s), "RestoreCell(%q)", s)
	}
	assert.Equal(t, "=1", RestoreCell("'=1"))
	assert.Equal(t, "'@x", RestoreCell("''@x"))
}

// FuzzNeutralizeCell proves the round trip is exact for every string and that
// what is written never begins with a formula lead.
func FuzzNeutralizeCell(f *testing.F) {
	for _, s := range []string{"", "'", "=1", "'=1", "''-", "\t", "\r\n", "abc", "'a", "@", "+-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NeutralizeCell(s)
		if got := RestoreCell(n); got != s {
			t.Fatalf("RestoreCell(NeutralizeCell(%q)) = %q", s, got)
		}
		if n != "" && (n[0] == '=' || n[0] == '+' || n[0] == '-' || n[0] == '@' || n[0] == '\t' || n[0] == '\r') {
			t.Fatalf("NeutralizeCell(%q) = %q still begins with a formula lead", s, n)
		}
	})
}

func TestMetadataKind(t *testing.T) {
	for v, want := range map[any]string{
		"pro": "string", "O'Brien": "string", "=1": "string",
		"": "json", " padded": "json", "tail\n": "json",
		5.0: "number", json.Number("12"): "number", 3: "number",
		true: "bool", false: "bool",
		nil: "json",
	} {
		assert.Equal(t, want, MetadataKind(v), "MetadataKind(%#v)", v)
	}
	assert.Equal(t, "json", MetadataKind(map[string]any{"a": 1.0}))
	assert.Equal(t, "json", MetadataKind([]any{"a"}))
}

func TestMetadataColumn(t *testing.T) {
	cases := []struct {
		key, kind, name string
		ok              bool
	}{
		{"plan", "string", "metadata.plan", true},
		{"seats", "number", "metadata.seats:number", true},
		{"trial", "bool", "metadata.trial:bool", true},
		{"tags", "json", "metadata.tags:json", true},
		{"a:b", "string", "metadata.a:b", true},
		{"seats:number", "string", "metadata.seats:number:string", true},
		{"x: JSON ", "string", "", false},
		{"x: JSON", "string", "metadata.x: JSON:string", true},
		{"seats:number", "number", "metadata.seats:number:number", true},
		{"", "string", "", false},
		{" lead", "string", "", false},
		{"trail ", "number", "", false},
		{"nul\x00", "string", "", false},
	}
	for _, c := range cases {
		name, ok := MetadataColumn(c.key, c.kind)
		assert.Equal(t, c.ok, ok, "MetadataColumn(%q, %q)", c.key, c.kind)
		assert.Equal(t, c.name, name, "MetadataColumn(%q, %q)", c.key, c.kind)
	}
}
