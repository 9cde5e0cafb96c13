package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// sdkPath is the SDK's module path.
const sdkPath = "github.com/commet-go/commet"

// NewCmdVersion returns commet version. buildInfo is
// runtime/debug.ReadBuildInfo, or a test's stand-in.
func NewCmdVersion(f *cmdutil.Factory, buildInfo func() (*debug.BuildInfo, bool)) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show commet's version, the SDK's and the API version it speaks",
		Long: `Show commet's module version (as go install recorded it), the version of the
Commet Go SDK it was built with, and the Commet API version its requests pin.`,
		Example: `  commet version`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			main, sdk := versions(buildInfo)
			fmt.Fprintf(f.IO.Out, "commet %s\nSDK %s %s (module %s)\nAPI version %s\n%s %s/%s\n",
				main, sdkPath, commet.Version, sdk, commet.DefaultAPIVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// versionLine is what commet --version prints.
func versionLine(buildInfo func() (*debug.BuildInfo, bool)) string {
	main, _ := versions(buildInfo)
	return fmt.Sprintf("%s (SDK %s, API version %s)", main, commet.Version, commet.DefaultAPIVersion)
}

// versions returns the command's module version and the SDK module's, from
// the build information; "(devel)" when the build recorded none (go run,
// or a go.work build of the SDK).
func versions(buildInfo func() (*debug.BuildInfo, bool)) (main, sdk string) {
	main, sdk = "(devel)", "(devel)"
	info, ok := buildInfo()
	if !ok || info == nil {
		return main, sdk
	}
	if info.Main.Version != "" {
		main = info.Main.Version
	}
	for _, dep := range info.Deps {
		if dep == nil || dep.Path != sdkPath {
			continue
		}
		if dep.Replace != nil && dep.Replace.Version != "" {
			dep = dep.Replace
		}
		if dep.Version != "" {
			sdk = dep.Version
		}
	}
	return main, sdk
}
