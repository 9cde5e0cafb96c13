module github.com/commet-go/commet/cmd/commet

go 1.25.0

require (
	github.com/commet-go/commet v0.0.0-00010101000000-000000000000
	github.com/rivo/uniseg v0.4.7
	github.com/schollz/progressbar/v3 v3.19.1
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	github.com/stretchr/testify v1.12.1
	golang.org/x/term v0.45.0
	golang.org/x/text v0.41.0
)

require (
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

// The command line is built from this repository, on the SDK beside it.
replace github.com/commet-go/commet => ../..
