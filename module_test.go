package commet_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requirePath matches a module path required in a go.mod, in a require
// block or on a require line.
var requirePath = regexp.MustCompile(`(?m)^(?:require\s+)?\t?([a-z0-9.-]+\.[a-z]+/[^\s]+)\s+v[^\s]+`)

// goModRequires lists the modules a go.mod requires.
func goModRequires(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]bool{}
	for _, m := range requirePath.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	return out
}

// TestConsumerModuleGraphHoldsNoCommandLineDependency: a program that
// imports the SDK (testdata/consumer) brings into its module graph only the
// SDK's own requirements: none of the command line's (cobra, the progress
// bar, x/term, ...), which live in the cmd/commet module, and none of
// OpenTelemetry's, which live in the otelcommet module and its example's.
// The SDK requires go-querystring, and testify and httpmock for its tests,
// nothing else.
func TestConsumerModuleGraphHoldsNoCommandLineDependency(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	sdk := goModRequires(t, "go.mod")
	assert.Equal(t, map[string]bool{
		"github.com/google/go-querystring": true, "github.com/jarcoal/httpmock": true,
		"github.com/stretchr/testify": true, "go.yaml.in/yaml/v3": true,
	}, sdk, "the SDK module requires go-querystring, and its tests' testify and httpmock (with testify's yaml)")

	cli := goModRequires(t, filepath.Join("cmd", "commet", "go.mod"))
	require.True(t, cli["github.com/spf13/cobra"], "the command line's go.mod lists its own dependencies")

	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = filepath.Join("testdata", "consumer")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	graph := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			graph[f[0]] = true
		}
	}
	require.True(t, graph["github.com/commet-go/commet"], "%s", out)
	for m := range cli {
		if !sdk[m] && m != "github.com/commet-go/commet" {
			assert.False(t, graph[m], "%s, a dependency of the command line only, is in an SDK user's module graph", m)
		}
	}
	for _, mod := range []string{filepath.Join("otelcommet", "go.mod"), filepath.Join("examples", "otel", "go.mod")} {
		otel := goModRequires(t, mod)
		require.True(t, otel["go.opentelemetry.io/otel"], "%s lists OpenTelemetry", mod)
		for m := range otel {
			if !sdk[m] && m != "github.com/commet-go/commet" {
				assert.False(t, graph[m], "%s, a dependency of %s only, is in an SDK user's module graph", m, mod)
			}
		}
	}
	for m := range graph {
		assert.NotContains(t, m, "opentelemetry", "an SDK user's module graph holds no OpenTelemetry module")
	}
}
