// Command convirza is the command line of the Convirza V3 Platform API: it
// logs in once and keeps the token pair, reaches any endpoint, exports the
// call history with its recordings, and serves the fake API for tests.
//
//	convirza login                           # asks for the email and the password
//	convirza api GET /users/list -q limit=5
//	convirza calls export --from 2026-01-01 --to 2026-06-30 --out calls.ndjson --resume
//	convirza mock                            # the fake on http://127.0.0.1:8089/v3
//
// Every command talks to the production hosts unless --base-url and
// --auth-url (or CONVIRZA_BASE_URL and CONVIRZA_AUTH_URL) name others, such
// as a convirza mock. Run "convirza help COMMAND" for the flags and
// examples of each command.
//
// Exit status: 0 on success, 1 on failure, 2 on a bad command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		configDir: func() (string, error) {
			return os.UserConfigDir()
		},
		stdinTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		readPassword: func() (string, error) {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			return string(b), err
		},
	})
	stop()
	os.Exit(code)
}
