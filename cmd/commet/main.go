// Command commet is Commet's command line: customers get, list, create,
// update, archive, import and export. Its README, cmd/commet/README.md,
// says how to install and use it; from a clone:
//
//	go install ./cmd/commet
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/commet-go/commet/cmd/commet/internal/cli"
)

func main() {
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	os.Exit(cli.Run(context.Background(), cli.Invocation{Args: os.Args[1:], Env: env,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Interrupts: interrupts}))
}
