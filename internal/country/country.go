// Package country knows the officially assigned ISO 3166-1 alpha-2 country
// codes, which Commet's contract requires in an address's country. The
// rules both the SDK and its fake (commettest) apply (internal/rules) ask
// it, once a code is trimmed and upper-cased.
package country

// codes are the 249 officially assigned ISO 3166-1 alpha-2 codes, as the
// ISO 3166 Maintenance Agency lists them (the same list as tzdata's
// iso3166.tab). Not in it: reserved codes (UK, EU, AN), user-assigned ones
// (AA, QM to QZ, XA to XZ, among them XK, ZZ).
const codes = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ " +
	"EC EE EG EH ER ES ET " +
	"FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT " +
	"JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ " +
	"OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA " +
	"RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU " +
	"WF WS " +
	"YE YT " +
	"ZA ZM ZW"

// assigned is codes as a table indexed by letter pair, AA first.
var assigned = func() (t [26 * 26]bool) {
	for i := 0; i+2 <= len(codes); i += 3 {
		t[index(codes[i], codes[i+1])] = true
	}
	return t
}()

func index(a, b byte) int { return int(a-'A')*26 + int(b-'A') }

// Assigned reports whether code is an officially assigned ISO 3166-1
// alpha-2 code, such as "GB" or "US". Only upper case is accepted, as
// Commet's contract writes codes: "gb" is not a code, nor is " GB".
// Reserved and user-assigned codes are not assigned: "UK" (reserved for
// the United Kingdom, whose code is GB), "EU", "XK" (Kosovo, user-assigned),
// "XX", "ZZ".
func Assigned(code string) bool {
	if len(code) != 2 || !upper(code[0]) || !upper(code[1]) {
		return false
	}
	return assigned[index(code[0], code[1])]
}

func upper(c byte) bool { return 'A' <= c && c <= 'Z' }
