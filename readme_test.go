package commet_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleFiles hold the Example functions that README.md and docs/ quote.
var exampleFiles = []string{"example_test.go", "commettest/example_test.go"}

// docFiles are README.md and the guides under docs/ that it links to.
func docFiles(t *testing.T) []string {
	t.Helper()
	guides, err := filepath.Glob(filepath.Join("docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, guides, "docs/ holds the guides the README links to")
	return append([]string{"README.md"}, guides...)
}

// goSnippet matches a Go snippet of a Markdown file.
var goSnippet = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestREADMESnippetsAreCompiled keeps README.md and docs/ honest: every Go
// snippet in them must be an excerpt of one Example (or Test) function, its
// lines in the same order (blank lines, indentation and "// ..." elisions
// aside). They compile and check their output, so a snippet edited in one
// place only, or stitched from two of them, fails here. A whole program
// (package main) is checked by TestREADMEProgramCompiles instead.
func TestREADMESnippetsAreCompiled(t *testing.T) {
	examples := exampleLines(t)
	for _, file := range docFiles(t) {
		text, err := os.ReadFile(file)
		require.NoError(t, err)
		snippets := goSnippet.FindAllStringSubmatch(string(text), -1)
		if file == "README.md" {
			require.NotEmpty(t, snippets, "README.md has no Go snippets")
		}
		for _, snippet := range snippets {
			if strings.HasPrefix(snippet[1], "package main\n") {
				continue
			}
			var lines []string
			for _, line := range trimmedLines(snippet[1]) {
				if line != "// ..." { // an elision, the one line a snippet may add
					lines = append(lines, line)
				}
			}
			if !isExcerpt(lines, examples) {
				t.Errorf("this %s snippet is not an excerpt of any Example function:\n%s", file, snippet[1])
			}
		}
	}
}

// TestREADMEProgramCompiles builds the README's first program, a whole
// main, in a module of its own as an SDK user would, and checks that it
// does what Example_main runs and checks on commettest: its main's lines,
// but for the client's creation (NewClient and its error check, the one
// thing commettest replaces), are an excerpt of an Example.
func TestREADMEProgramCompiles(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var program string
	for _, snippet := range goSnippet.FindAllStringSubmatch(string(readme), -1) {
		if strings.HasPrefix(snippet[1], "package main\n") {
			program = snippet[1]
			break
		}
	}
	require.NotEmpty(t, program, "README.md has a whole program (package main)")

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", program, 0)
	require.NoError(t, err)
	var main *ast.FuncDecl
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Name.Name == "main" {
			main = fn
		}
	}
	require.NotNil(t, main, "the program has a main")
	source := strings.Split(program, "\n")
	var lines []string
	skip := 0 // statements left of the client's creation
	for _, stmt := range main.Body.List {
		// The whole lines of the statement, with their comments.
		text := strings.Join(source[fset.Position(stmt.Pos()).Line-1:fset.Position(stmt.End()).Line], "\n")
		if strings.Contains(text, "commet.NewClient(") {
			skip = 2 // the creation and its error check
		}
		if skip > 0 {
			skip--
			continue
		}
		lines = append(lines, trimmedLines(text)...)
	}
	require.Greater(t, len(lines), 10, "main does more than make a client")
	assert.True(t, isExcerpt(lines, exampleLines(t)),
		"the README's main, but for NewClient, is not an excerpt of any Example function:\n%s", strings.Join(lines, "\n"))

	if testing.Short() {
		t.Skip("runs the go command")
	}
	root, err := os.Getwd()
	require.NoError(t, err)
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/readme\n\ngo 1.25.0\n\n"+
		"require github.com/commet-go/commet v0.0.0-00010101000000-000000000000\n\n"+
		"replace github.com/commet-go/commet => "+root+"\n"), 0o600))
	cmd := exec.Command("go", "vet", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "the README's program does not build:\n%s", out)
}

// TestREADMEGetsToThePoint: the README's first commands run the quick start
// and the tests of every module (those CI runs, with -race), a whole program follows within its first screens, and the
// whole README stays short: the details live in docs/ and the package docs.
func TestREADMEGetsToThePoint(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.LessOrEqual(t, strings.Count(string(readme), "\n"), 300, "README.md lines: move the details to docs/")
	first := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(string(readme))
	require.NotNil(t, first, "README.md has a command")
	const testCommand = "go test ./... ./cmd/commet/... ./otelcommet/... ./examples/otel/..."
	assert.Equal(t, []string{"go run ./examples/quickstart", testCommand}, trimmedLines(first[1]))
	ci, err := os.ReadFile(".ci/run")
	require.NoError(t, err)
	assert.Contains(t, string(ci), "\ngo test -race -count=1 "+strings.TrimPrefix(testCommand, "go test ")+"\n",
		"CI runs the README's test command, with -race")
	program := strings.Index(string(readme), "```go\npackage main\n")
	require.GreaterOrEqual(t, program, 0, "README.md has a whole program")
	assert.Less(t, strings.Count(string(readme[:program]), "\n"), 60, "the program comes within the first 60 lines")
}

// markdownLink matches the target of a Markdown link or image.
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsLinksResolve: every relative link of README.md and docs/ names a
// file or directory of the repository, and every link to a heading names
// a heading of its file, so that moving text keeps the way to it.
func TestDocsLinksResolve(t *testing.T) {
	for _, file := range docFiles(t) {
		text, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range markdownLink.FindAllStringSubmatch(string(text), -1) {
			link := m[1]
			if strings.Contains(link, "://") {
				continue
			}
			target, anchor, _ := strings.Cut(link, "#")
			path := file
			if target != "" {
				path = filepath.Join(filepath.Dir(file), target)
				_, err := os.Stat(path)
				assert.NoError(t, err, "%s links to %s", file, link)
			}
			if anchor != "" {
				b, err := os.ReadFile(path)
				if assert.NoError(t, err, "%s links to %s", file, link) {
					assert.Contains(t, headingAnchors(string(b)), anchor, "%s links to %s", file, link)
				}
			}
		}
	}
}

// headingAnchors returns the anchors GitHub gives a Markdown file's
// headings: lower case, spaces as hyphens, punctuation dropped.
func headingAnchors(text string) []string {
	var anchors []string
	inCode := false
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		heading := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		anchors = append(anchors, strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				return r
			}
			return -1
		}, heading))
	}
	return anchors
}

// exampleLines returns the trimmed lines of every Example and Test
// function of exampleFiles, by file and name.
func exampleLines(t *testing.T) map[string][]string {
	examples := make(map[string][]string)
	for _, file := range exampleFiles {
		for name, lines := range exampleBodies(t, file) {
			examples[file+": "+name] = lines
		}
	}
	return examples
}

// isExcerpt reports whether lines are, in order, lines of one example.
func isExcerpt(lines []string, examples map[string][]string) bool {
	for _, body := range examples {
		if isSubsequence(lines, body) {
			return true
		}
	}
	return false
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
