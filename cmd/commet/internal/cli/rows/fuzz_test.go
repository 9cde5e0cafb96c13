package rows

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzRows feeds any bytes, in any format, encoding and delimiter, to the
// reader: it never panics, never loops, ends with io.EOF or an error, and
// every row it hands on holds only valid UTF-8, so that nothing it reads
// can reach Commet rewritten. An input Check passes is read to its end,
// row for row as Check counted.
func FuzzRows(f *testing.F) {
	f.Add([]byte("id;email;name\nk1;a@example.com;Zo\xeb\n"), uint8(1), uint8(0), false)
	f.Add([]byte("id,email\n\"a,b\",\"x\ny\"\n"), uint8(0), uint8(0), false)
	f.Add([]byte("\xef\xbb\xbfid\temail\nk1\ta@example.com\n"), uint8(0), uint8(2), false)
	f.Add([]byte("\xff\xfei\x00d\x00\n\x00"), uint8(3), uint8(0), false)
	f.Add([]byte(`{"id":"k1","email":"a@example.com","metadata":{"n":1}}`+"\n{"), uint8(0), uint8(0), true)
	f.Add([]byte("id,email,name\r1,a@example.com,\"x\r\n2,b\"\r\n3,c,\"d\"e\n"), uint8(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, input []byte, encoding, delimiter uint8, ndjson bool) {
		o := Options{Name: "in.csv", Encoding: Encodings[int(encoding)%len(Encodings)],
			Delimiter: []string{"", ",", ";", "tab"}[int(delimiter)%4]}
		if ndjson {
			o.Format = "ndjson"
		}
		_ = CheckEncoding(bytes.NewReader(input), o)
		scan, checkErr := Check(bytes.NewReader(input), o, true)
		r, err := Open(bytes.NewReader(input), o)
		if err != nil {
			if checkErr == nil {
				t.Fatalf("Check passed an input Open refuses: %v", err)
			}
			return
		}
		read := 0
		defer func() {
			if checkErr == nil && read != scan.Rows {
				t.Fatalf("Check counted %d rows, the reader read %d: a row vanished", scan.Rows, read)
			}
		}()
		for n := 0; ; n++ {
			if n > len(input)+2 {
				t.Fatalf("%d rows from %d bytes: a loop", n, len(input))
			}
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if checkErr == nil {
					t.Fatalf("Check passed an input the reader stops on: %v", err)
				}
				read = -1
				return
			}
			read++
			if row.Err != nil {
				continue
			}
			p := row.Params
			for _, s := range []string{p.ID, p.Email, p.FullName, p.Timezone} {
				if !utf8.ValidString(s) {
					t.Fatalf("row %d holds invalid UTF-8: %q", row.Line, s)
				}
			}
		}
	})
}
