package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
)

// TestShutdownUnderLoadAnswersEveryRequestItRead stops the server (as
// SIGINT or SIGTERM do: Run's context ends) while clients keep creating
// users over kept-alive connections, in many rounds. In every round, each
// user the state file holds got its 201 at the client: no request was read
// and applied without its whole reply. Meanwhile new connections are dialled
// and used: once one is refused, all later ones are, and one that was
// accepted gets a whole reply.
func TestShutdownUnderLoadAnswersEveryRequestItRead(t *testing.T) {
	const rounds, clients = 12, 6
	for round := range rounds {
		shutdownRound(t, round, clients)
		if t.Failed() {
			t.Fatalf("round %d failed", round)
		}
	}
}

// outcome is what a client saw of one create.
type outcome struct {
	email  string
	status int // 0: no complete reply
	err    error
}

func shutdownRound(t *testing.T, round, clients int) {
	state := filepath.Join(t.TempDir(), "state.json")
	s := start(t, "-state", state, "-login-limit", "0", "-shutdown-timeout", "15s")
	tok := login(t, s)

	var (
		mu       sync.Mutex
		outcomes []outcome
		wg       sync.WaitGroup
		started  = make(chan struct{}, clients*1000)
	)
	for c := range clients {
		wg.Go(func() {
			tr := &http.Transport{MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
			for i := range 1000 { // bounded; the loop ends when the server is gone
				o := create(hc, s.API, tok, fmt.Sprintf("r%d-c%d-%d@acme.example", round, c, i))
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				started <- struct{}{}
				if o.status == 0 {
					return
				}
			}
		})
	}
	for range 20 + round*5 { // stop at a different point each round
		<-started
	}

	dials := make(chan error, 1)
	go func() { dials <- dialUntilRefused(s, tok) }()
	if err := s.stop(t); err != nil {
		t.Errorf("Run: %v", err)
	}
	wg.Wait()
	if err := <-dials; err != nil {
		t.Error(err)
	}

	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		Users map[string]struct{ Email string } `json:"users"`
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	inState := map[string]bool{}
	for _, u := range saved.Users {
		inState[u.Email] = true
	}
	answered := 0
	for _, o := range outcomes {
		switch {
		case o.status == http.StatusCreated:
			answered++
			if !inState[o.email] {
				t.Errorf("%s: 201, but not in the state file", o.email)
			}
		case o.status != 0:
			t.Errorf("%s: status %d", o.email, o.status)
		case inState[o.email]:
			t.Errorf("%s: created, but the client got no whole reply: %v", o.email, o.err)
		}
	}
	if answered < 20 {
		t.Errorf("only %d creates answered before the stop", answered)
	}
}

// login returns an access token for the seeded Admin.
func login(t *testing.T, s *server) string {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, s.Email, s.Password)
	resp, err := http.Post(s.Auth+"/oauth/token", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || p.AccessToken == "" {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	return p.AccessToken
}

// create posts one user and reads the whole reply.
func create(hc *http.Client, api, tok, email string) outcome {
	body := fmt.Sprintf(`{"username":%q,"first_name":"Ada","last_name":"Byron","ct_user_ou_id":%d,"role":"Standard"}`,
		email, convirzatest.SalesOrgUnitID)
	req, _ := http.NewRequest("POST", api+"/users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return outcome{email: email, err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || !json.Valid(b) {
		return outcome{email: email, err: fmt.Errorf("reply body %q: %v", b, err)}
	}
	return outcome{email: email, status: resp.StatusCode}
}

// dialUntilRefused opens new connections while the server shuts down, each
// with one request, until one is refused (or 10 s pass). An accepted
// connection must be answered in full.
func dialUntilRefused(s *server, tok string) error {
	addr := strings.TrimPrefix(s.Auth, "http://")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil
		}
		if errors.Is(err, syscall.ECONNRESET) {
			// Queued by the kernel before the listener closed, never
			// accepted: reset, with nothing read.
			continue
		}
		if err != nil {
			return fmt.Errorf("dial during shutdown: %v, want a connection or ECONNREFUSED", err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = fmt.Fprintf(conn, "GET /v3/auth/profile HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", addr, tok)
		reply, rerr := io.ReadAll(conn)
		_ = conn.Close()
		switch {
		case err == nil && rerr == nil && bytes.HasPrefix(reply, []byte("HTTP/1.1 200 ")) && bytes.Contains(reply, []byte(`"code":200`)):
		case len(reply) == 0:
			// Accepted by the kernel but closed unread as the listener
			// closed: the request was never read, and nothing was applied.
		default:
			return fmt.Errorf("a connection opened during shutdown got %q (%v, %v)", reply, err, rerr)
		}
	}
	return errors.New("new connections were still accepted 10 s after the stop")
}

// TestStartRemovesStaleTempFiles leaves the temporary file of a save that a
// kill interrupted next to the state file: the next start removes it, and
// the shutdown's own save leaves none.
func TestStartRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	stale := filepath.Join(dir, "state.json.123456.tmp")
	other := filepath.Join(dir, "other.json.1.tmp")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte(`{"half`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := start(t, "-state", state)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file still there: %v", err)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "state.json.*.tmp"))
	if _, err := os.Stat(other); err != nil || len(left) != 0 {
		t.Errorf("temporary files %v; another file's: %v", left, err)
	}
}

// TestResetOverHTTPGoesBackToTheFiles starts from a seed file and a faults
// file: POST /_mock/reset brings back both, and drops what was created.
func TestResetOverHTTPGoesBackToTheFiles(t *testing.T) {
	seed := writeFile(t, "seed.json", `{"org_units":[{"id":3001,"name":"Initech"}]}`)
	faults := writeFile(t, "faults.json", `[{"method":"GET","path":"/v3/tags","status":503}]`)
	s := start(t, "-seed", seed, "-faults", faults)
	tok := login(t, s)
	hc := &http.Client{Timeout: 10 * time.Second}
	if o := create(hc, s.API, tok, "temp@acme.example"); o.status != http.StatusCreated {
		t.Fatalf("create: %+v", o)
	}
	del, _ := http.NewRequest("DELETE", s.Faults, nil)
	if resp, err := hc.Do(del); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE faults: %v", err)
	}
	resp, err := hc.Post(s.Auth+"/_mock/reset", "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("reset: %v %v", resp, err)
	}
	resp, err = hc.Get(s.Auth + "/_mock/state")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !bytes.Contains(snap, []byte("Initech")) || bytes.Contains(snap, []byte("temp@acme.example")) {
		t.Errorf("state after reset does not match the seed file")
	}
	resp, err = hc.Get(s.Faults)
	if err != nil {
		t.Fatal(err)
	}
	listed, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !bytes.Contains(listed, []byte(`"status":503`)) {
		t.Errorf("faults after reset %s, want the faults file's", listed)
	}
}
