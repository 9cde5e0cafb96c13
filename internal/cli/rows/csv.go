package rows

import (
	"bufio"
	"encoding/csv"
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
		case r == '\n' && !quoted:
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
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // a row of another width is a failed row, not the end
	// LazyQuotes stays off: with it, a stray quote would swallow the rows
	// after it into one field. A row with a stray quote fails alone.
	header, err := cr.Read()
	if err == io.EOF {
		return &ConfigError{"the input is empty: want a header row naming the columns"}
	}
	if err != nil {
		return &ConfigError{fmt.Sprintf("reading the header row: %v", err)}
	}
	for i := range header {
		if !utf8.ValidString(header[i]) || strings.ContainsRune(header[i], 0) {
			return &EncodingError{Line: 1, Guess: guessEncoding([]byte(header[i]))}
		}
		header[i] = strings.TrimSpace(header[i])
	}
	rd.Columns = header
	fields, missing := m.resolve(header)
	if len(missing) > 0 {
		return &ConfigError{fmt.Sprintf("--map %s: the header has no such column (its columns: %s)", strings.Join(missing, ","), strings.Join(header, ", "))}
	}
	for _, need := range []string{"id", "email"} {
		if !slices.Contains(fields, need) {
			return &ConfigError{fmt.Sprintf("the header has no %s column (its columns: %s): name it with --map %s=COLUMN", need, strings.Join(header, ", "), need)}
		}
	}
	for i, f := range fields {
		if f == "" {
			rd.Ignored = append(rd.Ignored, header[i])
		}
	}
	order := applyOrder(fields)
	checkUTF8 := rd.Encoding == "utf-8"
	rd.next = func() (Row, error) {
		rec, err := cr.Read()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			return Row{Line: parseErr.StartLine, Err: &RowError{Reason: fmt.Sprintf("cannot be read as CSV: %v", parseErr.Err)}}, nil
		}
		if err != nil {
			return Row{}, err
		}
		line, _ := cr.FieldPos(0)
		if checkUTF8 {
			for _, v := range rec {
				if !utf8.ValidString(v) {
					return Row{}, &EncodingError{Line: line, Guess: guessEncoding([]byte(v))}
				}
			}
		}
		if len(rec) != len(header) {
			return Row{Line: line, Err: &RowError{Reason: fmt.Sprintf("has %d fields where the header has %d: a delimiter in a field without quotes?", len(rec), len(header))}}, nil
		}
		var b builder
		for _, i := range order {
			b.set(fields[i], rec[i])
		}
		return b.row(line), nil
	}
	return nil
}

// applyOrder lists the mapped columns with "metadata" before any
// "metadata.KEY", so that a key's own column wins over the object's.
func applyOrder(fields []string) []int {
	var order []int
	for i, f := range fields {
		if f == "metadata" {
			order = append(order, i)
		}
	}
	for i, f := range fields {
		if f != "" && f != "metadata" {
			order = append(order, i)
		}
	}
	return order
}
