//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
)

// TestSignalsShutDownCleanly runs the command as its own process (this test
// binary, running main) and stops it with SIGTERM and SIGINT: it exits 0
// and has written its state file.
func TestSignalsShutDownCleanly(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state.json")
			cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0", "-state", state)
			cmd.Env = append(os.Environ(), "CONVIRZA_MOCK_AS_MAIN=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			b := readBanner(t, stdout)
			go func() { exited <- cmd.Wait() }()

			s := &server{banner: b}
			created, err := s.client(t).Users.Create(context.Background(), newUser("signal@acme.example"))
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				exited <- err
				if err != nil {
					t.Fatalf("exit: %v; stderr %q", err, stderr.String())
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no exit after the signal")
			}
			f := convirzatest.NewFake()
			data, err := os.ReadFile(state)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Restore(data); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "signal@acme.example") || created.ID == 0 {
				t.Errorf("the user is not in the state file")
			}
		})
	}
}

// TestExitCodes checks that a bad command line exits 2 and a bad file 1.
func TestExitCodes(t *testing.T) {
	for args, want := range map[string]int{
		"-nope":                 2,
		"-seed /does/not/exist": 1,
		"-h":                    0,
	} {
		cmd := exec.Command(os.Args[0], strings.Fields(args)...)
		cmd.Env = append(os.Environ(), "CONVIRZA_MOCK_AS_MAIN=1")
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Errorf("%s: exit %d, want %d", args, code, want)
		}
	}
}
