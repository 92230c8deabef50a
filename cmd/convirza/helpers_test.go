package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/convirza-community/convirza-go/convirzatest"
)

// cli runs the convirza command in-process against a fake, with its own
// config directory and environment.
type cli struct {
	t   testing.TB
	srv *convirzatest.Server
	// configDir stands for os.UserConfigDir: token files go to its
	// convirza folder.
	configDir string
	// env is the environment the command sees, CONVIRZA_BASE_URL and
	// CONVIRZA_AUTH_URL included.
	env map[string]string
	// stdin is what the command reads; password is what the no-echo
	// prompt returns when stdinTerminal is set.
	stdin          string
	stdinTerminal  bool
	stderrTerminal bool
	password       string
	// prompts counts the no-echo password reads.
	prompts int
}

// newCLI starts a fake and returns a command line pointed at it.
func newCLI(t testing.TB, opts ...convirzatest.Option) *cli {
	srv := convirzatest.NewServer(t, opts...)
	return &cli{t: t, srv: srv, configDir: t.TempDir(), env: map[string]string{
		"CONVIRZA_BASE_URL": srv.URL,
		"CONVIRZA_AUTH_URL": srv.AuthURL,
	}}
}

// through makes the command reach the fake by a second listener that
// serves it through middleware: a test can then watch a run, stop it or
// move the fake's clock at a precise request, which the fake's faults (by
// count of matching requests only) cannot. Recording links follow, since
// the fake builds them from the host a request came to. Call it before
// login.
func (c *cli) through(middleware func(fake http.Handler) http.Handler) {
	front := httptest.NewServer(middleware(c.srv.Fake))
	c.t.Cleanup(front.Close)
	c.env["CONVIRZA_BASE_URL"] = front.URL + "/v3"
	c.env["CONVIRZA_AUTH_URL"] = front.URL
}

// result is what a run of the command gave.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the command with args and waits for it.
func (c *cli) run(args ...string) result {
	return c.runContext(context.Background(), args...)
}

func (c *cli) runContext(ctx context.Context, args ...string) result {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(c.stdin),
		stdout: &stdout, stderr: &stderr,
		getenv:         func(k string) string { return c.env[k] },
		configDir:      func() (string, error) { return c.configDir, nil },
		stdinTerminal:  c.stdinTerminal,
		stderrTerminal: c.stderrTerminal,
		readPassword: func() (string, error) {
			c.prompts++
			if c.password == "" {
				return "", errors.New("no terminal")
			}
			return c.password, nil
		},
	}
	code := run(ctx, args, e)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// login logs the seeded admin in, with the credentials in the
// environment, and fails the test if it does not succeed.
func (c *cli) login(args ...string) {
	c.t.Helper()
	c.env["CONVIRZA_EMAIL"] = convirzatest.AdminEmail
	c.env["CONVIRZA_PASSWORD"] = convirzatest.SeedPassword
	defer delete(c.env, "CONVIRZA_EMAIL")
	defer delete(c.env, "CONVIRZA_PASSWORD")
	if r := c.run(append([]string{"login"}, args...)...); r.code != 0 {
		c.t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
}
