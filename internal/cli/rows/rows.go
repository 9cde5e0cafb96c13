// Package rows reads the customers of a legacy export, one row at a time:
// CSV with a header row or NDJSON, in UTF-8, Windows-1252, ISO-8859-1 or
// UTF-16, with its columns mapped to the fields of a customer. It streams,
// so a file of any size takes little memory.
package rows

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
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
	// Map holds field=column pairs (see Fields).
	Map []string
}

// Row is one row of the input.
type Row struct {
	// Line is the row's first line in the input, from 1 (the header).
	Line int
	// Params is the customer the row holds.
	Params commet.CreateCustomerParams
	// Err, if set, says why the row cannot become a customer.
	Err *RowError
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

	next func() (Row, error)
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
	text, enc, bom, err := decode(r, o.Encoding)
	if err != nil {
		return nil, err
	}
	rd := &Reader{Format: format, Encoding: enc, OverriddenByBOM: bom}
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
	p    commet.CreateCustomerParams
	addr commet.Address
	err  *RowError
}

// set assigns v, a CSV cell (string) or an NDJSON value (any JSON), to
// field.
func (b *builder) set(field string, v any) {
	if v == nil {
		return
	}
	if key, ok := strings.CutPrefix(field, "metadata."); ok {
		if s, isText := v.(string); isText {
			if s = strings.TrimSpace(s); s == "" {
				return
			}
			v = s
		}
		if b.p.Metadata == nil {
			b.p.Metadata = map[string]any{}
		}
		b.p.Metadata[key] = v
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

// row finishes the customer of the row at line.
func (b *builder) row(line int) Row {
	if b.addr != (commet.Address{}) {
		b.p.Address = &b.addr
	}
	r := Row{Line: line, Params: b.p, Err: b.err}
	if r.Err == nil && strings.TrimSpace(r.Params.ID) == "" {
		r.Err = &RowError{Field: "externalId", Reason: "is empty: every row needs an id, so that a re-run creates nothing twice"}
	}
	return r
}
