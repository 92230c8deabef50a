package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/internal/mockserver"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryCommandHasHelpWithAnExample walks the command tree: each
// command's --help exits 0 and shows an example.
func TestEveryCommandHasHelpWithAnExample(t *testing.T) {
	c := newCLI(t)
	var walk func(cmd *cobra.Command, path []string)
	n := 0
	walk = func(cmd *cobra.Command, path []string) {
		for _, sub := range cmd.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			walk(sub, append(path, sub.Name()))
		}
		n++
		assert.NotEmpty(t, cmd.Example, "%v has no example", path)
		r := c.run(append(path, "--help")...)
		assert.Equal(t, 0, r.code, "%v --help: %s", path, r.stderr)
		help := r.stdout + r.stderr // convirza mock prints convirza-mock's usage on stderr
		assert.Contains(t, help, "Example", "%v --help", path)
	}
	walk(newRootCmd(&env{}), nil)
	assert.GreaterOrEqual(t, n, 7, "root, login, logout, api, calls, calls export, mock")
	assert.Empty(t, c.srv.Fake.Requests(), "help sends nothing")
}

func TestBadCommandLinesExit2(t *testing.T) {
	c := newCLI(t)
	for name, args := range map[string][]string{
		"unknown command":    {"frobnicate"},
		"unknown flag":       {"--frobnicate"},
		"mock unknown flag":  {"mock", "-frobnicate"},
		"mock extra arg":     {"mock", "now"},
		"calls extra arg":    {"calls", "list"},
		"global flag no arg": {"api", "GET", "/users/list", "--profile"},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.run(args...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.NotEmpty(t, r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
	assert.Empty(t, c.srv.Fake.Requests())
}

// TestFlagsBeatTheEnvironment points the environment at a dead port and
// the flags at the fake.
func TestFlagsBeatTheEnvironment(t *testing.T) {
	c := newCLI(t)
	c.login()
	url, auth := c.env["CONVIRZA_BASE_URL"], c.env["CONVIRZA_AUTH_URL"]
	c.env["CONVIRZA_BASE_URL"] = "http://127.0.0.1:1/v3"
	r := c.run("api", "GET", "/users/list", "--base-url", url, "--auth-url", auth)
	assert.Equal(t, 0, r.code, r.stderr)
	r = c.run("api", "GET", "/users/list")
	assert.Equal(t, 1, r.code, "the environment's dead port is used without the flag")
}

// TestMockServesTheFake runs convirza mock on a free port, logs in and
// calls the API through it, then stops it as Ctrl-C would.
func TestMockServesTheFake(t *testing.T) {
	stdoutR, stdoutW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		e := &env{stdin: strings.NewReader(""), stdout: stdoutW, stderr: io.Discard, getenv: func(string) string { return "" }}
		done <- run(ctx, []string{"mock", "-addr", "127.0.0.1:0", "-login-limit", "0"}, e)
		stdoutW.Close()
	}()
	banner, err := mockserver.ReadBanner(stdoutR)
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()

	resp, err := http.Get(banner.API + "/users/list")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the fake's API, without a token")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(10 * time.Second):
		t.Fatal("convirza mock did not stop")
	}
}
