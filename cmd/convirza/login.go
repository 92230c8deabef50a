package main

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/spf13/cobra"
)

func newLoginCmd(e *env, g *globals) *cobra.Command {
	var email string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in and keep the token pair for the other commands",
		Long: `Log in with an email and a password, and keep the token pair in a private
file under your config directory (convirza/PROFILE.json), for the other
commands to use and refresh. The password itself is never stored.

The email comes from --email, else CONVIRZA_EMAIL, else a prompt; the
password from CONVIRZA_PASSWORD, else a prompt that does not echo it (or a
line of stdin when stdin is not a terminal). Logging in again replaces the
pair, and the old one is revoked.`,
		Example: `  convirza login
  convirza login --email admin@example.com --profile staging
  CONVIRZA_EMAIL=ci@example.com CONVIRZA_PASSWORD=... convirza login --base-url http://127.0.0.1:8089/v3 --auth-url http://127.0.0.1:8089`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := g.tokenStore(e)
			if err != nil {
				return err
			}
			email, password, err := e.credentials(email)
			if err != nil {
				return err
			}
			c, err := g.tokenClient()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			old, _ := store.Load(ctx) // an unreadable file is replaced anyway
			tok, err := c.Auth.Login(ctx, email, password)
			if err != nil {
				return err
			}
			if err := store.Save(ctx, tok); err != nil {
				return err
			}
			if old != nil {
				revokePair(cmd, c, old) // best effort: the new pair is saved
			}
			fmt.Fprintf(e.stdout, "Logged in as %s (profile %s); the token pair is in %s\n",
				cmp.Or(tok.User.Email, email), g.profile, store.Path())
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the email to log in with (env CONVIRZA_EMAIL; default: asked)")
	return cmd
}

func newLogoutCmd(e *env, g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the stored token pair and remove its file",
		Long: `Revoke both tokens of the stored login and remove its file. The file is
removed even when the server cannot be reached; the tokens then stay valid
until they expire, and the command fails (exit status 1) to say so.`,
		Example: `  convirza logout
  convirza logout --profile staging`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := g.tokenStore(e)
			if err != nil {
				return err
			}
			c, err := g.tokenClient()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			// Under the store's lock, so that no other command refreshes
			// the pair while it is being revoked.
			unlock, err := store.LockTokens(ctx)
			if err != nil {
				return err
			}
			defer unlock()
			tok, err := store.Load(ctx)
			if err != nil {
				return err
			}
			if tok == nil {
				fmt.Fprintf(e.stdout, "Not logged in (profile %s)\n", g.profile)
				return nil
			}
			revokeErr := revokePair(cmd, c, tok)
			if err := os.Remove(store.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if revokeErr != nil {
				return fmt.Errorf("removed %s, but the tokens were not revoked and stay valid until they expire: %w", store.Path(), revokeErr)
			}
			fmt.Fprintf(e.stdout, "Logged out (profile %s): both tokens revoked, %s removed\n", g.profile, store.Path())
			return nil
		},
	}
}

// revokePair revokes the refresh token, then the access token, of tok.
func revokePair(cmd *cobra.Command, c *convirza.Client, tok *convirza.Token) error {
	var errs []error
	if tok.RefreshToken != "" {
		errs = append(errs, c.Auth.Revoke(cmd.Context(), tok.RefreshToken, convirza.RefreshToken))
	}
	if tok.AccessToken != "" {
		errs = append(errs, c.Auth.Revoke(cmd.Context(), tok.AccessToken, convirza.AccessToken))
	}
	return errors.Join(errs...)
}

// credentials gets the email and the password of a login (see the login
// command's help for where from).
func (e *env) credentials(email string) (string, string, error) {
	email = cmp.Or(email, e.getenv("CONVIRZA_EMAIL"))
	if email == "" {
		fmt.Fprint(e.stderr, "Email: ")
		line, err := e.readLine()
		if err != nil {
			return "", "", fmt.Errorf("reading the email: %w", err)
		}
		email = line
	}
	if strings.TrimSpace(email) == "" {
		return "", "", usagef("no email given")
	}
	password := e.getenv("CONVIRZA_PASSWORD")
	if password == "" {
		var err error
		if e.stdinTerminal {
			fmt.Fprint(e.stderr, "Password: ")
			password, err = e.readPassword()
			fmt.Fprintln(e.stderr)
		} else {
			password, err = e.readLine()
		}
		if err != nil {
			return "", "", fmt.Errorf("reading the password: %w", err)
		}
	}
	if password == "" {
		return "", "", usagef("no password given")
	}
	return strings.TrimSpace(email), password, nil
}

// readLine reads one line of stdin, without its line ending.
func (e *env) readLine() (string, error) {
	if e.in == nil {
		e.in = bufio.NewReader(e.stdin)
	}
	line, err := e.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
