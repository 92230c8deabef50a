package convirza

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fuzz targets run their seeds (f.Add and testdata/fuzz/<Name>/) in the
// normal suite; fuzz them one at a time with, for example,
//
//	go test -run='^$' -fuzz='^FuzzResponseDecoding$' -fuzztime=2m .

// fuzzCalls are the calls FuzzResponseDecoding answers: each decodes into
// a different kind of value.
var fuzzCalls = []struct {
	method, path string
	call         func(c *Client) error
}{
	{"GET", "/users/7", func(c *Client) error { _, err := c.Users.Get(context.Background(), 7); return err }},
	{"GET", "/users/list", func(c *Client) error { _, err := c.Users.List(context.Background(), nil); return err }},
	{"POST", "/users", func(c *Client) error {
		_, err := c.Users.Create(context.Background(), &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B",
			OrgUnitID: 1, Role: RoleAdmin})
		return err
	}},
	{"DELETE", "/users/7", func(c *Client) error { return c.Users.Delete(context.Background(), 7) }},
	{"POST", "/oauth/token", func(c *Client) error { _, err := c.Auth.Login(context.Background(), "a@b.c", "pw"); return err }},
	{"GET", "/conversations/calls", func(c *Client) error {
		_, err := c.Calls.List(context.Background(), &ListCallsParams{PageParams: PageParams{Limit: 10}})
		return err
	}},
}

// FuzzResponseDecoding answers calls with arbitrary statuses, headers and
// bodies: the SDK never panics, and its error is always one a caller can
// handle: an *APIError with the status and the body kept (up to 1 MiB), or
// ErrInvalidResponse, or none.
func FuzzResponseDecoding(f *testing.F) {
	for _, seed := range []struct {
		which       uint8
		status      uint16
		requestID   string
		retryAfter  string
		contentType string
		body        string
	}{
		{0, 200, "r1", "", "application/json", envelopeJSON(`{"ct_user_id":7,"access_audio":"Yes","user_created":1700000000}`)},
		{1, 200, "", "", "application/json", envelopeJSON(`{"users":[{"ct_user_id":"7"},{"ct_user_id":8.0}],"total":"2"}`)},
		{2, 200, "", "", "application/json", envelopeJSON(`{"userId":10005}`)},
		{3, 204, "r4", "", "", ``},
		{4, 200, "", "", "application/json", `{"access_token":"a","refresh_token":"r","expires_in":"2026-04-10T12:00:00.000Z"}`},
		{5, 200, "", "", "application/json", envelopeJSON(`{"calls":[{"call_id":1,"duration":"00:03:21"}],"total":1}`)},
		{0, 404, "", "", "application/json", `{"code":404,"message":"User not found","request_id":"r9"}`},
		{2, 409, "", "", "application/json", `{"code":409,"message":"exists","errors":[{"field":"username","message":"taken"}]}`},
		{0, 429, "", "120", "application/json", `{"code":"429","error":{"message":"slow"}}`},
		{1, 503, "hdr", "Wed, 21 Oct 2015 07:28:00 GMT", "text/html", `<html>maintenance</html>`},
		{0, 200, "", "", "application/json", `{"code":404,"message":"inside a 200","data":null}`},
		{0, 200, "", "", "application/json", `{"code":200,"data":{"ct_user_id":7`},
		{4, 401, "", "", "application/json", `{"message":"invalid email or password"}`},
		{1, 200, "", "", "application/json", `[]`},
		{0, 500, "", "", "", "\xff\xfe\x00"},
	} {
		f.Add(seed.which, seed.status, seed.requestID, seed.retryAfter, seed.contentType, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, which uint8, rawStatus uint16, requestID, retryAfter, contentType string, body []byte) {
		status := int(rawStatus)
		if status < 200 || status > 599 {
			status = 200 + status%400
		}
		fc := fuzzCalls[int(which)%len(fuzzCalls)]
		var reqID string
		c, err := NewClient(WithBaseURL(testBase), WithAuthBaseURL(testAuthBase), WithToken(testToken), WithMaxRetries(0),
			WithHTTPClient(&http.Client{Transport: rtFunc(func(req *http.Request) (*http.Response, error) {
				h := http.Header{}
				for k, v := range map[string]string{"X-Request-Id": requestID, "Retry-After": retryAfter, "Content-Type": contentType} {
					if v != "" {
						h.Set(k, v)
					}
				}
				reqID = h.Get("X-Request-Id")
				return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)),
					ContentLength: int64(len(body)), Request: req}, nil
			})}))
		if err != nil {
			t.Fatal(err)
		}
		err = fc.call(c)

		var ae *APIError
		switch {
		case err == nil:
			if status > 299 {
				t.Fatalf("status %d: no error", status)
			}
		case errors.As(err, &ae):
			if ae.StatusCode != status && status > 299 {
				t.Fatalf("status %d, APIError %d", status, ae.StatusCode)
			}
			if status <= 299 && ae.StatusCode < 400 {
				t.Fatalf("status %d: an APIError below 400: %v", status, ae)
			}
			if ae.Method != fc.method || ae.Path != fc.path {
				t.Fatalf("APIError names %s %s", ae.Method, ae.Path)
			}
			if status > 299 && !bytes.Equal(ae.Body, body[:min(len(body), 1<<20)]) {
				t.Fatalf("body not kept")
			}
			if ae.RetryAfter < 0 {
				t.Fatalf("negative Retry-After %v", ae.RetryAfter)
			}
			if ae.RequestID == "" && reqID != "" {
				t.Fatalf("request id %q lost", reqID)
			}
			if msg := ae.Error(); !strings.Contains(msg, fc.method+" "+fc.path) {
				t.Fatalf("Error() = %q", msg)
			}
			checkSentinels(t, ae)
		case errors.Is(err, ErrInvalidResponse):
			if status > 299 {
				t.Fatalf("status %d: %v", status, err)
			}
		default:
			t.Fatalf("status %d: an error of no known kind: %v", status, err)
		}
	})
}

// checkSentinels checks that an *APIError matches the sentinel of its status
// class and no other.
func checkSentinels(t *testing.T, ae *APIError) {
	t.Helper()
	want := map[error]bool{
		ErrBadRequest:   ae.StatusCode == 400,
		ErrUnauthorized: ae.StatusCode == 401,
		ErrForbidden:    ae.StatusCode == 403,
		ErrNotFound:     ae.StatusCode == 404,
		ErrConflict:     ae.StatusCode == 409,
		ErrGone:         ae.StatusCode == 410,
		ErrRateLimited:  ae.StatusCode == 429,
		ErrServer:       ae.StatusCode >= 500,
	}
	for sentinel, is := range want {
		if errors.Is(ae, sentinel) != is {
			t.Fatalf("status %d: errors.Is(%v) = %v", ae.StatusCode, sentinel, !is)
		}
	}
}

// FuzzTolerantTypes decodes arbitrary JSON into the tolerant field types and
// a model: they never fail on a valid value of the wrong type, keep what the
// server sent, and survive a round trip.
func FuzzTolerantTypes(f *testing.F) {
	for _, s := range []string{
		`true`, `"Yes"`, `"no"`, `1`, `0`, `"1"`, `null`, `""`, `"maybe"`, `{}`, `[]`,
		`"2026-01-20T12:34:56.789Z"`, `1700000000`, `1700000000000`, `"2026-01-20 12:34:56"`, `"2026-01-20"`,
		`"00:03:21"`, `"03:21"`, `201`, `"3m21s"`, `"1.5"`, `-5`, `1e400`, `"99999:00:00"`,
		`{"id":"12"}`, `{"userId":7}`, `{"orgUnitId":"9","x":1}`, `42`, `"42"`,
		`{"ct_user_id":"7","access_audio":"Yes","user_created":1700000000,"aliases":"one","role_id":2.0,"new":{"a":1}}`,
		`{"ct_user_id":{},"first_name":5,"agent_code":"x","score_call":"yes","aliases":[1,"a"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // encoding/json rejects it before any UnmarshalJSON runs
		}
		trimmed := bytes.TrimSpace(data)
		isObject := len(trimmed) > 0 && trimmed[0] == '{'

		var b Bool
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatalf("Bool: %v", err)
		}
		if out, _ := json.Marshal(b); string(out) != strconv.FormatBool(bool(b)) {
			t.Fatalf("Bool encodes as %s", out)
		}

		var tm Time
		if err := json.Unmarshal(data, &tm); err != nil {
			t.Fatalf("Time: %v", err)
		}
		if out, err := json.Marshal(tm); err == nil {
			var back Time
			if err := json.Unmarshal(out, &back); err != nil || !back.Equal(tm.Time) {
				t.Fatalf("Time %v encodes as %s, reads back as %v (%v)", tm.Time, out, back.Time, err)
			}
		} else if y := tm.Year(); y >= 0 && y <= 9999 {
			t.Fatalf("Time %v does not encode: %v", tm.Time, err)
		}

		var d Duration
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("Duration: %v", err)
		}
		if d >= 0 && time.Duration(d) < 100*365*24*time.Hour {
			out, _ := json.Marshal(d)
			var back Duration
			if err := json.Unmarshal(out, &back); err != nil || back != Duration(time.Duration(d).Truncate(time.Second)) {
				t.Fatalf("Duration %v encodes as %s, reads back as %v", time.Duration(d), out, time.Duration(back))
			}
		}

		var cr Created
		if err := json.Unmarshal(data, &cr); err != nil {
			t.Fatalf("Created: %v", err)
		}
		// encoding/json hands a value to UnmarshalJSON without the space
		// around it.
		if !bytes.Equal(cr.Raw, trimmed) {
			t.Fatalf("Created.Raw %q, sent %q", cr.Raw, data)
		}

		var u User
		err := json.Unmarshal(data, &u)
		switch {
		case isObject && err != nil:
			t.Fatalf("User: one odd field failed the whole object: %v", err)
		case isObject && !bytes.Equal(u.Raw, trimmed):
			t.Fatalf("User.Raw %q, sent %q", u.Raw, data)
		case string(trimmed) == "null" && (err != nil || u.Raw != nil):
			t.Fatalf("User from null: %+v, %v", u, err)
		}
		if isObject {
			// What decoded re-encodes and decodes to the same typed fields.
			out, err := json.Marshal(u)
			if err != nil {
				t.Fatalf("User does not encode: %v", err)
			}
			var back User
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("User round trip: %v", err)
			}
			back.Raw, u.Raw = nil, nil
			if !reflect.DeepEqual(back, u) && !hasNaN(u) {
				t.Fatalf("User round trip:\n%+v\n%+v", u, back)
			}
		}
	})
}

// hasNaN reports whether a float field of v is NaN (never equal to itself).
func hasNaN(v any) bool {
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if f := rv.Field(i); f.CanFloat() && f.Float() != f.Float() {
			return true
		}
	}
	return false
}

// queryParams lists every params struct of the package that has query
// fields. TestQueryParamsListed keeps it complete.
var queryParams = []any{
	ListUsersParams{}, ListAIVoiceAgentsParams{}, ListBroadcastsParams{}, ListCallsParams{}, GetCallParams{},
	ListSMSParams{}, ListTagsParams{}, ListAssignedNumbersParams{}, ListProvisionedNumbersParams{},
	SearchNumbersParams{}, ListPromptsParams{}, ListRoutesParams{}, ListGroupsParams{}, ListWebhooksParams{},
}

// TestQueryParamsListed reads the package's source for struct types with
// url-tagged fields and checks that queryParams names each of them, so a
// new params struct is fuzzed as soon as it is added.
func TestQueryParamsListed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var found []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			for _, field := range st.Fields.List {
				if field.Tag == nil {
					continue
				}
				tag, _ := strconv.Unquote(field.Tag.Value)
				if v, ok := reflect.StructTag(tag).Lookup("url"); ok && v != "-" {
					found = append(found, ts.Name.Name)
					break
				}
			}
			return true
		})
	}
	var listed []string
	for _, p := range queryParams {
		listed = append(listed, reflect.TypeOf(p).Name())
	}
	slices.Sort(found)
	slices.Sort(listed)
	assert.Equal(t, found, listed, "add every params struct with url tags to queryParams in fuzz_test.go")
}

// fuzzBytes hands out values from fuzz input, zeros once it runs out.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) next(n int) []byte {
	n = min(n, len(f.b))
	out := f.b[:n]
	f.b = f.b[n:]
	return out
}

func (f *fuzzBytes) int64() int64 {
	var buf [8]byte
	copy(buf[:], f.next(8))
	return int64(binary.LittleEndian.Uint64(buf[:]))
}

func (f *fuzzBytes) str() string {
	n := 0
	if b := f.next(1); len(b) == 1 {
		n = int(b[0]) % 24
	}
	return string(f.next(n))
}

// fill sets every url-tagged field of the struct v, and the paging fields,
// from the input.
func (f *fuzzBytes) fill(v reflect.Value) {
	for i := range v.NumField() {
		fv, sf := v.Field(i), v.Type().Field(i)
		if sf.Anonymous && fv.Kind() == reflect.Struct {
			f.fill(fv)
			continue
		}
		if _, ok := sf.Tag.Lookup("url"); !ok || !sf.IsExported() {
			continue
		}
		f.set(fv)
	}
}

func (f *fuzzBytes) set(fv reflect.Value) {
	switch {
	case fv.Type() == reflect.TypeFor[time.Time]():
		fv.Set(reflect.ValueOf(time.Unix(f.int64()%(1<<36), 0)))
	case fv.Kind() == reflect.String:
		fv.SetString(f.str())
	case fv.CanInt():
		n := f.int64()
		if fv.Kind() != reflect.Int64 {
			n %= 1 << 31
		}
		fv.SetInt(n)
	case fv.Kind() == reflect.Bool:
		fv.SetBool(f.int64()%2 == 0)
	case fv.Kind() == reflect.Slice:
		n := int(uint64(f.int64()) % 4)
		s := reflect.MakeSlice(fv.Type(), n, n)
		for i := range n {
			f.set(s.Index(i))
		}
		fv.Set(s)
	}
}

// FuzzQueryEncoding fills every params struct with arbitrary values and
// checks the query: no panic, only the struct's own keys, every value as
// set (omitted when empty), a lossless round trip through the wire
// encoding (so no value can add a key), and the paging rules.
func FuzzQueryEncoding(f *testing.F) {
	for i := range queryParams {
		f.Add(uint8(i), []byte("\x05hello\x00\x00\x00\x00\x00\x00\x00\x01\x03a&b"), int64(20), int64(0))
		f.Add(uint8(i), []byte("\x08x=1&y=2#\x02,\x03\xff\xfe\xfd"), int64(0), int64(5))
	}
	f.Add(uint8(0), []byte("\x17%zz;limit=9&offset=-1\n"), int64(201), int64(-1))
	f.Add(uint8(3), []byte("\x01,\x02a,\x03b,c"), int64(-3), int64(1<<40))
	f.Fuzz(func(t *testing.T, which uint8, data []byte, limit, offset int64) {
		typ := reflect.TypeOf(queryParams[int(which)%len(queryParams)])
		pv := reflect.New(typ)
		in := &fuzzBytes{b: data}
		in.fill(pv.Elem())
		q := encodeQuery(pv.Interface())
		if q == nil {
			t.Fatal("nil query for a struct")
		}

		fields := map[string]reflect.StructField{}
		var walk func(reflect.Type)
		walk = func(rt reflect.Type) {
			for i := range rt.NumField() {
				sf := rt.Field(i)
				if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
					walk(sf.Type)
				} else if tag, ok := sf.Tag.Lookup("url"); ok && tag != "-" {
					name, _, _ := strings.Cut(tag, ",")
					fields[name] = sf
				}
			}
		}
		walk(typ)
		for key := range q {
			if _, ok := fields[key]; !ok {
				t.Fatalf("%s: key %q is not a field", typ.Name(), key)
			}
		}
		for name, sf := range fields {
			checkQueryField(t, q, name, sf, pv.Elem().FieldByIndex(sf.Index))
		}
		back, err := url.ParseQuery(q.Encode())
		if err != nil || !reflect.DeepEqual(back, q) {
			t.Fatalf("%s: %v does not survive %q: %v, %v", typ.Name(), q, q.Encode(), back, err)
		}

		// The paging fields, for the paginated ones.
		pp, ok := pv.Interface().(paged)
		if !ok {
			return
		}
		p := pp.page()
		p.Limit, p.Offset = int(limit%(1<<31)), int(offset%(1<<31))
		pq := url.Values{}
		got, err := p.pageQuery(pq, 100)
		want := p.Limit
		if want == 0 {
			want = 100
		}
		valid := want >= 1 && want <= MaxLimit && p.Offset >= 0
		switch {
		case valid != (err == nil):
			t.Fatalf("limit %d offset %d: err %v", p.Limit, p.Offset, err)
		case err != nil && !errors.Is(err, ErrInvalidParams):
			t.Fatalf("limit %d: %v is not ErrInvalidParams", p.Limit, err)
		case err == nil && (got != want || pq.Get("limit") != strconv.Itoa(want) ||
			pq.Has("offset") != (p.Offset > 0) || (p.Offset > 0 && pq.Get("offset") != strconv.Itoa(p.Offset))):
			t.Fatalf("limit %d offset %d: %v", p.Limit, p.Offset, pq)
		}
	})
}

// checkQueryField checks the query values of one field against its value.
func checkQueryField(t *testing.T, q url.Values, name string, sf reflect.StructField, fv reflect.Value) {
	t.Helper()
	opts := sf.Tag.Get("url")
	omitEmpty, comma := strings.Contains(opts, "omitempty"), strings.Contains(opts, "comma")
	got, present := q[name]
	if fv.IsZero() && omitEmpty {
		if present {
			t.Fatalf("%s: zero value sent as %q", name, got)
		}
		return
	}
	var want []string
	switch {
	case fv.Type() == reflect.TypeFor[time.Time]():
		tm := fv.Interface().(time.Time)
		want = []string{tm.UTC().Format(time.RFC3339)}
		if y := tm.UTC().Year(); y >= 0 && y <= 9999 {
			back, err := time.Parse(time.RFC3339, got[0])
			if err != nil || !back.Equal(tm) {
				t.Fatalf("%s: time %v sent as %q", name, tm, got)
			}
		}
	case fv.Kind() == reflect.Slice:
		for i := range fv.Len() {
			want = append(want, queryValue(fv.Index(i)))
		}
		if comma {
			want = []string{strings.Join(want, ",")}
		}
	case fv.CanInt():
		want = []string{strconv.FormatInt(fv.Int(), 10)}
	default:
		want = []string{queryValue(fv)}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: sent %q, want %q", name, got, want)
	}
}
