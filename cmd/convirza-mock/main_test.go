package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/convirza-community/convirza-go/internal/mockserver"
)

// TestMain lets a test start this binary: the test binary runs main when
// CONVIRZA_MOCK_AS_MAIN is set (see signal_test.go). The server itself is
// tested in internal/mockserver; the tests here are of the process: its
// signals, exit status and error messages.
func TestMain(m *testing.M) {
	if os.Getenv("CONVIRZA_MOCK_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// banner is what the server prints at start.
type banner = mockserver.Banner

// readBanner reads the start lines from r, then keeps draining r in the
// background so the server never blocks on its output.
func readBanner(t *testing.T, r io.Reader) banner {
	t.Helper()
	b, err := mockserver.ReadBanner(r)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	return b
}

// server is the command running as its own process.
type server struct {
	banner
}

func (s *server) client(t *testing.T) *convirza.Client {
	t.Helper()
	c, err := convirza.NewClient(convirza.WithBaseURL(s.API), convirza.WithAuthBaseURL(s.Auth),
		convirza.WithCredentials(s.Email, s.Password))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newUser(email string) *convirza.CreateUserParams {
	return &convirza.CreateUserParams{Email: email, FirstName: "Ada", LastName: "Byron",
		OrgUnitID: convirzatest.SalesOrgUnitID, Role: convirza.RoleStandard}
}

// TestExitCode checks the status and message main gives each kind of
// error Run returns, on every platform (TestExitCodes runs the binary, on
// Unix only).
func TestExitCode(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.json")
	for _, tc := range []struct {
		args   []string
		want   int
		stderr string // prefix of what exitCode prints
	}{
		{[]string{"-h"}, 0, ""},
		{[]string{"--help"}, 0, ""},
		{[]string{"-nope"}, 2, ""},
		{[]string{"now"}, 2, ""},
		{[]string{"-seed", missing}, 1, "convirza-mock: open " + missing},
	} {
		err := mockserver.Run(context.Background(), "convirza-mock", tc.args, io.Discard, io.Discard)
		var stderr strings.Builder
		got := exitCode(err, &stderr)
		if got != tc.want || !strings.HasPrefix(stderr.String(), tc.stderr) || (tc.stderr == "") != (stderr.Len() == 0) {
			t.Errorf("%q: exit %d, stderr %q; want %d, %q", tc.args, got, stderr.String(), tc.want, tc.stderr)
		}
	}
	var stderr strings.Builder
	if got := exitCode(fmt.Errorf("wrapped: %w", flag.ErrHelp), &stderr); got != 0 || stderr.Len() > 0 {
		t.Errorf("wrapped help: %d %q", got, stderr.String())
	}
	if got := exitCode(errors.New("listen: address in use"), &stderr); got != 1 || stderr.String() != "convirza-mock: listen: address in use\n" {
		t.Errorf("other error: %d %q", got, stderr.String())
	}
}
