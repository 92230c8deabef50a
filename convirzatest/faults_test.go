package convirzatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawClient makes one connection per request, so that a dropped connection
// is seen as it is: net/http retries some requests by itself when a
// kept-alive connection fails.
var rawClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// try sends a request with rawClient and returns the reply, or the error of
// a request that got no complete reply.
func try(method, url, token, body string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	contentType := ""
	if body != "" {
		contentType = "application/json"
	}
	return do(rawClient, req, token, contentType)
}

func mustInject(t *testing.T, f *Fake, ft Fault) {
	t.Helper()
	if err := f.InjectFault(ft); err != nil {
		t.Fatal(err)
	}
}

// usersWithEmail counts the users with the email, read from a snapshot.
func usersWithEmail(t *testing.T, f *Fake, email string) int {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, u := range f.st.Users {
		if u.Email == email {
			n++
		}
	}
	return n
}

func TestFaultStatusForNextRequests(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	mustInject(t, s.Fake, Fault{Method: "post", Path: "/v3/users", Times: 2, Status: 503, RetryAfter: "7"})

	b := `{"username":"n@acme.example","first_name":"N","last_name":"M","ct_user_ou_id":1002,"role":"Standard"}`
	for i := range 2 {
		r, err := try("POST", s.URL+"/users", tok, b)
		if err != nil {
			t.Fatal(err)
		}
		r.want(t, 503)
		checkEnvelope(t, r)
		if r.header.Get("Retry-After") != "7" || r.env.Message != "injected fault: 503 Service Unavailable" {
			t.Errorf("attempt %d: Retry-After %q, message %q", i, r.header.Get("Retry-After"), r.env.Message)
		}
		if n := usersWithEmail(t, s.Fake, "n@acme.example"); n != 0 {
			t.Fatalf("a refused request created %d users", n)
		}
	}
	if got := s.Faults(); len(got) != 0 {
		t.Errorf("faults left after their times: %+v", got)
	}
	r, _ := try("POST", s.URL+"/users", tok, b)
	r.want(t, http.StatusCreated)
	if n := s.RequestCount("POST", "/v3/users"); n != 3 {
		t.Errorf("RequestCount %d, want 3", n)
	}
	if n := usersWithEmail(t, s.Fake, "n@acme.example"); n != 1 {
		t.Errorf("%d users", n)
	}
	logged := s.Requests()
	if last := logged[len(logged)-2]; !bytes.Contains(last.Body, []byte("n@acme.example")) {
		t.Errorf("a refused request's body is logged: %q", last.Body)
	}
}

func TestFaultMatching(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	mustInject(t, s.Fake, Fault{Method: "GET", Path: "/v3/users/*", Status: 500})                   // until cleared
	mustInject(t, s.Fake, Fault{Path: "/v3/users/10002", Times: 1, Status: 502})                    // shadowed by the first for GET
	mustInject(t, s.Fake, Fault{Method: "DELETE", Path: "/v3/users/[0-9]*", Times: 1, Status: 409}) // a class

	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/users/10002", 500},
		{"GET", "/users/list", 500},
		{"GET", "/auth/profile", 200},
		{"PATCH", "/users/10002", 502},
		{"PATCH", "/users/10002", 200},
		{"DELETE", "/users/10003", 409},
		{"GET", "/users/10003", 500},
	} {
		body := ""
		if tc.method == "PATCH" {
			body = `{"first_name":"X"}`
		}
		r, err := try(tc.method, s.URL+tc.path, tok, body)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != tc.status {
			t.Errorf("%s %s: %d, want %d (%s)", tc.method, tc.path, r.status, tc.status, r.body)
		}
	}
	got := s.Faults()
	if len(got) != 1 || got[0].Path != "/v3/users/*" || got[0].Times != 0 {
		t.Errorf("left: %+v", got)
	}
	s.ClearFaults()
	if r, _ := try("GET", s.URL+"/users/10002", tok, ""); r.status != 200 {
		t.Errorf("after ClearFaults: %d", r.status)
	}
}

func TestFaultLatency(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	mustInject(t, s.Fake, Fault{Path: "/v3/auth/profile", Times: 1, Latency: 150 * time.Millisecond})
	start := time.Now()
	r, err := try("GET", s.URL+"/auth/profile", tok, "")
	if err != nil {
		t.Fatal(err)
	}
	r.want(t, 200)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v", d)
	}

	// The request is applied before the wait: a client that gives up has
	// still created the user.
	mustInject(t, s.Fake, Fault{Method: "POST", Path: "/v3/users", Times: 1, Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/users",
		strings.NewReader(`{"username":"slow@acme.example","first_name":"S","last_name":"L","ct_user_ou_id":1002,"role":"Standard"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	if _, err := rawClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if n := usersWithEmail(t, s.Fake, "slow@acme.example"); n != 1 {
		t.Errorf("%d users", n)
	}

	// ClearFaults ends the waits under way.
	mustInject(t, s.Fake, Fault{Path: "/v3/auth/profile", Latency: time.Hour})
	done := make(chan int)
	go func() {
		r, _ := try("GET", s.URL+"/auth/profile", tok, "")
		done <- r.status
	}()
	for s.RequestCount("GET", "/v3/auth/profile") < 2 {
		time.Sleep(time.Millisecond)
	}
	s.ClearFaults()
	select {
	case status := <-done:
		if status != 200 {
			t.Errorf("status %d", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ClearFaults did not end the wait")
	}
}

func TestFaultDrop(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	create := func(email string) error {
		r, err := try("POST", s.URL+"/users", tok,
			`{"username":"`+email+`","first_name":"D","last_name":"R","ct_user_ou_id":1002,"role":"Standard"}`)
		if err == nil {
			return fmt.Errorf("a reply came: %d %s", r.status, r.body)
		}
		return nil
	}

	mustInject(t, s.Fake, Fault{Method: "POST", Path: "/v3/users", Times: 1, Drop: DropBeforeRead})
	if err := create("before@acme.example"); err != nil {
		t.Fatal(err)
	}
	if n := usersWithEmail(t, s.Fake, "before@acme.example"); n != 0 {
		t.Errorf("dropped before read: %d users", n)
	}
	if reqs := s.Requests(); reqs[len(reqs)-1].Body != nil || s.RequestCount("POST", "/v3/users") != 1 {
		t.Errorf("the dropped request is logged without a body: %+v", reqs[len(reqs)-1])
	}

	mustInject(t, s.Fake, Fault{Method: "POST", Path: "/v3/users", Times: 1, Drop: DropAfterRead})
	if err := create("after@acme.example"); err != nil {
		t.Fatal(err)
	}
	if n := usersWithEmail(t, s.Fake, "after@acme.example"); n != 1 {
		t.Errorf("dropped after read: %d users, want 1", n)
	}
	if n := s.RequestCount("POST", "/v3/users"); n != 2 {
		t.Errorf("RequestCount %d", n)
	}

	// A Fake without a connection to take over aborts the handler.
	f := NewFake()
	mustInject(t, f, Fault{Drop: DropAfterRead})
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v", p)
		}
	}()
	f.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v3/auth/profile", nil))
}

func TestFaultBodies(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)

	mustInject(t, s.Fake, Fault{Method: "PATCH", Times: 1, Body: TruncatedBody})
	r, err := try("PATCH", s.URL+"/users/10002", tok, `{"first_name":"Cut"}`)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: err %v, body %q", err, r.body)
	}
	if r.status != 200 || len(r.body) == 0 || json.Valid(r.body) {
		t.Errorf("truncated: %d %q", r.status, r.body)
	}
	s.mu.Lock()
	name := s.st.Users[StandardUserID].FirstName
	s.mu.Unlock()
	if name != "Cut" {
		t.Error("the request was not applied")
	}

	mustInject(t, s.Fake, Fault{Method: "GET", Times: 1, Body: NonJSONBody})
	r, err = try("GET", s.URL+"/users/10002", tok, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		!bytes.Contains(r.body, []byte("<h1>200 OK</h1>")) || r.header.Get("X-Request-Id") == "" {
		t.Errorf("non-JSON: %d %v %q", r.status, r.header, r.body)
	}

	mustInject(t, s.Fake, Fault{Times: 1, Status: 502, Body: NonJSONBody, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"})
	r, _ = try("GET", s.URL+"/users/10002", tok, "")
	if r.status != 502 || !bytes.Contains(r.body, []byte("502 Bad Gateway")) || r.header.Get("Retry-After") != "Wed, 21 Oct 2015 07:28:00 GMT" {
		t.Errorf("HTML 502: %d %v %q", r.status, r.header, r.body)
	}
}

func TestFaultExpireToken(t *testing.T) {
	s := NewServer(t)
	p := tokens(t, s, AdminEmail, SeedPassword)
	other := token(t, s, StandardEmail)
	mustInject(t, s.Fake, Fault{Path: "/v3/auth/profile", Times: 1, ExpireToken: true})

	r, _ := try("GET", s.URL+"/auth/profile", p.AccessToken, "")
	r.want(t, 401)
	if r.env.Message != "access token has expired" {
		t.Errorf("message %q", r.env.Message)
	}
	r, _ = try("GET", s.URL+"/auth/profile", p.AccessToken, "")
	r.want(t, 401) // it stays expired
	r, _ = try("GET", s.URL+"/auth/profile", other, "")
	r.want(t, 200) // other tokens are untouched
	fresh := send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": p.RefreshToken}).want(t, 200)
	var np tokenPair
	if err := json.Unmarshal(fresh.body, &np); err != nil {
		t.Fatal(err)
	}
	r, _ = try("GET", s.URL+"/auth/profile", np.AccessToken, "")
	r.want(t, 200)
}

func TestInvalidFaults(t *testing.T) {
	for name, ft := range map[string]Fault{
		"no effect":              {Path: "/v3/users"},
		"status 200":             {Status: 200},
		"status 600":             {Status: 600},
		"negative times":         {Times: -1, Status: 500},
		"negative latency":       {Latency: -time.Second},
		"relative path":          {Path: "v3/users", Status: 500},
		"bad pattern":            {Path: "/v3/[", Status: 500},
		"unknown drop":           {Drop: "sideways"},
		"unknown body":           {Body: "xml"},
		"drop and status":        {Drop: DropAfterRead, Status: 500},
		"drop and body":          {Drop: DropBeforeRead, Body: NonJSONBody},
		"header injection":       {Status: 429, RetryAfter: "1\r\nX-Evil: 1"},
		"method with a space":    {Method: "GET /", Status: 500},
		"drop and retry-after":   {Drop: DropAfterRead, RetryAfter: "1"},
		"status 399 with a body": {Status: 399, Body: TruncatedBody},
	} {
		f := NewFake()
		if err := f.InjectFault(ft); err == nil || !strings.HasPrefix(err.Error(), "convirzatest: fault: ") {
			t.Errorf("%s: err %v", name, err)
		}
		if len(f.Faults()) != 0 {
			t.Errorf("%s: added", name)
		}
	}
}

func TestFaultJSON(t *testing.T) {
	ft := Fault{Method: "POST", Path: "/v3/users", Times: 2, Status: 429, RetryAfter: "3", Latency: 1500 * time.Millisecond,
		Body: NonJSONBody, ExpireToken: true}
	b, err := json.Marshal(ft)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"method":"POST","path":"/v3/users","times":2,"status":429,"retry_after":"3","body":"non_json","expire_token":true,"latency":"1.5s"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back Fault
	if err := json.Unmarshal(b, &back); err != nil || back != ft {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"latency":250}`), &back); err != nil || back.Latency != 250*time.Millisecond {
		t.Errorf("milliseconds: %v %v", back.Latency, err)
	}
	for _, bad := range []string{`{"statuss":500}`, `{"latency":"soon"}`, `{"latency":-1}`, `{"latency":true}`, `[]`, `{"times":"1"}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestFaultsOverHTTP(t *testing.T) {
	s := NewServer(t)
	admin := s.AuthURL + FaultsPath
	r := send(t, "GET", admin, "", nil).want(t, 200)
	if string(bytes.TrimSpace(r.body)) != "[]" {
		t.Errorf("empty list: %s", r.body)
	}
	r = send(t, "POST", admin, "", `{"method":"get","path":"/v3/auth/profile","times":1,"status":503,"retry_after":"2","latency":"10ms"}`).want(t, 201)
	var echoed Fault
	if err := json.Unmarshal(r.body, &echoed); err != nil || echoed.Method != "GET" || echoed.Latency != 10*time.Millisecond {
		t.Errorf("echo %s: %v", r.body, err)
	}
	send(t, "POST", admin, "", `{"path":"/v3/users/list","status":500}`).want(t, 201)
	r = send(t, "GET", admin, "", nil).want(t, 200)
	var listed []Fault
	if err := json.Unmarshal(r.body, &listed); err != nil || len(listed) != 2 || listed[0] != echoed {
		t.Errorf("list %s: %v", r.body, err)
	}

	tok := token(t, s, AdminEmail)
	send(t, "GET", s.URL+"/auth/profile", tok, nil).want(t, 503)
	send(t, "GET", s.URL+"/auth/profile", tok, nil).want(t, 200)

	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", FaultsPath, `{"status":200}`, 400},
		{"POST", FaultsPath, `{"status":500,"extra":1}`, 400},
		{"POST", FaultsPath, `not json`, 400},
		{"POST", FaultsPath, `[{"status":500}]`, 400},
		{"POST", FaultsPath, `{"path":"` + strings.Repeat("a", maxFaultBody) + `"}`, 413},
		{"PUT", FaultsPath, `{}`, 405},
		{"GET", "/_mock/nothing", ``, 404},
	} {
		r := send(t, tc.method, s.AuthURL+tc.path, "", tc.body).want(t, tc.status)
		checkEnvelope(t, r)
	}
	send(t, "DELETE", admin, "", nil).want(t, 204)
	if len(s.Faults()) != 0 {
		t.Error("DELETE left faults")
	}
	send(t, "GET", s.URL+"/users/list", tok, nil).want(t, 200)

	// Admin paths are neither faulted nor logged.
	mustInject(t, s.Fake, Fault{Status: 500})
	send(t, "GET", admin, "", nil).want(t, 200)
	for _, req := range s.Requests() {
		if strings.HasPrefix(req.Path, "/_mock/") {
			t.Errorf("logged: %s %s", req.Method, req.Path)
		}
	}
}

// TestCloseEndsFaultWaits closes a server while requests wait on an hour of
// latency, before and after reading their bodies: Close returns at once.
func TestCloseEndsFaultWaits(t *testing.T) {
	s := Start()
	tok := token(t, s, AdminEmail)
	mustInject(t, s.Fake, Fault{Method: "GET", Latency: time.Hour})
	mustInject(t, s.Fake, Fault{Method: "POST", Latency: time.Hour, Drop: DropBeforeRead})
	errs := make(chan error, 2)
	go func() { _, err := try("GET", s.URL+"/auth/profile", tok, ""); errs <- err }()
	go func() { _, err := try("POST", s.URL+"/users", tok, `{}`); errs <- err }()
	for s.RequestCount("GET", "/v3/auth/profile")+s.RequestCount("POST", "/v3/users") < 2 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the latency")
	}
	<-errs
	<-errs
}
