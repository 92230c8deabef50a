package convirza

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/convirza-community/convirza-go/convirzatest"
)

// operation is one row of testdata/endpoints.md, a copy of the API
// reference's list of every operation.
type operation struct {
	area, name, method, path string
}

func (o operation) key() string { return o.method + " " + o.path }

// tableRow matches a row of the operation table:
// | area | operation | METHOD | `/path` | confidence | notes |
var tableRow = regexp.MustCompile("^\\|\\s*([^|]+?)\\s*\\|\\s*([^|]+?)\\s*\\|\\s*(GET|POST|PUT|PATCH|DELETE)\\s*\\|\\s*`([^`]+)`\\s*\\|")

func readOperations(t *testing.T) []operation {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "endpoints.md"))
	require.NoError(t, err)
	defer f.Close()
	var ops []operation
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := tableRow.FindStringSubmatch(sc.Text()); m != nil {
			ops = append(ops, operation{area: m[1], name: m[2], method: m[3], path: m[4]})
		}
	}
	require.NoError(t, sc.Err())
	return ops
}

// apiLine is the doc line that ties a method to its operation.
var apiLine = regexp.MustCompile(`^Convirza API: (\S+) (\S+)$`)

// sdkMethod is an exported method of a service type, with the operations
// its doc comment names.
type sdkMethod struct {
	name     string // "UsersService.Get"
	ops      []string
	lastLine bool // the doc comment ends with the Convirza API line
}

// serviceMethods reads the root package's Go files (tests excluded) and
// returns every exported method of every type named *Service.
func serviceMethods(t *testing.T) []sdkMethod {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var out []sdkMethod
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || !fd.Name.IsExported() {
				continue
			}
			recv := fd.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			id, ok := recv.(*ast.Ident)
			if !ok || !strings.HasSuffix(id.Name, "Service") || !id.IsExported() {
				continue
			}
			m := sdkMethod{name: id.Name + "." + fd.Name.Name}
			lines := strings.Split(strings.TrimSpace(fd.Doc.Text()), "\n")
			for i, l := range lines {
				if mm := apiLine.FindStringSubmatch(strings.TrimSpace(l)); mm != nil {
					m.ops = append(m.ops, mm[1]+" "+mm[2])
					m.lastLine = i == len(lines)-1
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// outsideTable are operations a method may name although the table does
// not list them, and why.
var outsideTable = map[string]string{
	"GET {recording_details.url}": "a call's signed recording link (api/conversations.md, Recording links), outside the API base",
}

// TestCoverage checks the SDK and the fake server against the list of
// operations, and that every service method is tied to one.
func TestCoverage(t *testing.T) {
	t.Run("operations", testEveryOperationIsCovered)
	t.Run("documented methods", testEveryServiceMethodIsDocumented)
}

// testEveryOperationIsCovered checks that each of the 60 operations has
// exactly one SDK method (by its "Convirza API:" doc line) and that the fake
// server answers it with something other than its "no route" 404. While an
// area is missing, its operations are listed in one message.
func testEveryOperationIsCovered(t *testing.T) {
	ops := readOperations(t)
	require.Len(t, ops, 60, "testdata/endpoints.md: 56 operations + 3 auth + 1 profile")

	methods := serviceMethods(t)
	byOp := map[string][]string{}
	inTable := map[string]bool{}
	for _, op := range ops {
		inTable[op.key()] = true
	}
	var stray []string
	for _, m := range methods {
		for _, op := range m.ops {
			byOp[op] = append(byOp[op], m.name)
			if !inTable[op] && outsideTable[op] == "" {
				stray = append(stray, fmt.Sprintf("%s names %q, which is not in the table", m.name, op))
			}
		}
	}

	srv := convirzatest.NewServer(t)
	tok := fakeAdminToken(t, srv)
	var problems []string
	for _, op := range ops {
		var why []string
		switch names := byOp[op.key()]; len(names) {
		case 0:
			why = append(why, "no SDK method")
		case 1:
		default:
			why = append(why, fmt.Sprintf("%d SDK methods (%s)", len(names), strings.Join(names, ", ")))
		}
		if msg, ok := fakeHasNoRoute(t, srv, tok, op); ok {
			why = append(why, "the fake answers "+msg)
		}
		if len(why) > 0 {
			problems = append(problems, fmt.Sprintf("  %-44s (%s: %s): %s", op.key(), op.area, op.name, strings.Join(why, "; ")))
		}
	}
	if len(problems) > 0 || len(stray) > 0 {
		t.Errorf("%d of %d operations are not covered:\n%s%s", len(problems), len(ops), strings.Join(problems, "\n"),
			strings.Join(append([]string{""}, stray...), "\n  "))
	}
}

// testEveryServiceMethodIsDocumented checks that no exported service method
// lacks its "Convirza API:" line, that the line ends the doc comment, and
// that a method names one operation. The iterators are exempt: All walks
// List's pages (AllX walks X's or ListX's) and names no operation of its own.
func testEveryServiceMethodIsDocumented(t *testing.T) {
	var problems []string
	documented := map[string]bool{}
	walks := map[string]string{} // iterator -> the method it walks
	for _, m := range serviceMethods(t) {
		svc, name, _ := strings.Cut(m.name, ".")
		if rest, ok := strings.CutPrefix(name, "All"); ok {
			walks[m.name] = svc + "." + cmp.Or(rest, "List")
			if len(m.ops) > 0 {
				problems = append(problems, m.name+": an iterator must not name an operation (the method it walks does)")
			}
			continue
		}
		if len(m.ops) == 1 {
			documented[m.name] = true
		}
		switch {
		case len(m.ops) == 0:
			problems = append(problems, m.name+": no \"Convirza API: METHOD /path\" line")
		case len(m.ops) > 1:
			problems = append(problems, fmt.Sprintf("%s: %d operations (%s)", m.name, len(m.ops), strings.Join(m.ops, ", ")))
		case !m.lastLine:
			problems = append(problems, m.name+": the Convirza API line must end the doc comment")
		}
	}
	for iter, walked := range walks {
		svc, name, _ := strings.Cut(walked, ".")
		if !documented[walked] && !documented[svc+".List"+name] {
			problems = append(problems, iter+" has no documented "+walked+" to walk")
		}
	}
	slices.Sort(problems)
	if len(problems) > 0 {
		t.Errorf("undocumented service methods:\n  %s", strings.Join(problems, "\n  "))
	}
}

// fakeAdminToken logs in to the fake as the seeded Admin.
func fakeAdminToken(t *testing.T, srv *convirzatest.Server) string {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, srv.AdminEmail, srv.AdminPassword)
	resp, err := http.Post(srv.AuthURL+"/oauth/token", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	require.NotEmpty(t, tok.AccessToken)
	return tok.AccessToken
}

// pathParam is a {name} segment of a table path.
var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// fakeHasNoRoute sends op to the fake, with an id that does not exist in
// every path parameter and an empty JSON object as any body, and reports
// whether the fake answered with its "no route for ..." 404. Any other
// answer (a 400 for the empty body, a 404 for the id) means it serves the
// operation.
func fakeHasNoRoute(t *testing.T, srv *convirzatest.Server, tok string, op operation) (string, bool) {
	t.Helper()
	base := srv.URL
	if strings.HasPrefix(op.path, "/oauth/") {
		base = srv.AuthURL
	}
	var body *bytes.Reader
	if op.method == http.MethodPost || op.method == http.MethodPut || op.method == http.MethodPatch {
		body = bytes.NewReader([]byte(`{}`))
	}
	req, err := http.NewRequest(op.method, base+pathParam.ReplaceAllString(op.path, "987654321"), nil)
	require.NoError(t, err)
	if body != nil {
		req, err = http.NewRequest(op.method, req.URL.String(), body)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var env struct{ Message string }
	_ = json.NewDecoder(resp.Body).Decode(&env)
	if resp.StatusCode == http.StatusNotFound && strings.HasPrefix(env.Message, "no route for") {
		return fmt.Sprintf("404 %q", env.Message), true
	}
	return "", false
}
