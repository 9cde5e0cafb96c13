// Package rows reads the customers of a legacy export, one row at a time:
// CSV with a header row (RFC 4180, with LF, CRLF or bare-CR line endings)
// or NDJSON, in UTF-8, Windows-1252, ISO-8859-1 or UTF-16, with its columns
// mapped to the fields of a customer, cells equal to a --null value empty,
// metadata values typed, and each cell that export neutralised restored
// (RestoreCell). It streams, so a file of any size takes little memory.
// Check reads a whole input first, so that an input that cannot be read
// whole (its encoding, a stray quote, a header without an id or an email)
// is refused before anything is sent.
package rows

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/commet-go/commet"
)

// Options say how to read an input.
type Options struct {
	// Name is the input's file name, "-" for standard input: the format is
	// guessed from its extension.
	Name string
	// Format is "csv" or "ndjson"; empty guesses it from Name (CSV unless
	// it ends in .ndjson or .jsonl).
	Format string
	// Encoding is one of Encodings; empty is UTF-8. A byte order mark wins.
	Encoding string
	// Delimiter is the CSV's delimiter: ",", ";" or "tab"; empty detects it
	// from the header row.
	Delimiter string
	// Map holds field=column pairs (see Fields); a metadata.KEY field's
	// column may end in a type, :number, :bool, :json or :string.
	Map []string
	// Null lists the cell values that mean an empty cell, such as N/A or
	// NULL: a cell (or an NDJSON string) equal to one of them once
	// surrounding spaces are trimmed, letter case included, is empty.
	Null []string
	// IncompleteAddress says what becomes of a row whose address lacks a
	// field Commet requires (line1, city, postalCode, country): "fail"
	// (the default) fails the row, "drop" reads it without its address
	// (Row.AddressDropped names what was missing).
	IncompleteAddress string
}

// Values of Options.IncompleteAddress.
const (
	IncompleteFail = "fail"
	IncompleteDrop = "drop"
)

// Row is one row of the input.
type Row struct {
	// Line is the row's first line in the input, from 1 (the header).
	Line int
	// Params is the customer the row holds.
	Params commet.CreateCustomerParams
	// Err, if set, says why the row cannot become a customer.
	Err *RowError
	// Archive says the row's isActive is false: the customer is to be
	// archived once created.
	Archive bool
	// AddressDropped names the address fields that were missing when the
	// row's address was dropped (--incomplete-address drop); nil when none
	// was.
	AddressDropped []string
	// Fields names the fields the row has a column (CSV) or a key (NDJSON)
	// for, empty cells included, as Fields and "metadata.KEY" name them:
	// what sync needs to tell an empty cell (which --clear-empty clears)
	// from a field the input does not hold (left alone).
	Fields []string
}

// RowError is a row that cannot be read into a customer: a field that is
// not what it should be, or a row the CSV reader cannot parse.
type RowError struct {
	// Field is the field at fault, by wire name, or "".
	Field  string
	Reason string
}

func (e *RowError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// ConfigError is an input that cannot be read as asked: a flag, or a
// header that lacks a column. Nothing was read past the header.
type ConfigError struct{ msg string }

func (e *ConfigError) Error() string { return e.msg }

// Reader reads rows.
type Reader struct {
	// Format, Encoding and Delimiter are what the input is read as.
	Format, Encoding string
	Delimiter        rune
	// Columns is the CSV's header; nil for NDJSON.
	Columns []string
	// Ignored are the header's columns that no field takes.
	Ignored []string
	// OverriddenByBOM says that a byte order mark chose Encoding over the
	// encoding asked for.
	OverriddenByBOM bool
	// CommetIDs says that the input is customers as Commet returns them
	// (a commet customers export), whose id column is Commet's own ID
	// (cus_...): it is not read as the customer's ID; externalId is.
	CommetIDs bool

	next  func() (Row, error)
	opts  rowOptions
	saw   map[string]bool // the fields some row held, for an NDJSON input
	width int
}

// rowOptions are what every row is read with.
type rowOptions struct {
	nulls []string
	drop  bool
}

// Next returns the next row, or io.EOF after the last. Any other error
// ends the reading: the input cannot be read on (an *EncodingError, an
// I/O error).
func (r *Reader) Next() (Row, error) { return r.next() }

// Open reads the start of r (the header of a CSV) as o says.
func Open(r io.Reader, o Options) (*Reader, error) {
	format, err := guessFormat(o)
	if err != nil {
		return nil, err
	}
	m, err := parseMapping(o.Map)
	if err != nil {
		return nil, err
	}
	ro := rowOptions{}
	switch strings.ToLower(strings.TrimSpace(o.IncompleteAddress)) {
	case "", IncompleteFail:
	case IncompleteDrop:
		ro.drop = true
	default:
		return nil, &ConfigError{fmt.Sprintf("--incomplete-address %q: want fail or drop", o.IncompleteAddress)}
	}
	for _, n := range o.Null {
		if n = strings.TrimSpace(n); n != "" {
			ro.nulls = append(ro.nulls, n)
		}
	}
	text, enc, bom, err := decode(r, o.Encoding)
	if err != nil {
		return nil, err
	}
	rd := &Reader{Format: format, Encoding: enc, OverriddenByBOM: bom, opts: ro}
	if format == "ndjson" {
		return rd, rd.openNDJSON(text, m)
	}
	return rd, rd.openCSV(text, m, o.Delimiter)
}

func guessFormat(o Options) (string, error) {
	switch strings.ToLower(o.Format) {
	case "csv":
		return "csv", nil
	case "ndjson", "jsonl":
		return "ndjson", nil
	case "":
		switch strings.ToLower(filepath.Ext(o.Name)) {
		case ".ndjson", ".jsonl":
			return "ndjson", nil
		}
		return "csv", nil
	}
	return "", &ConfigError{fmt.Sprintf("--format %q: want csv or ndjson", o.Format)}
}

// builder fills a customer from the fields of a row.
type builder struct {
	opts    rowOptions
	p       commet.CreateCustomerParams
	addr    commet.Address
	err     *RowError
	archive bool
	// commetIDs says that the row's id was left alone as Commet's own.
	commetIDs bool
	fields    []string // Row.Fields
}

// isNull reports whether s, trimmed, is one of the --null values.
func (o rowOptions) isNull(s string) bool {
	return len(o.nulls) > 0 && slices.Contains(o.nulls, strings.TrimSpace(s))
}

// set assigns v, a CSV cell (string) or an NDJSON value (any JSON), to the
// field of c.
func (b *builder) set(c column, v any) {
	b.fields = append(b.fields, c.field)
	if s, ok := v.(string); ok && b.opts.isNull(s) {
		return
	}
	if v == nil {
		return
	}
	field := c.field
	if key, ok := strings.CutPrefix(field, "metadata."); ok {
		b.setKey(field, key, c.kind, v)
		return
	}
	if field == "metadata" {
		switch v := v.(type) {
		case map[string]any:
			b.setMetadata(v)
		case string:
			if strings.TrimSpace(v) == "" {
				return
			}
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
				b.fail("metadata", "is not a JSON object")
				return
			}
			b.setMetadata(m)
		default:
			b.fail("metadata", "is not a JSON object")
		}
		return
	}
	if field == "isActive" {
		switch v := v.(type) {
		case bool:
			b.archive = !v
		case string:
			if strings.TrimSpace(v) == "" {
				return
			}
			active, err := parseBool(v)
			if err != nil {
				b.fail("isActive", "is not true or false")
				return
			}
			b.archive = !active
		default:
			b.fail("isActive", "is not true or false")
		}
		return
	}
	s, ok := text(v)
	if !ok {
		b.fail(wireName(field), "is not text, a number or a boolean")
		return
	}
	switch field {
	case "id":
		b.p.ID = s
	case "email":
		b.p.Email = s
	case "fullName":
		b.p.FullName = s
	case "domain":
		b.p.Domain = s
	case "website":
		b.p.Website = s
	case "timezone":
		b.p.Timezone = s
	case "language":
		b.p.Language = s
	case "industry":
		b.p.Industry = s
	case "address.line1":
		b.addr.Line1 = s
	case "address.line2":
		b.addr.Line2 = s
	case "address.city":
		b.addr.City = s
	case "address.state":
		b.addr.State = s
	case "address.postalCode":
		b.addr.PostalCode = s
	case "address.country":
		b.addr.Country = s
	}
}

// setKey sets one metadata key, of the kind its column names. An empty
// cell sets no key; a cell that is not of its kind fails the row.
func (b *builder) setKey(field, key, kind string, v any) {
	if s, isText := v.(string); isText {
		if s = strings.TrimSpace(s); s == "" {
			return
		}
		parsed, err := ParseValue(kind, s)
		if err != nil {
			b.fail(field, err.Error())
			return
		}
		v = parsed
	} else {
		switch _, isNumber := v.(json.Number); {
		case kind == "number" && !isNumber:
			b.fail(field, "is not a number")
			return
		case kind == "bool":
			if _, isBool := v.(bool); !isBool {
				b.fail(field, "is not true or false")
				return
			}
		case kind == "string":
			s, ok := text(v)
			if !ok {
				b.fail(field, "is not text")
				return
			}
			v = s
		}
	}
	if b.p.Metadata == nil {
		b.p.Metadata = map[string]any{}
	}
	b.p.Metadata[key] = v
}

// ParseValue reads text as a metadata value of kind: "" or "string" keep
// it as it is, "number" takes a JSON number (12, -4.5, 1e3; kept exact),
// "bool" true or false (also t/f, yes/no, 1/0, in any case), "json" any
// JSON value. The error says what the text is not, without repeating it.
func ParseValue(kind, text string) (any, error) {
	switch kind {
	case "", "string":
		return text, nil
	case "number":
		v, err := decodeJSON(strings.TrimSpace(text))
		if n, ok := v.(json.Number); err == nil && ok {
			return n, nil
		}
		return nil, errors.New("is not a number (want one such as 12 or 4.5, without thousands separators)")
	case "bool":
		return parseBool(text)
	case "json":
		v, err := decodeJSON(text)
		if err != nil {
			return nil, errors.New("is not JSON")
		}
		return v, nil
	}
	return nil, fmt.Errorf("has an unknown type %q: want one of %s", kind, strings.Join(Kinds, ", "))
}

// decodeJSON decodes one JSON value, numbers as json.Number.
func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// parseBool reads true or false, as spreadsheets and databases write them.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "1":
		return true, nil
	case "false", "f", "no", "n", "0":
		return false, nil
	}
	return false, errors.New("is not true or false")
}

// fail keeps the row's first error; the other fields are still read, so
// that the failures file can name the row's id and email.
func (b *builder) fail(field, reason string) {
	if b.err == nil {
		b.err = &RowError{Field: field, Reason: reason}
	}
}

// setMetadata merges m under what metadata.KEY columns set.
func (b *builder) setMetadata(m map[string]any) {
	if b.p.Metadata == nil {
		b.p.Metadata = m
		return
	}
	for k, v := range m {
		if _, ok := b.p.Metadata[k]; !ok {
			b.p.Metadata[k] = v
		}
	}
}

// text is v as the text of a string field.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// row finishes the customer of the row at line. An address that lacks a
// field Commet requires fails the row, or, with drop, is left out.
func (b *builder) row(line int) Row {
	r := Row{Line: line, Params: b.p, Err: b.err, Archive: b.archive, Fields: b.fields}
	if b.addr != (commet.Address{}) {
		var missing []string
		for _, f := range []struct{ name, v string }{{"line1", b.addr.Line1}, {"city", b.addr.City}, {"postalCode", b.addr.PostalCode}, {"country", b.addr.Country}} {
			if strings.TrimSpace(f.v) == "" {
				missing = append(missing, f.name)
			}
		}
		switch {
		case len(missing) == 0:
			r.Params.Address = &b.addr
		case b.opts.drop:
			r.AddressDropped = missing
		case r.Err == nil:
			fields := make([]string, len(missing))
			for i, m := range missing {
				fields[i] = "address." + m
			}
			r.Err = &RowError{Field: strings.Join(fields, ";"), Reason: "the address has no " + strings.Join(missing, ", ") +
				": Commet needs line1, city, postalCode and country in an address (--incomplete-address drop sends the row without it)"}
		}
	}
	if r.Err == nil && strings.TrimSpace(r.Params.ID) == "" {
		r.Err = &RowError{Field: "externalId", Reason: "is empty: every row needs an id, so that a re-run creates nothing twice"}
		if b.commetIDs {
			r.Err.Reason = "is empty: the customer has no externalId, and its id is Commet's own (cus_...), not taken for yours; " +
				"give IDs with --map id=COLUMN (--map id=id takes Commet's)"
		}
	}
	return r
}
