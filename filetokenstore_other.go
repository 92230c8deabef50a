//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || windows)

package convirza

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// fileLockSupported refuses FileTokenStore where this package has no
// cross-process file lock (flock or LockFileEx): without it two processes
// could spend one refresh token twice.
func fileLockSupported() error {
	return fmt.Errorf("no file lock on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func tryLockFile(*os.File) (bool, error)     { return false, fileLockSupported() }
func unlockFile(*os.File) error              { return nil }
func checkPrivate(string, fs.FileInfo) error { return nil }
func replaceFile(tmp, path string) error     { return os.Rename(tmp, path) }
func syncDir(string) error                   { return nil }
