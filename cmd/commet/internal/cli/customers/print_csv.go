package customers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
)

// csvColumns are the columns of a customer in CSV, as list and export write
// them, before its metadata: the wire's fields, and isActive, which import
// reads to archive again a customer that was archived. Then come a
// metadata.KEY column per metadata key, typed as import reads it back
// (metadata.seats:number, metadata.trial:bool, metadata.tags:json), sorted,
// and last, only when some key cannot name a column (see
// rows.MetadataColumn) or is past maxMetadataColumns, a "metadata" column
// holding those keys as a JSON object.
var csvColumns = []string{"id", "externalId", "billingEmail", "fullName", "domain", "website", "timezone",
	"language", "industry", "employeeCount", "isActive", "createdAt", "updatedAt"}

// csvHelp says what a CSV holds, for the help of the commands that write one.
const csvHelp = `A CSV has a column per field, isActive included, then one per metadata key,
typed so that commet customers import reads each value back as it was:
metadata.plan (text), metadata.seats:number, metadata.trial:bool, metadata.tags:json
(objects, arrays, null, empty or space-padded text, and keys whose values differ in
type between customers). A key that cannot name a column (empty, padded, holding a
NUL), and every key past the first 1,000, goes in a last "metadata" column as a JSON
object. The columns are known only once every customer is read, so the rows wait in
a temporary file and the CSV is written whole at the end.

Cells are safe to open in a spreadsheet (OWASP's CSV-injection rule): a cell
beginning with =, +, -, @, a tab or a carriage return gets a leading ', so that it is
shown as text, never run as a formula; so does a cell of one or more ' followed by
one of those, so that commet customers import removes exactly one ' and gets every
value back. --raw-cells writes the values as they are.
`

// metaKinds holds, for each metadata key seen, the kind of column that
// reads all its values back (rows.MetadataKind): a key seen with values of
// two kinds is "json".
type metaKinds map[string]string

func (m metaKinds) add(md map[string]any) {
	for k, v := range md {
		kind := rows.MetadataKind(v)
		if old, ok := m[k]; ok && old != kind {
			kind = "json"
		}
		m[k] = kind
	}
}

// spool holds the rows of a CSV until its header is known.
type spool interface {
	io.Writer
	// flush pushes what is buffered down, for a checkpoint.
	flush() error
	// size is the bytes spooled.
	size() int64
	// rows reads back every row spooled.
	rows() (io.Reader, error)
	// remove drops the spool.
	remove() error
}

// memSpool spools in memory: for a page or one customer.
type memSpool struct{ bytes.Buffer }

func (s *memSpool) flush() error             { return nil }
func (s *memSpool) size() int64              { return int64(s.Len()) }
func (s *memSpool) rows() (io.Reader, error) { return bytes.NewReader(s.Bytes()), nil }
func (s *memSpool) remove() error            { s.Reset(); return nil }

// fileSpool spools in a file: for every customer, in little memory.
type fileSpool struct {
	f *os.File
	w *bufio.Writer
	n int64
}

// newFileSpool spools to f, from its offset n on.
func newFileSpool(f *os.File, n int64) *fileSpool {
	return &fileSpool{f: f, w: bufio.NewWriterSize(f, 64<<10), n: n}
}

func (s *fileSpool) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

func (s *fileSpool) flush() error { return s.w.Flush() }
func (s *fileSpool) size() int64  { return s.n }

func (s *fileSpool) rows() (io.Reader, error) {
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	return io.NewSectionReader(s.f, 0, s.n), nil
}

func (s *fileSpool) remove() error {
	s.f.Close()
	if err := os.Remove(s.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// csvPrinter writes customers as CSV. Add spools each customer (as a JSON
// line) and notes its metadata's keys and kinds; Close writes the header,
// then every row, to out, and drops the spool.
type csvPrinter struct {
	out   io.Writer
	raw   bool
	spool spool
	kinds metaKinds
}

// newCSVPrinter returns a CSV printer that spools in memory, for a page.
func newCSVPrinter(out io.Writer, raw bool) *csvPrinter {
	return &csvPrinter{out: out, raw: raw, spool: &memSpool{}, kinds: metaKinds{}}
}

func (p *csvPrinter) Add(c *commet.Customer) error {
	p.kinds.add(c.Metadata)
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = p.spool.Write(append(b, '\n'))
	return err
}

// Flush pushes the spooled rows down; nothing reaches out before Close.
func (p *csvPrinter) Flush() error { return p.spool.flush() }

// Close writes the CSV to out and drops the spool.
func (p *csvPrinter) Close() error {
	if err := p.writeTo(p.out); err != nil {
		return err
	}
	return p.spool.remove()
}

// maxMetadataColumns bounds the metadata.KEY columns of a CSV: past it
// (metadata keyed by order or user, say), the keys after the first ones in
// sorted order go in the "metadata" column, which import reads too with
// their types, rather than make a CSV too wide for a spreadsheet (Excel
// stops at 16,384 columns).
const maxMetadataColumns = 1000

// csvLayout is where each metadata key goes.
type csvLayout struct {
	keys    []string        // keys with a column of their own, in column order
	names   []string        // their columns' names
	column  map[string]bool // the keys with a column
	objKeys bool            // some keys go in the "metadata" column
}

func (p *csvPrinter) layout() csvLayout {
	l := csvLayout{column: map[string]bool{}}
	for _, k := range slices.Sorted(maps.Keys(p.kinds)) {
		name, ok := rows.MetadataColumn(k, p.kinds[k])
		if !ok || len(l.keys) == maxMetadataColumns {
			l.objKeys = true
			continue
		}
		l.keys, l.names = append(l.keys, k), append(l.names, name)
		l.column[k] = true
	}
	return l
}

// writeTo writes the header and every spooled row to w as CSV.
func (p *csvPrinter) writeTo(w io.Writer) error {
	l := p.layout()
	header := append(slices.Clone(csvColumns), l.names...)
	if l.objKeys {
		header = append(header, "metadata")
	}
	if _, err := io.WriteString(w, headerLine(p.cells(header))); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	r, err := p.spool.rows()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.UseNumber() // numbers as they were written
	record := make([]string, 0, len(header))
	for n := 1; ; n++ {
		var c commet.Customer
		if err := dec.Decode(&c); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("reading back customer %d of the spooled export: %w", n, err)
		}
		record = append(record[:0], c.ID, c.ExternalID, c.Email, c.FullName, c.Domain, c.Website, c.Timezone,
			c.Language, c.Industry, c.EmployeeCount, strconv.FormatBool(c.IsActive), stamp(c.CreatedAt), stamp(c.UpdatedAt))
		for _, k := range l.keys {
			v, ok := c.Metadata[k]
			cell := ""
			if ok {
				if cell, err = rows.MetadataCell(p.kinds[k], v); err != nil {
					return fmt.Errorf("customer %s: metadata %q: %w", c.ID, k, err)
				}
			}
			record = append(record, cell)
		}
		if l.objKeys {
			obj := map[string]any{}
			for k, v := range c.Metadata {
				if !l.column[k] {
					obj[k] = v
				}
			}
			cell := ""
			if len(obj) > 0 {
				if cell, err = rows.MetadataCell("json", obj); err != nil {
					return fmt.Errorf("customer %s: metadata: %w", c.ID, err)
				}
			}
			record = append(record, cell)
		}
		if err := cw.Write(p.cells(record)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cells neutralises each cell of record in place, unless raw cells were
// asked for.
func (p *csvPrinter) cells(record []string) []string {
	if !p.raw {
		for i, s := range record {
			record[i] = rows.NeutralizeCell(s)
		}
	}
	return record
}

// headerLine is the CSV line of header. It quotes, beside what
// encoding/csv quotes, a name holding a semicolon or a tab: import guesses
// the delimiter from the header's unquoted ones, and metadata keys are free
// text.
func headerLine(header []string) string {
	var b strings.Builder
	for i, name := range header {
		if i > 0 {
			b.WriteByte(',')
		}
		if name != "" && (strings.ContainsAny(name, ",;\t\"\r\n") || name[0] == ' ') {
			b.WriteString(`"` + strings.ReplaceAll(name, `"`, `""`) + `"`)
			continue
		}
		b.WriteString(name)
	}
	b.WriteByte('\n')
	return b.String()
}
