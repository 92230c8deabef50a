package convirzatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestUnknownRoute(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for _, tc := range []struct{ method, path, msg string }{
		{"GET", "/v3/nope", "no route for GET /v3/nope"},
		{"GET", "/", "no route for GET /"},
		{"POST", "/v3/users/list", "no route for POST /v3/users/list"}, // known path, wrong method
		{"DELETE", "/v3/users", "no route for DELETE /v3/users"},
		{"GET", "/oauth/token", "no route for GET /oauth/token"},
		{"GET", "/v3/users/list/", "no route for GET /v3/users/list/"},
		{"GET", "/v3//users/list", "no route for GET /v3//users/list"}, // the mux would redirect
		{"GET", "/v3/users/../users/list", "no route for GET /v3/users/../users/list"},
		{"OPTIONS", "/v3/users/list", "no route for OPTIONS /v3/users/list"},
		{"GET", "/users/list", "no route for GET /users/list"}, // missing version path
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			for _, bearer := range []string{tok, ""} { // no token needed to learn a route is unknown
				req := httptest.NewRequest(tc.method, "http://fake"+tc.path, nil)
				req.URL.Path = tc.path // keep "..": NewRequest would not clean it, but be explicit
				if bearer != "" {
					req.Header.Set("Authorization", "Bearer "+bearer)
				}
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				r := reply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
				if err := json.Unmarshal(r.body, &r.env); err != nil {
					t.Fatalf("body %q: %v", r.body, err)
				}
				r.want(t, http.StatusNotFound)
				checkEnvelope(t, r)
				if r.env.Message != tc.msg {
					t.Errorf("message %q, want %q", r.env.Message, tc.msg)
				}
			}
		})
	}
	// CONNECT never reaches a route.
	req := httptest.NewRequest("CONNECT", "/v3/users/list", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 404 {
		t.Errorf("CONNECT: %d", rec.Code)
	}
	// HEAD is served like GET, without a body.
	r := send(t, "HEAD", s.URL+"/users/list", tok, nil).want(t, 200)
	if len(r.body) != 0 || r.header.Get("X-Request-Id") == "" {
		t.Errorf("HEAD: body %q", r.body)
	}
}

func TestRequestIDsAreFresh(t *testing.T) {
	s := NewServer(t)
	seen := map[string]bool{}
	for range 20 {
		r := send(t, "GET", s.URL+"/nope", "", nil)
		if seen[r.env.RequestID] {
			t.Fatalf("request id %s repeated", r.env.RequestID)
		}
		seen[r.env.RequestID] = true
	}
}

func TestEnvelopeTimestampUsesClock(t *testing.T) {
	clk := newClock()
	clk.Advance(1234 * time.Microsecond)
	s := NewServer(t, WithClock(clk.Now), WithClock(nil))
	r := send(t, "GET", s.URL+"/nope", "", nil)
	if r.env.Timestamp != "2026-01-20T12:00:00.001Z" {
		t.Errorf("timestamp %q", r.env.Timestamp)
	}
}

func TestBodyLimits(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	big := `{"username":"` + strings.Repeat("a", maxJSONBody) + `"}`
	r := send(t, "POST", s.URL+"/users", tok, big).want(t, http.StatusRequestEntityTooLarge)
	checkEnvelope(t, r)

	// A body that cannot be read is a 400.
	req := httptest.NewRequest("POST", "/v3/users", io.MultiReader(strings.NewReader("{"), errReader{}))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 400 {
		t.Errorf("unreadable body: %d %s", rec.Code, rec.Body)
	}

	// Multipart bodies are left to their handler; here there is none.
	req = httptest.NewRequest("POST", "/v3/no-such-upload", strings.NewReader("--x--"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 404 {
		t.Errorf("multipart: %d", rec.Code)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestRequestLog(t *testing.T) {
	s := NewServer(t)
	p := tokens(t, s, AdminEmail, SeedPassword)
	send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": p.RefreshToken})
	send(t, "POST", s.AuthURL+"/oauth/token", "", `{"email":"x","password":"truncated`)
	send(t, "GET", s.URL+"/users/list?limit=5", p.AccessToken, nil)
	send(t, "POST", s.URL+"/users", p.AccessToken, body("log@acme.example", nil))
	send(t, "POST", s.URL+"/users", p.AccessToken, `[not json`)

	reqs := s.Requests()
	if len(reqs) != 6 {
		t.Fatalf("%d requests logged", len(reqs))
	}
	all, _ := json.Marshal(reqs)
	for _, secret := range []string{SeedPassword, p.AccessToken, p.RefreshToken, "truncated"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("the log holds a secret: %s", all)
		}
	}
	if string(reqs[0].Body) != `{"email":"`+AdminEmail+`","password":"<redacted>"}` {
		t.Errorf("login body %s", reqs[0].Body)
	}
	if reqs[2].Body != nil {
		t.Errorf("an unparsable /oauth body was kept: %s", reqs[2].Body)
	}
	list := reqs[3]
	if list.Method != "GET" || list.Path != "/v3/users/list" || list.RawQuery != "limit=5" || !list.HasBearer || list.Body != nil {
		t.Errorf("list entry %+v", list)
	}
	if list.Header.Get("Authorization") != "" || list.Header.Get("User-Agent") == "" {
		t.Errorf("headers %v", list.Header)
	}
	if !bytes.Contains(reqs[4].Body, []byte("log@acme.example")) || reqs[0].HasBearer {
		t.Errorf("create entry %+v", reqs[4])
	}
	if string(reqs[5].Body) != "[not json" {
		t.Errorf("malformed non-auth body: %q", reqs[5].Body)
	}

	// The copy is the caller's to change.
	reqs[4].Body[0] = 'X'
	reqs[4].Header.Set("X-Changed", "1")
	if again := s.Requests(); again[4].Body[0] != '{' || again[4].Header.Get("X-Changed") != "" {
		t.Error("Requests shares memory with the log")
	}

	if n := s.RequestCount("POST", "/v3/users"); n != 2 {
		t.Errorf("RequestCount = %d", n)
	}
	if n := s.RequestCount("GET", "/v3/users/list"); n != 1 {
		t.Errorf("RequestCount = %d", n)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 || s.RequestCount("POST", "/v3/users") != 0 {
		t.Error("ResetRequests left entries")
	}

	// Large JSON bodies are kept in part; non-JSON bodies not at all.
	s.ServeHTTP(httptest.NewRecorder(), jsonRequest("POST", "/v3/users", `{"first_name":"`+strings.Repeat("x", 100<<10)+`"}`))
	plain := httptest.NewRequest("POST", "/v3/users", strings.NewReader("hello"))
	plain.Header.Set("Content-Type", "text/plain")
	s.ServeHTTP(httptest.NewRecorder(), plain)
	reqs = s.Requests()
	if len(reqs[0].Body) != maxLoggedBody || reqs[1].Body != nil {
		t.Errorf("logged %d and %d bytes", len(reqs[0].Body), len(reqs[1].Body))
	}
}

func jsonRequest(method, path, body string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestSnapshotRestore(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	p := tokens(t, s, AdminEmail, SeedPassword)
	id := mkUser(t, s, p.AccessToken, body("saved@acme.example", map[string]any{"aliases": []string{"S"}, "agent_code": 3}))
	saved := getUserMap(t, s, p.AccessToken, id)

	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{p.AccessToken, p.RefreshToken, SeedPassword, TemporaryPassword} {
		if bytes.Contains(snap, []byte(secret)) {
			t.Fatalf("the snapshot holds a secret")
		}
	}

	s2 := NewServer(t, WithClock(clk.Now))
	if err := s2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	// Tokens, users and the id counter all carry over.
	if got := getUserMap(t, s2, p.AccessToken, id); fmt.Sprint(got) != fmt.Sprint(saved) {
		t.Errorf("restored user differs:\n%v\n%v", got, saved)
	}
	next := mkUser(t, s2, p.AccessToken, body("after@acme.example", nil))
	if next != id+1 {
		t.Errorf("next id %d, want %d", next, id+1)
	}
	send(t, "POST", s2.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": p.RefreshToken}).want(t, 200)
	// Round trip: restoring the same snapshot gives the same snapshot.
	f := NewFake()
	if err := f.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.Snapshot(); !bytes.Equal(again, snap) {
		t.Error("Snapshot after Restore differs")
	}
}

func TestRestoreRejects(t *testing.T) {
	f := NewFake()
	good, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(change func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		b, _ := json.Marshal(m)
		return b
	}
	section := func(m map[string]any, name string) map[string]any { return m[name].(map[string]any) }
	rec := func(m map[string]any, name, id string) map[string]any { return section(m, name)[id].(map[string]any) }

	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"not json", []byte("nope"), "invalid character"},
		{"wrong version", edit(func(m map[string]any) { m["version"] = 99 }), "state version 99"},
		{"null user", edit(func(m map[string]any) { section(m, "users")["10001"] = nil }), "Users[10001] is null"},
		{"id mismatch", edit(func(m map[string]any) { rec(m, "users", "10001")["id"] = 5 }), "user 10001 has id 5"},
		{"user without org unit", edit(func(m map[string]any) { rec(m, "users", "10001")["org_unit_id"] = 7 }), "org unit 7 does not exist"},
		{"bad role", edit(func(m map[string]any) { rec(m, "users", "10001")["role_id"] = 9 }), "role_id 9"},
		{"org unit id mismatch", edit(func(m map[string]any) { rec(m, "org_units", "1002")["id"] = 1 }), "org unit 1002 has id 1"},
		{"missing parent", edit(func(m map[string]any) { rec(m, "org_units", "1002")["parent_id"] = 77 }), "parent 77 does not exist"},
		{"top not a root", edit(func(m map[string]any) { rec(m, "org_units", "1004")["top_id"] = 1002 }), "top 1002 is not a root"},
		{"cycle", edit(func(m map[string]any) {
			rec(m, "org_units", "1002")["parent_id"] = 1004
		}), "cycle"},
		{"access token of nobody", edit(func(m map[string]any) {
			section(m, "access_tokens")["k"] = map[string]any{"user_id": 1}
		}), "access token"},
		{"refresh token of nobody", edit(func(m map[string]any) {
			section(m, "refresh_tokens")["k"] = map[string]any{"user_id": 1}
		}), "refresh token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.Restore(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err %v, want %q", err, tc.msg)
			}
			if now, _ := f.Snapshot(); !bytes.Equal(now, good) {
				t.Error("a refused Restore changed the state")
			}
		})
	}

	// A snapshot without a section (an older version of the fake) restores
	// with that section empty, and NextID moves past every id in use.
	old := edit(func(m map[string]any) { delete(m, "access_tokens"); m["next_id"] = 1 })
	if err := f.Restore(old); err != nil {
		t.Fatal(err)
	}
	if f.st.AccessTokens == nil || f.st.NextID != OtherAccountAdminUserID+1 {
		t.Errorf("access tokens %v, next id %d", f.st.AccessTokens, f.st.NextID)
	}
}

func TestServerClose(t *testing.T) {
	before := runtime.NumGoroutine()
	s := Start(WithLoginRateLimit(0))
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || s.URL != s.AuthURL+"/v3" {
		t.Errorf("URL %q AuthURL %q", s.URL, s.AuthURL)
	}
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	for range 3 {
		res, err := client.Get(s.URL + "/nope")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	// An idle keep-alive connection and a half-open one are both closed.
	s.Close()
	s.Close()
	if _, err := client.Get(s.URL + "/nope"); err == nil {
		t.Error("the server still answers after Close")
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

func TestConcurrentMixedUse(t *testing.T) {
	s := NewServer(t, WithLoginRateLimit(0))
	done := make(chan struct{})
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			tok := token(t, s, AdminEmail)
			for j := range 10 {
				id := mkUser(t, s, tok, body(fmt.Sprintf("c%d-%d@acme.example", i, j), nil))
				send(t, "PATCH", fmt.Sprintf("%s/users/%d", s.URL, id), tok, `{"first_name":"Changed"}`).want(t, 200)
				send(t, "GET", s.URL+"/users/list?limit=3", tok, nil).want(t, 200)
				_ = s.Requests()
				if _, err := s.Snapshot(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	if _, total := listIDs(t, s, token(t, s, AdminEmail), "name=changed"); total != 80 {
		t.Errorf("total %d, want 80", total)
	}
}

func TestAccessCheck(t *testing.T) {
	for _, tc := range []struct {
		a      access
		role   int
		status int
	}{
		{anyRole, roleReadOnly, 0},
		{adminOrStandard, roleAdmin, 0},
		{adminOrStandard, roleStandard, 0},
		{adminOrStandard, roleReadOnly, 403},
		{adminOnly, roleAdmin, 0},
		{adminOnly, roleStandard, 403},
	} {
		err := tc.a.check(tc.role)
		if (err == nil) != (tc.status == 0) || (err != nil && err.status != tc.status) {
			t.Errorf("access %d, role %d: %+v", tc.a, tc.role, err)
		}
	}
}

// FuzzServeHTTP sends arbitrary requests with an Admin token: whatever the
// input, the fake must answer with a well-formed envelope and never panic.
func FuzzServeHTTP(f *testing.F) {
	ff := newFuzzFake(f)
	for _, seed := range []struct {
		method      uint8
		path, query string
		body        string
	}{
		{0, "/v3/users/list", "limit=5&sort_by=name", ""},
		{1, "/v3/users", "", `{"username":"f@acme.example","first_name":"F","last_name":"L","ct_user_ou_id":1002,"role":"Admin","aliases":"a"}`},
		{2, "/v3/users/10002", "", `{"username":"g@acme.example","first_name":"F","last_name":"L","ct_user_ou_id":1004,"role_id":2}`},
		{3, "/v3/users/10003", "", `{"aliases":null,"agent_code":null,"score_call":true}`},
		{4, "/v3/users/10005", "", ""},
		{1, "/oauth/refresh-token", "", `{"refresh_token":"x"}`},
		{1, "/oauth/revoke-token", "", `{"token":"x","token_type":"refresh"}`},
		{0, "/v3/auth/profile", "", ""},
		{1, "/v3/users", "", `{"ct_user_ou_id":1e999,"role_id":-1,"aliases":[1,"x"]}`},
	} {
		f.Add(seed.method, seed.path, seed.query, []byte(seed.body))
	}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	f.Fuzz(func(t *testing.T, m uint8, path, query string, body []byte) {
		req := fuzzRequest(methods, m, path, query, body, ff.token)
		rec := httptest.NewRecorder()
		ff.ServeHTTP(rec, req)
		checkReply(t, req, rec)
	})
}
