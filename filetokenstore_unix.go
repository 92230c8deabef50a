//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package convirza

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// fileLockSupported reports that flock is available.
func fileLockSupported() error { return nil }

// tryLockFile takes an exclusive flock on f without blocking, and reports
// false when another open file holds it. flock locks belong to the open
// file, not to the process, so two opens of one lock file in one process
// exclude each other as two processes do.
func tryLockFile(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}

// unlockFile releases the flock on f.
func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// checkPrivate refuses a token file that group or others may read or write.
func checkPrivate(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("convirza: token file %s has mode %04o, open to group or others; "+
			"it must be 0600 (chmod 600 %s)", path, perm, path)
	}
	return nil
}

// replaceFile renames tmp over path, atomically on one file system.
func replaceFile(tmp, path string) error { return os.Rename(tmp, path) }

// syncDir syncs the directory, so that a rename done in it survives a
// crash. File systems that cannot sync a directory say EINVAL or ENOTSUP;
// there is nothing more to do on them.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
