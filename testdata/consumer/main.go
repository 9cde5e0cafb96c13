// Command consumer is a program that uses the SDK as its users do: its
// module graph is what adding the SDK brings into theirs.
package main

import (
	"fmt"

	"github.com/commet-go/commet"
)

func main() {
	fmt.Println(commet.DefaultBaseURL)
}
