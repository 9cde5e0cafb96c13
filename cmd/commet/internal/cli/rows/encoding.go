package rows

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings lists the values --encoding takes.
var Encodings = []string{"utf-8", "windows-1252", "iso-8859-1", "utf-16"}

// EncodingError is an input that is not in the encoding it is read with:
// a UTF-8 read of a file in another encoding, which would reach Commet
// with its accented letters lost. Nothing after Line was read.
type EncodingError struct {
	// Line is the first line that is not valid UTF-8.
	Line int
	// Guess is the encoding the file is probably in.
	Guess string
}

func (e *EncodingError) Error() string {
	if e.Guess == "utf-16" {
		return fmt.Sprintf("line %d is not UTF-8 text: the file is probably UTF-16 without a byte order mark; run again with --encoding utf-16", e.Line)
	}
	return fmt.Sprintf("line %d is not valid UTF-8: the file is probably %s (as Excel saves \"CSV\" on Western European Windows); run again with --encoding %s",
		e.Line, e.Guess, e.Guess)
}

// canonicalEncoding names an --encoding value the way Encodings does.
func canonicalEncoding(name string) (string, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "_", "-")) {
	case "", "utf-8", "utf8":
		return "utf-8", nil
	case "windows-1252", "cp1252", "win-1252":
		return "windows-1252", nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		return "iso-8859-1", nil
	case "utf-16", "utf16", "utf-16le":
		return "utf-16", nil
	case "utf-16be":
		return "utf-16be", nil
	}
	return "", &ConfigError{fmt.Sprintf("--encoding %q: want one of %s", name, strings.Join(Encodings, ", "))}
}

// decode returns the text of r as UTF-8 and the encoding it was read in:
// a byte order mark wins over the encoding asked for, since it says what
// the file is; bom says whether one did.
func decode(r io.Reader, encoding string) (text io.Reader, enc string, bom bool, err error) {
	if enc, err = canonicalEncoding(encoding); err != nil {
		return nil, "", false, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		return br, "utf-8", enc != "utf-8", nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), "utf-16", enc != "utf-16", nil
	}
	switch enc {
	case "windows-1252":
		return charmap.Windows1252.NewDecoder().Reader(br), enc, false, nil
	case "iso-8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(br), enc, false, nil
	case "utf-16":
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()), enc, false, nil
	case "utf-16be":
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()), enc, false, nil
	}
	return br, "utf-8", false, nil
}

// guessEncoding names the encoding that bytes which are not UTF-8 are
// probably in. Bytes 0x80 to 0x9F are letters and signs in Windows-1252
// (€, Š, ‚) but control characters in ISO-8859-1, which no export holds;
// above them the two agree, so Windows-1252 is the better guess either way.
func guessEncoding(b []byte) string {
	if bytes.IndexByte(b, 0) >= 0 { // UTF-16 holds a zero byte for every ASCII letter
		return "utf-16"
	}
	return "windows-1252"
}

// CheckEncoding reads r to its end, as Open with o would, and returns an
// *EncodingError for the first line that is not valid UTF-8, so that a
// file in the wrong encoding is refused before anything is sent. An input
// read in another encoding, or through a byte order mark, is always valid.
func CheckEncoding(r io.Reader, o Options) error {
	text, enc, _, err := decode(r, o.Encoding)
	if err != nil {
		return err
	}
	if enc != "utf-8" {
		return nil
	}
	br := bufio.NewReaderSize(text, 64<<10)
	line := 1
	var carry []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if errors.Is(err, bufio.ErrBufferFull) { // a long line: check it whole
				carry = append(carry, chunk...)
				continue
			}
			b := chunk
			if carry != nil {
				b = append(carry, chunk...)
				carry = nil
			}
			if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
				return &EncodingError{Line: line, Guess: guessEncoding(b)}
			}
			line++
		}
		if err == io.EOF {
			return nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}
