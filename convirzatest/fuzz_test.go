package convirzatest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// fuzzFake is a Fake with an Admin token and the snapshot to go back to, so
// that every fuzz input starts from the same state.
type fuzzFake struct {
	*Fake
	token string
	start []byte
}

func newFuzzFake(f *testing.F) *fuzzFake {
	fake := NewFake(WithLoginRateLimit(0))
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, jsonRequest("POST", "/oauth/token", `{"email":"`+AdminEmail+`","password":"`+SeedPassword+`"}`))
	var p tokenPair
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		f.Fatal(err)
	}
	snap, err := fake.Snapshot()
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzFake{Fake: fake, token: p.AccessToken, start: snap}
}

// reset brings the state back to the start and clears the faults.
func (ff *fuzzFake) reset(t *testing.T) {
	ff.ClearFaults()
	if err := ff.Restore(ff.start); err != nil {
		t.Fatal(err)
	}
}

// serve runs one request, turning the abort of a dropped connection into a
// flag.
func (ff *fuzzFake) serve(req *http.Request) (rec *httptest.ResponseRecorder, dropped bool) {
	rec = httptest.NewRecorder()
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			dropped = true
		}
	}()
	ff.ServeHTTP(rec, req)
	return rec, false
}

// fuzzRequest is the request of a fuzz input that names a method (an index
// into methods), a path, a query and a JSON body; it carries token.
func fuzzRequest(methods []string, m uint8, path, query string, body []byte, token string) *http.Request {
	return &http.Request{
		Method:     methods[int(m)%len(methods)],
		URL:        &url.URL{Path: path, RawQuery: query},
		Header:     http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}},
		Body:       io.NopCloser(bytes.NewReader(body)),
		RemoteAddr: "192.0.2.1:4242",
	}
}

// checkReply checks what every API reply must be: a JSON envelope whose
// code is the status, with a request id, and never a server error.
func checkReply(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	path := req.URL.Path
	switch {
	case req.Method == "HEAD", rec.Code == http.StatusNoContent && strings.HasPrefix(path, adminPrefix):
		return
	case rec.Code == 200 && (strings.HasPrefix(path, "/oauth/") || strings.HasPrefix(path, "/recordings/")):
		return // unwrapped replies
	case rec.Code < 300 && strings.HasPrefix(path, adminPrefix):
		return // the control paths answer plain JSON
	}
	var env struct {
		Code      int    `json:"code"`
		RequestID string `json:"request_id"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("%s %q: %d, body %q: %v", req.Method, path, rec.Code, rec.Body, err)
	}
	code := rec.Code
	if code == http.StatusCreated {
		code = http.StatusOK // Create User: HTTP 201 around an envelope code 200, as documented
	}
	if env.Code != code || !uuidV4.MatchString(env.RequestID) || env.Message == "" || rec.Code >= 500 {
		t.Fatalf("%s %q: %d %s", req.Method, path, rec.Code, rec.Body)
	}
}

// FuzzServeRaw parses arbitrary bytes as an HTTP request, as net/http
// would, and serves it: escaped and odd paths, queries, bodies of any type
// and framing, with or without the Admin's token. The fake never panics and
// always answers in the API's shapes.
func FuzzServeRaw(f *testing.F) {
	ff := newFuzzFake(f)
	for _, seed := range []string{
		"GET /v3/users/list?limit=5&offset=1&sort_by=name&name=%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v3/users/%2E%2E/list HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v3/users/..%2Fauth%2Fprofile HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v3//users/10002 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v3/users/10002?x=%zz&;=1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v3/users/list?limit=99999999999999999999&offset=-1&user_status=ACTIVE HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /v3/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 88\r\n\r\n" +
			`{"username":"f@acme.example","first_name":"F","last_name":"L","ct_user_ou_id":1002,"role":1}`,
		"PATCH /v3/users/10003 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"14\r\n{\"aliases\":[\"a\",\"b\"]\r\n1\r\n}\r\n0\r\n\r\n",
		"PUT /v3/users/10002 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnull",
		"POST /v3/media-prompts HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 139\r\n\r\n" +
			"--b\r\nContent-Disposition: form-data; name=\"message_type\"\r\n\r\nprompt\r\n--b\r\n" +
			"Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nRIFF\r\n--b--\r\n",
		"POST /v3/media-prompts HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=\"\"\r\nContent-Length: 3\r\n\r\n--b",
		"DELETE /v3/users/0x10 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v3/conversations/calls?limit=5&start=2026-01-01T00:00:00Z&end=2025-01-01 HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /_mock/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 29\r\n\r\n{\"status\":503,\"times\":1,\"x\":1}",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n",
		"GET http://other.example/v3/auth/profile HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		f.Add([]byte(seed), true)
	}
	f.Add([]byte("GET /v3/auth/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\r\n"), false)
	f.Add([]byte("POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"), false)
	f.Fuzz(func(t *testing.T, raw []byte, withToken bool) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // net/http would answer 400 before any handler
		}
		ff.reset(t)
		if withToken {
			req.Header.Set("Authorization", "Bearer "+ff.token)
		}
		req.RemoteAddr = "192.0.2.1:4242"
		rec, dropped := ff.serve(req)
		if dropped {
			t.Fatalf("%s %q: dropped without a fault", req.Method, req.URL.Path)
		}
		checkReply(t, req, rec)
	})
}

// FuzzFaultsEndpoint posts arbitrary bodies to /_mock/faults: each is
// refused with 400 or 413, or added, echoed as it will apply and listed;
// an added fault then applies to a request that matches it without
// panicking, and its effects show.
func FuzzFaultsEndpoint(f *testing.F) {
	ff := newFuzzFake(f)
	for _, seed := range []string{
		`{"method":"GET","path":"/v3/auth/profile","times":1,"status":503,"retry_after":"2"}`,
		`{"path":"/v3/users/*","latency":"1h"}`,
		`{"method":"post","path":"/v3/users","drop":"after_read"}`,
		`{"path":"/v3/auth/profile","drop":"before_read","latency":250}`,
		`{"path":"/v3/auth/profile","body":"truncated"}`,
		`{"status":502,"body":"non_json"}`,
		`{"path":"/v3/auth/profile","expire_token":true}`,
		`{"status":200}`, `{"latency":"-1s"}`, `{"latency":1e309}`, `{"path":"/v3/["}`, `{"drop":"x"}`, `[]`, `null`, ``,
		`{"status":500,"status":501}`, `{"retry_after":"1\r\nX: y"}`, `{"method":"G T","status":500}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ff.reset(t)
		rec, _ := ff.serve(httptest.NewRequest("POST", FaultsPath, bytes.NewReader(body)))
		switch rec.Code {
		case 400, 413:
			checkReply(t, httptest.NewRequest("POST", FaultsPath, nil), rec)
			if len(ff.Faults()) != 0 {
				t.Fatalf("a refused fault was added: %s", body)
			}
			return
		case 201:
		default:
			t.Fatalf("POST %s: %d %s", body, rec.Code, rec.Body)
		}
		var echoed Fault
		if err := json.Unmarshal(rec.Body.Bytes(), &echoed); err != nil {
			t.Fatalf("echo %s: %v", rec.Body, err)
		}
		listed := ff.Faults()
		if len(listed) != 1 || listed[0] != echoed {
			t.Fatalf("echoed %+v, listed %+v", echoed, listed)
		}
		if _, err := echoed.validate(); err != nil {
			t.Fatalf("an invalid fault was added: %v", err)
		}

		// A request the fault matches; a done context ends any latency at once.
		method, path := echoed.Method, echoed.Path
		if method == "" {
			method = "GET"
		}
		if path == "" || strings.ContainsAny(path, "*?[\\") {
			path = "/v3/auth/profile"
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := (&http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader("{}")), RemoteAddr: "192.0.2.1:4242"}).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+ff.token)
		matched := echoed.matches(req)
		rec, dropped := ff.serve(req)
		if !matched {
			return
		}
		switch {
		case dropped != (echoed.Drop != ""):
			t.Fatalf("%+v: dropped %v", echoed, dropped)
		case dropped:
		case echoed.Status != 0 && rec.Code != echoed.Status:
			t.Fatalf("%+v: status %d", echoed, rec.Code)
		case echoed.RetryAfter != "" && rec.Header().Get("Retry-After") != echoed.RetryAfter:
			t.Fatalf("%+v: Retry-After %q", echoed, rec.Header().Get("Retry-After"))
		case echoed.Body == NonJSONBody && !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html"):
			t.Fatalf("%+v: %v", echoed, rec.Header())
		case echoed.Body == TruncatedBody:
			n, err := strconv.Atoi(rec.Header().Get("Content-Length"))
			if err != nil || rec.Body.Len() != n/2 {
				t.Fatalf("%+v: %d bytes of %q", echoed, rec.Body.Len(), rec.Header().Get("Content-Length"))
			}
		case echoed.Body == "" && echoed.Status == 0:
			checkReply(t, req, rec)
		}
	})
}

// FuzzLoadSeed loads arbitrary seed files: a refused one leaves the state
// as it was; an accepted one gives a state that snapshots and restores, and
// its Admin (when one is known) can log in and list users.
func FuzzLoadSeed(f *testing.F) {
	for _, seed := range []string{
		initechSeed,
		`{"replace_seed":true,"org_units":[{"id":1,"name":"A"}],"users":[{"id":2,"email":"a@a.example","password":"p","first_name":"A","last_name":"B","org_unit_id":1,"role_id":1}]}`,
		`{"org_units":{"7":{"name":"Keyed","parent_id":1001}},"users":{"8":{"email":"k@acme.example","first_name":"K","last_name":"L","org_unit_id":7,"role_id":2,"status":"inactive"}}}`,
		`{"next_id":5,"version":1,"users":[{"id":10001,"email":"x@acme.example","password":"new","first_name":"X","last_name":"Y","org_unit_id":1001,"role_id":1}]}`,
		`{"tags":[{"id":1}]}`, `{"prompts":{}}`, `{"access_tokens":{"k":{"user_id":10001}}}`,
		`{"org_units":[{"id":5,"name":"A","parent_id":5}]}`, `{"users":[{"id":-1}]}`, `{"users":[{"id":"x"}]}`,
		`{"conversations_seeded_at":"2026-01-01T00:00:00Z"}`, `{"replace_seed":true}`, `{}`, `[]`, `"x"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fake := NewFake(WithLoginRateLimit(0))
		before, err := fake.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if err := fake.LoadSeed(data); err != nil {
			if !strings.HasPrefix(err.Error(), "convirzatest: seed: ") {
				t.Fatalf("error %q", err)
			}
			if after, _ := fake.Snapshot(); !bytes.Equal(before, after) {
				t.Fatal("a refused seed changed the state")
			}
			return
		}
		snap, err := fake.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if err := NewFake().Restore(snap); err != nil {
			t.Fatalf("the seeded state does not restore: %v", err)
		}
		if fake.AdminEmail == "" {
			return
		}
		body, _ := json.Marshal(map[string]string{"email": fake.AdminEmail, "password": fake.AdminPassword})
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, jsonRequest("POST", "/oauth/token", string(body)))
		var p tokenPair
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
			t.Fatalf("the Admin %s cannot log in: %d %s", fake.AdminEmail, rec.Code, rec.Body)
		}
		for _, path := range []string{"/v3/users/list", "/v3/auth/profile"} {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+p.AccessToken)
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("GET %s as the seeded Admin: %d %s", path, rec.Code, rec.Body)
			}
		}
	})
}
