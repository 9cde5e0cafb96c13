package commet_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"
)

// exampleFiles hold the Example functions that README.md quotes.
var exampleFiles = []string{"example_test.go", "commettest/example_test.go"}

// TestREADMESnippetsAreCompiled keeps README.md honest: every Go snippet in
// it must be an excerpt of one Example (or Test) function, its lines in the
// same order (blank lines, indentation and "// ..." elisions aside). They compile and check
// their output, so a snippet edited in one place only, or stitched from two
// of them, fails here.
func TestREADMESnippetsAreCompiled(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := make(map[string][]string)
	for _, file := range exampleFiles {
		for name, lines := range exampleBodies(t, file) {
			examples[file+": "+name] = lines
		}
	}
	snippets := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(snippets) == 0 {
		t.Fatal("README.md has no Go snippets")
	}
	for _, snippet := range snippets {
		var lines []string
		for _, line := range trimmedLines(snippet[1]) {
			if line != "// ..." { // an elision, the one line a snippet may add
				lines = append(lines, line)
			}
		}
		found := false
		for _, body := range examples {
			if isSubsequence(lines, body) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("this README.md snippet is not an excerpt of any Example function:\n%s", snippet[1])
		}
	}
}

// exampleBodies returns the trimmed lines of each Example and Test function in file.
func exampleBodies(t *testing.T, file string) map[string][]string {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	bodies := make(map[string][]string)
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "Example") && !strings.HasPrefix(fn.Name.Name, "Test") {
			continue
		}
		bodies[fn.Name.Name] = trimmedLines(string(src[fn.Body.Lbrace:fn.Body.Rbrace]))
	}
	return bodies
}

func trimmedLines(s string) []string {
	var out []string
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// isSubsequence reports whether every line of want appears in have, in order.
func isSubsequence(want, have []string) bool {
	i := 0
	for _, line := range have {
		if i < len(want) && line == want[i] {
			i++
		}
	}
	return i == len(want)
}
