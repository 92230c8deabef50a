package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"

	convirza "github.com/convirza-community/convirza-go"
)

// env is what a command may use of the process: tests run the commands
// in-process with their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// configDir is os.UserConfigDir: the token files live in its
	// "convirza" folder.
	configDir func() (string, error)
	// stdinTerminal and stderrTerminal say whether a person is there: the
	// password is read without echo, and progress is shown, only then.
	stdinTerminal, stderrTerminal bool
	// readPassword reads a line from the terminal without echo.
	readPassword func() (string, error)

	// in reads stdin by lines; made on first use so that --input - can
	// read stdin whole instead.
	in *bufio.Reader
}

// globals are the flags every command takes.
type globals struct {
	baseURL, authURL string
	profile          string
}

// profileName is what --profile accepts: it becomes a file name.
var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// tokenStore opens the profile's token file, under the user's config
// directory: convirza/PROFILE.json.
func (g *globals) tokenStore(e *env) (*convirza.FileTokenStore, error) {
	if !profileName.MatchString(g.profile) {
		return nil, usagef("--profile %q: use letters, digits, '.', '_' and '-'", g.profile)
	}
	dir, err := e.configDir()
	if err != nil {
		return nil, fmt.Errorf("finding the config directory for the token file: %w", err)
	}
	return convirza.NewFileTokenStore(filepath.Join(dir, "convirza", g.profile+".json"))
}

// options are the client options of the hosts named on the command line.
func (g *globals) options() []convirza.Option {
	opts := []convirza.Option{convirza.WithUserAgent("convirza-cli")}
	if g.baseURL != "" {
		opts = append(opts, convirza.WithBaseURL(g.baseURL))
	}
	if g.authURL != "" {
		opts = append(opts, convirza.WithAuthBaseURL(g.authURL))
	}
	return opts
}

// tokenClient is a client without a login, for the token calls.
func (g *globals) tokenClient() (*convirza.Client, error) {
	c, err := convirza.NewClient(g.options()...)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// client is a client that uses the profile's stored login.
func (g *globals) client(e *env) (*convirza.Client, error) {
	store, err := g.tokenStore(e)
	if err != nil {
		return nil, err
	}
	c, err := convirza.NewClient(append(g.options(), convirza.WithStoredTokens(store))...)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// requireLogin fails with ErrLoginRequired when the profile has no stored
// token pair at all. A stored pair that no longer works is found out by
// the first request, as before.
func (g *globals) requireLogin(ctx context.Context, e *env) error {
	store, err := g.tokenStore(e)
	if err != nil {
		return err
	}
	tok, err := store.Load(ctx)
	if err != nil {
		return err
	}
	if tok == nil {
		return convirza.ErrLoginRequired
	}
	return nil
}

// usageError is a bad command line: exit status 2.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// reportedError is an error whose message is already on stderr.
type reportedError struct{ error }

func (r reportedError) Unwrap() error { return r.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// explain adds what to do to the errors a person can act on.
func explain(err error) error {
	if errors.Is(err, convirza.ErrLoginRequired) {
		return fmt.Errorf("%w\nrun \"convirza login\" first (with the same --profile and --auth-url)", err)
	}
	return err
}
