package cli_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/commet-go/commet/cmd/commet/internal/cli/rows/rowstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
)

func TestImportRefusesAStrayQuoteBeforeSendingAnything(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		input string
		line  int
	}{
		{"in the header", strings.Replace(rowstest.ThousandUsers(nil), "fullName", `"fullName`, 1), 1},
		{"in the first row", rowstest.ThousandUsers(map[int]string{2: `u2,u2@example.com,"User 2`}), 2},
		{"on line 6 of 1,000", rowstest.ThousandUsers(map[int]string{6: `u6,u6@example.com,"Bad name`}), 6},
		{"in the last row", rowstest.ThousandUsers(map[int]string{1001: `u1001,u1001@example.com,"Last`}), 1001},
		{"inside a field that holds line breaks", rowstest.ThousandUsers(map[int]string{4: "u4,u4@example.com,\"Line one\nLine \"two\" here\""}), 4},
		{"pairing with a later stray quote", rowstest.ThousandUsers(map[int]string{6: `u6,u6@example.com,"Six`, 9: `u9,u9@example.com,Nine"`}), 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			in := writeFile(t, "users.csv", []byte(tc.input))
			dry := runCommet(t, srv, "customers", "import", in, "--dry-run")
			real := runCommet(t, srv, "customers", "import", in)
			piped := run{srv: srv, stdin: tc.input}.exec(t, "customers", "import", "-")
			for _, res := range []result{dry, real, piped} {
				assert.Equal(t, 2, res.code, res.stderr)
				assert.Contains(t, res.stderr, fmt.Sprintf(": line %d: ", tc.line))
				assert.Contains(t, res.stderr, "nothing was sent")
				assert.Empty(t, res.stdout, "no report: nothing was read")
			}
			assert.Equal(t, dry.stderr, real.stderr, "the dry run says what the real run does")
			assert.Equal(t, 0, srv.Requests())
		})
	}
	// A quote within one line fails that row alone; the 999 others are imported.
	srv := newServer(t)
	in := writeFile(t, "users.csv", []byte(rowstest.ThousandUsers(map[int]string{6: `u6,u6@example.com,"Bad" name`})))
	res := runCommet(t, srv, "customers", "import", in, "--failures", in+".failed")
	assert.Equal(t, 7, res.code)
	assert.Regexp(t, `: 1000 rows`, res.stdout)
	assert.Regexp(t, `created +999\n`, res.stdout)
	assert.Equal(t, "6", readLog(t, in+".failed")[1][0])
}

func TestImportReadsExcelForMacLineEndings(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	input := "id,email,fullName\ru1,a@example.com,Ada\ru2,b@example.com,\"Two\rlines\"\r\nu3,c@example.com,Three\n"
	in := writeFile(t, "mac.csv", []byte(input))
	res := runCommet(t, srv, "customers", "import", in)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Regexp(t, `: 3 rows`, res.stdout)
	assert.Regexp(t, `created +3\n`, res.stdout)
	assert.NotContains(t, res.stderr, "ignoring")
	c, err := srv.Client().Customers.Get(context.Background(), "u2")
	require.NoError(t, err)
	assert.Equal(t, "Two\rlines", c.FullName, "a CR inside quotes is data")
}

func TestImportChecksStandardInputBeforeSending(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte("id,email,fullName\nu1,a@example.com,Ada\nu2,b@example.com,Zoë\n"))
	require.NoError(t, err)
	res := run{srv: srv, stdin: string(b)}.exec(t, "customers", "import", "-")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "standard input: line 3 is not valid UTF-8")
	assert.Equal(t, 0, srv.Requests(), "not even row 1 is created")
	assert.Equal(t, 0, srv.Len())
}

func TestImportWithoutAnIDOrEmailColumnIsAUsageError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, input, want string }{
		{"users.csv", "user,mail\nu1,a@example.com\n", "the header has no id column"},
		{"users.csv", "id,mail\nu1,a@example.com\n", "the header has no email column"},
		{"users.ndjson", `{"user":"u1","billingEmail":"a@example.com"}` + "\n", "no line has a key for the id"},
		{"users.ndjson", `{"id":"u1","mail":"a@example.com"}` + "\n", "no line has a key for the email"},
		{"users.ndjson", "\n", "holds no JSON object"},
		{"export.ndjson", `{"id":"cus_1","organizationId":"org_1","billingEmail":"a@example.com","isActive":true}` + "\n", "Commet's own IDs"},
	} {
		srv := newServer(t)
		in := writeFile(t, tc.name, []byte(tc.input))
		for _, dry := range []bool{true, false} {
			args := []string{"customers", "import", in}
			if dry {
				args = append(args, "--dry-run")
			}
			res := runCommet(t, srv, args...)
			assert.Equal(t, 2, res.code, "%s %v", tc.input, res.stderr)
			assert.Contains(t, res.stderr, tc.want)
		}
		assert.Equal(t, 0, srv.Requests())
	}
}
