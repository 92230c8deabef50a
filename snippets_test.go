package convirza_test

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snippetPrelude declares what the snippets of the README and of the doc
// comments take for granted, so that each is type-checked against the SDK
// as it is: a field or a function that does not exist fails the test.
const snippetPrelude = `package snippet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

var (
	ctx                  = context.Background()
	client               *convirza.Client
	email, password      string
	id, orgUnitID        int64
	at                   time.Time
	page                 *convirza.Page[convirza.Call]
	found                []convirza.AvailableNumber
	num                  *convirza.PhoneNumber
	r                    *http.Request
	mux                  = http.NewServeMux()
	tok                  *convirza.Token
	slogLogger           = log.Default
	_                    = errors.New
	_                    = fmt.Sprint
	_                    = io.EOF
	_                    = os.Open
	_                    *testing.T
	_                    = convirzatest.Start
)
`

// ignoredSnippetErrors are what a fragment cannot help: names it leaves
// unused, and names (not the SDK's) it takes from the text around it.
var ignoredSnippetErrors = regexp.MustCompile(`declared and not used|imported and not used|is not used|undefined: [a-zA-Z_]+$`)

// TestSnippetsCompile type-checks every Go snippet of README.md and of the
// package's doc comments.
func TestSnippetsCompile(t *testing.T) {
	var snippets []string
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		snippets = append(snippets, m[1])
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		snippets = append(snippets, docSnippets(string(src))...)
	}
	require.Greater(t, len(snippets), 15, "the snippets were found")

	var body strings.Builder
	body.WriteString(snippetPrelude)
	for i, s := range snippets {
		s = strings.NewReplacer("…", "", "{ ... }", "{}").Replace(s)
		if strings.HasPrefix(strings.TrimSpace(s), "func ") {
			fmt.Fprintf(&body, "\n// snippet %d\n%s\n", i, s)
			continue
		}
		fmt.Fprintf(&body, "\n// snippet %d\nfunc snippet%d() error {\n%s\nreturn nil\n}\n", i, i, s)
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "snippets.go", body.String(), 0)
	require.NoError(t, err, "every snippet parses")
	var problems []string
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil), Error: func(err error) {
		if !ignoredSnippetErrors.MatchString(err.Error()) {
			problems = append(problems, err.Error())
		}
	}}
	_, _ = conf.Check("snippet", fset, []*ast.File{file}, nil)
	assert.Empty(t, problems, "lines refer to snippets.go:\n%s", numbered(body.String()))
}

// docSnippets returns the code blocks (tab-indented comment lines) of the
// doc comments in src that use the SDK.
func docSnippets(src string) []string {
	var out []string
	var cur []string
	flush := func() {
		if code := strings.Join(cur, "\n"); strings.Contains(code, "convirza.") || strings.Contains(code, "client.") {
			out = append(out, code)
		}
		cur = nil
	}
	for _, line := range strings.Split(src, "\n") {
		if code, ok := strings.CutPrefix(line, "//\t"); ok {
			cur = append(cur, code)
			continue
		}
		if cur != nil {
			flush()
		}
	}
	return out
}

func numbered(s string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = fmt.Sprintf("%4d %s", i+1, lines[i])
	}
	return strings.Join(lines, "\n")
}
