package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	convirza "github.com/convirza-community/convirza-go"
)

// exportPageSize is the page size of an export: the largest the API takes.
const exportPageSize = convirza.MaxLimit

// runExport runs an export job: window after window, each one's calls
// written and its recordings downloaded before its checkpoint is saved.
func runExport(ctx context.Context, e *env, c *convirza.Client, j *exportJob) error {
	out, cp, err := openExport(e, j)
	if err != nil {
		return err
	}
	defer out.close()

	var rec *downloader
	if j.recDir != "" {
		if rec, err = newDownloader(c, j.recDir, j.workers); err != nil {
			return err
		}
		// No download outlives the command, even one that failed.
		defer func() { _ = rec.wait() }()
	}
	windows := convirza.SplitCallsWindow(j.from, cp.To)
	prog := newProgress(e, len(windows), rec)
	defer prog.stop()
	w := newCallWriter(j.format, out.buf)
	for i, win := range windows {
		if !win.End.After(cp.Done) {
			prog.windowDone(i + 1) // exported before the resume
			continue
		}
		params := &convirza.ListCallsParams{
			PageParams: convirza.PageParams{Limit: exportPageSize},
			Start:      win.Start, End: win.End,
			OrgUnitID: j.orgUnit, Include: j.include,
		}
		var n int64
		for call, err := range c.Calls.All(ctx, params) {
			if err != nil {
				return interrupted(j, cp, err)
			}
			file := ""
			if rec != nil {
				if file, err = rec.add(ctx, &call); err != nil {
					return interrupted(j, cp, err)
				}
			}
			if err := w.write(&call, file); err != nil {
				return err
			}
			n++
			prog.call()
		}
		if rec != nil {
			if err := rec.wait(); err != nil {
				return interrupted(j, cp, err)
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		if cp.Bytes, err = out.sync(); err != nil {
			return err
		}
		cp.Done, cp.Calls = win.End, cp.Calls+n
		if err := out.saveCheckpoint(cp); err != nil {
			return err
		}
		prog.windowDone(i + 1)
	}
	return out.finish()
}

// interrupted explains how to go on after err stopped an export.
func interrupted(j *exportJob, cp *checkpoint, err error) error {
	if j.out == "" {
		return err
	}
	return fmt.Errorf("%w\nthe export is complete up to %s (%d calls): run the same command with --resume to go on",
		err, cp.Done.Format(time.RFC3339), cp.Calls)
}

// exportOutput is where an export writes: stdout, or a file with its
// checkpoint.
type exportOutput struct {
	path string // "" is stdout
	file *os.File
	cw   *countingWriter
	buf  *bufio.Writer
}

// openExport opens the output of j: a new one, or for --resume the one its
// checkpoint describes, cut back to the last complete window.
func openExport(e *env, j *exportJob) (*exportOutput, *checkpoint, error) {
	cp := &checkpoint{Version: 1, From: j.from, To: j.to, Include: j.include, Format: j.format, OrgUnit: j.orgUnit, Done: j.from}
	if j.out == "" {
		o := &exportOutput{cw: &countingWriter{w: e.stdout}}
		o.buf = bufio.NewWriterSize(o.cw, 64<<10)
		return o, cp, newCallWriter(j.format, o.buf).header()
	}
	if j.resume {
		old, err := loadCheckpoint(j.out)
		if err != nil {
			return nil, nil, err
		}
		if old != nil {
			if diff := old.mismatch(j); diff != "" {
				return nil, nil, usagef("%s belongs to another export (%s): give the same flags, or drop --resume to start over", checkpointPath(j.out), diff)
			}
			o, err := reopen(j.out, old.Bytes)
			if err != nil {
				return nil, nil, err
			}
			fmt.Fprintf(e.stderr, "Resuming the export to %s from %s (%d calls done)\n", j.out, old.Done.Format(time.RFC3339), old.Calls)
			return o, old, nil
		}
		fmt.Fprintf(e.stderr, "No checkpoint beside %s: starting the export from %s\n", j.out, j.from.Format(time.RFC3339))
	}
	f, err := os.Create(j.out)
	if err != nil {
		return nil, nil, err
	}
	o := &exportOutput{path: j.out, file: f, cw: &countingWriter{w: f}}
	o.buf = bufio.NewWriterSize(o.cw, 64<<10)
	w := newCallWriter(j.format, o.buf)
	if err := w.header(); err != nil {
		o.close()
		return nil, nil, err
	}
	if err := w.flush(); err != nil {
		o.close()
		return nil, nil, err
	}
	if cp.Bytes, err = o.sync(); err == nil {
		err = o.saveCheckpoint(cp)
	}
	if err != nil {
		o.close()
		return nil, nil, err
	}
	return o, cp, nil
}

// reopen opens an export's output to go on after its first size bytes,
// dropping what a broken run wrote after its last checkpoint.
func reopen(path string, size int64) (*exportOutput, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot resume: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() < size {
		err = fmt.Errorf("cannot resume: %s has %d bytes, fewer than the %d its checkpoint recorded; start over without --resume", path, fi.Size(), size)
	}
	if err == nil {
		err = f.Truncate(size)
	}
	if err == nil {
		_, err = f.Seek(size, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	o := &exportOutput{path: path, file: f, cw: &countingWriter{w: f, n: size}}
	o.buf = bufio.NewWriterSize(o.cw, 64<<10)
	return o, nil
}

// sync writes out what is buffered and, for a file, makes it durable
// before a checkpoint names it. It returns the output's size.
func (o *exportOutput) sync() (int64, error) {
	if err := o.buf.Flush(); err != nil {
		return 0, err
	}
	if o.file != nil {
		if err := o.file.Sync(); err != nil {
			return 0, err
		}
	}
	return o.cw.n, nil
}

func (o *exportOutput) saveCheckpoint(cp *checkpoint) error {
	if o.path == "" {
		return nil
	}
	return cp.save(o.path)
}

// finish completes the output: the checkpoint of a complete export is
// removed.
func (o *exportOutput) finish() error {
	if _, err := o.sync(); err != nil {
		return err
	}
	if o.file == nil {
		return nil
	}
	err := o.file.Close()
	o.file = nil
	if err != nil {
		return err
	}
	if err := os.Remove(checkpointPath(o.path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// close closes the file of an export that stopped; what the buffer holds
// is written, and the next --resume cuts it off again.
func (o *exportOutput) close() {
	if o.file != nil {
		_ = o.buf.Flush()
		_ = o.file.Close()
		o.file = nil
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
