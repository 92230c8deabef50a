package convirza

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hosts of the wire tests: nothing listens there, httpmock answers.
const (
	testBase      = "https://api.convirza.test/v3"
	testAuthBase  = "https://auth.convirza.test"
	testToken     = "tok-wire-test-secret"
	testRequestID = "550e8400-e29b-41d4-a716-446655440000"
)

// newWireClient returns a client whose every request goes to a fresh
// httpmock transport, with a static token and no backoff between retries.
func newWireClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []Option{
		WithBaseURL(testBase), WithAuthBaseURL(testAuthBase), WithToken(testToken),
		WithHTTPClient(&http.Client{Transport: mt}), WithRetryBackoff(0, 0),
	}
	c, err := NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// wireRequest is a request as it went over the wire.
type wireRequest struct {
	Method string
	Path   string // escaped, as sent
	Query  url.Values
	Header http.Header
	Body   []byte
}

// recorder keeps every request its responders saw.
type recorder struct {
	mu   sync.Mutex
	reqs []wireRequest
}

// last returns the last request, failing the test when there was none.
func (r *recorder) last(t *testing.T) wireRequest {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.reqs, "no request reached the server")
	return r.reqs[len(r.reqs)-1]
}

// count is the number of requests seen.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// requests returns a copy of every request seen, in order.
func (r *recorder) requests() []wireRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wireRequest(nil), r.reqs...)
}

// respond registers an answer for method and path (relative to the API
// base; a full URL for the auth host) and records every request it gets.
// Query strings are matched loosely: assert them on the recorded request.
func respond(mt *httpmock.MockTransport, method, path string, status int, body string) *recorder {
	return respondWith(mt, method, path, func(wireRequest) (int, string) { return status, body })
}

// respondWith is respond with an answer that depends on the request.
func respondWith(mt *httpmock.MockTransport, method, path string, answer func(wireRequest) (status int, body string)) *recorder {
	rec := &recorder{}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = testBase + path
	}
	mt.RegisterRegexpResponder(method, regexpFor(u), func(req *http.Request) (*http.Response, error) {
		var b []byte
		if req.Body != nil {
			b, _ = io.ReadAll(req.Body)
		}
		seen := wireRequest{
			Method: req.Method, Path: req.URL.EscapedPath(), Query: req.URL.Query(),
			Header: req.Header.Clone(), Body: b,
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen)
		rec.mu.Unlock()
		return newJSONResponse(answer(seen)), nil
	})
	return rec
}

// regexpFor matches exactly the URL u, with or without a query.
func regexpFor(u string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(u) + `(\?.*)?$`)
}

// envelope wraps data as the API does.
func envelopeJSON(data string) string {
	return `{"code":200,"message":"Success","data":` + data +
		`,"request_id":"` + testRequestID + `","timestamp":"2026-01-20T12:34:56.789Z"}`
}

// assertWire checks the method, escaped path, query and JSON body of a
// request, and that it carried the bearer token and the SDK's headers.
// wantBody "" means no body.
func assertWire(t *testing.T, got wireRequest, method, path string, query url.Values, wantBody string) {
	t.Helper()
	assert.Equal(t, method, got.Method, "method")
	assert.Equal(t, "/v3"+path, got.Path, "path")
	if query == nil {
		query = url.Values{}
	}
	assert.Equal(t, query, got.Query, "query")
	assert.Equal(t, "Bearer "+testToken, got.Header.Get("Authorization"), "authorization")
	assert.Equal(t, "application/json", got.Header.Get("Accept"))
	assert.True(t, strings.HasPrefix(got.Header.Get("User-Agent"), "convirza-go/"), "user agent")
	if wantBody == "" {
		assert.Empty(t, got.Body, "body")
		return
	}
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.JSONEq(t, wantBody, string(got.Body), "body")
}

// golden reads testdata/name: an example body from the public docs (or an
// assumed one from api/), as the server sends it.
func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// goldenData returns the "data" member of a golden envelope.
func goldenData(t *testing.T, name string) json.RawMessage {
	t.Helper()
	data := dataOf(t, string(golden(t, name)))
	require.NotEmpty(t, data, "%s has no data", name)
	return data
}

// assertKnownFields fails for every key of the JSON object raw that model
// (a struct value or pointer) has no field for: a golden example must lose
// nothing to Raw alone. Nested objects and arrays of objects are checked
// against the type of their field.
func assertKnownFields(t *testing.T, raw json.RawMessage, model any) {
	t.Helper()
	var unknown []string
	collectUnknown(raw, reflect.TypeOf(model), "", &unknown)
	sort.Strings(unknown)
	assert.Empty(t, unknown, "keys with no typed field")
}

func collectUnknown(raw json.RawMessage, typ reflect.Type, prefix string, out *[]string) {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			for _, it := range items {
				collectUnknown(it, typ, prefix+"[]", out)
			}
		}
		return
	}
	if raw[0] != '{' || typ.Kind() != reflect.Struct || typ == reflect.TypeFor[json.RawMessage]() {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return
	}
	fields := map[string]reflect.Type{}
	for _, f := range jsonFields(typ) {
		fields[f.name] = typ.FieldByIndex(f.index).Type
	}
	for k, v := range obj {
		ft, ok := fields[k]
		if !ok {
			*out = append(*out, prefix+k)
			continue
		}
		if ft.Kind() == reflect.Map || ft == reflect.TypeFor[json.RawMessage]() {
			continue
		}
		collectUnknown(v, ft, prefix+k+".", out)
	}
}

func newJSONResponse(status int, body string) *http.Response {
	resp := httpmock.NewStringResponse(status, body)
	resp.Header.Set("Content-Type", "application/json")
	return resp
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// assertRefusedBeforeIO calls call with each of cases and checks that every
// call fails with ErrInvalidParams, and that no request at all is sent.
func assertRefusedBeforeIO[P any](t *testing.T, cases map[string]P, call func(c *Client, p P) error) {
	t.Helper()
	c, mt := newWireClient(t)
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, envelopeJSON(`{}`)))
	for name, p := range cases {
		assert.ErrorIs(t, call(c, p), ErrInvalidParams, name)
	}
	assert.Zero(t, mt.GetTotalCallCount(), "no request is sent")
}

// changed returns, for each of changes, a copy of ok with that change.
func changed[P any](ok P, changes map[string]func(*P)) map[string]*P {
	out := make(map[string]*P, len(changes))
	for name, change := range changes {
		p := ok
		change(&p)
		out[name] = &p
	}
	return out
}

// withID is an id and the params sent with it, for the cases of
// assertRefusedBeforeIO.
type withID[P any] struct {
	id int64
	p  *P
}

// itemID reads the ID field that every model has.
func itemID(item any) int64 { return reflect.Indirect(reflect.ValueOf(item)).FieldByName("ID").Int() }

// itemRaw reads the Raw field that every model has.
func itemRaw(item any) string {
	return string(reflect.Indirect(reflect.ValueOf(item)).FieldByName("Raw").Bytes())
}

// dataOf returns the "data" member of an envelope.
func dataOf(t *testing.T, envelope string) json.RawMessage {
	t.Helper()
	var env struct{ Data json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(envelope), &env))
	return env.Data
}

// assertGetWire checks a Get of the record at path (a format of its id):
// the GET for id, the record decoded from answer (its id, and Raw holding
// it whole), ids 0 and -1 refused before any request, and a 404 as
// ErrNotFound, sent once. It returns the record for the caller's checks.
func assertGetWire[T any](t *testing.T, path string, id int64, answer string, get func(c *Client, id int64) (*T, error)) *T {
	t.Helper()
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", fmt.Sprintf(path, id), 200, answer)
	got, err := get(c, id)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", fmt.Sprintf(path, id), nil, "")
	require.NotNil(t, got)
	assert.Equal(t, id, itemID(got))
	assert.JSONEq(t, string(dataOf(t, answer)), itemRaw(got), "Raw keeps the record whole")
	for _, bad := range []int64{0, -1} {
		_, err := get(c, bad)
		assert.ErrorIs(t, err, ErrInvalidParams, "id %d", bad)
	}
	assert.Equal(t, 1, rec.count())

	gone := respond(mt, "GET", fmt.Sprintf(path, 9), 404, `{"code":404,"message":"Not found","request_id":"r-404"}`)
	_, err = get(c, 9)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.NotErrorIs(t, err, ErrDuplicateEmail)
	assert.Equal(t, 1, gone.count(), "a 404 is not retried")
	return got
}

// assertDeleteWire checks a Delete of the record at path (a format of its
// id): the DELETE for id, answered with answer, ids 0 and -1 refused
// before any request, and a 404 as ErrNotFound, sent once.
func assertDeleteWire(t *testing.T, path string, id int64, answer string, del func(c *Client, id int64) error) {
	t.Helper()
	c, mt := newWireClient(t)
	rec := respond(mt, "DELETE", fmt.Sprintf(path, id), 200, answer)
	require.NoError(t, del(c, id))
	assertWire(t, rec.last(t), "DELETE", fmt.Sprintf(path, id), nil, "")
	for _, bad := range []int64{0, -1} {
		assert.ErrorIs(t, del(c, bad), ErrInvalidParams, "id %d", bad)
	}
	assert.Equal(t, 1, rec.count())

	gone := respond(mt, "DELETE", fmt.Sprintf(path, 9), 404, `{"code":404,"message":"Not found"}`)
	assert.ErrorIs(t, del(c, 9), ErrNotFound)
	assert.Equal(t, 1, gone.count(), "a 404 is not retried")
}

// assertUpdateRefetches checks that an Update of the record at path (a
// format of its id) whose answer holds no record, null or only its id,
// reads the record with one GET and returns it.
func assertUpdateRefetches[T any](t *testing.T, path string, id int64, idOnly, record string, update func(c *Client, id int64) (*T, error)) {
	t.Helper()
	c, mt := newWireClient(t)
	put := respond(mt, "PUT", fmt.Sprintf(path, id), 200, envelopeJSON(`null`))
	_, err := update(c, id)
	require.ErrorIs(t, err, ErrInvalidResponse, "data null is no record")
	assert.Equal(t, 1, put.count())
	for _, answer := range []string{idOnly} {
		c, mt := newWireClient(t)
		put := respond(mt, "PUT", fmt.Sprintf(path, id), 200, envelopeJSON(answer))
		get := respond(mt, "GET", fmt.Sprintf(path, id), 200, record)
		got, err := update(c, id)
		require.NoError(t, err, answer)
		assert.Equal(t, 1, put.count(), answer)
		assert.Equal(t, 1, get.count(), answer)
		assert.Equal(t, id, itemID(got), answer)
		assert.JSONEq(t, string(dataOf(t, record)), itemRaw(got), answer)
	}
}

// decodeGolden decodes raw, a golden body, into a T and checks that T has a
// typed field for every key of it. It returns the T for the caller's own
// checks.
func decodeGolden[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(raw, &v))
	assertKnownFields(t, raw, v)
	return v
}

// assertEncodesAs checks that v encodes to the JSON want: a golden request
// body that the params decoded from it send back unchanged.
func assertEncodesAs(t *testing.T, want []byte, v any) {
	t.Helper()
	out, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(out))
}

// assertGoldenIDs checks that the data of each golden answer of names (a
// create's or a delete's) decodes to a Created with id.
func assertGoldenIDs(t *testing.T, id int64, names ...string) {
	t.Helper()
	for _, name := range names {
		var c Created
		require.NoError(t, json.Unmarshal(goldenData(t, name), &c), name)
		assert.Equal(t, id, c.ID, name)
	}
}

// FakeClock is a clock that a test moves by hand, safe for concurrent use:
// the reference cache's here, and the fake's (convirzatest.WithClock) in
// the external tests, which is why it is exported.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock that reads start until moved.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now is the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeClientAs returns a client of the fake srv logged in as email, its
// Admin when empty (the other seeded users share SeedPassword), with opts
// added.
func fakeClientAs(t testing.TB, srv *convirzatest.Server, email string, opts ...Option) *Client {
	t.Helper()
	password := convirzatest.SeedPassword
	if email == "" {
		email, password = srv.AdminEmail, srv.AdminPassword
	}
	base := []Option{WithBaseURL(srv.URL), WithAuthBaseURL(srv.AuthURL), WithCredentials(email, password)}
	c, err := NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c
}

// sourceFiles parses the package's Go files, tests excluded, with their
// comments, for the tests that check the source itself.
func sourceFiles(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	require.NotEmpty(t, files)
	return fset, files
}

// assertSends makes one call, answered with answer, and checks that it
// sent method to path with query and the JSON body want ("" for none),
// once. It returns what the call returned, for the caller's checks.
func assertSends[T any](t *testing.T, method, path string, query url.Values, answer, want string, call func(c *Client) (T, error)) T {
	t.Helper()
	c, mt := newWireClient(t)
	rec := respond(mt, method, path, 200, answer)
	got, err := call(c)
	require.NoError(t, err)
	assertWire(t, rec.last(t), method, path, query, want)
	assert.Equal(t, 1, rec.count(), "sent once")
	return got
}

// assertWriteWire is assertSends for a write, which has no query, and
// checks that what it returns (a record, or the Created of a create) has
// id, read from answer.
func assertWriteWire[T any](t *testing.T, method, path, answer, want string, id int64, call func(c *Client) (*T, error)) *T {
	t.Helper()
	got := assertSends(t, method, path, nil, answer, want, call)
	assert.Equal(t, id, itemID(got))
	return got
}

// countingServer is a loopback server that answers by route ("POST
// /oauth/token") and counts and keeps what reached it, for the tests that
// play a misbehaving host.
type countingServer struct {
	*httptest.Server
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	seen   map[string][]wireRequest
}

// newCountingServer starts a server with routes (404 for the others),
// closed by t.Cleanup. A TLS one when tls is set.
func newCountingServer(t testing.TB, tls bool, routes map[string]http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{routes: routes, seen: map[string][]wireRequest{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		route := r.Method + " " + r.URL.Path
		s.mu.Lock()
		s.seen[route] = append(s.seen[route], wireRequest{Method: r.Method, Path: r.URL.EscapedPath(),
			Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		if handle := s.routes[route]; handle != nil {
			handle(w, r)
			return
		}
		http.NotFound(w, r)
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

// count is the number of requests route got.
func (s *countingServer) count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen[route])
}

// total is the number of requests the server got.
func (s *countingServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, reqs := range s.seen {
		n += len(reqs)
	}
	return n
}

// bodies are the bodies route got, in order.
func (s *countingServer) bodies(route string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.seen[route] {
		out = append(out, string(r.Body))
	}
	return out
}

// answer writes status and body as JSON.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// redirectTo answers status with a Location of target.
func redirectTo(status int, target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target)
		w.WriteHeader(status)
	}
}

// dropConnection reads the request and closes the connection without an
// answer: the request may have been acted on, the answer is lost.
func dropConnection(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
