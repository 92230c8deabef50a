package convirza

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fileStoreSecret = "file-store-secret-token"

// fullToken returns a pair with every field set, so that a field the store
// drops shows up as a difference.
func fullToken() *Token {
	at := time.Date(2026, 4, 10, 12, 30, 15, 123456789, time.UTC)
	return &Token{
		AccessToken: fileStoreSecret + "-access", RefreshToken: fileStoreSecret + "-refresh",
		FrontendToken: "frontend", TokenType: "Bearer",
		Expiry: at.Add(time.Hour), RefreshExpiry: at.Add(180 * 24 * time.Hour), IssuedAt: at,
		User: TokenUser{UserID: 10001, Email: "ops@example.com", RoleID: 1, OrgUnitID: 1001},
	}
}

// requireNoZeroField fails when a field of v, nested structs included, is
// its zero value.
func requireNoZeroField(t *testing.T, v reflect.Value, name string) {
	t.Helper()
	if v.Kind() == reflect.Struct && v.Type() != reflect.TypeFor[time.Time]() {
		for i := range v.NumField() {
			requireNoZeroField(t, v.Field(i), name+"."+v.Type().Field(i).Name)
		}
		return
	}
	require.False(t, v.IsZero(), "%s is zero in the fixture", name)
}

func newFileStore(t *testing.T, path string) *FileTokenStore {
	t.Helper()
	s, err := NewFileTokenStore(path)
	require.NoError(t, err)
	return s
}

func skipOnWindows(t *testing.T, why string) {
	if runtime.GOOS == "windows" {
		t.Skip(why)
	}
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFileTokenStoreRoundTrip(t *testing.T) {
	want := fullToken()
	requireNoZeroField(t, reflect.ValueOf(*want), "Token")
	path := filepath.Join(t.TempDir(), "tokens.json")
	require.NoError(t, newFileStore(t, path).Save(context.Background(), want))

	got, err := newFileStore(t, path).Load(context.Background())
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, *want, *got)
	assert.True(t, got.IssuedAt.Equal(want.IssuedAt))
}

func TestFileTokenStoreMissingFileLoadsNil(t *testing.T) {
	for _, path := range []string{"tokens.json", filepath.Join("no", "such", "dir", "tokens.json")} {
		s := newFileStore(t, filepath.Join(t.TempDir(), path))
		tok, err := s.Load(context.Background())
		assert.NoError(t, err, path)
		assert.Nil(t, tok, path)
	}
}

func TestFileTokenStoreFileIsPrivate(t *testing.T) {
	skipOnWindows(t, "Windows has no permission bits")
	dir := filepath.Join(t.TempDir(), "state", "convirza")
	path := filepath.Join(dir, "tokens.json")
	s := newFileStore(t, path)
	require.NoError(t, s.Save(context.Background(), fullToken()))

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "token file")
	fi, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "created directory")

	// Saving over a file that was open makes it private again.
	require.NoError(t, os.Chmod(path, 0o644))
	require.NoError(t, s.Save(context.Background(), fullToken()))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "token file after a save over a 0644 one")

	unlock, err := s.LockTokens(context.Background())
	require.NoError(t, err)
	unlock()
	fi, err = os.Stat(path + ".lock")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "lock file")
}

func TestFileTokenStoreRefusesFileOthersCanRead(t *testing.T) {
	skipOnWindows(t, "Windows has no permission bits")
	path := filepath.Join(t.TempDir(), "tokens.json")
	data, err := json.Marshal(fullToken())
	require.NoError(t, err)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620} {
		require.NoError(t, os.WriteFile(path, data, 0o600))
		require.NoError(t, os.Chmod(path, mode))
		tok, err := newFileStore(t, path).Load(context.Background())
		require.Error(t, err, "mode %04o", mode)
		assert.Nil(t, tok)
		assert.Contains(t, err.Error(), path)
		assert.Contains(t, err.Error(), fmt.Sprintf("%04o", mode))
		assert.NotContains(t, err.Error(), fileStoreSecret)
	}
	require.NoError(t, os.Chmod(path, 0o400))
	tok, err := newFileStore(t, path).Load(context.Background())
	require.NoError(t, err, "a read-only private file is fine")
	assert.Equal(t, fullToken().RefreshToken, tok.RefreshToken)
}

func TestFileTokenStoreCorruptFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	s := newFileStore(t, path)
	for name, content := range map[string]string{
		"empty":      "",
		"cut short":  `{"access_token":"` + fileStoreSecret,
		"not json":   fileStoreSecret,
		"null":       "null",
		"wrong type": `{"access_token":["` + fileStoreSecret + `"]}`,
		"array":      `["` + fileStoreSecret + `"]`,
	} {
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		tok, err := s.Load(context.Background())
		require.Error(t, err, name)
		assert.Nil(t, tok, name)
		assert.Contains(t, err.Error(), path, name)
		assert.NotContains(t, err.Error(), fileStoreSecret, name)
		assert.NotContains(t, err.Error(), "file-store", name)
	}
}

func TestFileTokenStoreReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	// What a crash between CreateTemp and the rename leaves behind.
	stale := path + ".12345.tmp"
	require.NoError(t, os.WriteFile(stale, []byte(`{"access_token":"half`), 0o600))
	s := newFileStore(t, path)

	tok, err := s.Load(context.Background())
	require.NoError(t, err, "a stale temporary file is not the token file")
	assert.Nil(t, tok)

	first, second := fullToken(), fullToken()
	second.AccessToken, second.RefreshToken = "second-access", "second-refresh"
	require.NoError(t, s.Save(context.Background(), first))
	require.NoError(t, s.Save(context.Background(), second))
	assert.ElementsMatch(t, []string{"tokens.json", filepath.Base(stale)}, dirNames(t, dir),
		"no temporary file of the saves remains")
	got, err := s.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, *second, *got)

	// A save that fails at the rename (the target is now a directory)
	// leaves no temporary file either.
	other := filepath.Join(dir, "other.json")
	s2 := newFileStore(t, other)
	require.NoError(t, os.Mkdir(other, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(other, "keep"), nil, 0o600))
	require.Error(t, s2.Save(context.Background(), first))
	assert.ElementsMatch(t, []string{"tokens.json", filepath.Base(stale), "other.json"}, dirNames(t, dir))
	assert.Equal(t, []string{"keep"}, dirNames(t, other))
}

func TestFileTokenStoreRefusals(t *testing.T) {
	_, err := NewFileTokenStore("")
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewFileTokenStore(t.TempDir())
	assert.ErrorIs(t, err, ErrInvalidParams, "a directory")
	err = newFileStore(t, filepath.Join(t.TempDir(), "t.json")).Save(context.Background(), nil)
	assert.ErrorIs(t, err, ErrInvalidParams)

	rel := newFileStore(t, "tokens.json")
	assert.True(t, filepath.IsAbs(rel.Path()), "the path is made absolute")
}

func TestFileTokenStorePrintsNoToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	s := newFileStore(t, path)
	require.NoError(t, s.Save(context.Background(), fullToken()))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, s)
		assert.NotContains(t, out, fileStoreSecret, verb)
		assert.Equal(t, "convirza.FileTokenStore{"+path+"}", out, verb)
		out = fmt.Sprintf(verb, struct{ Store TokenStore }{s})
		assert.NotContains(t, out, fileStoreSecret, verb)
	}
}

// lockWithin tries to take the lock of s within d.
func lockWithin(s *FileTokenStore, d time.Duration) (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.LockTokens(ctx)
}

func TestFileTokenStoreLockExcludesAnotherStore(t *testing.T) {
	before := goroutines()
	path := filepath.Join(t.TempDir(), "tokens.json")
	first, second := newFileStore(t, path), newFileStore(t, path)

	unlock, err := first.LockTokens(context.Background())
	require.NoError(t, err)
	var mu sync.Mutex
	released := false
	got := make(chan error, 1)
	go func() {
		unlock2, err := second.LockTokens(context.Background())
		if err == nil {
			mu.Lock()
			if !released {
				err = errors.New("the second store took the lock while the first held it")
			}
			mu.Unlock()
			unlock2()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the second LockTokens returned while the lock was held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	mu.Lock()
	released = true
	unlock()
	mu.Unlock()
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the second LockTokens did not return after the unlock")
	}
	unlock() // a second unlock does nothing

	// The same store, from two goroutines, excludes itself too.
	unlock, err = first.LockTokens(context.Background())
	require.NoError(t, err)
	_, err = lockWithin(first, 50*time.Millisecond)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	unlock()
	assertNoNewGoroutines(t, before)
}

func TestFileTokenStoreLockHonoursContext(t *testing.T) {
	before := goroutines()
	path := filepath.Join(t.TempDir(), "tokens.json")
	holder, waiter := newFileStore(t, path), newFileStore(t, path)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := waiter.LockTokens(ctx)
	assert.ErrorIs(t, err, context.Canceled, "a cancelled context, the lock free")

	unlock, err := holder.LockTokens(context.Background())
	require.NoError(t, err)
	start := time.Now()
	_, err = lockWithin(waiter, 100*time.Millisecond)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	assert.Less(t, time.Since(start), 2*time.Second)

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = waiter.LockTokens(ctx)
	assert.ErrorIs(t, err, context.Canceled, "cancelled while waiting")

	// The abandoned waits hold nothing: once released, the lock is free.
	unlock()
	unlock2, err := lockWithin(waiter, time.Second)
	require.NoError(t, err)
	unlock2()
	assertNoNewGoroutines(t, before)
}

// The roles a child process of the test binary plays, set in
// fileStoreChildEnv: it holds the lock of a store, or is a client of a
// shared token file.
const (
	fileStoreChildEnv = "CONVIRZA_FILESTORE_CHILD"
	fileStorePathEnv  = "CONVIRZA_FILESTORE_PATH"
	fileStoreURLEnv   = "CONVIRZA_FILESTORE_URL"
	fileStoreUserEnv  = "CONVIRZA_FILESTORE_USER" // email and password, a newline between
)

// child is a child process of the test binary that runs one test in a
// role. It reads commands, one a line, from stdin and answers one line
// each on stdout.
type child struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr syncBuffer
}

// syncBuffer is a bytes.Buffer that exec's copying goroutine may write
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startChild(t *testing.T, test, role string, env ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")}
	c.cmd.Env = append(os.Environ(), append([]string{fileStoreChildEnv + "=" + role}, env...)...)
	c.cmd.Stderr = &c.stderr
	var err error
	c.in, err = c.cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := c.cmd.StdoutPipe()
	require.NoError(t, err)
	c.out = bufio.NewScanner(stdout)
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() {
		_ = c.in.Close() // the child ends at the end of its input
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("child %s: %v\n%s", role, err, c.stderr.String())
		}
	})
	return c
}

// send writes a command to the child.
func (c *child) send(t *testing.T, cmd string) {
	t.Helper()
	_, err := io.WriteString(c.in, cmd+"\n")
	require.NoError(t, err)
}

// answer reads the child's next line.
func (c *child) answer(t *testing.T) string {
	t.Helper()
	require.True(t, c.out.Scan(), "the child ended: %v\n%s", c.out.Err(), c.stderr.String())
	return c.out.Text()
}

// serveChild runs the child's loop: for each line of stdin, do answers one
// line on stdout.
func serveChild(do func(cmd string) string) {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println(do(in.Text()))
	}
}

func TestFileTokenStoreLockAcrossProcesses(t *testing.T) {
	if os.Getenv(fileStoreChildEnv) == "lock" {
		s, err := NewFileTokenStore(os.Getenv(fileStorePathEnv))
		if err != nil {
			panic(err)
		}
		var unlock func()
		serveChild(func(cmd string) string {
			if cmd == "lock" {
				if unlock, err = s.LockTokens(context.Background()); err != nil {
					return "error " + err.Error()
				}
				return "locked"
			}
			unlock()
			return "unlocked"
		})
		return
	}
	path := filepath.Join(t.TempDir(), "tokens.json")
	c := startChild(t, "TestFileTokenStoreLockAcrossProcesses", "lock", fileStorePathEnv+"="+path)
	s := newFileStore(t, path)
	for range 3 {
		c.send(t, "lock")
		require.Equal(t, "locked", c.answer(t))
		_, err := lockWithin(s, 150*time.Millisecond)
		require.ErrorIs(t, err, context.DeadlineExceeded, "the lock another process holds")

		c.send(t, "unlock")
		require.Equal(t, "unlocked", c.answer(t))
		unlock, err := lockWithin(s, 5*time.Second)
		require.NoError(t, err, "the lock another process released")
		// The child now waits for this process in its turn.
		c.send(t, "lock")
		time.Sleep(100 * time.Millisecond)
		unlock()
		require.Equal(t, "locked", c.answer(t))
		c.send(t, "unlock")
		require.Equal(t, "unlocked", c.answer(t))
	}
}

// oauthLog serves a fake and records, for each refresh, a hash of the
// refresh token sent and whether the fake accepted it. The fake's own
// request log redacts the token, so it cannot tell two refreshes apart;
// hashes keep the tokens themselves out of the test.
type oauthLog struct {
	fake    *convirzatest.Fake
	mu      sync.Mutex
	sent    map[[32]byte]int // refresh token hash: times sent
	refused int              // refresh answers other than 200
}

func (l *oauthLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != authRefreshPath {
		l.fake.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var b struct {
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.Unmarshal(body, &b)
	rec := httptest.NewRecorder()
	l.fake.ServeHTTP(rec, r)
	l.mu.Lock()
	l.sent[sha256.Sum256([]byte(b.RefreshToken))]++
	if rec.Code != http.StatusOK {
		l.refused++
	}
	l.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// reused returns how many refresh tokens were sent more than once.
func (l *oauthLog) reused() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, times := range l.sent {
		if times > 1 {
			n++
		}
	}
	return n
}

// startOAuthLog starts a fake behind an oauthLog on a loopback port.
func startOAuthLog(t *testing.T) (*oauthLog, *httptest.Server) {
	l := &oauthLog{fake: convirzatest.NewFake(), sent: map[[32]byte]int{}}
	ts := httptest.NewServer(l)
	t.Cleanup(ts.Close)
	return l, ts
}

// fileStoreClient is a client of the fake at base, logged in as user (email
// and password, a newline between), with its own FileTokenStore on path.
// With hideLock, the client sees the store as a plain TokenStore and never
// locks it.
func fileStoreClient(path, base, user string, hideLock bool) (*Client, error) {
	fileStore, err := NewFileTokenStore(path)
	if err != nil {
		return nil, err
	}
	var store TokenStore = fileStore
	if hideLock {
		store = struct{ TokenStore }{store}
	}
	email, password, _ := strings.Cut(user, "\n")
	return NewClient(WithBaseURL(base+"/v3"), WithAuthBaseURL(base),
		WithCredentials(email, password), WithTokenStore(store))
}

// twoFileClients returns two clients of the fake behind l, each with its
// own FileTokenStore on one file.
func twoFileClients(t *testing.T, l *oauthLog, base string, hideLock bool) []*Client {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	clients := make([]*Client, 2)
	for i := range clients {
		var err error
		clients[i], err = fileStoreClient(path, base, l.fake.AdminEmail+"\n"+l.fake.AdminPassword, hideLock)
		require.NoError(t, err)
	}
	return clients
}

// callRound has each client make callsPerRound calls, all the clients at
// once.
func callRound(clients ...*Client) error {
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	for i, c := range clients {
		wg.Go(func() { errs[i] = concurrentProfiles(c, callsPerRound) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// concurrentProfiles reads the profile from n goroutines at once.
func concurrentProfiles(c *Client, n int) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = c.Auth.Profile(context.Background())
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sharedFileRounds is how many times the access tokens expire in the
// shared-file tests, and callsPerRound how many calls each client makes
// after each expiry. The two clients call at once; one client makes one
// call at a time, since concurrent 401s on one client are a data race in
// credentialsSource (secrets reads spent while a renewal writes it; see
// TestHundredGoroutinesOneRefresh under -race).
const (
	sharedFileRounds = 40
	callsPerRound    = 1
)

// assertOneRefreshPerRound checks the fake's logs after the rounds: one
// login in all, one refresh per round, no refresh token sent twice.
func assertOneRefreshPerRound(t *testing.T, l *oauthLog) {
	t.Helper()
	logins := l.fake.RequestCount("POST", authLoginPath)
	refreshes := 0
	for _, r := range l.fake.Requests() {
		if r.Method == "POST" && r.Path == authRefreshPath {
			refreshes++
		}
	}
	reused := l.reused()
	t.Logf("%d rounds: %d logins, %d refreshes, %d refresh tokens sent more than once, %d refreshes refused",
		sharedFileRounds, logins, refreshes, reused, l.refused)
	assert.Equal(t, 1, logins, "logins")
	assert.Equal(t, sharedFileRounds, refreshes, "one refresh per expiry")
	assert.Zero(t, reused, "refresh tokens sent more than once")
	assert.Zero(t, l.refused, "refreshes the fake refused")
}

// TestFileTokenStoreSharedByTwoClients has two clients of one process, each
// with its own store and memory, renew on one token file: they behave as
// two processes, but the race detector watches them.
func TestFileTokenStoreSharedByTwoClients(t *testing.T) {
	l, ts := startOAuthLog(t)
	clients := twoFileClients(t, l, ts.URL, false)
	for round := range sharedFileRounds + 1 {
		if round > 0 { // round 0 logs in
			l.fake.ExpireAccessTokens()
		}
		assert.NoError(t, callRound(clients...), "round %d", round)
	}
	assertOneRefreshPerRound(t, l)
}

// TestSharedFileWithoutLockSpendsTokensTwice is the control of the tests
// above: the same two clients, with the lock hidden from them, send one
// refresh token twice, and the oauthLog sees it.
func TestSharedFileWithoutLockSpendsTokensTwice(t *testing.T) {
	l, ts := startOAuthLog(t)
	clients := twoFileClients(t, l, ts.URL, true)
	require.NoError(t, callRound(clients[0]), "the first client logs in")
	require.NoError(t, callRound(clients[1]), "the second loads its pair")
	l.fake.ExpireAccessTokens()
	_ = callRound(clients...) // both refresh with the one refresh token
	assert.Equal(t, 1, l.reused(), "the refresh token sent twice")
	assert.Equal(t, 1, l.refused, "the second refresh refused")
}

// TestFileTokenStoreSharedByTwoProcesses is the same with two child
// processes, each a client with its own store on the shared file.
func TestFileTokenStoreSharedByTwoProcesses(t *testing.T) {
	if os.Getenv(fileStoreChildEnv) == "client" {
		c, err := fileStoreClient(os.Getenv(fileStorePathEnv), os.Getenv(fileStoreURLEnv), os.Getenv(fileStoreUserEnv), false)
		if err != nil {
			panic(err)
		}
		serveChild(func(string) string {
			if err := concurrentProfiles(c, callsPerRound); err != nil {
				return "error " + err.Error()
			}
			return "ok"
		})
		return
	}
	l, ts := startOAuthLog(t)
	env := []string{
		fileStorePathEnv + "=" + filepath.Join(t.TempDir(), "tokens.json"),
		fileStoreURLEnv + "=" + ts.URL,
		fileStoreUserEnv + "=" + l.fake.AdminEmail + "\n" + l.fake.AdminPassword,
	}
	children := []*child{
		startChild(t, "TestFileTokenStoreSharedByTwoProcesses", "client", env...),
		startChild(t, "TestFileTokenStoreSharedByTwoProcesses", "client", env...),
	}
	for round := range sharedFileRounds + 1 {
		if round > 0 {
			l.fake.ExpireAccessTokens()
		}
		for _, c := range children {
			c.send(t, "calls")
		}
		for i, c := range children {
			assert.Equal(t, "ok", c.answer(t), "round %d, process %d", round, i)
		}
	}
	assertOneRefreshPerRound(t, l)
}

// TestSharedFileClientIdleForARound has one of two clients sit out a round:
// when it calls again, the pair in the file (saved by the other client) has
// expired too. The call should refresh with that pair's refresh token,
// which nobody has sent, and succeed without a login.
func TestSharedFileClientIdleForARound(t *testing.T) {
	l, ts := startOAuthLog(t)
	clients := twoFileClients(t, l, ts.URL, false)
	require.NoError(t, callRound(clients...))
	l.fake.ExpireAccessTokens()
	require.NoError(t, callRound(clients...), "both renew: one refreshes, the other takes its pair")
	l.fake.ExpireAccessTokens()
	require.NoError(t, callRound(clients[0]), "the first renews alone")
	l.fake.ExpireAccessTokens()
	assert.NoError(t, callRound(clients[1]), "the second finds the file's pair expired as well")
	assert.Equal(t, 1, l.fake.RequestCount("POST", authLoginPath), "logins")
	assert.Equal(t, 3, l.fake.RequestCount("POST", authRefreshPath), "refreshes")
	assert.Zero(t, l.reused(), "refresh tokens sent more than once")
}
