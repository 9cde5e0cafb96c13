package cli_test

import (
	"bytes"
	"runtime/debug"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionNamesTheModuleTheSDKAndTheAPIVersion(t *testing.T) {
	t.Parallel()
	info := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{
			Main: debug.Module{Path: "github.com/commet-go/commet/cmd/commet", Version: "v1.2.3"},
			Deps: []*debug.Module{nil, {Path: "github.com/spf13/cobra", Version: "v1.10.2"}, {Path: "github.com/commet-go/commet", Version: "v1.2.0"}},
		}, true
	}
	var out bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &out}, nil, nil)
	cmd := cli.NewCmdVersion(f, info)
	cmd.SetArgs(nil)
	require.NoError(t, cmd.Execute())
	assert.Contains(t, out.String(), "commet v1.2.3\n")
	assert.Contains(t, out.String(), "SDK github.com/commet-go/commet "+commet.Version+" (module v1.2.0)\n")
	assert.Contains(t, out.String(), "API version "+commet.DefaultAPIVersion+"\n")

	out.Reset()
	cmd = cli.NewCmdVersion(f, func() (*debug.BuildInfo, bool) { return nil, false })
	cmd.SetArgs(nil)
	require.NoError(t, cmd.Execute())
	assert.Contains(t, out.String(), "commet (devel)\n", "a build without module information")
}

func TestVersionCommandAndFlag(t *testing.T) {
	t.Parallel()
	res := runCommet(t, nil, "version")
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "API version "+commet.DefaultAPIVersion)
	res = runCommet(t, nil, "--version")
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "(SDK "+commet.Version+", API version "+commet.DefaultAPIVersion+")")
	res = runCommet(t, nil, "version", "extra")
	assert.Equal(t, 2, res.code)
}
