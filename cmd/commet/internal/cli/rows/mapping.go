package rows

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Fields lists the fields a column can be mapped to, by the guide's names;
// "metadata" takes a JSON object, "metadata.KEY" one metadata value (a
// string, or the type a :number, :bool or :json suffix on the column
// names), and "isActive" false archives the customer once created.
var Fields = []string{"id", "email", "fullName", "domain", "website", "timezone", "language", "industry",
	"address.line1", "address.line2", "address.city", "address.state", "address.postalCode", "address.country",
	"metadata", "metadata.KEY", "isActive"}

// Kinds are the types a metadata.KEY column can hold, named by a suffix
// on the column (metadata.seats:number, or --map metadata.seats=Seats:number).
var Kinds = []string{"string", "number", "bool", "json"}

// wireNames are the fields' names on the wire, as field errors name them.
var wireNames = map[string]string{"id": "externalId", "email": "billingEmail"}

func wireName(field string) string {
	if w, ok := wireNames[field]; ok {
		return w
	}
	return field
}

// alias is the field a column holds by its name alone; of two columns for
// one field, the lower rank wins (externalId over id).
type alias struct {
	field string
	rank  int
}

// aliases map a column name, normalized, to the field it holds when no
// --map says otherwise: the guide's names, the wire's names, and the
// columns of the migrate example (email, id, full_name, line1, ...).
var aliases = map[string]alias{
	"externalid": {"id", 0}, "id": {"id", 1},
	"billingemail": {"email", 0}, "email": {"email", 1},
	"fullname": {"fullName", 0}, "name": {"fullName", 1},
	"domain": {"domain", 0}, "website": {"website", 0}, "timezone": {"timezone", 0}, "language": {"language", 0}, "industry": {"industry", 0},
	"line1": {"address.line1", 1}, "addressline1": {"address.line1", 0},
	"line2": {"address.line2", 1}, "addressline2": {"address.line2", 0},
	"city": {"address.city", 1}, "addresscity": {"address.city", 0},
	"state": {"address.state", 1}, "addressstate": {"address.state", 0},
	"postalcode": {"address.postalCode", 1}, "addresspostalcode": {"address.postalCode", 0},
	"country": {"address.country", 1}, "addresscountry": {"address.country", 0},
	"metadata": {"metadata", 0},
}

// commetColumns are the columns of a customer as Commet returns it (and
// as commet customers export writes it) that no field takes: Commet sets
// them. The id among them is Commet's own (cus_...), never yours.
var commetColumns = []string{"id", "organizationId", "employeeCount", "createdAt", "updatedAt"}

// commetShape reports whether columns are those of a customer as Commet
// returns it: an organizationId, or both isActive and createdAt, spelled
// as Commet spells them. Its id is Commet's, and is never taken for
// yours unless --map says so.
func commetShape(columns []string) bool {
	has := func(name string) bool { return slices.Contains(columns, name) }
	return has("organizationId") || has("isActive") && has("createdAt")
}

// SplitKind cuts a type suffix (:number, :bool, :json, :string) off a
// column name (or a --metadata key); kind is "" for none.
func SplitKind(column string) (name, kind string) {
	if i := strings.LastIndexByte(column, ':'); i >= 0 {
		if k := strings.ToLower(strings.TrimSpace(column[i+1:])); slices.Contains(Kinds, k) {
			return strings.TrimSpace(column[:i]), k
		}
	}
	return column, ""
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

// column is what a column of the input holds: a field, and for a
// metadata.KEY field the type of its values ("" for text).
type column struct {
	field, kind string
}

// mapping says which column holds which field: the --map pairs, then the
// defaults for the fields they leave.
type mapping struct {
	explicit map[string]string // field -> column
	kinds    map[string]string // field -> kind, from --map suffixes
}

// parseMapping reads --map pairs, field=column[:kind].
func parseMapping(pairs []string) (*mapping, error) {
	m := &mapping{explicit: map[string]string{}, kinds: map[string]string{}}
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
		col, kind := SplitKind(strings.TrimSpace(col))
		if kind != "" && !strings.HasPrefix(field, "metadata.") {
			return nil, &ConfigError{fmt.Sprintf("--map %q: only a metadata.KEY field takes a type (:%s)", pair, kind)}
		}
		if _, dup := m.explicit[field]; dup {
			return nil, &ConfigError{fmt.Sprintf("--map: %s is mapped twice", field)}
		}
		if other, dup := columns[col]; dup {
			return nil, &ConfigError{fmt.Sprintf("--map: column %q is mapped to both %s and %s", col, other, field)}
		}
		m.explicit[field], columns[col] = col, field
		if kind != "" {
			m.kinds[field] = kind
		}
	}
	return m, nil
}

// defaultColumn is what a column holds by its name, or a zero column.
func defaultColumn(name string) (column, int) {
	name = strings.TrimSpace(name)
	if k, ok := cutFold(name, "metadata."); ok {
		k, kind := SplitKind(k)
		if k != "" {
			return column{"metadata." + k, kind}, 0
		}
	}
	if name == "isActive" { // Commet's own spelling only: a user's "active" may mean something else
		return column{field: "isActive"}, 0
	}
	if a, ok := aliases[normalize(name)]; ok {
		return column{field: a.field}, a.rank
	}
	return column{}, 0
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

// resolution is how the columns of an input map to fields.
type resolution struct {
	// cols[i] is what columns[i] holds; a zero column for none.
	cols []column
	// missing lists the --map columns that are not among columns.
	missing []string
	// commetIDs says that an id column was left alone as Commet's own.
	commetIDs bool
}

// resolve maps columns to fields: --map first, then each field left to the
// column of the lowest rank by name. In a customer as Commet returns it,
// id is Commet's own, and is not taken for yours.
func (m *mapping) resolve(columns []string) resolution {
	res := resolution{cols: make([]column, len(columns))}
	used := map[string]bool{}
	for _, field := range sortedKeys(m.explicit) {
		used[field] = true
		name := m.explicit[field]
		i := findColumn(columns, name)
		kind := m.kinds[field]
		if i < 0 && kind != "" { // --map metadata.seats=metadata.seats:number, the export's own header
			i = findColumn(columns, name+":"+kind)
		}
		if i < 0 {
			res.missing = append(res.missing, field+"="+name)
			continue
		}
		if kind == "" {
			_, kind = SplitKind(columns[i])
		}
		res.cols[i] = column{field, kind}
	}
	shape := commetShape(columns)
	best := map[string]int{} // field -> index of its column so far
	for i, name := range columns {
		if res.cols[i].field != "" {
			continue
		}
		c, rank := defaultColumn(name)
		if c.field == "" || used[c.field] {
			continue
		}
		if c.field == "id" && shape && normalize(name) == "id" {
			res.commetIDs = true
			continue
		}
		if j, ok := best[c.field]; ok {
			if _, r := defaultColumn(columns[j]); r <= rank {
				continue
			}
			res.cols[j] = column{}
		}
		best[c.field], res.cols[i] = i, c
	}
	return res
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
