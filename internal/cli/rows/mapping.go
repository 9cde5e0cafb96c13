package rows

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Fields lists the fields a column can be mapped to, by the guide's names;
// "metadata" takes a JSON object, and "metadata.KEY" one metadata value.
var Fields = []string{"id", "email", "fullName", "domain", "website", "timezone", "language", "industry",
	"address.line1", "address.line2", "address.city", "address.state", "address.postalCode", "address.country",
	"metadata", "metadata.KEY"}

// wireNames are the fields' names on the wire, as field errors name them.
var wireNames = map[string]string{"id": "externalId", "email": "billingEmail"}

func wireName(field string) string {
	if w, ok := wireNames[field]; ok {
		return w
	}
	return field
}

// aliases map a column name, normalized, to the field it holds when no
// --map says otherwise: the guide's names, the wire's names, and the
// columns of the migrate example (email, id, full_name, line1, ...).
var aliases = map[string]string{
	"id": "id", "externalid": "id",
	"email": "email", "billingemail": "email",
	"fullname": "fullName", "name": "fullName",
	"domain": "domain", "website": "website", "timezone": "timezone", "language": "language", "industry": "industry",
	"line1": "address.line1", "addressline1": "address.line1",
	"line2": "address.line2", "addressline2": "address.line2",
	"city": "address.city", "addresscity": "address.city",
	"state": "address.state", "addressstate": "address.state",
	"postalcode": "address.postalCode", "addresspostalcode": "address.postalCode",
	"country": "address.country", "addresscountry": "address.country",
	"metadata": "metadata",
}

// normalize folds a column name for matching: letters and digits only, in
// lower case ("Full Name", "full_name" and "fullName" are one).
func normalize(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, name)
}

// canonicalField names a --map field as Fields does, accepting the wire's
// names (externalId, billingEmail) and any letter case.
func canonicalField(name string) (string, bool) {
	name = strings.TrimSpace(name)
	if k, ok := cutFold(name, "metadata."); ok && k != "" {
		return "metadata." + k, true
	}
	switch strings.ToLower(name) {
	case "externalid":
		return "id", true
	case "billingemail":
		return "email", true
	}
	for _, f := range Fields {
		if strings.EqualFold(f, name) && f != "metadata.KEY" {
			return f, true
		}
		if a, ok := cutFold(f, "address."); ok && strings.EqualFold(a, name) {
			return f, true // "city" for "address.city"
		}
	}
	return "", false
}

// cutFold cuts prefix from s, ignoring case.
func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

// mapping says which column holds which field: the --map pairs, then the
// defaults for the fields they leave.
type mapping struct {
	explicit map[string]string // field -> column
}

// parseMapping reads --map pairs, field=column.
func parseMapping(pairs []string) (*mapping, error) {
	m := &mapping{explicit: map[string]string{}}
	columns := map[string]string{}
	for _, pair := range pairs {
		f, col, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(col) == "" {
			return nil, &ConfigError{fmt.Sprintf("--map %q: want field=column, such as email=Correo", pair)}
		}
		field, ok := canonicalField(f)
		if !ok {
			return nil, &ConfigError{fmt.Sprintf("--map %q: no field %q; the fields are %s (or the wire's externalId, billingEmail)", pair, f, strings.Join(Fields, ", "))}
		}
		col = strings.TrimSpace(col)
		if _, dup := m.explicit[field]; dup {
			return nil, &ConfigError{fmt.Sprintf("--map: %s is mapped twice", field)}
		}
		if other, dup := columns[col]; dup {
			return nil, &ConfigError{fmt.Sprintf("--map: column %q is mapped to both %s and %s", col, other, field)}
		}
		m.explicit[field] = col
		columns[col] = field
	}
	return m, nil
}

// defaultField is the field a column holds by its name, or "".
func defaultField(column string) string {
	if k, ok := cutFold(strings.TrimSpace(column), "metadata."); ok && k != "" {
		return "metadata." + k
	}
	return aliases[normalize(column)]
}

// findColumn returns the index of column in columns: the exact name, else
// the one name equal to it but for case and spaces; -1 for none.
func findColumn(columns []string, column string) int {
	if i := slices.Index(columns, column); i >= 0 {
		return i
	}
	for i, c := range columns {
		if strings.EqualFold(strings.TrimSpace(c), column) {
			return i
		}
	}
	return -1
}

// resolve maps columns to fields: fields[i] is the field of columns[i], or
// "" for a column no field takes. missing lists the --map columns that are
// not among columns.
func (m *mapping) resolve(columns []string) (fields []string, missing []string) {
	fields = make([]string, len(columns))
	used := map[string]bool{}
	for _, field := range sortedKeys(m.explicit) {
		used[field] = true
		i := findColumn(columns, m.explicit[field])
		if i < 0 {
			missing = append(missing, field+"="+m.explicit[field])
			continue
		}
		fields[i] = field
	}
	for i, col := range columns {
		if fields[i] != "" {
			continue
		}
		if f := defaultField(col); f != "" && !used[f] {
			fields[i], used[f] = f, true
		}
	}
	return fields, missing
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
