package rows

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// readAll reads every row of input.
func readAll(t *testing.T, input []byte, o Options) (*Reader, []Row) {
	t.Helper()
	rd, err := Open(bytes.NewReader(input), o)
	require.NoError(t, err)
	var out []Row
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rd, out
		}
		require.NoError(t, err)
		out = append(out, r)
	}
}

func win1252(t *testing.T, s string) []byte {
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

const european = "Kundennummer;E-Mail;Name;Straße;Ort;PLZ;Land\n" +
	"k1;zoe@example.com;Zoë Müller;\"Hauptstr. 1; Hinterhaus\";Köln;50667;DE\n" +
	"k2;nandu@example.com;\"Ñandú\nS.A.\";Calle 2;Sevilla;41001;ES\n"

func TestWindows1252SemicolonsQuotesAndLineBreaks(t *testing.T) {
	t.Parallel()
	rd, rows := readAll(t, win1252(t, european), Options{Encoding: "windows-1252",
		Map: []string{"id=Kundennummer", "email=E-Mail", "fullName=Name", "address.line1=Straße", "address.city=Ort", "address.postalCode=PLZ", "address.country=Land"}})
	assert.Equal(t, ';', rd.Delimiter, "detected from the header")
	assert.Equal(t, "windows-1252", rd.Encoding)
	assert.Empty(t, rd.Ignored)
	require.Len(t, rows, 2)
	assert.Equal(t, Row{Line: 2, Params: commet.CreateCustomerParams{ID: "k1", Email: "zoe@example.com", FullName: "Zoë Müller",
		Address: &commet.Address{Line1: "Hauptstr. 1; Hinterhaus", City: "Köln", PostalCode: "50667", Country: "DE"}},
		Fields: []string{"id", "email", "fullName", "address.line1", "address.city", "address.postalCode", "address.country"}}, rows[0])
	assert.Equal(t, "Ñandú\nS.A.", rows[1].Params.FullName, "a line break inside quotes")
	assert.Equal(t, 3, rows[1].Line)
}

func TestInvalidUTF8NamesTheLikelyEncoding(t *testing.T) {
	t.Parallel()
	input := win1252(t, "id,email,name\nu1,a@example.com,Ada\nu2,z@example.com,Zoë – “Z”\n")
	err := CheckEncoding(bytes.NewReader(input), Options{})
	var enc *EncodingError
	require.ErrorAs(t, err, &enc)
	assert.Equal(t, 3, enc.Line)
	assert.Equal(t, "windows-1252", enc.Guess)
	assert.Contains(t, err.Error(), "run again with --encoding windows-1252")
	assert.NoError(t, CheckEncoding(bytes.NewReader(input), Options{Encoding: "windows-1252"}))

	// Read without the check (standard input), the bad row stops the reading.
	rd, err := Open(bytes.NewReader(input), Options{})
	require.NoError(t, err)
	_, err = rd.Next()
	require.NoError(t, err)
	_, err = rd.Next()
	require.ErrorAs(t, err, &enc)
	assert.Equal(t, 3, enc.Line)

	// UTF-16 without a byte order mark is not taken for UTF-8.
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte("id,email\nu1,a@example.com\n"))
	require.NoError(t, err)
	_, err = Open(bytes.NewReader(u16), Options{})
	require.ErrorAs(t, err, &enc)
	assert.Equal(t, "utf-16", enc.Guess)
	assert.Contains(t, err.Error(), "--encoding utf-16")
}

func TestByteOrderMarksWin(t *testing.T) {
	t.Parallel()
	const text = "id,email,fullName\nu1,a@example.com,Zoë\n"
	for _, tc := range []struct {
		name     string
		input    func() []byte
		encoding string
		bom      bool
		want     string
	}{
		{"utf-8 BOM", func() []byte { return append([]byte{0xEF, 0xBB, 0xBF}, text...) }, "", false, "utf-8"},
		{"utf-8 BOM over windows-1252", func() []byte { return append([]byte{0xEF, 0xBB, 0xBF}, text...) }, "windows-1252", true, "utf-8"},
		{"utf-16le BOM", func() []byte {
			b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
			return b
		}, "", true, "utf-16"},
		{"utf-16be BOM", func() []byte {
			b, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
			return b
		}, "utf-16", false, "utf-16"},
		{"utf-16 asked, no BOM", func() []byte {
			b, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(text))
			return b
		}, "utf-16", false, "utf-16"},
		{"iso-8859-1", func() []byte {
			b, _ := charmap.ISO8859_1.NewEncoder().Bytes([]byte(text))
			return b
		}, "latin1", false, "iso-8859-1"},
	} {
		input := tc.input()
		require.NoError(t, CheckEncoding(bytes.NewReader(input), Options{Encoding: tc.encoding}), tc.name)
		rd, rows := readAll(t, input, Options{Encoding: tc.encoding})
		assert.Equal(t, tc.want, rd.Encoding, tc.name)
		assert.Equal(t, tc.bom, rd.OverriddenByBOM, tc.name)
		assert.Equal(t, []string{"id", "email", "fullName"}, rd.Columns, tc.name)
		require.Len(t, rows, 1, tc.name)
		assert.Equal(t, "Zoë", rows[0].Params.FullName, tc.name)
	}
}

func TestDelimiters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string
		flag   string
		want   rune
	}{
		{"id,email", "", ','},
		{"id;email", "", ';'},
		{"id\temail", "", '\t'},
		{`"a;b",id,email`, "", ','},
		{"id", "", ','},
		{"id;email", "tab", '\t'},
		{"id;email", `\t`, '\t'},
		{"id,email", ";", ';'},
	} {
		rd, err := Open(strings.NewReader(tc.header+"\n"), Options{Delimiter: tc.flag, Map: []string{"id=id", "email=id"}})
		if err != nil { // the header has one column: the maps are only there to pass
			rd, err = Open(strings.NewReader(tc.header+"\n"), Options{Delimiter: tc.flag})
		}
		if err != nil {
			var conf *ConfigError
			require.ErrorAs(t, err, &conf, tc.header)
			continue
		}
		assert.Equal(t, tc.want, rd.Delimiter, "%q %q", tc.header, tc.flag)
	}
	_, err := Open(strings.NewReader("id|email\n"), Options{Delimiter: "|"})
	assert.ErrorContains(t, err, `--delimiter "|"`)
}

func TestDefaultMappingTakesTheGuideTheWireAndTheOldExample(t *testing.T) {
	t.Parallel()
	for _, header := range []string{
		"id,email,fullName,address.line1,address.line2,address.city,address.state,address.postalCode,address.country,timezone,metadata.plan,notes",
		"externalId,billingEmail,full_name,line1,line2,city,state,postal_code,country,Timezone,metadata.plan,notes",
		"ID,Email,Full Name,Line 1,Line 2,City,State,Postal Code,Country,time_zone,metadata.plan,notes",
	} {
		rd, rows := readAll(t, []byte(header+"\nu1,a@example.com,Ada,1 Rd,Unit 2,Austin,TX,78701,US,America/Chicago,pro,hello\n"), Options{})
		assert.Equal(t, []string{"notes"}, rd.Ignored, header)
		require.Len(t, rows, 1)
		assert.Equal(t, commet.CreateCustomerParams{ID: "u1", Email: "a@example.com", FullName: "Ada", Timezone: "America/Chicago",
			Address:  &commet.Address{Line1: "1 Rd", Line2: "Unit 2", City: "Austin", State: "TX", PostalCode: "78701", Country: "US"},
			Metadata: map[string]any{"plan": "pro"}}, rows[0].Params, header)
	}
}

func TestMetadataColumns(t *testing.T) {
	t.Parallel()
	_, rows := readAll(t, []byte("id,email,metadata,metadata.tier,Plan\n"+
		`u1,a@example.com,"{""seats"":5,""tier"":""x""}",gold,pro`+"\n"+
		"u2,b@example.com,{not json},,\n"+
		"u3,c@example.com,,,\n"), Options{Map: []string{"metadata.plan=Plan"}})
	require.Len(t, rows, 3)
	assert.Equal(t, map[string]any{"seats": json.Number("5"), "tier": "gold", "plan": "pro"}, rows[0].Params.Metadata,
		"a key's own column wins over the object's; numbers stay exact")
	assert.Equal(t, &RowError{Field: "metadata", Reason: "is not a JSON object"}, rows[1].Err)
	assert.Nil(t, rows[2].Params.Metadata, "empty cells make no metadata")
}

func TestRowsThatCannotBeRead(t *testing.T) {
	t.Parallel()
	_, rows := readAll(t, []byte("id,email,name\n"+
		",a@example.com,No ID\n"+
		"u2,b@example.com\n"+
		"u3,c@example.com,\"Bad \"quote\"\n"+
		"u4,d@example.com,Fine\n"), Options{})
	require.Len(t, rows, 4)
	assert.Equal(t, "externalId", rows[0].Err.Field)
	assert.Contains(t, rows[0].Err.Reason, "every row needs an id")
	assert.Contains(t, rows[1].Err.Reason, "has 2 fields where the header has 3")
	assert.Equal(t, 4, rows[2].Line)
	assert.Contains(t, rows[2].Err.Reason, "cannot be read as CSV")
	assert.Nil(t, rows[3].Err, "the reading goes on after a bad row")
	assert.Equal(t, 5, rows[3].Line)
}

func TestHeaderErrors(t *testing.T) {
	t.Parallel()
	for input, want := range map[string]string{
		"":                     "the input is empty",
		"email,name\n":         "the header has no id column",
		"id,name\n":            "the header has no email column",
		"id,email,email_2\n":   "", // fine
		"\"id\",\"email\" x\n": "the header row, cannot be read as CSV",
	} {
		_, err := Open(strings.NewReader(input), Options{})
		if want == "" {
			assert.NoError(t, err, input)
			continue
		}
		var conf *ConfigError
		require.True(t, errors.As(err, &conf), "%q: %v", input, err)
		assert.Contains(t, err.Error(), want, input)
	}
}

func TestNDJSON(t *testing.T) {
	t.Parallel()
	input := `{"externalId":"u1","billingEmail":"a@example.com","fullName":"Zoë","address":{"line1":"1 Rd","city":"Austin","postalCode":"78701","country":"US"},"metadata":{"seats":5}}

{"id":"u2","email":"b@example.com","Kunde":"K2"}
{"id":7,"email":"c@example.com"}
[1,2]
{"id":"u5","email":"e@example.com","fullName":{"first":"E"}}
`
	rd, rows := readAll(t, []byte(input), Options{Name: "users.ndjson", Map: []string{"industry=Kunde"}})
	assert.Equal(t, "ndjson", rd.Format)
	require.Len(t, rows, 5)
	assert.Equal(t, Row{Line: 1, Params: commet.CreateCustomerParams{ID: "u1", Email: "a@example.com", FullName: "Zoë",
		Address:  &commet.Address{Line1: "1 Rd", City: "Austin", PostalCode: "78701", Country: "US"},
		Metadata: map[string]any{"seats": json.Number("5")}},
		Fields: []string{"metadata", "address.city", "address.country", "address.line1", "address.postalCode", "email", "id", "fullName"}}, rows[0])
	assert.Equal(t, 3, rows[1].Line, "lines count the blank one")
	assert.Equal(t, "K2", rows[1].Params.Industry)
	assert.Equal(t, "7", rows[2].Params.ID)
	assert.Equal(t, "is not a JSON object", rows[3].Err.Reason)
	assert.Equal(t, "fullName", rows[4].Err.Field)
}

func TestCanonicalField(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"id": "id", "externalId": "id", "BillingEmail": "email", "fullname": "fullName",
		"address.postalCode": "address.postalCode", "postalCode": "address.postalCode", "metadata.Plan": "metadata.Plan", "metadata": "metadata"} {
		got, ok := canonicalField(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"metadata.", "metadata.KEY ", "nope", ""} {
		if _, ok := canonicalField(in); ok && in != "metadata.KEY " {
			t.Errorf("%q is not a field", in)
		}
	}
}

// TestRowFieldsNameEmptyCellsToo: a row names each field it has a column
// or a key for, an empty cell (or a --null one) included, so that sync can
// tell "empty in the file" from "not in the file".
func TestRowFieldsNameEmptyCellsToo(t *testing.T) {
	t.Parallel()
	_, rows := readAll(t, []byte("id,email,fullName,metadata.plan,notes\nu1,a@example.com,,N/A,x\n"), Options{Null: []string{"N/A"}})
	require.Len(t, rows, 1)
	assert.Empty(t, rows[0].Params.FullName)
	assert.Nil(t, rows[0].Params.Metadata)
	assert.Equal(t, []string{"id", "email", "fullName", "metadata.plan"}, rows[0].Fields, "an unmapped column is no field")

	_, rows = readAll(t, []byte(`{"id":"u1","email":"a@example.com","industry":null}`+"\n"), Options{Name: "u.ndjson"})
	require.Len(t, rows, 1)
	assert.Equal(t, []string{"email", "id", "industry"}, rows[0].Fields)
}
