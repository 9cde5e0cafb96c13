package rows

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// delimiters are the CSV delimiters detected and accepted.
var delimiters = []rune{',', ';', '\t'}

func parseDelimiter(s string) (rune, error) {
	switch s {
	case "":
		return 0, nil
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "\t", "tab", `\t`, "TAB":
		return '\t', nil
	}
	return 0, &ConfigError{fmt.Sprintf("--delimiter %q: want \",\", \";\" or tab", s)}
}

// detectDelimiter picks the delimiter that appears most often in the
// header row, outside quotes; a comma when none does.
func detectDelimiter(header []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range string(header) {
		switch {
		case r == '"':
			quoted = !quoted
		case (r == '\n' || r == '\r') && !quoted:
			goto done
		case !quoted && slices.Contains(delimiters, r):
			counts[r]++
		}
	}
done:
	best := ','
	for _, d := range delimiters {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return best
}

func (rd *Reader) openCSV(text io.Reader, m *mapping, delimiter string) error {
	delim, err := parseDelimiter(delimiter)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(text, 64<<10)
	if delim == 0 {
		head, _ := br.Peek(64 << 10)
		delim = detectDelimiter(head)
	}
	rd.Delimiter = delim
	p := newCSVParser(br, delim)
	rec, err := p.read()
	if errors.Is(err, io.EOF) {
		return &ConfigError{"the input is empty: want a header row naming the columns"}
	}
	if err != nil {
		return err
	}
	if err := rec.check(0); err != nil {
		return err
	}
	header := rec.fields
	for i := range header {
		if !utf8.ValidString(header[i]) || strings.ContainsRune(header[i], 0) {
			return &EncodingError{Line: rec.line, Guess: guessEncoding([]byte(header[i]))}
		}
		header[i] = strings.TrimSpace(RestoreCell(header[i]))
	}
	if rec.err != "" {
		return &ConfigError{fmt.Sprintf("line %d, the header row, cannot be read as CSV: %s", rec.line, rec.err)}
	}
	rd.Columns = header
	rd.width, p.width = len(header), len(header)
	res := m.resolve(header)
	if len(res.missing) > 0 {
		return &ConfigError{fmt.Sprintf("--map %s: the header has no such column (its columns: %s)", strings.Join(res.missing, ","), strings.Join(header, ", "))}
	}
	rd.CommetIDs = res.commetIDs
	for _, need := range []string{"id", "email"} {
		if !slices.ContainsFunc(res.cols, func(c column) bool { return c.field == need }) {
			hint := ""
			if need == "id" && res.commetIDs {
				hint = "; its id column holds Commet's own IDs (cus_...), not yours: --map id=id takes them all the same"
			}
			return &ConfigError{fmt.Sprintf("the header has no %s column (its columns: %s): name it with --map %s=COLUMN%s",
				need, strings.Join(header, ", "), need, hint)}
		}
	}
	for i, c := range res.cols {
		if c.field == "" && !(res.commetIDs && slices.Contains(commetColumns, header[i])) {
			rd.Ignored = append(rd.Ignored, header[i])
		}
	}
	order := applyOrder(res.cols)
	checkUTF8 := rd.Encoding == "utf-8"
	rd.next = func() (Row, error) {
		rec, err := p.read()
		if err != nil {
			return Row{}, err
		}
		if err := rec.check(len(header)); err != nil {
			return Row{}, err
		}
		if checkUTF8 {
			for _, v := range rec.fields {
				if !utf8.ValidString(v) {
					return Row{}, &EncodingError{Line: rec.line, Guess: guessEncoding([]byte(v))}
				}
			}
		}
		if rec.err != "" {
			return Row{Line: rec.line, Err: &RowError{Reason: "cannot be read as CSV: " + rec.err}}, nil
		}
		if len(rec.fields) != len(header) {
			return Row{Line: rec.line, Err: &RowError{Reason: fmt.Sprintf("has %d fields where the header has %d: a delimiter in a field without quotes?", len(rec.fields), len(header))}}, nil
		}
		b := builder{opts: rd.opts, commetIDs: res.commetIDs}
		for _, i := range order {
			b.set(res.cols[i], RestoreCell(rec.fields[i]))
		}
		return b.row(rec.line), nil
	}
	return nil
}

// applyOrder lists the mapped columns with "metadata" before any
// "metadata.KEY", so that a key's own column wins over the object's.
func applyOrder(cols []column) []int {
	var order []int
	for i, c := range cols {
		if c.field == "metadata" {
			order = append(order, i)
		}
	}
	for i, c := range cols {
		if c.field != "" && c.field != "metadata" {
			order = append(order, i)
		}
	}
	return order
}
