package ratelimit

import (
	"net/http"
	"time"
)

// Date is the answer's Date, and whether it has a valid one.
func Date(h http.Header) (time.Time, bool) {
	v := h.Get("Date")
	if t, ok := imfFixdate(v); ok {
		return t, true
	}
	d, err := http.ParseTime(v)
	return d, err == nil
}

// imfFixdate reads the form every server sends a Date in (RFC 9110's
// IMF-fixdate, http.TimeFormat: "Sun, 06 Dec 2026 04:30:00 GMT") without
// time.Parse, which took about a twentieth of a Create's own work: it
// takes what http.ParseTime takes in that form, to the same instant, and
// leaves anything else (the obsolete forms, a day the month lacks, a
// second 60) to http.ParseTime (FuzzDate holds it to that).
func imfFixdate(v string) (time.Time, bool) {
	// 0         1         2
	// 0123456789012345678901234567890
	// Mon, 02 Jan 2006 15:04:05 GMT
	if len(v) != len(http.TimeFormat) || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
		v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25:] != " GMT" || !weekday(v[:3]) {
		return time.Time{}, false
	}
	month := monthOf(v[8:11])
	day, ok1 := digits(v[5:7])
	year, ok2 := digits(v[12:16])
	hour, ok3 := digits(v[17:19])
	minute, ok4 := digits(v[20:22])
	second, ok5 := digits(v[23:25])
	if month == 0 || !ok1 || !ok2 || !ok3 || !ok4 || !ok5 ||
		day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	return time.Date(year, month, day, hour, minute, second, 0, time.UTC), true
}

// daysIn is the number of days of month m of year.
func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// digits reads s, made of decimal digits only.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// weekday reports whether s is a day's short name, as time.Parse's "Mon"
// takes it (which does not check it against the date).
func weekday(s string) bool {
	switch s {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

// monthOf is the month of a short name, as time.Parse's "Jan" takes it; 0
// for none.
func monthOf(s string) time.Month {
	switch s {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}
