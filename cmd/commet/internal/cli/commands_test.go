package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seeded is a fake holding three customers, on a fixed clock.
func seeded(t *testing.T) *commettest.Server {
	srv := newServer(t, commettest.WithClock(fixedClock))
	client := srv.Client()
	ctx := context.Background()
	for _, p := range []commet.CreateCustomerParams{
		{ID: "user_1", Email: "ada@example.com", FullName: "Ada Lovelace", Timezone: "Europe/London", Metadata: map[string]any{"plan": "pro"}},
		{ID: "user_2", Email: "grace@example.com", FullName: "Grace Hopper"},
		{ID: "user_3", Email: "zoe@example.com", FullName: "Zoë Müller", Language: "de"},
	} {
		_, err := client.Customers.Create(ctx, &p)
		require.NoError(t, err)
	}
	_, err := client.Customers.Archive(ctx, "user_2")
	require.NoError(t, err)
	return srv
}

func TestReadCommandsGolden(t *testing.T) {
	t.Parallel()
	srv := seeded(t)
	for _, format := range []string{"table", "json", "ndjson", "csv"} {
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"get", []string{"customers", "get", "user_1"}},
			{"list", []string{"customers", "list"}},
			{"list-all", []string{"customers", "list", "--all", "--limit", "2"}},
			{"list-archived", []string{"customers", "list", "--archived"}},
		} {
			res := runCommet(t, srv, append(tc.args, "--output", format)...)
			require.Equal(t, 0, res.code, "%s %s: %s", tc.name, format, res.stderr)
			golden(t, "golden/"+tc.name+"."+format, res.stdout)
		}
	}
}

func TestWriteCommandsGolden(t *testing.T) {
	t.Parallel()
	srv := newServer(t, commettest.WithClock(fixedClock))
	res := runCommet(t, srv, "customers", "create", "--email", "ada@example.com", "--id", "user_1", "--name", "Ada Lovelace",
		"--metadata", "plan=pro", "--metadata", "seats=5", "--line1", "1 Loop Rd", "--city", "Austin", "--postal-code", "78701", "--country", "US")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Regexp(t, `^created customer cus_\w+\n$`, res.stderr)
	golden(t, "golden/create.json", res.stdout)

	res = runCommet(t, srv, "customers", "create", "--email", "other@example.com", "--id", "user_1", "-o", "table")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stderr, "existed with this ID: left as it was")
	golden(t, "golden/create-existed.table", res.stdout)

	res = runCommet(t, srv, "customers", "update", "user_1", "--name", "Ada King", "--timezone", "Europe/London", "-o", "ndjson")
	require.Equal(t, 0, res.code, res.stderr)
	golden(t, "golden/update.ndjson", res.stdout)

	res = runCommet(t, srv, "customers", "archive", "user_1", "-o", "csv")
	require.Equal(t, 0, res.code, res.stderr)
	golden(t, "golden/archive.csv", res.stdout)

	got, err := srv.Client().Customers.Get(context.Background(), "user_1")
	require.NoError(t, err)
	assert.Equal(t, "Ada King", got.FullName)
	assert.False(t, got.IsActive)
	assert.Equal(t, map[string]any{"plan": "pro", "seats": "5"}, got.Metadata)
}

func TestOutputIsATableOnATerminalAndJSONOtherwise(t *testing.T) {
	t.Parallel()
	srv := seeded(t)
	res := run{srv: srv, tty: true}.exec(t, "customers", "list")
	require.Equal(t, 0, res.code, res.stderr)
	assert.True(t, strings.HasPrefix(res.stdout, "ID  "), res.stdout)
	res = runCommet(t, srv, "customers", "list")
	require.Equal(t, 0, res.code, res.stderr)
	assert.True(t, strings.HasPrefix(res.stdout, "{\n  \"data\": [\n    {"), res.stdout)
}

func TestUsageErrorsExit2AndNeedNoKey(t *testing.T) {
	t.Parallel()
	noKey := map[string]string{"COMMET_API_KEY": ""}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, 0, "Usage:"},
		{[]string{}, 0, "Available Commands:"},
		{[]string{"customers"}, 0, "import"},
		{[]string{"customers", "import", "--help"}, 0, "--encoding"},
		{[]string{"customers", "get", "-h"}, 0, "Usage:"},
		{[]string{"--version"}, 0, commet.Version},
		{[]string{"bogus"}, 2, `unknown command "bogus" for "commet"`},
		{[]string{"customers", "bogus"}, 2, `unknown command "bogus" for "commet customers"`},
		{[]string{"customers", "get"}, 2, "takes one customer ID"},
		{[]string{"customers", "get", "a", "b"}, 2, "takes one customer ID"},
		{[]string{"customers", "get", " "}, 2, "the customer ID is empty"},
		{[]string{"customers", "get", "u1", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"customers", "get", "u1", "-o", "yaml"}, 2, `--output "yaml": want one of table, json, ndjson, csv`},
		{[]string{"customers", "list", "--active", "--archived"}, 2, "exclude each other"},
		{[]string{"customers", "list", "--limit", "500"}, 2, "--limit 500: want 1 to 100"},
		{[]string{"customers", "list", "--limit", "x"}, 2, `invalid argument "x"`},
		{[]string{"customers", "list", "extra"}, 2, "takes no arguments"},
		{[]string{"customers", "create"}, 2, "--email is required"},
		{[]string{"customers", "create", "--email", "a@example.com", "--metadata", "novalue"}, 2, "want key=value"},
		{[]string{"customers", "update", "u1"}, 2, "nothing to update"},
		{[]string{"customers", "archive"}, 2, "takes one customer ID"},
		{[]string{"customers", "import"}, 2, "takes one input file"},
		{[]string{"customers", "import", "a.csv", "b.csv"}, 2, "takes one input file"},
		{[]string{"customers", "import", "-", "--batch-size", "500"}, 2, "--batch-size is 1 to 100"},
		{[]string{"customers", "import", "does-not-exist.csv"}, 2, "does-not-exist.csv"},
		{[]string{"customers", "export", "--state-file", "x.state"}, 2, "--state-file needs --file"},
		{[]string{"customers", "export", "-o", "table"}, 2, `--output "table": want one of csv, ndjson, json`},
		{[]string{"customers", "export", "--active", "--archived"}, 2, "exclude each other"},
		{[]string{"customers", "get", "u1"}, 2, "no API key: set COMMET_API_KEY or pass --api-key"},
		{[]string{"customers", "get", "u1", "--api-key", "sk_nope"}, 2, "invalid configuration"},
		{[]string{"customers", "get", "u1", "--api-key", sandboxKey, "--base-url", "http://example.com"}, 2, "invalid configuration"},
	} {
		res := run{env: noKey}.exec(t, tc.args...)
		assert.Equal(t, tc.code, res.code, "%v: %s%s", tc.args, res.stdout, res.stderr)
		assert.Contains(t, res.stdout+res.stderr, tc.want, "%v", tc.args)
		if tc.code == 2 {
			assert.Equal(t, 1, strings.Count(res.stderr, "commet: "), "%v: one line of error: %s", tc.args, res.stderr)
		}
	}
}

func TestImportFlagErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--encoding", "ebcdic"}, `--encoding "ebcdic": want one of utf-8, windows-1252, iso-8859-1, utf-16`},
		{[]string{"--delimiter", "|"}, `--delimiter "|"`},
		{[]string{"--format", "xml"}, `--format "xml"`},
		{[]string{"--map", "bogus=x"}, `no field "bogus"`},
		{[]string{"--map", "email"}, "want field=column"},
		{[]string{"--map", "email=Mail"}, `--map email=Mail: the header has no such column`},
		{[]string{"--map", "email=id,id=id"}, `column "id" is mapped to both`},
	} {
		res := run{stdin: "id,email\nu1,a@example.com\n"}.exec(t, append([]string{"customers", "import", "-", "--dry-run"}, tc.args...)...)
		assert.Equal(t, 2, res.code, "%v: %s", tc.args, res.stderr)
		assert.Contains(t, res.stderr, tc.want, "%v", tc.args)
	}
	res := run{stdin: "name,mail\nAda,a@example.com\n"}.exec(t, "customers", "import", "-", "--dry-run")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "the header has no id column (its columns: name, mail): name it with --map id=COLUMN")
}

func TestNotFoundIsOneLineExit5(t *testing.T) {
	t.Parallel()
	res := runCommet(t, newServer(t), "customers", "get", "nobody")
	assert.Equal(t, 5, res.code)
	assert.Regexp(t, `^commet: customer "nobody": .*404.*\n$`, res.stderr)
	assert.Empty(t, res.stdout)
}

func TestTheKeyComesOnlyFromTheGivenEnvironment(t *testing.T) {
	t.Setenv("COMMET_API_KEY", "ck_sandbox_from_the_process")
	res := run{srv: newServer(t), env: map[string]string{"COMMET_API_KEY": ""}}.exec(t, "customers", "list")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "no API key")
}

func TestTheKeyNeverAppears(t *testing.T) {
	t.Parallel()
	const key = "ck_sandbox_s3cr3t_never_shown"
	srv := newServer(t, commettest.WithAPIKey("ck_sandbox_another"))
	res := run{srv: srv, env: map[string]string{"COMMET_API_KEY": key}}.exec(t, "customers", "list", "--verbose")
	assert.Equal(t, 4, res.code)
	assert.Contains(t, res.stderr, "401")
	assert.NotContains(t, res.stdout+res.stderr, "s3cr3t")
}

func TestWritesWithALiveKeyNeedConsent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	live := map[string]string{"COMMET_API_KEY": "ck_live_example"}
	create := []string{"customers", "create", "--email", "ada@example.com", "--id", "user_1"}

	res := run{srv: srv, env: live}.exec(t, create...)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "not a sandbox key")
	assert.Contains(t, res.stderr, "pass --yes")
	res = run{srv: srv, env: live, tty: true, stdin: "n\n"}.exec(t, create...)
	assert.Equal(t, 3, res.code)
	assert.Contains(t, res.stderr, "Go on? [y/N]")
	assert.Equal(t, 0, srv.Len(), "nothing was sent")

	res = run{srv: srv, env: live, tty: true, stdin: "y\n"}.exec(t, create...)
	assert.Equal(t, 0, res.code, res.stderr)
	res = run{srv: srv, env: live}.exec(t, "customers", "archive", "user_1", "--yes")
	assert.Equal(t, 0, res.code, res.stderr)
	res = run{srv: srv, env: live}.exec(t, "customers", "update", "user_1", "--name", "A")
	assert.Equal(t, 2, res.code)
	res = run{srv: srv, env: live, stdin: "id,email\nu2,b@example.com\n"}.exec(t, "customers", "import", "-")
	assert.Equal(t, 2, res.code)
	assert.Equal(t, 1, srv.Len())
	res = run{srv: srv, env: live, stdin: "id,email\nu2,b@example.com\n"}.exec(t, "customers", "import", "-", "--dry-run")
	assert.Equal(t, 0, res.code, "a dry run writes nothing: %s", res.stderr)
	res = run{srv: srv, env: live}.exec(t, "customers", "get", "user_1")
	assert.Equal(t, 0, res.code, "reads need no consent")
}

func TestVerboseLogsEachAttemptWithoutEmails(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.InjectFault(commettest.Fault{Method: "POST", Path: "/customers", Status: 503})
	res := runCommet(t, srv, "customers", "create", "--email", "ada@example.com", "--id", "user_1", "--verbose")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, 2, strings.Count(res.stderr, "method=POST"), res.stderr)
	assert.Contains(t, res.stderr, "status=503")
	assert.NotContains(t, res.stderr, "ada@example.com")
}

func TestListPagesByHand(t *testing.T) {
	t.Parallel()
	srv := seeded(t)
	var page struct {
		Data       []commet.Customer `json:"data"`
		HasMore    bool              `json:"hasMore"`
		NextCursor string            `json:"nextCursor"`
	}
	res := runCommet(t, srv, "customers", "list", "--limit", "2", "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &page), "one page of JSON is an object")
	assert.Len(t, page.Data, 2)
	assert.True(t, page.HasMore)
	require.NotEmpty(t, page.NextCursor)
	assert.Empty(t, res.stderr, "JSON carries the cursor itself")
	first := page.NextCursor

	page.Data = nil
	res = runCommet(t, srv, "customers", "list", "--limit", "2", "--cursor", first, "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &page))
	require.Len(t, page.Data, 1)
	assert.Equal(t, "user_3", page.Data[0].ExternalID)
	assert.False(t, page.HasMore)

	for _, format := range []string{"table", "ndjson", "csv"} {
		res = runCommet(t, srv, "customers", "list", "--limit", "2", "-o", format)
		require.Equal(t, 0, res.code, res.stderr)
		assert.Contains(t, res.stderr, "--cursor "+first+" gives the next page", "%s has no place for the cursor but standard error", format)
	}

	res = runCommet(t, srv, "customers", "list", "--all", "--limit", "1", "--cursor", first, "-o", "ndjson")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, 1, strings.Count(res.stdout, "\n"), "--all goes on from --cursor")
	assert.Contains(t, res.stdout, `"externalId":"user_3"`)

	res = runCommet(t, srv, "customers", "list", "--search", "nobody", "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	assert.JSONEq(t, `{"data":[],"hasMore":false,"nextCursor":""}`, res.stdout, "an empty page is an empty list, not null")
}

func TestGetAndArchiveCSVIsExportsRow(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.Client().Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "u1", Email: "a@example.com", FullName: "=1+1", Metadata: map[string]any{"seats": 3}})
	require.NoError(t, err)
	for _, verb := range []string{"get", "archive"} {
		res := runCommet(t, srv, "customers", verb, "u1", "-o", "csv")
		require.Equal(t, 0, res.code, res.stderr)
		assert.Contains(t, res.stdout, ",metadata.seats:number\n", verb)
		assert.Contains(t, res.stdout, ",'=1+1,", verb)
		help := runCommet(t, srv, "customers", verb, "--help")
		assert.Contains(t, help.stdout, "neutralised", verb)
	}
}
