// Command convirza-mock serves the convirzatest fake of the Convirza V3
// Platform API on a local port, for integration tests written in any
// language.
//
//	go run ./cmd/convirza-mock                  # http://127.0.0.1:8089/v3
//	convirza-mock -addr 127.0.0.1:9000 -seed seed.json -state state.json
//
// At start it prints the API URL, the auth URL, the admin credentials and
// the faults URL. One port serves the API under /v3, the OAuth service
// under /oauth, and the admin paths under /_mock (see FaultsPath in
// convirzatest).
//
// Flags:
//
//	-addr host:port      where to listen (default 127.0.0.1:8089; port 0 picks a free one)
//	-seed file.json      records added at start (the format of convirzatest's Fake.LoadSeed)
//	-state file.json     loaded at start when it exists, written on shutdown (Fake.Snapshot)
//	-faults file.json    a JSON array of faults injected at start (convirzatest.Fault)
//	-login-limit n       logins per minute per client IP before 429 (default 10; 0: no limit)
//	-deliver-external    deliver webhooks to any URL, not only to loopback ones (convirzatest.WithExternalDeliveries)
//	-shutdown-timeout d  how long requests in flight may take to finish (default 10s)
//
// The control paths under /_mock (GET /_mock lists them) reset the fake to
// how it started, read the request log, move the clock, expire tokens,
// read and replace the state, record calls, and list and test webhook
// deliveries, for suites in any language.
//
// A recorded call is delivered to the webhooks it fires before POST
// /_mock/calls answers. Only webhooks on loopback URLs (localhost,
// 127.0.0.0/8, ::1) are contacted unless -deliver-external is given; the
// banner's Webhooks line says which.
//
// On SIGINT or SIGTERM it stops accepting connections, ends fault latency
// waits, lets every request it has read finish and get its whole reply,
// writes the state file, and exits 0. A temporary state file that a kill
// left behind is removed at the next start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/convirza-community/convirza-go/internal/mockserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := mockserver.Run(ctx, "convirza-mock", os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode maps Run's error to the exit status: 0 for success or help, 2
// for a bad command line (whose reason the flag package has printed), and 1
// for anything else, printed to stderr.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, mockserver.ErrUsage):
		return 2
	default:
		fmt.Fprintln(stderr, "convirza-mock:", err)
		return 1
	}
}
