package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenFile is the token file of a profile.
func (c *cli) tokenFile(profile string) string {
	return filepath.Join(c.configDir, "convirza", profile+".json")
}

// storedPair reads a profile's token file.
func (c *cli) storedPair(profile string) *convirza.Token {
	c.t.Helper()
	data, err := os.ReadFile(c.tokenFile(profile))
	require.NoError(c.t, err)
	var tok convirza.Token
	require.NoError(c.t, json.Unmarshal(data, &tok))
	return &tok
}

func TestLoginKeepsThePairAndLogoutRevokesIt(t *testing.T) {
	c := newCLI(t)
	c.stdin = convirzatest.AdminEmail + "\n" // the email prompt reads stdin
	c.stdinTerminal, c.password = true, convirzatest.SeedPassword
	r := c.run("login")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 1, c.prompts, "the password is read without echo")
	assert.Contains(t, r.stderr, "Email: ")
	assert.Contains(t, r.stderr, "Password: ")
	assert.Contains(t, r.stdout, "Logged in as "+convirzatest.AdminEmail)

	// A private file holding a pair, and no password anywhere.
	fi, err := os.Stat(c.tokenFile("default"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(c.tokenFile("default"))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), convirzatest.SeedPassword)
	tok := c.storedPair("default")
	require.NotEmpty(t, tok.AccessToken)
	require.NotEmpty(t, tok.RefreshToken)
	for _, out := range []string{r.stdout, r.stderr} {
		assert.NotContains(t, out, tok.AccessToken)
		assert.NotContains(t, out, tok.RefreshToken)
	}
	assert.Equal(t, 1, c.srv.Fake.RequestCount("POST", "/oauth/token"))

	// The other commands use the stored pair: no second login.
	r = c.run("api", "GET", "/users/list", "-q", "limit=1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 1, c.srv.Fake.RequestCount("POST", "/oauth/token"))

	r = c.run("logout")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "both tokens revoked")
	assert.NoFileExists(t, c.tokenFile("default"))
	revokes := c.srv.Fake.Requests(convirzatest.RequestFilter{Method: "POST", Path: "/oauth/revoke-token"})
	require.Len(t, revokes, 2)
	var kinds []string
	for _, rq := range revokes {
		var body struct {
			TokenType string `json:"token_type"`
		}
		require.NoError(t, json.Unmarshal(rq.Body, &body))
		kinds = append(kinds, body.TokenType)
		assert.Equal(t, 200, rq.Status)
	}
	assert.Equal(t, []string{"refresh", "access"}, kinds)

	// The fake refuses both tokens now.
	sdk, err := convirza.NewClient(convirza.WithBaseURL(c.srv.URL), convirza.WithAuthBaseURL(c.srv.AuthURL))
	require.NoError(t, err)
	_, err = sdk.Auth.Refresh(context.Background(), tok.RefreshToken)
	assert.ErrorIs(t, err, convirza.ErrUnauthorized)
	withOld, err := convirza.NewClient(convirza.WithBaseURL(c.srv.URL), convirza.WithAuthBaseURL(c.srv.AuthURL),
		convirza.WithToken(tok.AccessToken))
	require.NoError(t, err)
	_, err = withOld.Users.List(context.Background(), nil)
	assert.ErrorIs(t, err, convirza.ErrUnauthorized)

	// Every command then asks for a login, without sending one.
	r = c.run("api", "GET", "/users/list")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `run "convirza login"`)
	assert.Equal(t, 1, c.srv.Fake.RequestCount("POST", "/oauth/token"))

	r = c.run("logout")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "Not logged in")
}

func TestLoginFromTheEnvironmentAndProfiles(t *testing.T) {
	c := newCLI(t)
	c.login() // CONVIRZA_EMAIL and CONVIRZA_PASSWORD
	c.login("--profile", "other")
	assert.Zero(t, c.prompts)
	first, other := c.storedPair("default"), c.storedPair("other")
	assert.NotEqual(t, first.RefreshToken, other.RefreshToken, "two logins, two pairs")

	// Logging in again replaces the pair and revokes the old one.
	c.login()
	again := c.storedPair("default")
	assert.NotEqual(t, first.RefreshToken, again.RefreshToken)
	assert.Equal(t, 2, c.srv.Fake.RequestCount("POST", "/oauth/revoke-token"))
	sdk, err := convirza.NewClient(convirza.WithBaseURL(c.srv.URL), convirza.WithAuthBaseURL(c.srv.AuthURL))
	require.NoError(t, err)
	_, err = sdk.Auth.Refresh(context.Background(), first.RefreshToken)
	assert.ErrorIs(t, err, convirza.ErrUnauthorized, "the replaced pair is revoked")

	// Logging out of one profile leaves the other.
	require.Equal(t, 0, c.run("logout", "--profile", "other").code)
	assert.NoFileExists(t, c.tokenFile("other"))
	assert.FileExists(t, c.tokenFile("default"))

	// The password may come from a pipe too.
	c2 := newCLI(t)
	c2.stdin = convirzatest.SeedPassword + "\n"
	c2.env["CONVIRZA_EMAIL"] = convirzatest.AdminEmail
	r := c2.run("login")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Zero(t, c2.prompts, "no terminal: a line of stdin")
}

func TestLoginFailures(t *testing.T) {
	c := newCLI(t)
	c.env["CONVIRZA_EMAIL"] = convirzatest.AdminEmail
	c.env["CONVIRZA_PASSWORD"] = "wrong-password"
	r := c.run("login")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "401")
	assert.NotContains(t, r.stderr, "wrong-password")
	assert.NoFileExists(t, c.tokenFile("default"))
	assert.Equal(t, 1, c.srv.Fake.RequestCount("POST", "/oauth/token"), "a refused login is not retried")

	for name, args := range map[string][]string{
		"bad profile":    {"login", "--profile", "../etc"},
		"extra argument": {"login", "now"},
		"unknown flag":   {"login", "--user", "x"},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.run(args...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.NotEmpty(t, strings.TrimSpace(r.stderr))
		})
	}
	assert.Equal(t, 1, c.srv.Fake.RequestCount("POST", "/oauth/token"), "bad command lines send nothing")

	// No email at all.
	delete(c.env, "CONVIRZA_EMAIL")
	c.stdin = "\n"
	r = c.run("login")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "no email")
}
