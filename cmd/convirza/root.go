package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// run runs the command line args and returns the exit status: 0 on
// success, 1 on failure, 2 on a bad command line.
func run(ctx context.Context, args []string, e *env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if !errors.As(err, new(reportedError)) {
		// The SDK's errors name it already.
		msg := explain(err).Error()
		if !strings.HasPrefix(msg, "convirza: ") {
			msg = "convirza: " + msg
		}
		fmt.Fprintln(e.stderr, msg)
	}
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// newRootCmd is the convirza command and its subcommands, in the order
// help lists them.
func newRootCmd(e *env) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "convirza",
		Short: "Work with the Convirza V3 Platform API from the command line",
		Long: `Work with the Convirza V3 Platform API from the command line.

Log in once with "convirza login": the token pair is kept in your config
directory and refreshed as needed; the password is never stored. Every
command talks to the production hosts unless --base-url and --auth-url (or
CONVIRZA_BASE_URL and CONVIRZA_AUTH_URL) name others, such as a fake served
by "convirza mock".

Exit status: 0 on success, 1 on failure, 2 on a bad command line.`,
		Example: `  convirza login
  convirza api GET /users/list -q limit=5
  convirza calls export --from 2026-01-01 --to 2026-06-30 -o csv --out calls.csv`,
		Args: usageArgs(cobra.NoArgs),
		// Runnable, so that an unknown command is refused (exit status 2)
		// rather than answered with the help.
		RunE:          showHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			fromEnv(cmd, "base-url", &g.baseURL, e.getenv("CONVIRZA_BASE_URL"))
			fromEnv(cmd, "auth-url", &g.authURL, e.getenv("CONVIRZA_AUTH_URL"))
			fromEnv(cmd, "profile", &g.profile, e.getenv("CONVIRZA_PROFILE"))
			return nil
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.baseURL, "base-url", "", "API base URL with its version path (env CONVIRZA_BASE_URL; default the production API)")
	pf.StringVar(&g.authURL, "auth-url", "", "OAuth service URL (env CONVIRZA_AUTH_URL; default the production host)")
	pf.StringVar(&g.profile, "profile", "default", "name of the stored login to use, to keep several accounts apart (env CONVIRZA_PROFILE)")

	root.AddCommand(
		newLoginCmd(e, g),
		newLogoutCmd(e, g),
		newAPICmd(e, g),
		newCallsCmd(e, g),
		newMockCmd(e),
	)
	root.CompletionOptions.HiddenDefaultCmd = true
	return root
}

// fromEnv sets *dst from an environment variable when the flag was not
// given: a flag beats the environment.
func fromEnv(cmd *cobra.Command, flag string, dst *string, value string) {
	if value != "" && !cmd.Flags().Changed(flag) {
		*dst = value
	}
}

// usageArgs makes a bad argument count a usage error (exit status 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// showHelp is the action of a command that only groups others.
func showHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }
