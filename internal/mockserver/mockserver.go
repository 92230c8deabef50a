// Package mockserver serves the convirzatest fake of the Convirza V3
// Platform API on a local port. It is the whole of the convirza-mock
// command, kept here so that the convirza CLI's "mock" subcommand serves
// the fake with the same flags, banner, shutdown and exit behaviour; the
// flags are documented in cmd/convirza-mock.
package mockserver

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
	"path/filepath"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
)

// ErrUsage is matched (errors.Is) by the error Run returns for a bad
// command line, so that a command can exit 2 for it, as flag-based commands
// do, without printing it again: the reason and the usage are already on
// stderr.
var ErrUsage = errors.New("bad command line")

// Run serves the fake until ctx ends, as the convirza-mock command does;
// name is the command name used in messages and usage ("convirza-mock" or
// "convirza mock"). A bad command line returns an error matching ErrUsage
// (flag's message already printed to stderr); -h/--help returns
// flag.ErrHelp after printing usage.
//
// When ctx ends Run stops accepting connections, ends fault latency waits,
// lets every request it has read finish and get its whole reply (for up to
// -shutdown-timeout), writes the -state file, and returns. Any other error
// (a bad file, an address in use) is returned before anything is served or
// printed on stdout.
func Run(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:8089", "`host:port` to listen on; port 0 picks a free one")
	seedPath := flags.String("seed", "", "`file` of records to add at start (see convirzatest.Fake.LoadSeed)")
	statePath := flags.String("state", "", "state `file`: loaded at start when it exists, written on shutdown")
	faultsPath := flags.String("faults", "", "`file` holding a JSON array of faults to inject at start")
	loginLimit := flags.Int("login-limit", 10, "logins per minute per client IP before 429; 0 turns the limit off")
	external := flags.Bool("deliver-external", false, "deliver webhooks to any URL; without it, only loopback URLs are contacted and other deliveries are recorded as refused")
	grace := flags.Duration("shutdown-timeout", 10*time.Second, "how long requests in flight may take to finish on shutdown")
	flags.Usage = func() { usage(flags, name) }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, flags.Arg(0))
		flags.Usage()
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, flags.Arg(0))
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
	fmt.Fprintf(stdout, "%s: serving the Convirza fake on %s\n", name, ln.Addr())
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

	fmt.Fprintf(stdout, "%s: shutting down\n", name)
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
		fmt.Fprintf(stdout, "%s: state saved to %s\n", name, *statePath)
	}
	return err
}

// usage prints the help of -h, and follows a bad command line's message. It
// ends with examples because every command of the CLI shows some in its
// help.
func usage(flags *flag.FlagSet, name string) {
	w := flags.Output()
	fmt.Fprintln(w, "Serve a fake Convirza V3 API (API, OAuth and /_mock control paths) on one local port, for tests in any language.")
	fmt.Fprintf(w, "\nUsage: %s [flags]\n\nFlags:\n", name)
	flags.PrintDefaults()
	fmt.Fprintf(w, `
Examples:
  # serve http://127.0.0.1:8089/v3 with the built-in data; stop with Ctrl-C
  %[1]s

  # add an application's records, and keep what tests create across runs
  %[1]s -addr 127.0.0.1:9000 -seed seed.json -state state.json

  # port 0 picks a free port; the first line printed names it
  %[1]s -addr 127.0.0.1:0 -faults faults.json
`, name)
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
