package rows

import "strings"

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
