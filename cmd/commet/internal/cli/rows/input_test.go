package rows

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows/rowstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAStrayQuoteRefusesTheInputNamingItsLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		input string
		line  int
	}{
		{"in the header", "id,email,\"fullName\n" + rowstest.ThousandUsers(nil)[len("id,email,fullName\n"):], 1},
		{"in the first row", rowstest.ThousandUsers(map[int]string{2: `u2,u2@example.com,"User 2`}), 2},
		{"on line 6 of 1,000", rowstest.ThousandUsers(map[int]string{6: `u6,u6@example.com,"Bad name`}), 6},
		{"on line 6, closed by a later quoted field", rowstest.ThousandUsers(map[int]string{6: `u6,"u6@example.com,Bad`, 50: `u50,u50@example.com,"Fifty, Inc."`}), 6},
		{"on line 6, paired with a later stray quote", rowstest.ThousandUsers(map[int]string{6: `u6,u6@example.com,"Six`, 9: `u9,u9@example.com,Nine"`}), 6},
		{"in the last row", rowstest.ThousandUsers(map[int]string{1001: `u1001,u1001@example.com,"Last`}), 1001},
		{"inside a field that holds line breaks", rowstest.ThousandUsers(map[int]string{4: "u4,u4@example.com,\"Line one\nLine \"two\" here\""}), 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Check(strings.NewReader(tc.input), Options{}, false)
			var q *QuoteError
			require.ErrorAs(t, err, &q)
			assert.Equal(t, tc.line, q.Line)
			assert.Contains(t, err.Error(), fmt.Sprintf("line %d: ", tc.line))
			assert.Contains(t, err.Error(), "nothing was sent")
		})
	}

	// A field with line breaks, quoted as it should be, is read.
	scan, err := Check(strings.NewReader(rowstest.ThousandUsers(map[int]string{4: "u4,u4@example.com,\"Line one\nLine \"\"two\"\"\""})), Options{}, false)
	require.NoError(t, err)
	assert.Equal(t, 1000, scan.Rows)
	// A stray quote within one line fails its row alone: nothing vanishes.
	_, rows := readAll(t, []byte(rowstest.ThousandUsers(map[int]string{6: `u6,u6@example.com,"Bad" name`, 7: `u7,u7@example.com,5" screen`})), Options{})
	require.Len(t, rows, 1000)
	assert.Equal(t, 6, rows[4].Line)
	assert.Contains(t, rows[4].Err.Reason, "cannot be read as CSV")
	assert.Nil(t, rows[5].Err)
	assert.Equal(t, `5" screen`, rows[5].Params.FullName, "a quote inside a field that does not begin with one is text")
	assert.Equal(t, 1001, rows[999].Line)
}

func TestLineEndings(t *testing.T) {
	t.Parallel()
	want := []commet.CreateCustomerParams{
		{ID: "u1", Email: "a@example.com", FullName: "Ada"},
		{ID: "u2", Email: "b@example.com", FullName: "Two\nlines"},
		{ID: "u3", Email: "c@example.com", FullName: "Bare\rCR"},
		{ID: "u4", Email: "d@example.com", FullName: "Last"},
	}
	for name, eol := range map[string][3]string{
		"LF":                 {"\n", "\n", "\n"},
		"CRLF":               {"\r\n", "\r\n", "\r\n"},
		"bare CR (Mac)":      {"\r", "\r", "\r"},
		"mixed CR, LF, CRLF": {"\r", "\n", "\r\n"},
	} {
		input := "id,email,fullName" + eol[0] +
			"u1,a@example.com,Ada" + eol[1] +
			"u2,b@example.com,\"Two" + eol[2] + "lines\"" + eol[0] +
			"u3,c@example.com,\"Bare\rCR\"" + eol[1] + eol[2] + // and a blank line
			"u4,d@example.com,Last"
		scan, err := Check(strings.NewReader(input), Options{}, false)
		require.NoError(t, err, name)
		assert.Equal(t, 4, scan.Rows, name)
		rd, rows := readAll(t, []byte(input), Options{})
		assert.Equal(t, []string{"id", "email", "fullName"}, rd.Columns, name)
		assert.Empty(t, rd.Ignored, name)
		require.Len(t, rows, 4, name)
		for i, r := range rows {
			want := want[i]
			if i == 1 && eol[2] == "\r" {
				want.FullName = "Two\rlines" // a bare CR inside quotes is data
			}
			assert.Nil(t, r.Err, name)
			assert.Equal(t, want, r.Params, name)
		}
		assert.Equal(t, []int{2, 3, 5, 8}, []int{rows[0].Line, rows[1].Line, rows[2].Line, rows[3].Line}, "%s: each ending is a line, a CR in quotes too", name)
	}
	// The delimiter is detected from the header line alone, whatever ends it.
	rd, err := Open(strings.NewReader("id;email;note\ru1;a@example.com;a,b,c,d\ru2;b@example.com;e,f,g,h\r"), Options{})
	require.NoError(t, err)
	assert.Equal(t, ';', rd.Delimiter)

	// NDJSON with bare CRs is split the same way.
	_, rows := readAll(t, []byte(`{"id":"u1","email":"a@example.com"}`+"\r"+`{"id":"u2","email":"b@example.com"}`+"\r\n"), Options{Format: "ndjson"})
	require.Len(t, rows, 2)
	assert.Equal(t, "u2", rows[1].Params.ID)
}

func TestAnInputWithoutIDsOrEmailsIsRefused(t *testing.T) {
	t.Parallel()
	for input, want := range map[string]string{
		"name,mail\nAda,a@example.com\n":                  "the header has no id column",
		`{"name":"Ada","email":"a@example.com"}` + "\n":   "no line has a key for the id",
		`{"id":"u1","name":"Ada"}` + "\n" + `{"id":"u2"}`: "no line has a key for the email",
		"\n\n": "holds no JSON object",
		`{"id":"cus_1","billingEmail":"a@example.com","organizationId":"org_1"}`: "Commet's own IDs",
	} {
		o := Options{}
		if strings.HasPrefix(input, "{") || strings.HasPrefix(input, "\n") {
			o.Format = "ndjson"
		}
		_, err := Check(strings.NewReader(input), o, false)
		var conf *ConfigError
		require.ErrorAs(t, err, &conf, input)
		assert.Contains(t, err.Error(), want, input)
	}
}

func TestNullValues(t *testing.T) {
	t.Parallel()
	input := "id,email,fullName,domain,city,line1,postal_code,country,metadata.plan,metadata.seats:number\n" +
		"u1,a@example.com, N/A ,NULL,N/A,N/A,N/A,N/A,-,N/A\n" +
		"u2,b@example.com,n/a,x.com,,,,,pro,3\n"
	_, rows := readAll(t, []byte(input), Options{Null: []string{"N/A", " NULL", "-"}})
	require.Len(t, rows, 2)
	assert.Nil(t, rows[0].Err, "an address of nulls is no address")
	assert.Equal(t, commet.CreateCustomerParams{ID: "u1", Email: "a@example.com"}, rows[0].Params)
	assert.Equal(t, "n/a", rows[1].Params.FullName, "letter case counts")
	assert.Equal(t, map[string]any{"plan": "pro", "seats": json.Number("3")}, rows[1].Params.Metadata)

	_, rows = readAll(t, []byte(`{"id":"u1","email":"a@example.com","fullName":"N/A","metadata":{"k":"N/A"}}`), Options{Format: "ndjson", Null: []string{"N/A"}})
	assert.Empty(t, rows[0].Params.FullName, "an NDJSON string too")
	assert.Equal(t, map[string]any{"k": "N/A"}, rows[0].Params.Metadata, "a metadata object is a value: its insides are kept")
}

func TestIncompleteAddresses(t *testing.T) {
	t.Parallel()
	input := "id,email,line1,city,postalCode,country\n" +
		"u1,a@example.com,1 Rd,Austin,,us\n" +
		"u2,b@example.com,1 Rd,Austin,78701,US\n" +
		"u3,c@example.com,,Austin,,\n"
	_, rows := readAll(t, []byte(input), Options{})
	assert.Equal(t, &RowError{Field: "address.postalCode", Reason: "the address has no postalCode: Commet needs line1, city, postalCode and country in an address (--incomplete-address drop sends the row without it)"}, rows[0].Err)
	assert.Nil(t, rows[1].Err)
	assert.Equal(t, "address.line1;address.postalCode;address.country", rows[2].Err.Field)

	_, rows = readAll(t, []byte(input), Options{IncompleteAddress: "drop"})
	assert.Nil(t, rows[0].Err)
	assert.Nil(t, rows[0].Params.Address)
	assert.Equal(t, []string{"postalCode"}, rows[0].AddressDropped)
	assert.Equal(t, &commet.Address{Line1: "1 Rd", City: "Austin", PostalCode: "78701", Country: "US"}, rows[1].Params.Address)
	assert.Nil(t, rows[1].AddressDropped)
	assert.Equal(t, []string{"line1", "postalCode", "country"}, rows[2].AddressDropped)

	_, err := Open(strings.NewReader(input), Options{IncompleteAddress: "keep"})
	assert.ErrorContains(t, err, `--incomplete-address "keep": want fail or drop`)
}

func TestTypedMetadata(t *testing.T) {
	t.Parallel()
	input := "id,email,Seats,metadata.vip:bool,metadata.extra:json,metadata.note,metadata.code:string\n" +
		`u1,a@example.com,12,TRUE,"{""a"":[1,2]}",hello,007` + "\n" +
		`u2,b@example.com, 4.5 ,f,"""text""",,` + "\n" +
		`u3,b@example.com,,,,,` + "\n" +
		`u4,b@example.com,1,000,maybe,,,` + "\n" +
		`u5,b@example.com,"1,000",,,,` + "\n" +
		`u6,b@example.com,2,yes,{oops,,` + "\n"
	_, rows := readAll(t, []byte(input), Options{Map: []string{"metadata.seats=Seats:number"}})
	require.Len(t, rows, 6)
	assert.Equal(t, map[string]any{"seats": json.Number("12"), "vip": true, "extra": map[string]any{"a": []any{json.Number("1"), json.Number("2")}},
		"note": "hello", "code": "007"}, rows[0].Params.Metadata)
	assert.Equal(t, map[string]any{"seats": json.Number("4.5"), "vip": false, "extra": "text"}, rows[1].Params.Metadata)
	assert.Nil(t, rows[2].Params.Metadata, "an empty cell is no key")
	assert.Contains(t, rows[3].Err.Reason, "has 8 fields")
	assert.Equal(t, "metadata.seats", rows[4].Err.Field)
	assert.Contains(t, rows[4].Err.Reason, "is not a number")
	assert.Equal(t, &RowError{Field: "metadata.extra", Reason: "is not JSON"}, rows[5].Err)

	// NDJSON: typed values are checked, text is parsed.
	_, rows = readAll(t, []byte(`{"id":"u1","email":"a@example.com","seats":"7","metadata":{"vip":true}}
{"id":"u2","email":"a@example.com","seats":true}`), Options{Format: "ndjson", Map: []string{"metadata.seats=seats:number"}})
	assert.Equal(t, map[string]any{"seats": json.Number("7"), "vip": true}, rows[0].Params.Metadata)
	assert.Equal(t, &RowError{Field: "metadata.seats", Reason: "is not a number"}, rows[1].Err)

	for _, bad := range []string{"fullName=Name:number", "metadata.x=X:date"} {
		_, err := Open(strings.NewReader("id,email\n"), Options{Map: []string{bad}})
		assert.Error(t, err, bad)
	}
	for kind, cases := range map[string]map[string]any{
		"number": {"12": json.Number("12"), "-0.5": json.Number("-0.5"), "1e3": json.Number("1e3"), "NaN": nil, "0x10": nil, "1 2": nil, "": nil},
		"bool":   {"true": true, "False": false, "T": true, "no": false, "1": true, "2": nil},
		"json":   {"null": nil, `"a"`: "a", "[1]": []any{json.Number("1")}, "{": nil},
	} {
		for in, want := range cases {
			got, err := ParseValue(kind, in)
			if want == nil && !(kind == "json" && in == "null") {
				assert.Error(t, err, "%s %q", kind, in)
				continue
			}
			require.NoError(t, err, "%s %q", kind, in)
			assert.Equal(t, want, got, "%s %q", kind, in)
		}
	}
}

func TestCommetsOwnExportReadsBack(t *testing.T) {
	t.Parallel()
	// As commet customers export -o csv writes it: Commet's id first, the
	// formula-like cells neutralised, typed metadata columns.
	input := "id,externalId,billingEmail,fullName,domain,website,timezone,language,industry,employeeCount,metadata.seats:number,metadata.vip:bool,metadata.extra:json,metadata.plan,isActive,createdAt,updatedAt\n" +
		`cus_1,u1,a@example.com,"'=HYPERLINK(""http://x"",""y"")",,,Europe/Paris,fr,,,3,true,"{""a"":1}",'-1,true,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z` + "\n" +
		`cus_2,u2,b@example.com,'@SUM(A1),,,,,,,,,,''-x,false,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z` + "\n" +
		`cus_3,,c@example.com,No External,,,,,,,,,,,true,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z` + "\n"
	rd, rows := readAll(t, []byte(input), Options{})
	assert.True(t, rd.CommetIDs)
	assert.Empty(t, rd.Ignored, "Commet's own columns are not reported as ignored")
	require.Len(t, rows, 3)
	assert.Equal(t, commet.CreateCustomerParams{ID: "u1", Email: "a@example.com", FullName: `=HYPERLINK("http://x","y")`, Timezone: "Europe/Paris", Language: "fr",
		Metadata: map[string]any{"seats": json.Number("3"), "vip": true, "extra": map[string]any{"a": json.Number("1")}, "plan": "-1"}}, rows[0].Params)
	assert.False(t, rows[0].Archive)
	assert.Equal(t, "@SUM(A1)", rows[1].Params.FullName)
	assert.Equal(t, map[string]any{"plan": "'-x"}, rows[1].Params.Metadata)
	assert.True(t, rows[1].Archive, "isActive false: archived once created")
	assert.Equal(t, "externalId", rows[2].Err.Field, "Commet's id is never taken for yours")
	assert.Contains(t, rows[2].Err.Reason, "Commet's own")

	// --map says otherwise.
	_, rows = readAll(t, []byte(input), Options{Map: []string{"id=id"}})
	assert.Equal(t, "cus_3", rows[2].Params.ID)

	// NDJSON export lines, with and without an externalId.
	_, rows = readAll(t, []byte(`{"id":"cus_1","organizationId":"org_1","externalId":"u1","billingEmail":"a@example.com","metadata":{"seats":3},"isActive":false,"createdAt":"2026-01-01T00:00:00Z"}
{"id":"cus_2","organizationId":"org_1","billingEmail":"b@example.com","isActive":true}`), Options{Format: "ndjson"})
	assert.Equal(t, "u1", rows[0].Params.ID)
	assert.True(t, rows[0].Archive)
	assert.Equal(t, "externalId", rows[1].Err.Field)
	assert.Contains(t, rows[1].Err.Reason, "Commet's own")

	// A user's own dump keeps its id, created_at and all.
	_, rows = readAll(t, []byte("id,email,created_at,is_active\nuser_1,a@example.com,2020-01-01,f\n"), Options{})
	assert.Equal(t, "user_1", rows[0].Params.ID)
	assert.False(t, rows[0].Archive, "only Commet's isActive archives")
}

func TestAFieldOver16MBStopsTheReading(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 2<<20)
	for input, want := range map[string]string{
		"u1,\"" + long + "x\nu2,b@example.com\n": "line 1: a quote opens a field that runs over 2 MB",
		"u1," + long + "x\n":                     "line 1 holds a field over 2 MB",
	} {
		p := newCSVParser(strings.NewReader(input), ',')
		p.limit = 2 << 20 // 16 MB in use: the same code, less to read
		_, err := p.read()
		assert.ErrorContains(t, err, want)
	}
}
