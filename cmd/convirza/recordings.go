package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	convirza "github.com/convirza-community/convirza-go"
)

// downloader downloads the recordings of an export into a directory, a
// bounded number at a time.
type downloader struct {
	c   *convirza.Client
	dir string
	sem chan struct{}
	wg  sync.WaitGroup

	mu   sync.Mutex
	errs []error

	downloaded, skipped, renewed atomic.Int64
}

func newDownloader(c *convirza.Client, dir string, workers int) (*downloader, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &downloader{c: c, dir: dir, sem: make(chan struct{}, workers)}, nil
}

// file is where the recording of call goes: its id, and the extension of
// its link (.mp3).
func (d *downloader) file(call *convirza.Call) string {
	ext := ".audio"
	if u, err := url.Parse(call.Recording.URL); err == nil && path.Ext(u.Path) != "" {
		ext = path.Ext(u.Path)
	}
	return filepath.Join(d.dir, strconv.FormatInt(call.ID, 10)+ext)
}

// add starts the download of call's recording, if it has one and its file
// is not there yet, waiting while all the workers are busy. It returns the
// file's path, "" when the call has no recording.
func (d *downloader) add(ctx context.Context, call *convirza.Call) (string, error) {
	if call.Recording == nil || call.Recording.URL == "" {
		return "", nil
	}
	dst := d.file(call)
	if _, err := os.Stat(dst); err == nil {
		d.skipped.Add(1) // complete: files appear by rename only
		return dst, nil
	}
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	d.wg.Add(1)
	id, rec := call.ID, *call.Recording
	go func() {
		defer d.wg.Done()
		defer func() { <-d.sem }()
		if err := d.download(ctx, id, &rec, dst); err != nil {
			d.mu.Lock()
			d.errs = append(d.errs, fmt.Errorf("recording of call %d: %w", id, err))
			d.mu.Unlock()
		}
	}()
	return dst, nil
}

// wait waits for the downloads started, and returns their errors.
func (d *downloader) wait() error {
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	err := errors.Join(d.errs...)
	d.errs = nil
	return err
}

// download fetches one recording into dst, through a temporary file. An
// expired link is renewed once, by fetching the call again.
func (d *downloader) download(ctx context.Context, id int64, rec *convirza.Recording, dst string) error {
	var body io.ReadCloser
	err := convirza.ErrGone
	if !rec.Expired(time.Now()) {
		body, err = d.c.Calls.OpenRecording(ctx, rec)
	}
	if errors.Is(err, convirza.ErrGone) {
		d.renewed.Add(1)
		call, gerr := d.c.Calls.Get(ctx, id, &convirza.GetCallParams{Include: []convirza.CallInclude{convirza.IncludeRecordings}})
		if gerr != nil {
			return fmt.Errorf("renewing the expired link: %w", gerr)
		}
		if call.Recording == nil {
			return errors.New("the call no longer has a recording")
		}
		body, err = d.c.Calls.OpenRecording(ctx, call.Recording)
	}
	if err != nil {
		return err
	}
	defer body.Close()
	tmp, err := os.CreateTemp(d.dir, "."+filepath.Base(dst)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := io.Copy(tmp, body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	d.downloaded.Add(1)
	return nil
}
