package convirza

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// maxTokenFile bounds what Load reads: a token pair is well under 4 KiB, so
// a larger file is not one this package wrote.
const maxTokenFile = 1 << 20

// Lock polling: LockTokens tries the lock without blocking, since a blocking
// flock or LockFileEx cannot be abandoned when ctx ends without leaving a
// goroutine or a thread behind; the waits between tries grow from the first
// to the last value.
const (
	lockPollMin = time.Millisecond
	lockPollMax = 20 * time.Millisecond
)

// FileTokenStore is a TokenStore that keeps the token pair in a JSON file,
// so that a restarted process goes on with the newest refresh token, and so
// that several processes (or several clients of one process) can share one
// pair.
//
// The file is private: it is written with mode 0600 in a directory created
// with mode 0700 if missing, and Load refuses a file that group or others
// may read or write. It is replaced atomically (a temporary file in the same
// directory, synced, then renamed over it), so a reader or a crash never
// sees half a pair.
//
// It implements TokenLocker with a lock file beside the token file (its path
// plus ".lock"; it is never removed, since a process could otherwise lock a
// file that another has just replaced). A client made WithCredentials holds
// that lock for the whole of each renewal and reloads the pair under it, so
// processes sharing the file never send the same refresh token twice: the
// second one to renew uses the pair the first one saved.
//
// A FileTokenStore is safe for concurrent use. Its String and Format methods
// print the path only.
type FileTokenStore struct {
	path string
}

// NewFileTokenStore returns a store that keeps the pair in the file at path.
// The path is made absolute, so a later change of working directory does
// not move it. The file need not exist: Load then returns nil, and Save
// creates it.
func NewFileTokenStore(path string) (*FileTokenStore, error) {
	if path == "" {
		return nil, invalidf("token file path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("convirza: token file %s: %w", path, err)
	}
	if err := fileLockSupported(); err != nil {
		return nil, fmt.Errorf("convirza: token file %s: %w", abs, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.Mode().IsRegular() {
		return nil, invalidf("token file %s is not a regular file", abs)
	}
	return &FileTokenStore{path: abs}, nil
}

// Path returns the absolute path of the token file.
func (s *FileTokenStore) Path() string { return s.path }

// String describes the store by its path; it never reads the file.
func (s *FileTokenStore) String() string { return "convirza.FileTokenStore{" + s.path + "}" }

// Format makes every fmt verb, %#v included, print String.
func (s *FileTokenStore) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// Load implements TokenStore. It returns nil and no error when the file does
// not exist. A file that group or others may access, or that does not hold
// a JSON token pair, is an error: a pair silently taken for none would make
// the client log in again, and a corrupt file means something other than
// this store wrote it. Errors name the path, never the contents.
//
// Local file I/O is short, so Load does not watch ctx.
func (s *FileTokenStore) Load(context.Context) (*Token, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("convirza: reading the token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("convirza: reading the token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("convirza: token file %s is not a regular file", s.path)
	}
	if err := checkPrivate(s.path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, fmt.Errorf("convirza: reading the token file: %w", err)
	}
	if len(data) > maxTokenFile {
		return nil, fmt.Errorf("convirza: token file %s is larger than %d bytes", s.path, maxTokenFile)
	}
	var tok *Token
	if err := json.Unmarshal(data, &tok); err != nil {
		// The decoder's message may quote a piece of the file; only the
		// position is kept.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("convirza: token file %s is not valid JSON (at byte %d)", s.path, syn.Offset)
		}
		return nil, fmt.Errorf("convirza: token file %s does not hold a token pair", s.path)
	}
	if tok == nil {
		return nil, fmt.Errorf("convirza: token file %s holds null, not a token pair", s.path)
	}
	return tok, nil
}

// Save implements TokenStore: it replaces the file atomically with tok. On
// any error the file is left as it was and no temporary file remains.
//
// Save does not stop when ctx ends: it is called with a pair the server has
// just issued, whose refresh token is the only live one, and abandoning the
// write would leave the other processes with a spent one.
func (s *FileTokenStore) Save(_ context.Context, tok *Token) error {
	if tok == nil {
		return invalidf("nil token")
	}
	data, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("convirza: encoding the token pair: %w", err)
	}
	if err := s.writeFile(data); err != nil {
		return fmt.Errorf("convirza: saving the token file: %w", err)
	}
	return nil
}

// writeFile writes data to a temporary file beside the target, syncs it and
// renames it over the target. The temporary file is in the same directory
// because a rename is atomic only within one file system.
func (s *FileTokenStore) writeFile(data []byte) (err error) {
	dir, base := filepath.Split(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, base+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // a second Close only reports that it is closed
			_ = os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600, but under a umask; Chmod states it.
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	// Synced before the rename, or a crash could leave the new name on an
	// empty file.
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := replaceFile(tmp, s.path); err != nil {
		return err
	}
	return syncDir(dir)
}

// LockTokens implements TokenLocker. The lock excludes other processes and
// also the other FileTokenStores and clients of this process that use the
// same path, since each call opens the lock file anew. It waits until the
// lock is free or ctx ends, and then returns ctx.Err(). The unlock function
// may be called more than once.
func (s *FileTokenStore) LockTokens(ctx context.Context) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("convirza: locking the token file: %w", err)
	}
	f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("convirza: locking the token file: %w", err)
	}
	wait := lockPollMin
	var timer *time.Timer
	for {
		locked, err := tryLockFile(f)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("convirza: locking %s: %w", f.Name(), err)
		}
		if locked {
			break
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-timer.C:
		}
		wait = min(2*wait, lockPollMax)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// Closing the file releases the lock as well; the explicit
			// unlock does not depend on that.
			_ = unlockFile(f)
			_ = f.Close()
		})
	}, nil
}
