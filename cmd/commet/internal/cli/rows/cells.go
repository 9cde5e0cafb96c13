package rows

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// A cell that a spreadsheet would read as a formula begins with one of these
// bytes: '=', '+', '-', '@', a tab (0x09) or a carriage return (0x0D). This is
// the list of OWASP's CSV-injection guidance.
const formulaLeads = "=+-@\t\r"

// quotedFormula reports whether s is one or more single quotes followed by a formula
// lead, the shape of a cell that NeutralizeCell has already prefixed, or that
// would read as one.
func quotedFormula(s string) bool {
	rest := strings.TrimLeft(s, "'")
	return len(rest) < len(s) && rest != "" && strings.IndexByte(formulaLeads, rest[0]) >= 0
}

// NeutralizeCell makes a cell safe to open in a spreadsheet, following
// OWASP's CSV-injection guidance: a cell that begins with '=', '+', '-', '@',
// a tab or a carriage return gets a leading single quote, so a spreadsheet
// shows it as text instead of running it as a formula. So that RestoreCell
// gives back exactly what was neutralised, a cell that already begins with
// one or more single quotes followed by one of those characters gets one more
// quote too. Every other cell is returned unchanged.
//
// RestoreCell(NeutralizeCell(s)) == s for every string s.
func NeutralizeCell(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte(formulaLeads, s[0]) >= 0 || quotedFormula(s) {
		return "'" + s
	}
	return s
}

// RestoreCell undoes NeutralizeCell: it removes exactly one leading single
// quote when what follows it is one of '=', '+', '-', '@', a tab or a
// carriage return, or one or more single quotes and then one of those.
// Every other cell is returned unchanged, so a cell written by hand as
// "'hello" keeps its quote.
func RestoreCell(s string) string {
	if quotedFormula(s) {
		return s[1:]
	}
	return s
}

// The kinds of a metadata.KEY column, as a suffix on its name names them.
var cellKinds = []string{"string", "number", "bool", "json"}

// MetadataKind is the kind of metadata.KEY column that reads v back exactly:
// "string" for text that a reader keeps as it is (not empty, no spaces at
// either end, which a reader trims), "number" for a number, "bool" for true
// or false, and "json" for everything else (an object, an array, null, and
// the text a plain column would not give back).
func MetadataKind(v any) string {
	switch v := v.(type) {
	case string:
		if v != "" && v == strings.TrimSpace(v) {
			return "string"
		}
	case float64, float32, int, int64, int32, uint, uint64, uint32, json.Number:
		return "number"
	case bool:
		return "bool"
	}
	return "json"
}

// MetadataColumn names the CSV column that holds the values of metadata key
// of kind (one of MetadataKind's), as commet customers import reads it:
// "metadata.KEY" for text, else "metadata.KEY:KIND". A text key whose own
// name ends in such a suffix ("seats:number") gets an explicit ":string".
// ok is false for a key that no column name reads back (empty, with spaces
// at either end, which a reader trims, or with a NUL, which a reader takes
// for UTF-16 in a header): such keys go in the "metadata" column, a JSON
// object.
func MetadataColumn(key, kind string) (name string, ok bool) {
	if key == "" || key != strings.TrimSpace(key) || strings.IndexByte(key, 0) >= 0 {
		return "", false
	}
	name = "metadata." + key
	if kind != "string" {
		return name + ":" + kind, true
	}
	if i := strings.LastIndexByte(key, ':'); i >= 0 && slices.Contains(cellKinds, strings.ToLower(strings.TrimSpace(key[i+1:]))) {
		name += ":string"
	}
	return name, true
}

// MetadataCell writes v in a column of kind (MetadataColumn's): text as it
// is, true or false, and any other value (a number too) as compact JSON,
// without escaping <, > and &.
func MetadataCell(kind string, v any) (string, error) {
	switch kind {
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "bool":
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
