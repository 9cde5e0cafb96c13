// Command consumer is a program that uses the SDK as its users do: its
// module graph is what adding the SDK brings into theirs. It stands outside
// the repository's workspace, as a user's module does: build it, or list
// its graph, with GOWORK=off (GOWORK=off go list -m all).
package main

import (
	"fmt"

	"github.com/commet-go/commet"
)

func main() {
	fmt.Println(commet.DefaultBaseURL)
}
