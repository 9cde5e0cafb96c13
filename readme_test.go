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
var exampleFiles = []string{"example_test.go"}

// TestREADMESnippetsAreCompiled keeps README.md honest: every Go snippet in
// it must be an excerpt of one Example function, its lines in the same
// order (blank lines and indentation aside). Examples compile and check
// their output, so a snippet edited in one place only, or stitched from two
// examples, fails here.
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
		lines := trimmedLines(snippet[1])
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

// exampleBodies returns the trimmed lines of each Example function in file.
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
		if !ok || !strings.HasPrefix(fn.Name.Name, "Example") || fn.Body == nil {
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
