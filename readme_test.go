package commet_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMESnippetsAreCompiled keeps README.md honest: every line of its Go
// snippets must be a line of example_test.go, whose examples compile and run
// with checked output. A snippet edited in one place only fails here.
func TestREADMESnippetsAreCompiled(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	compiled := make(map[string]bool)
	for line := range strings.Lines(string(examples)) {
		compiled[strings.TrimSpace(line)] = true
	}
	snippets := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(snippets) == 0 {
		t.Fatal("README.md has no Go snippets")
	}
	for _, snippet := range snippets {
		for line := range strings.Lines(snippet[1]) {
			if line := strings.TrimSpace(line); line != "" && !compiled[line] {
				t.Errorf("README.md line not in example_test.go: %s", line)
			}
		}
	}
}
