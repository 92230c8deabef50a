package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

// banner is what the server prints at start.
type banner = Banner

// readBanner reads the start lines from r, then keeps draining r in the
// background so the server never blocks on its output.
func readBanner(t *testing.T, r io.Reader) banner {
	t.Helper()
	b, err := ReadBanner(r)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	return b
}

// server is a fake served by Run in this process.
type server struct {
	banner
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := Run(ctx, "convirza-mock", append([]string{"-addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		_ = pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	s.banner = readBanner(t, pr)
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

// stop cancels the server as a signal would and returns Run's error.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func (s *server) client(t *testing.T) *convirza.Client {
	t.Helper()
	c, err := convirza.NewClient(convirza.WithBaseURL(s.API), convirza.WithAuthBaseURL(s.Auth),
		convirza.WithCredentials(s.Email, s.Password))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newUser(email string) *convirza.CreateUserParams {
	return &convirza.CreateUserParams{Email: email, FirstName: "Ada", LastName: "Byron",
		OrgUnitID: convirzatest.SalesOrgUnitID, Role: convirza.RoleStandard}
}

// TestRunSeedStateAndShutdown seeds a server, creates a user, stops the
// server while a create is in flight (held by a latency fault), and checks
// that the create got its answer, that the state file holds both users, and
// that a new server started on the state file serves them.
func TestRunSeedStateAndShutdown(t *testing.T) {
	ctx := context.Background()
	seed := writeFile(t, "seed.json", `{"org_units":[{"id":3001,"name":"Initech"}],
		"users":[{"id":4001,"email":"bill@initech.example","password":"TPS-1","first_name":"Bill",
		"last_name":"Lumbergh","org_unit_id":3001,"role_id":1}]}`)
	state := filepath.Join(t.TempDir(), "state.json")
	s := start(t, "-seed", seed, "-state", state)
	if s.Email != convirzatest.AdminEmail || s.Password != convirzatest.SeedPassword ||
		!strings.HasSuffix(s.API, "/v3") || s.Auth+"/v3" != s.API || s.Faults != s.Auth+convirzatest.FaultsPath {
		t.Fatalf("banner %+v", s.banner)
	}
	c := s.client(t)
	first, err := c.Users.Create(ctx, newUser("first@acme.example"))
	if err != nil {
		t.Fatal(err)
	}
	bill, err := convirza.NewClient(convirza.WithBaseURL(s.API), convirza.WithAuthBaseURL(s.Auth),
		convirza.WithCredentials("bill@initech.example", "TPS-1"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := bill.Auth.Profile(ctx); err != nil || p.OrgUnitID != 3001 {
		t.Fatalf("seeded user: %+v %v", p, err)
	}

	// Hold the next create in flight, then stop the server.
	post(t, s.Faults, `{"method":"POST","path":"/v3/users","times":1,"latency":"1h"}`)
	type result struct {
		created *convirza.Created
		err     error
	}
	inFlight := make(chan result, 1)
	go func() {
		created, err := c.Users.Create(ctx, newUser("in-flight@acme.example"))
		inFlight <- result{created, err}
	}()
	for len(listFaults(t, s.Faults)) > 0 { // the fault is used up once the request holds it
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	got := <-inFlight
	if got.err != nil || got.created.ID <= first.ID {
		t.Fatalf("the request in flight: %+v, %v", got.created, got.err)
	}

	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		Users map[string]struct {
			Email string `json:"email"`
		} `json:"users"`
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	emails := map[string]bool{}
	for _, u := range saved.Users {
		emails[u.Email] = true
	}
	for _, e := range []string{"first@acme.example", "in-flight@acme.example", "bill@initech.example", convirzatest.AdminEmail} {
		if !emails[e] {
			t.Errorf("state file lacks %s", e)
		}
	}

	// A new server on the same state file serves the same data.
	s2 := start(t, "-state", state)
	c2 := s2.client(t)
	u, err := c2.Users.Get(ctx, got.created.ID)
	if err != nil || u.Email != "in-flight@acme.example" {
		t.Fatalf("after restart: %+v %v", u, err)
	}
	next, err := c2.Users.Create(ctx, newUser("next@acme.example"))
	if err != nil || next.ID <= got.created.ID {
		t.Fatalf("ids after restart: %+v %v", next, err)
	}
	if err := s2.stop(t); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(state)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func post(t *testing.T, url, body string) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("POST %s: %d %s", url, res.StatusCode, b)
	}
}

func listFaults(t *testing.T, url string) []convirzatest.Fault {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var faults []convirzatest.Fault
	if err := json.NewDecoder(res.Body).Decode(&faults); err != nil {
		t.Fatal(err)
	}
	return faults
}

func TestRunFaultsFileAndLoginLimit(t *testing.T) {
	faults := writeFile(t, "faults.json", `[
		{"method":"GET","path":"/v3/users/*","times":1,"status":503,"retry_after":"0"},
		{"path":"/v3/auth/profile","latency":"5ms"}]`)
	s := start(t, "-faults", faults, "-login-limit", "0")
	if got := listFaults(t, s.Faults); len(got) != 2 || got[0].Status != 503 || got[1].Latency != 5*time.Millisecond {
		t.Fatalf("faults %+v", got)
	}
	c, err := convirza.NewClient(convirza.WithBaseURL(s.API), convirza.WithAuthBaseURL(s.Auth),
		convirza.WithCredentials(s.Email, s.Password), convirza.WithRetryBackoff(0, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.Get(context.Background(), convirzatest.StandardUserID); err != nil {
		t.Fatalf("a 503 is retried: %v", err)
	}
	// -login-limit 0: many logins in a minute are fine.
	for range 12 {
		if _, err := c.Auth.Login(context.Background(), s.Email, s.Password); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	bad := writeFile(t, "bad.json", `{"users":[{"id":1}]}`)
	badState := writeFile(t, "state.json", `{"version":99}`)
	badFaults := writeFile(t, "faults.json", `[{"status":200}]`)
	notArray := writeFile(t, "faults2.json", `{"status":500}`)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for name, args := range map[string][]string{
		"unknown flag":         {"-port", "1"},
		"extra argument":       {"now"},
		"missing seed":         {"-seed", filepath.Join(t.TempDir(), "none.json")},
		"bad seed":             {"-seed", bad},
		"bad state":            {"-state", badState},
		"state is a directory": {"-state", t.TempDir()},
		"bad fault":            {"-faults", badFaults},
		"faults not an array":  {"-faults", notArray},
		"missing faults":       {"-faults", filepath.Join(t.TempDir(), "none.json")},
		"negative login limit": {"-login-limit", "-1"},
		"address in use":       {"-addr", busy.Addr().String()},
		"bad address":          {"-addr", "nowhere:-1"},
	} {
		var out strings.Builder
		err := Run(context.Background(), "convirza-mock", args, &out, io.Discard)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if out.Len() > 0 {
			t.Errorf("%s: printed %q", name, out.String())
		}
	}
	if data, _ := os.ReadFile(badState); string(data) != `{"version":99}` {
		t.Error("a state file that failed to load was overwritten")
	}
	var usage strings.Builder
	err = Run(context.Background(), "convirza-mock", []string{"-h"}, io.Discard, &usage)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(usage.String(), "-seed file") {
		t.Errorf("-h: %v %q", err, usage.String())
	}
	if err := Run(context.Background(), "convirza-mock", []string{"-x"}, io.Discard, io.Discard); !errors.Is(err, ErrUsage) {
		t.Errorf("bad flag: %v", err)
	}
}

// TestShutdownTimeout stops a server whose request in flight outlasts
// -shutdown-timeout: the request is cut, Run says so, and the state is
// still saved.
func TestShutdownTimeout(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	s := start(t, "-state", state, "-shutdown-timeout", "50ms")
	// A request whose body never ends holds the server past the timeout. A
	// fault with no visible effect on it tells when the handler has it.
	post(t, s.Faults, `{"method":"POST","path":"/v3/users","times":1,"expire_token":true}`)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.Auth, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /v3/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: 1000\r\n\r\n{\"username\":"); err != nil {
		t.Fatal(err)
	}
	for len(listFaults(t, s.Faults)) > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	err = s.stop(t)
	if err == nil || !strings.Contains(err.Error(), "cut") {
		t.Errorf("err %v", err)
	}
	if _, serr := os.Stat(state); serr != nil {
		t.Error(serr)
	}
}

func TestDialable(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:8089":    "127.0.0.1:8089",
		"[::]:8089":       "127.0.0.1:8089",
		"127.0.0.1:8089":  "127.0.0.1:8089",
		"192.0.2.10:8089": "192.0.2.10:8089",
	} {
		a, err := net.ResolveTCPAddr("tcp", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := dialable(a); got != want {
			t.Errorf("%s: %s", in, got)
		}
	}
}

// TestRunDeliversWebhooks records a call through the control API over HTTP:
// the webhook on a loopback URL gets it before POST /_mock/calls answers,
// the one on an outside URL is recorded as refused. With -deliver-external
// the banner says deliveries go anywhere; attempting one would leave the
// machine, so only the flag is checked.
func TestRunDeliversWebhooks(t *testing.T) {
	var got atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	s := start(t)
	if !strings.Contains(s.Webhooks, "loopback URLs only") {
		t.Errorf("banner Webhooks line %q", s.Webhooks)
	}
	c := s.client(t)
	ctx := context.Background()
	for _, u := range []string{hook.URL + "/hook", "https://crm.example.com/hook"} {
		if _, err := c.Webhooks.Create(ctx, &convirza.CreateWebhookParams{Name: u, URL: u, OrgUnitID: convirzatest.SalesOrgUnitID}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := http.Post(s.Auth+"/_mock/calls", "application/json", strings.NewReader(`{"phone_number":"2125550141"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || got.Load() != 1 {
		t.Fatalf("POST /_mock/calls: %d; the receiver got %d deliveries", res.StatusCode, got.Load())
	}
	res, err = http.Get(s.Auth + "/_mock/deliveries")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var log []struct {
		Status  int  `json:"status"`
		Refused bool `json:"refused"`
	}
	if err := json.NewDecoder(res.Body).Decode(&log); err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Status != 204 || log[0].Refused || !log[1].Refused || log[1].Status != 0 {
		t.Fatalf("deliveries %+v", log)
	}

	if ext := start(t, "-deliver-external"); !strings.Contains(ext.Webhooks, "any URL") {
		t.Errorf("banner Webhooks line with -deliver-external %q", ext.Webhooks)
	}
}

// TestUsage checks the help both commands show, under each name, and which
// errors are usage errors: the commands exit 2 for those and 1 for others.
func TestUsage(t *testing.T) {
	for _, name := range []string{"convirza-mock", "convirza mock"} {
		t.Run(name, func(t *testing.T) {
			for _, help := range []string{"-h", "--help"} {
				var stdout, stderr strings.Builder
				err := Run(context.Background(), name, []string{help}, &stdout, &stderr)
				if !errors.Is(err, flag.ErrHelp) {
					t.Errorf("%s: %v, want flag.ErrHelp", help, err)
				}
				for _, want := range []string{
					"Usage: " + name + " [flags]",
					"-shutdown-timeout",
					"Examples:",
					name + " -addr 127.0.0.1:9000 -seed seed.json -state state.json",
					name + " -addr 127.0.0.1:0",
				} {
					if !strings.Contains(stderr.String(), want) {
						t.Errorf("%s: help lacks %q:\n%s", help, want, stderr.String())
					}
				}
				if stdout.Len() > 0 {
					t.Errorf("%s: printed %q on stdout", help, stdout.String())
				}
			}

			var stderr strings.Builder
			err := Run(context.Background(), name, []string{"--port", "1"}, io.Discard, &stderr)
			if !errors.Is(err, ErrUsage) {
				t.Errorf("unknown flag: %v, want ErrUsage", err)
			}
			if !strings.Contains(stderr.String(), "flag provided but not defined: -port") ||
				!strings.Contains(stderr.String(), "Usage: "+name+" [flags]") {
				t.Errorf("unknown flag: stderr %q", stderr.String())
			}

			stderr.Reset()
			err = Run(context.Background(), name, []string{"now"}, io.Discard, &stderr)
			if !errors.Is(err, ErrUsage) || !strings.HasPrefix(stderr.String(), name+`: unexpected argument "now"`) {
				t.Errorf("extra argument: %v; stderr %q", err, stderr.String())
			}

			err = Run(context.Background(), name, []string{"-seed", filepath.Join(t.TempDir(), "none.json")}, io.Discard, io.Discard)
			if err == nil || errors.Is(err, ErrUsage) {
				t.Errorf("missing seed file: %v, want an error that is not ErrUsage", err)
			}
		})
	}
}
