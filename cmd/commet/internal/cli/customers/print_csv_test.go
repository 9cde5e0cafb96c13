package customers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readBack reads a CSV written by a csvPrinter with the importer's reader.
func readBack(t *testing.T, b []byte) []rows.Row {
	t.Helper()
	rd, err := rows.Open(bytes.NewReader(b), rows.Options{Name: "export.csv"})
	require.NoError(t, err, "%s", b)
	var got []rows.Row
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		require.NoError(t, err)
		got = append(got, row)
	}
}

// asJSON normalises a value for comparing (a float64 and the json.Number
// the reader keeps are one number).
func asJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// FuzzCSVExportReadsBack proves that what a CSV export writes, the importer
// reads back: the names, and every metadata key and value with its type,
// through neutralised cells and any key.
func FuzzCSVExportReadsBack(f *testing.F) {
	f.Add("plan", "pro", 5.0, true, uint8(0), "=HYPERLINK(1)")
	f.Add("seats:number", "12", -1.5, false, uint8(1), "-1")
	f.Add("a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p", "x", 0.0, false, uint8(0), "@SUM(A1)")
	f.Add(" spaced", "", 1e21, true, uint8(3), "'=quoted")
	f.Add("nested", "\tx\r\n", 3.0, true, uint8(4), "\r=1")
	f.Fuzz(func(t *testing.T, key, s string, n float64, b bool, sel uint8, name string) {
		if !utf8.ValidString(key) || !utf8.ValidString(s) || !utf8.ValidString(name) || math.IsInf(n, 0) || math.IsNaN(n) {
			t.Skip("Commet's JSON holds valid UTF-8 and finite numbers")
		}
		values := []any{s, n, b, nil, map[string]any{"k": s, "list": []any{n, b}}}
		v := values[int(sel)%len(values)]
		customers := []commet.Customer{
			{ID: "cus_1", ExternalID: "u1", Email: "a@example.com", FullName: name, IsActive: true, Metadata: map[string]any{key: v}},
			{ID: "cus_2", ExternalID: "u2", Email: "b@example.com", FullName: "B", IsActive: false, Metadata: map[string]any{key: s, "other": n}},
		}
		var out bytes.Buffer
		p := newCSVPrinter(&out, false)
		for i := range customers {
			require.NoError(t, p.Add(&customers[i]))
		}
		require.NoError(t, p.Close())
		got := readBack(t, out.Bytes())
		require.Len(t, got, len(customers))
		for i, c := range customers {
			row := got[i]
			require.Nil(t, row.Err, "row %d of\n%s", i, out.String())
			assert.Equal(t, c.ExternalID, row.Params.ID)
			assert.Equal(t, c.Email, row.Params.Email)
			assert.Equal(t, strings.TrimSpace(c.FullName), row.Params.FullName, "a name, but for the spaces import trims")
			assert.Equal(t, !c.IsActive, row.Archive)
			assert.Equal(t, asJSON(t, c.Metadata), asJSON(t, row.Params.Metadata), "metadata of row %d of\n%s", i, out.String())
		}
	})
}

func TestCSVHeaderQuotesOtherDelimiters(t *testing.T) {
	assert.Equal(t, "id,\"metadata.a;b\",\"metadata.t\tx\",\"metadata.q\"\"\"\n", headerLine([]string{"id", "metadata.a;b", "metadata.t\tx", `metadata.q"`}))
}

func TestCSVPutsKeysPastTheColumnLimitInTheMetadataObject(t *testing.T) {
	var customers []commet.Customer
	for i := range maxMetadataColumns + 5 {
		customers = append(customers, commet.Customer{ID: "cus_" + strconv.Itoa(i), ExternalID: "u" + strconv.Itoa(i), Email: "a@example.com",
			IsActive: true, Metadata: map[string]any{fmt.Sprintf("k%05d", i): float64(i), "plan": "pro"}})
	}
	var out bytes.Buffer
	p := newCSVPrinter(&out, false)
	for i := range customers {
		require.NoError(t, p.Add(&customers[i]))
	}
	require.NoError(t, p.Close())
	header, _, _ := strings.Cut(out.String(), "\n")
	assert.Len(t, strings.Split(header, ","), len(csvColumns)+maxMetadataColumns+1, "the column limit, then the metadata object")
	assert.True(t, strings.HasSuffix(header, ",metadata"))
	got := readBack(t, out.Bytes())
	require.Len(t, got, len(customers))
	for i, c := range customers {
		require.Nil(t, got[i].Err)
		assert.Equal(t, asJSON(t, c.Metadata), asJSON(t, got[i].Params.Metadata), "row %d reads back, types kept", i)
	}
}
