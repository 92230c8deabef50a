package convirza

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
	"unsafe"
)

var (
	kernel32         = syscall.NewLazyDLL("kernel32.dll")
	procLockFileEx   = kernel32.NewProc("LockFileEx")
	procUnlockFileEx = kernel32.NewProc("UnlockFileEx")
)

// LockFileEx flags and the error it gives for a lock held elsewhere.
const (
	lockfileFailImmediately = 0x1
	lockfileExclusiveLock   = 0x2
	errorLockViolation      = syscall.Errno(33)
	errorSharingViolation   = syscall.Errno(32)
)

// overlapped is the Win32 OVERLAPPED structure; LockFileEx takes the offset
// of the locked range from it (here 0).
type overlapped struct {
	Internal     uintptr
	InternalHigh uintptr
	Offset       uint32
	OffsetHigh   uint32
	HEvent       syscall.Handle
}

// fileLockSupported reports that LockFileEx is available.
func fileLockSupported() error { return procLockFileEx.Find() }

// tryLockFile takes an exclusive lock on the first byte of f without
// blocking, and reports false when another handle holds it. LockFileEx
// locks belong to the handle, so two opens of one lock file in one process
// exclude each other as two processes do.
func tryLockFile(f *os.File) (bool, error) {
	var ol overlapped
	r, _, err := procLockFileEx.Call(f.Fd(), lockfileExclusiveLock|lockfileFailImmediately, 0, 1, 0,
		uintptr(unsafe.Pointer(&ol)))
	switch {
	case r != 0:
		return true, nil
	case errors.Is(err, errorLockViolation), errors.Is(err, syscall.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}

// unlockFile releases the lock that tryLockFile took.
func unlockFile(f *os.File) error {
	var ol overlapped
	r, _, err := procUnlockFileEx.Call(f.Fd(), 0, 1, 0, uintptr(unsafe.Pointer(&ol)))
	if r == 0 {
		return err
	}
	return nil
}

// checkPrivate accepts every file on Windows: who may read a file is set by
// its ACL, which the mode bits that Go reports (derived from the read-only
// attribute) do not show, and reading ACLs needs golang.org/x/sys, which
// this module does not depend on. Keep the file in a directory of your own
// profile, such as %LOCALAPPDATA%.
func checkPrivate(string, fs.FileInfo) error { return nil }

// replaceFile renames tmp over path (MoveFileEx with REPLACE_EXISTING). It
// fails while another process has path open without FILE_SHARE_DELETE, as
// os.Open does, so it retries for a moment: readers close the file at once.
func replaceFile(tmp, path string) error {
	deadline := time.Now().Add(time.Second)
	for {
		err := os.Rename(tmp, path)
		if err == nil || time.Now().After(deadline) ||
			!errors.Is(err, syscall.ERROR_ACCESS_DENIED) && !errors.Is(err, errorSharingViolation) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncDir does nothing on Windows, where a directory cannot be opened for
// syncing; NTFS journals the rename itself.
func syncDir(string) error { return nil }
