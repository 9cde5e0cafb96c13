package rows

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// QuoteError is a CSV whose quotes cannot be paired without guessing: a
// quote that opens a field and never closes, or a quoted field over several
// lines whose row then does not read (a quote inside it not doubled, or a
// field count other than the header's). Read on, such a quote would take
// the rows after it into one field, and they would vanish; a quote that
// opens a field with line breaks is valid CSV, and cannot be told from a
// stray one until the end of the file. So the whole input is refused, and
// Line names where the quote opened.
type QuoteError struct {
	// Line is the line where the quoted field opened.
	Line int
	// End is the line where the field broke off; 0 when it never closed,
	// -1 when it ran over 16 MB.
	End int
	// Reason says what is wrong.
	Reason string
}

func (e *QuoteError) Error() string {
	const fix = `if the quote belongs to the text, double it ("") and quote the whole field, or remove it; nothing was sent`
	switch e.End {
	case 0:
		return fmt.Sprintf("line %d: a quote opens a field that never closes, so every row after it would read as part of that field: %s", e.Line, fix)
	case -1:
		return fmt.Sprintf("line %d: a quote opens a field that %s, so the rows after it would read as part of that field: %s", e.Line, e.Reason, fix)
	}
	return fmt.Sprintf("line %d: the quoted field that opens here runs to line %d, and %s: a stray quote? %s", e.Line, e.End, e.Reason, fix)
}

// maxField bounds a field, so that a stray quote, or a file that is no
// CSV, cannot make the reader hold the whole input in memory.
const maxField = 16 << 20

// tooLong is the error of a field over p.limit.
func (p *csvParser) tooLong(line int, quoted bool) error {
	if quoted {
		return &QuoteError{Line: line, End: -1, Reason: fmt.Sprintf("runs over %d MB", p.limit>>20)}
	}
	return &ConfigError{fmt.Sprintf("line %d holds a field over %d MB: is the input a CSV file?", line, p.limit>>20)}
}

// record is one CSV record as the parser reads it.
type record struct {
	fields []string
	// line is the record's first line, end its last (a quoted field can
	// hold line breaks).
	line, end int
	// quoteLine is the line where the first quoted field over several
	// lines opened, or 0.
	quoteLine int
	// err says why the record cannot be read, if it cannot; the parser
	// resumes at the next line.
	err string
	// rowLike is the first line wholly inside a quoted field that would
	// read as a row of its own (as many delimiters as a row has), or 0.
	rowLike int
}

// csvParser reads CSV records as RFC 4180 describes them, with any line
// endings: LF, CRLF or a bare CR (Excel for Mac), mixed in one file. Inside
// quotes every character is data: a CRLF reads as LF (as the writer meant a
// line break), a bare CR stays a CR. A quote inside a field that does not
// begin with one is data (5" screen); a quote inside a quoted field is
// doubled. Blank lines are skipped.
type csvParser struct {
	br    *bufio.Reader
	delim byte
	line  int // the line of the next byte, from 1
	buf   strings.Builder
	// width is the header's number of fields, once read.
	width int
	// limit is the longest field, maxField but in tests.
	limit int
}

func newCSVParser(r io.Reader, delim rune) *csvParser {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &csvParser{br: br, delim: byte(delim), line: 1, limit: maxField}
}

// next byte, or ok false at the end of the input.
func (p *csvParser) next() (byte, bool, error) {
	c, err := p.br.ReadByte()
	if err == io.EOF {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return c, true, nil
}

// endOfLine consumes the LF of a CRLF after a CR already read, and counts
// the line.
func (p *csvParser) endOfLine(c byte) error {
	p.line++
	if c != '\r' {
		return nil
	}
	b, err := p.br.Peek(1)
	if len(b) == 1 && b[0] == '\n' {
		_, err = p.br.ReadByte()
	} else if err == io.EOF {
		err = nil
	}
	return err
}

// skipLine reads to the end of the current line, quotes and all, after a
// record that cannot be read.
func (p *csvParser) skipLine() error {
	for {
		c, ok, err := p.next()
		if err != nil || !ok {
			return err
		}
		if c == '\n' || c == '\r' {
			return p.endOfLine(c)
		}
	}
}

// read returns the next record, io.EOF after the last, a *QuoteError for a
// quote that never closes, or an I/O error.
func (p *csvParser) read() (*record, error) {
	// Skip blank lines.
	for {
		b, err := p.br.Peek(1)
		if len(b) == 0 {
			if err == nil || err == io.EOF {
				return nil, io.EOF
			}
			return nil, err
		}
		if b[0] != '\n' && b[0] != '\r' {
			break
		}
		c, _, _ := p.next()
		if err := p.endOfLine(c); err != nil {
			return nil, err
		}
	}
	rec := &record{line: p.line}
	for {
		done, err := p.field(rec)
		if err != nil {
			return nil, err
		}
		if done {
			return rec, nil
		}
	}
}

// field reads one field into rec; done says the record ended.
func (p *csvParser) field(rec *record) (done bool, err error) {
	p.buf.Reset()
	c, ok, err := p.next()
	if err != nil {
		return false, err
	}
	if !ok { // the input ends after a delimiter: an empty last field
		rec.fields, rec.end = append(rec.fields, ""), p.line
		return true, nil
	}
	if c != '"' {
		for {
			switch {
			case c == p.delim:
				rec.fields = append(rec.fields, p.buf.String())
				return false, nil
			case c == '\n' || c == '\r':
				rec.fields, rec.end = append(rec.fields, p.buf.String()), p.line
				return true, p.endOfLine(c)
			}
			p.buf.WriteByte(c)
			if p.buf.Len() > p.limit {
				return false, p.tooLong(rec.line, false)
			}
			if c, ok, err = p.next(); err != nil {
				return false, err
			}
			if !ok {
				rec.fields, rec.end = append(rec.fields, p.buf.String()), p.line
				return true, nil
			}
		}
	}
	opened := p.line
	delims := -1 // delimiters on the current line inside the field; -1 on its first
	lineBreak := func() {
		if delims == p.width-1 && p.width > 1 && rec.rowLike == 0 {
			rec.rowLike = p.line
		}
		delims = 0
		p.line++
	}
	for {
		c, ok, err := p.next()
		if err != nil {
			return false, err
		}
		if !ok {
			return false, &QuoteError{Line: opened}
		}
		switch c {
		case '"':
			after, ok, err := p.next()
			if err != nil {
				return false, err
			}
			switch {
			case !ok:
				rec.fields, rec.end = append(rec.fields, p.buf.String()), p.line
				p.multiline(rec, opened)
				return true, nil
			case after == '"':
				p.buf.WriteByte('"')
				continue
			case after == p.delim:
				rec.fields = append(rec.fields, p.buf.String())
				p.multiline(rec, opened)
				return false, nil
			case after == '\n' || after == '\r':
				rec.fields, rec.end = append(rec.fields, p.buf.String()), p.line
				p.multiline(rec, opened)
				return true, p.endOfLine(after)
			}
			rec.fields, rec.end = append(rec.fields, p.buf.String()), p.line
			p.multiline(rec, opened)
			if rec.err == "" {
				rec.err = fmt.Sprintf("a quoted field is followed by more text on line %d (a quote inside a quoted field is doubled: \"\")", p.line)
			}
			return true, p.skipLine()
		case '\r':
			if b, _ := p.br.Peek(1); len(b) == 1 && b[0] == '\n' {
				p.br.ReadByte()
				c = '\n'
			}
			lineBreak()
		case '\n':
			lineBreak()
		case p.delim:
			if delims >= 0 {
				delims++
			}
		}
		p.buf.WriteByte(c)
		if p.buf.Len() > p.limit {
			return false, p.tooLong(opened, true)
		}
	}
}

// multiline notes a quoted field that held line breaks.
func (p *csvParser) multiline(rec *record, opened int) {
	if p.line > opened && rec.quoteLine == 0 {
		rec.quoteLine = opened
	}
}

// check refuses a record over several lines, through a quoted field, that
// does not read as a row of width fields: the quote that opened it may be
// a stray one, which took the rows after it.
func (rec *record) check(width int) error {
	if rec.quoteLine == 0 {
		return nil
	}
	switch {
	case rec.err != "":
		return &QuoteError{Line: rec.quoteLine, End: rec.end, Reason: "its row does not read: " + rec.err}
	case width > 0 && len(rec.fields) != width:
		return &QuoteError{Line: rec.quoteLine, End: rec.end, Reason: fmt.Sprintf("its row has %d fields where the header has %d", len(rec.fields), width)}
	case rec.rowLike != 0:
		return &QuoteError{Line: rec.quoteLine, End: rec.end, Reason: fmt.Sprintf("line %d inside it reads as a row of its own", rec.rowLike)}
	}
	return nil
}
