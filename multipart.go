package convirza

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/textproto"
	"sync"
	"sync/atomic"
)

// A multipart upload is streamed: the body is the form's text parts and the
// file part's header (a few hundred bytes, built once), then the caller's
// reader, then the closing boundary. Nothing copies the file into memory and
// no goroutine is started, so a 50 MB file costs a few kilobytes.

// formField is a text part of a multipart form.
type formField struct{ name, value string }

// filePart is the file part of a multipart form.
type filePart struct {
	field       string // the part's name
	fileName    string
	contentType string
	r           io.Reader
	maxSize     int64 // the largest file accepted, in bytes
}

// errFileTooLarge is the read error of a file of unknown size that turned
// out larger than its limit while it was being sent. The request fails at
// that point, before the body is complete, so the server cannot act on it.
var errFileTooLarge = fmt.Errorf("%w: file larger than the limit", ErrInvalidParams)

// errBodyGone is the read error of a body whose attempt is over: a transport
// goroutine still sending an answered (or retried) request cannot read the
// caller's file any more.
var errBodyGone = errors.New("convirza: upload body read after its attempt ended")

// multipartPayload returns a payload that streams a multipart/form-data
// body of fields followed by file. Its length is known when the file's size
// is (from Seek, Stat or Len); a known size over file.maxSize is refused
// here, before any I/O, and an unknown size is counted while streaming.
//
// A file that is an io.Seeker is replayable: every attempt rewinds it to the
// position it had when multipartPayload was called. Any other reader is
// read once at most.
//
// release must be called when the call is over. From then on the file is
// never read again: the standard transport may still be sending the body of
// a request whose answer came early, and the caller owns the file again.
func multipartPayload(fields []formField, file filePart) (*payload, func(), error) {
	src, err := probeSource(file.r)
	if err != nil {
		return nil, nil, err
	}
	if src.size > file.maxSize {
		return nil, nil, invalidf("file %q has %d bytes, more than the %d allowed", file.fileName, src.size, file.maxSize)
	}

	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f.name, f.value); err != nil {
			return nil, nil, invalidf("form field %q: %v", f.name, err)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition(file.field, file.fileName))
	h.Set("Content-Type", file.contentType)
	if _, err := w.CreatePart(h); err != nil {
		return nil, nil, invalidf("file part: %v", err)
	}
	prefix := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := w.Close(); err != nil { // writes only the closing boundary
		return nil, nil, invalidf("closing the form: %v", err)
	}
	suffix := bytes.Clone(buf.Bytes())

	b := &multipartBody{prefix: prefix, suffix: suffix, src: src, max: file.maxSize}
	length := int64(-1)
	if src.size >= 0 {
		length = int64(len(prefix)) + src.size + int64(len(suffix))
	}
	return &payload{
		contentType: w.FormDataContentType(),
		open:        b.open,
		length:      length,
		replayable:  src.seeker != nil,
	}, b.release, nil
}

// source is the file of an upload and what is known of it.
type source struct {
	r      io.Reader
	seeker io.Seeker // set when r can be rewound
	start  int64     // the seeker's position when the upload began
	size   int64     // bytes from start to the end, -1 when unknown
}

// probeSource finds the size of r without reading it: from Seek (rewinding
// to where r was), else from Stat for a regular file, else from Len. A
// Seek that fails at once (a pipe behind an *os.File) just means r cannot
// be rewound.
func probeSource(r io.Reader) (*source, error) {
	src := &source{r: r, size: -1}
	if s, ok := r.(io.Seeker); ok {
		if cur, err := s.Seek(0, io.SeekCurrent); err == nil {
			end, err := s.Seek(0, io.SeekEnd)
			if err != nil {
				return nil, fmt.Errorf("convirza: finding the file's size: %w", err)
			}
			if _, err := s.Seek(cur, io.SeekStart); err != nil {
				return nil, fmt.Errorf("convirza: rewinding the file: %w", err)
			}
			src.seeker, src.start, src.size = s, cur, max(end-cur, 0)
			return src, nil
		}
	}
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			src.size = fi.Size()
			return src, nil
		}
	}
	if l, ok := r.(interface{ Len() int }); ok {
		src.size = int64(l.Len())
	}
	return src, nil
}

// multipartBody hands out one reader per attempt. Only the reader of the
// latest attempt may read the file, under mu, so a transport goroutine that
// is still writing an earlier attempt never races with the rewind of the
// next one, nor with the caller once the call is over.
type multipartBody struct {
	prefix, suffix []byte
	src            *source
	max            int64

	mu   sync.Mutex
	gen  uint64 // the attempt whose reader may read the file
	used bool   // a reader that cannot be rewound has been read
	done atomic.Bool
}

// open is the payload's open (go-retryablehttp's ReaderFunc): the body from
// its start. The reader it returns is not an io.Closer of the caller's file:
// closing it ends its attempt and leaves the file open.
func (b *multipartBody) open() (io.Reader, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done.Load() {
		return nil, errBodyGone
	}
	if b.src.seeker != nil {
		if _, err := b.src.seeker.Seek(b.src.start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("convirza: rewinding the file: %w", err)
		}
	} else if b.used {
		return nil, errors.New("convirza: the upload's reader cannot be read twice; pass an io.ReadSeeker to allow retries")
	}
	b.gen++
	fr := &fileReader{b: b, gen: b.gen}
	var file io.Reader = fr
	if b.src.size >= 0 {
		file = io.LimitReader(fr, b.src.size)
	}
	return &attemptBody{
		Reader: io.MultiReader(bytes.NewReader(b.prefix), file, bytes.NewReader(b.suffix)),
		file:   fr,
	}, nil
}

// release ends the last attempt. For a file that can be rewound it waits
// for a read in progress; a reader that cannot (a pipe, a network stream)
// may block in Read indefinitely, so for it release does not wait.
func (b *multipartBody) release() {
	b.done.Store(true)
	if b.src.seeker != nil {
		b.mu.Lock()
		b.gen++
		b.mu.Unlock()
	}
}

// attemptBody is the request body of one attempt.
type attemptBody struct {
	io.Reader
	file *fileReader
}

// Close ends the attempt; the caller's file stays open.
func (a *attemptBody) Close() error {
	a.file.closed.Store(true)
	return nil
}

// fileReader reads the file for one attempt, counting the bytes of a file
// of unknown size against the limit.
type fileReader struct {
	b      *multipartBody
	gen    uint64
	n      int64
	closed atomic.Bool
}

func (f *fileReader) Read(p []byte) (int, error) {
	b := f.b
	if b.src.seeker != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
		if f.gen != b.gen {
			return 0, errBodyGone
		}
	} else {
		b.mu.Lock()
		b.used = true
		b.mu.Unlock()
	}
	if f.closed.Load() || b.done.Load() {
		return 0, errBodyGone
	}
	if b.src.size < 0 {
		// Read one byte past the limit at most, to tell "exactly the
		// limit" from "over it".
		if rem := b.max + 1 - f.n; int64(len(p)) > rem {
			p = p[:rem]
		}
	}
	n, err := b.src.r.Read(p)
	f.n += int64(n)
	if b.src.size < 0 && f.n > b.max {
		return 0, errFileTooLarge
	}
	return n, err
}
