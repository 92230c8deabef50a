package main

import (
	"errors"
	"flag"

	"github.com/convirza-community/convirza-go/internal/mockserver"
	"github.com/spf13/cobra"
)

func newMockCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "mock [flags]",
		Short: "Serve the fake Convirza API on a local port, as convirza-mock does",
		Long: `Serve the convirzatest fake of the API, its OAuth service and its /_mock
control paths on one local port, exactly as the convirza-mock command does,
with the same flags (run "convirza mock -h" for them). Point the other
commands at it with --base-url and --auth-url, as its banner shows.`,
		Example: `  convirza mock -addr 127.0.0.1:8089 -seed seed.json
  convirza --base-url http://127.0.0.1:8089/v3 --auth-url http://127.0.0.1:8089 login`,
		// Its flags are convirza-mock's, parsed by the same code.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := mockserver.Run(cmd.Context(), "convirza mock", args, e.stdout, e.stderr)
			switch {
			case errors.Is(err, flag.ErrHelp):
				return nil
			case errors.Is(err, mockserver.ErrUsage):
				return usageError{reportedError{err}} // Run has printed why
			}
			return err
		},
	}
}
