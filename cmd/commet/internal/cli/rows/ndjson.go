package rows

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxLine bounds an NDJSON line.
const maxLine = 16 << 20

func (rd *Reader) openNDJSON(text io.Reader, m *mapping) error {
	sc := bufio.NewScanner(text)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	sc.Split(scanLines)
	line := 0
	checkUTF8 := rd.Encoding == "utf-8"
	rd.saw = map[string]bool{}
	rd.next = func() (Row, error) {
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			if checkUTF8 && !utf8.Valid(b) {
				return Row{}, &EncodingError{Line: line, Guess: guessEncoding(b)}
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
				return Row{Line: line, Err: &RowError{Reason: "is not a JSON object"}}, nil
			}
			columns, values := flatten(obj)
			res := m.resolve(columns)
			bd := builder{opts: rd.opts, commetIDs: res.commetIDs}
			for _, i := range applyOrder(res.cols) {
				bd.set(res.cols[i], values[i])
				rd.saw[res.cols[i].field] = true
			}
			if res.commetIDs {
				rd.CommetIDs = true
			}
			return bd.row(line), nil
		}
		if err := sc.Err(); err != nil {
			return Row{}, err
		}
		return Row{}, io.EOF
	}
	return nil
}

// scanLines splits lines at LF, CRLF or a bare CR: JSON holds none of
// them outside its strings, and escapes them inside.
func scanLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\r' {
			if i+1 == len(data) && !atEOF {
				return 0, nil, nil // a CRLF may be cut between reads
			}
			if i+1 < len(data) && data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
		}
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// flatten lists an object's keys and values, an address object's as
// "address.KEY"; a metadata object stays whole. Keys are sorted, so that
// which of two keys for one field wins does not change from run to run.
func flatten(obj map[string]any) (columns []string, values []any) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if sub, ok := obj[k].(map[string]any); ok && strings.EqualFold(k, "address") {
			subKeys := make([]string, 0, len(sub))
			for sk := range sub {
				subKeys = append(subKeys, sk)
			}
			slices.Sort(subKeys)
			for _, sk := range subKeys {
				columns, values = append(columns, k+"."+sk), append(values, sub[sk])
			}
			continue
		}
		columns, values = append(columns, k), append(values, obj[k])
	}
	return columns, values
}
