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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "convirza-mock:", err)
		os.Exit(1)
	}
}

// usageError is a bad command line; the flag package has printed why.
type usageError struct{ error }

// run serves the fake until ctx ends, then shuts down cleanly. It returns
// an error when the command line, a file or the listener is bad, before
// serving anything.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("convirza-mock", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:8089", "`host:port` to listen on; port 0 picks a free one")
	seedPath := flags.String("seed", "", "`file` of records to add at start (see convirzatest.Fake.LoadSeed)")
	statePath := flags.String("state", "", "state `file`: loaded at start when it exists, written on shutdown")
	faultsPath := flags.String("faults", "", "`file` holding a JSON array of faults to inject at start")
	loginLimit := flags.Int("login-limit", 10, "logins per minute per client IP before 429; 0 turns the limit off")
	external := flags.Bool("deliver-external", false, "deliver webhooks to any URL; without it, only loopback URLs are contacted and other deliveries are recorded as refused")
	grace := flags.Duration("shutdown-timeout", 10*time.Second, "how long requests in flight may take to finish on shutdown")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "convirza-mock: unexpected argument %q\n", flags.Arg(0))
		flags.Usage()
		return usageError{fmt.Errorf("unexpected argument %q", flags.Arg(0))}
	}

	fake, err := newFake(*seedPath, *statePath, *faultsPath, *loginLimit, *external)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	root := "http://" + dialable(ln.Addr())
	fmt.Fprintf(stdout, "convirza-mock: serving the Convirza fake on %s\n", ln.Addr())
	fmt.Fprintf(stdout, "API URL:  %s/v3\n", root)
	fmt.Fprintf(stdout, "Auth URL: %s\n", root)
	if fake.AdminEmail != "" {
		fmt.Fprintf(stdout, "Admin:    %s / %s\n", fake.AdminEmail, fake.AdminPassword)
	} else {
		fmt.Fprintln(stdout, "Admin:    none known (give an Admin a \"password\" in the seed file)")
	}
	if *external {
		fmt.Fprintln(stdout, "Webhooks: delivered to any URL (-deliver-external)")
	} else {
		fmt.Fprintln(stdout, "Webhooks: delivered to loopback URLs only (-deliver-external for any)")
	}
	// Faults stays the last line: scripts read the banner up to it.
	fmt.Fprintf(stdout, "Faults:   %s%s\n", root, convirzatest.FaultsPath)

	drain := newDrainer()
	// No IdleTimeout: it would replace the read deadline drain gives idle
	// connections.
	srv := &http.Server{Handler: drain.handler(fake), ReadHeaderTimeout: 30 * time.Second, ConnState: drain.connState}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	fmt.Fprintln(stdout, "convirza-mock: shutting down")
	fake.ClearFaults() // a request waiting on a fault's latency answers now
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	err = drain.drain(sctx, ln) // waits for the requests in flight and their replies
	if err != nil {
		err = fmt.Errorf("requests still running after %v were cut: %w", *grace, err)
	}
	_ = srv.Close() // ends Serve, which returns the closed listener's error
	<-served
	if *statePath != "" {
		if serr := saveState(fake, *statePath); serr != nil {
			return errors.Join(err, serr)
		}
		fmt.Fprintf(stdout, "convirza-mock: state saved to %s\n", *statePath)
	}
	return err
}

// newFake builds the fake from the files named on the command line. The
// state file, when it exists, replaces what the seed file added; the
// credentials printed still come from the seed.
func newFake(seedPath, statePath, faultsPath string, loginLimit int, external bool) (*convirzatest.Fake, error) {
	if loginLimit < 0 {
		return nil, fmt.Errorf("-login-limit %d is negative", loginLimit)
	}
	opts := []convirzatest.Option{convirzatest.WithLoginRateLimit(loginLimit)}
	if external {
		opts = append(opts, convirzatest.WithExternalDeliveries())
	}
	fake := convirzatest.NewFake(opts...)
	if seedPath != "" {
		data, err := os.ReadFile(seedPath)
		if err != nil {
			return nil, err
		}
		if err := fake.LoadSeed(data); err != nil {
			return nil, fmt.Errorf("%s: %w", seedPath, err)
		}
	}
	if statePath != "" {
		removeStaleTemps(statePath)
		data, err := os.ReadFile(statePath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// First run: the file is written on shutdown.
		case err != nil:
			return nil, err
		default:
			if err := fake.Restore(data); err != nil {
				return nil, fmt.Errorf("%s: %w", statePath, err)
			}
		}
	}
	if err := injectFaults(fake, faultsPath); err != nil {
		return nil, err
	}
	// POST /_mock/reset goes back to here: the seed, state and faults files
	// as loaded.
	if err := fake.SetResetPoint(); err != nil {
		return nil, err
	}
	return fake, nil
}

// injectFaults injects the faults of the -faults file, if one is named.
func injectFaults(fake *convirzatest.Fake, faultsPath string) error {
	if faultsPath != "" {
		data, err := os.ReadFile(faultsPath)
		if err != nil {
			return err
		}
		var faults []convirzatest.Fault
		if err := json.Unmarshal(data, &faults); err != nil {
			return fmt.Errorf("%s: want a JSON array of faults: %w", faultsPath, err)
		}
		for i, ft := range faults {
			if err := fake.InjectFault(ft); err != nil {
				return fmt.Errorf("%s: fault %d: %w", faultsPath, i, err)
			}
		}
	}
	return nil
}

// dialable returns an address clients can reach: a wildcard listen address
// (":8089", "0.0.0.0:8089") is shown as loopback.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// tempPattern is the name of saveState's temporary files next to path.
func tempPattern(path string) string { return filepath.Base(path) + ".*.tmp" }

// removeStaleTemps removes the temporary files that a process killed while
// saving path left behind, so they do not pile up run after run.
func removeStaleTemps(path string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPattern(path)))
	for _, name := range stale {
		_ = os.Remove(name)
	}
}

// saveState writes the fake's state to path through a temporary file and a
// rename, so a crash never leaves half a file; a temporary file a kill
// leaves behind is removed at the next start.
func saveState(fake *convirzatest.Fake, path string) error {
	data, err := fake.Snapshot()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
