package convirza

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPromptsListWire(t *testing.T) {
	page := assertSends(t, "GET", "/media-prompts", url.Values{
		"limit": {"10"}, "offset": {"20"}, "org_unit_id": {"1001"}, "message_type": {"whisper"},
	}, string(golden(t, "prompts/list.json")), "", func(c *Client) (*Page[Prompt], error) {
		return c.Prompts.List(context.Background(), &ListPromptsParams{
			PageParams: PageParams{Limit: 10, Offset: 20}, OrgUnitID: 1001, MessageType: PromptTypeWhisper,
		})
	})
	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	p := page.Items[0]
	assert.Equal(t, int64(501), p.ID)
	assert.Equal(t, int64(1001), p.OrgUnitID)
	assert.Equal(t, "Main greeting", p.Name)
	assert.Equal(t, PromptTypePrompt, p.MessageType)
	assert.Equal(t, "greeting.mp3", p.FileName)
	assert.Equal(t, "audio/mpeg", p.ContentType)
	assert.Equal(t, int64(482133), p.FileSize)
	assert.Equal(t, Duration(12*time.Second), p.Duration)
	assert.Equal(t, time.Date(2026, 1, 20, 12, 34, 56, 789e6, time.UTC), p.Created)
	assert.Contains(t, string(p.Raw), `"prompt_id": 501`)
}

func TestPromptsListDefaultsAndAlternativeKey(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/media-prompts", 200,
		envelopeJSON(`{"media_prompts":[{"prompt_id":7,"duration":75}],"total":1}`))
	page, err := c.Prompts.List(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/media-prompts", url.Values{"limit": {"100"}}, "")
	require.Len(t, page.Items, 1)
	assert.Equal(t, int64(7), page.Items[0].ID)
	assert.Equal(t, Duration(75*time.Second), page.Items[0].Duration, "a duration in seconds")
	assert.Zero(t, page.Items[0].FileSize, "file_size may be absent")
}

func TestPromptsListRefusesBadInputBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]*ListPromptsParams{
		"message type": {MessageType: "greeting"},
		"org unit":     {OrgUnitID: -3},
	}, func(c *Client, p *ListPromptsParams) error {
		_, err := c.Prompts.List(context.Background(), p)
		return err
	})
}

func TestPromptsDeleteWire(t *testing.T) {
	assertDeleteWire(t, "/media-prompts/%d", 501, string(golden(t, "prompts/delete.json")), func(c *Client, id int64) error {
		return c.Prompts.Delete(context.Background(), id)
	})
}

func TestPromptsGolden(t *testing.T) {
	list := goldenData(t, "prompts/list.json")
	page := decodeGolden[promptList](t, list)
	require.Len(t, page.Prompts, 1)
	assert.Equal(t, 1, page.Total)
	assert.JSONEq(t, string(mustItem(t, list, "prompts")), string(page.Prompts[0].Raw), "Raw keeps the object whole")

	assertGoldenIDs(t, 501, "prompts/upload.json", "prompts/delete.json")
}

func TestPromptToleratesDrift(t *testing.T) {
	var p Prompt
	require.NoError(t, jsonUnmarshal([]byte(`{"prompt_id":"501","file_size":"1024","duration":null,
		"prompt_created":1768912496,"waveform":{"peaks":[1,2]}}`), &p))
	assert.Equal(t, int64(501), p.ID)
	assert.Equal(t, int64(1024), p.FileSize)
	assert.Zero(t, p.Duration)
	assert.Equal(t, time.Unix(1768912496, 0).UTC(), p.Created)
	assert.Contains(t, string(p.Raw), "waveform")
}

// mustItem returns the first element of the array under key in data.
func mustItem(t *testing.T, data []byte, key string) []byte {
	t.Helper()
	var obj map[string]json.RawMessage
	require.NoError(t, jsonUnmarshal(data, &obj))
	var items []json.RawMessage
	require.NoError(t, jsonUnmarshal(obj[key], &items))
	require.NotEmpty(t, items)
	return items[0]
}

// --- upload ---

// uploadSeen is an upload request as it went over the wire.
type uploadSeen struct {
	Method        string
	Path          string
	Header        http.Header
	ContentLength int64
	Body          []byte
	ReadErr       error
}

// uploadRecorder answers uploads with the next status of its list (the last
// one repeats) and keeps every request whole.
type uploadRecorder struct {
	mu   sync.Mutex
	seen []uploadSeen
}

func (r *uploadRecorder) all() []uploadSeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uploadSeen(nil), r.seen...)
}

func respondUpload(t *testing.T, mt *httpmock.MockTransport, statuses ...int) *uploadRecorder {
	t.Helper()
	rec := &uploadRecorder{}
	created := string(golden(t, "prompts/upload.json"))
	mt.RegisterRegexpResponder("POST", regexpFor(testBase+"/media-prompts"), func(req *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(req.Body)
		rec.mu.Lock()
		n := len(rec.seen)
		rec.seen = append(rec.seen, uploadSeen{
			Method: req.Method, Path: req.URL.EscapedPath(), Header: req.Header.Clone(),
			ContentLength: req.ContentLength, Body: b, ReadErr: err,
		})
		rec.mu.Unlock()
		if err != nil {
			return nil, err
		}
		status := statuses[min(n, len(statuses)-1)]
		if status != 200 {
			resp := newJSONResponse(status, `{"code":`+strconv.Itoa(status)+`,"message":"Try again later"}`)
			resp.Header.Set("Retry-After", "0")
			return resp, nil
		}
		return newJSONResponse(200, created), nil
	})
	return rec
}

// formPart is a part of a multipart body as a server reads it.
type formPart struct {
	Name, FileName, ContentType string
	Data                        []byte
}

// parseUpload reads a multipart/form-data body with the standard library,
// failing the test when it is not one.
func parseUpload(t *testing.T, contentType string, body []byte) []formPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	require.NoError(t, err)
	require.Equal(t, "multipart/form-data", mt)
	require.NotEmpty(t, params["boundary"])
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts []formPart
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return parts
		}
		require.NoError(t, err)
		data, err := io.ReadAll(p)
		require.NoError(t, err)
		parts = append(parts, formPart{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), data})
	}
}

func TestPromptsUploadWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respondUpload(t, mt, 200)
	audio := []byte("ID3\x04\x00 not really an mp3 \r\n--boundary-lookalike--\r\n")
	created, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
		File: bytes.NewReader(audio), FileName: "greeting.mp3", MessageType: PromptTypePrompt,
		Name: "Main greeting", OrgUnitID: 1001,
	})
	require.NoError(t, err)
	assert.Equal(t, int64(501), created.ID)

	seen := rec.all()
	require.Len(t, seen, 1)
	got := seen[0]
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "/v3/media-prompts", got.Path)
	assert.Equal(t, "Bearer "+testToken, got.Header.Get("Authorization"))
	assert.Equal(t, "application/json", got.Header.Get("Accept"))
	assert.True(t, strings.HasPrefix(got.Header.Get("Content-Type"), "multipart/form-data; boundary="))
	assert.Equal(t, int64(len(got.Body)), got.ContentLength, "the length is known and exact")

	assert.Equal(t, []formPart{
		{Name: "message_type", Data: []byte("prompt")},
		{Name: "name", Data: []byte("Main greeting")},
		{Name: "org_unit_id", Data: []byte("1001")},
		{Name: "file", FileName: "greeting.mp3", ContentType: "audio/mpeg", Data: audio},
	}, parseUpload(t, got.Header.Get("Content-Type"), got.Body))
}

func TestPromptsUploadOptionalFieldsLeftOut(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respondUpload(t, mt, 200)
	_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
		File: strings.NewReader("RIFF"), FileName: "Night Whisper.WAV", MessageType: PromptTypeWhisper,
	})
	require.NoError(t, err)
	got := rec.all()[0]
	assert.Equal(t, []formPart{
		{Name: "message_type", Data: []byte("whisper")},
		{Name: "file", FileName: "Night Whisper.WAV", ContentType: "audio/wav", Data: []byte("RIFF")},
	}, parseUpload(t, got.Header.Get("Content-Type"), got.Body))
}

// The body has the shape of the documented example request: the same parts
// in the same order, with the same part headers.
func TestPromptsUploadMatchesDocumentedExample(t *testing.T) {
	doc := string(golden(t, "prompts/upload_request.txt"))
	head, body, ok := strings.Cut(doc, "\n\n")
	require.True(t, ok)
	var docCT string
	for _, line := range strings.Split(head, "\n") {
		if v, ok := strings.CutPrefix(line, "Content-Type: "); ok {
			docCT = v
		}
	}
	body = strings.ReplaceAll(strings.TrimRight(body, "\n"), "\n", "\r\n") + "\r\n"
	want := parseUpload(t, docCT, []byte(body))

	c, mt := newWireClient(t)
	rec := respondUpload(t, mt, 200)
	_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
		File: strings.NewReader("<binary audio>"), FileName: "greeting.mp3",
		MessageType: PromptTypePrompt, Name: "Main greeting",
	})
	require.NoError(t, err)
	got := rec.all()[0]
	assert.Equal(t, want, parseUpload(t, got.Header.Get("Content-Type"), got.Body))
}

func TestPromptsUploadFromOSFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hold-music.flac")
	require.NoError(t, os.WriteFile(path, []byte("HEADERfLaC-audio-bytes"), 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Seek(6, io.SeekStart) // the upload starts where the file is
	require.NoError(t, err)

	c, mt := newWireClient(t)
	rec := respondUpload(t, mt, 200)
	_, err = c.Prompts.Upload(context.Background(), &UploadPromptParams{File: f, MessageType: PromptTypeVoicemail})
	require.NoError(t, err)

	got := rec.all()[0]
	parts := parseUpload(t, got.Header.Get("Content-Type"), got.Body)
	require.Len(t, parts, 2)
	assert.Equal(t, formPart{Name: "file", FileName: "hold-music.flac", ContentType: "audio/flac",
		Data: []byte("fLaC-audio-bytes")}, parts[1], "the file name comes from the *os.File")
	assert.Equal(t, int64(len(got.Body)), got.ContentLength)

	// The caller's file is still open.
	_, err = f.Stat()
	assert.NoError(t, err)
	_, err = f.Seek(0, io.SeekStart)
	assert.NoError(t, err, "Upload does not close the file")
}

func TestPromptsUploadValidatesBeforeIO(t *testing.T) {
	ok := UploadPromptParams{File: strings.NewReader("x"), FileName: "a.mp3", MessageType: PromptTypeSurvey}
	cases := changed(ok, map[string]func(p *UploadPromptParams){
		"no file":         func(p *UploadPromptParams) { p.File = nil },
		"no file name":    func(p *UploadPromptParams) { p.FileName = "" },
		"no extension":    func(p *UploadPromptParams) { p.FileName = "greeting" },
		"text file":       func(p *UploadPromptParams) { p.FileName = "greeting.txt" },
		"dot only":        func(p *UploadPromptParams) { p.FileName = "greeting.mp3." },
		"control char":    func(p *UploadPromptParams) { p.FileName = "a\r\nX-Evil: 1.mp3" },
		"no message type": func(p *UploadPromptParams) { p.MessageType = "" },
		"bad message":     func(p *UploadPromptParams) { p.MessageType = "Prompt" },
		"org unit":        func(p *UploadPromptParams) { p.OrgUnitID = -1 },
		"seek size":       func(p *UploadPromptParams) { p.File = newPatternFile(MaxPromptSize + 1) },
		"stat size":       func(p *UploadPromptParams) { p.File = &statOnlyReader{size: MaxPromptSize + 1} },
		"len size":        func(p *UploadPromptParams) { p.File = &lenOnlyReader{n: MaxPromptSize + 1} },
	})
	cases["nil"] = nil
	assertRefusedBeforeIO(t, cases, func(c *Client, p *UploadPromptParams) error {
		_, err := c.Prompts.Upload(context.Background(), p)
		return err
	})

	c, _ := newWireClient(t)
	p := ok
	p.FileName = "greeting.ogg.txt"
	_, err := c.Prompts.Upload(context.Background(), &p)
	assert.ErrorContains(t, err, "aac, flac, m4a, mp3, mp4, ogg, wav, webm", "the error names the formats")

	// Exactly 50 MB is allowed (the size is known: no byte is read here).
	big := newPatternFile(MaxPromptSize)
	pl, release, err := multipartPayload(nil, filePart{field: "file", fileName: "a.mp3", contentType: "audio/mpeg", r: big, maxSize: MaxPromptSize})
	require.NoError(t, err)
	release()
	assert.Greater(t, pl.length, int64(MaxPromptSize))
	assert.Zero(t, big.read.Load())
}

func TestPromptsUploadSeekableRetriedAfter503(t *testing.T) {
	for _, status := range []int{503, 429} {
		c, mt := newWireClient(t)
		rec := respondUpload(t, mt, status, 200)
		audio := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
		r := bytes.NewReader(append([]byte("skipped"), audio...))
		_, _ = r.Seek(7, io.SeekStart)
		created, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
			File: r, FileName: "a.m4a", MessageType: PromptTypePrompt})
		require.NoError(t, err, status)
		assert.Equal(t, int64(501), created.ID)

		seen := rec.all()
		require.Len(t, seen, 2, "%d then 200: two attempts", status)
		assert.Equal(t, seen[0].Body, seen[1].Body, "the second body is the first one again")
		assert.Equal(t, int64(len(seen[1].Body)), seen[1].ContentLength)
		parts := parseUpload(t, seen[1].Header.Get("Content-Type"), seen[1].Body)
		require.Len(t, parts, 2)
		assert.Equal(t, audio, parts[1].Data, "complete, from the starting position")
	}
}

func TestPromptsUploadNotSeekableSentOnce(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respondUpload(t, mt, 503, 200)
	_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
		File: io.MultiReader(strings.NewReader("stream")), FileName: "a.aac", MessageType: PromptTypePrompt})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrServer)
	seen := rec.all()
	require.Len(t, seen, 1, "a body that cannot be replayed is never retried")
	parts := parseUpload(t, seen[0].Header.Get("Content-Type"), seen[0].Body)
	assert.Equal(t, []byte("stream"), parts[1].Data)
	assert.Equal(t, int64(0), seen[0].ContentLength, "unknown length: chunked")
}

func TestPromptsUploadDroppedConnectionNotRetried(t *testing.T) {
	c, mt := newWireClient(t)
	var n atomic.Int32
	mt.RegisterRegexpResponder("POST", regexpFor(testBase+"/media-prompts"), func(req *http.Request) (*http.Response, error) {
		n.Add(1)
		_, _ = io.Copy(io.Discard, req.Body)
		return nil, io.ErrUnexpectedEOF // sent, then the connection broke
	})
	_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
		File: bytes.NewReader([]byte("abc")), FileName: "a.webm", MessageType: PromptTypePrompt})
	assert.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, int32(1), n.Load(), "a POST that may have been processed is not sent again")
}

// closeRecorder is a seekable file that records whether it was closed.
type closeRecorder struct {
	*bytes.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error { c.closed.Store(true); return nil }

func TestPromptsUploadNeverClosesTheCallersFile(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respondUpload(t, mt, 503, 200)
	f := &closeRecorder{Reader: bytes.NewReader([]byte("data"))}
	_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{File: f, FileName: "a.ogg", MessageType: PromptTypePrompt})
	require.NoError(t, err)
	assert.Len(t, rec.all(), 2)
	assert.False(t, f.closed.Load())
}

// An attempt's reader stops reading the file once a later attempt began or
// the call is over, so a transport goroutine that outlives its attempt never
// races with the rewind or with the caller.
func TestMultipartBodyAttemptsDoNotShareTheFile(t *testing.T) {
	f := &closeRecorder{Reader: bytes.NewReader([]byte("0123456789"))}
	pl, release, err := multipartPayload([]formField{{"a", "b"}}, filePart{field: "file", fileName: "x.mp3", contentType: "audio/mpeg", r: f, maxSize: 100})
	require.NoError(t, err)
	require.True(t, pl.replayable)

	first, err := pl.open()
	require.NoError(t, err)
	var buf []byte
	for !bytes.HasSuffix(buf, []byte("012")) { // into the file part
		b := make([]byte, 1)
		_, err = io.ReadFull(first, b)
		require.NoError(t, err)
		buf = append(buf, b[0])
	}

	second, err := pl.open()
	require.NoError(t, err)
	_, err = io.ReadAll(first)
	assert.ErrorIs(t, err, errBodyGone, "the earlier attempt is cut off")
	all, err := io.ReadAll(second)
	require.NoError(t, err)
	assert.Len(t, all, int(pl.length))

	third, err := pl.open()
	require.NoError(t, err)
	require.NoError(t, third.(io.Closer).Close())
	_, err = io.ReadAll(third)
	assert.ErrorIs(t, err, errBodyGone, "a closed attempt reads no more")
	assert.False(t, f.closed.Load(), "closing an attempt leaves the file open")

	fourth, err := pl.open()
	require.NoError(t, err)
	release()
	_, err = io.ReadAll(fourth)
	assert.ErrorIs(t, err, errBodyGone)
	_, err = pl.open()
	assert.ErrorIs(t, err, errBodyGone)
}

func TestMultipartBodyNotSeekableReadOnce(t *testing.T) {
	pl, release, err := multipartPayload(nil, filePart{field: "file", fileName: "x.mp3", contentType: "audio/mpeg",
		r: io.MultiReader(strings.NewReader("abc")), maxSize: 100})
	require.NoError(t, err)
	defer release()
	assert.False(t, pl.replayable)
	assert.Equal(t, int64(-1), pl.length)
	_, err = pl.open() // the probe: not read
	require.NoError(t, err)
	r, err := pl.open()
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.NoError(t, err)
	_, err = pl.open()
	assert.Error(t, err, "a stream read once cannot be opened again")
}

// --- streaming ---

// patternFile is a seekable file of any size whose bytes are computed, not
// stored: a 50 MB upload that costs no memory.
type patternFile struct {
	size, pos int64
	read      atomic.Int64
}

func newPatternFile(size int64) *patternFile { return &patternFile{size: size} }

// patternBlock holds the pattern from every phase: byte i is i % 251.
var patternBlock = func() []byte {
	b := make([]byte, 251+32<<10)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

func (f *patternFile) Read(p []byte) (int, error) {
	if f.pos >= f.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), f.size-f.pos, 32<<10)]
	n := copy(p, patternBlock[f.pos%251:])
	f.pos += int64(n)
	f.read.Add(int64(n))
	return n, nil
}

func (f *patternFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += f.pos
	case io.SeekEnd:
		off += f.size
	}
	if off < 0 {
		return 0, errors.New("negative position")
	}
	f.pos = off
	return off, nil
}

// RepeatReader is an endless run of one byte: a file of any size that costs
// no memory. It is exported for the external tests.
type RepeatReader byte

func (r RepeatReader) Read(p []byte) (int, error) {
	p = p[:min(len(p), 32<<10)]
	if len(p) > 0 {
		p[0] = byte(r)
		for n := 1; n < len(p); n *= 2 {
			copy(p[n:], p[:n])
		}
	}
	return len(p), nil
}

// statOnlyReader knows its size from Stat only.
type statOnlyReader struct{ size int64 }

func (r *statOnlyReader) Read([]byte) (int, error)   { return 0, io.EOF }
func (r *statOnlyReader) Stat() (fs.FileInfo, error) { return fakeFileInfo{size: r.size}, nil }

type fakeFileInfo struct {
	fs.FileInfo
	size int64
}

func (fi fakeFileInfo) Size() int64       { return fi.size }
func (fi fakeFileInfo) Mode() fs.FileMode { return 0 }

// lenOnlyReader knows its size from Len only.
type lenOnlyReader struct{ n int }

func (r *lenOnlyReader) Read([]byte) (int, error) { return 0, io.EOF }
func (r *lenOnlyReader) Len() int                 { return r.n }

// uploadSink is a server that reads uploads as a stream, parsing the
// multipart body and keeping only the size and hash of the file part.
type uploadSink struct {
	srv       *httptest.Server
	size      atomic.Int64
	sum       atomic.Value // [32]byte
	chunked   atomic.Bool
	readErr   atomic.Value // string
	onRead    func(n int64)
	contentLn atomic.Int64
}

func newUploadSink(t testing.TB) *uploadSink {
	s := &uploadSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.contentLn.Store(r.ContentLength)
		s.chunked.Store(len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked")
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					s.readErr.Store(err.Error())
					http.Error(w, err.Error(), 400)
					return
				}
				break
			}
			if p.FormName() != "file" {
				continue
			}
			h := sha256.New()
			n, err := io.Copy(h, &sinkCounter{r: p, onRead: s.onRead})
			if err != nil {
				s.readErr.Store(err.Error())
				http.Error(w, err.Error(), 400)
				return
			}
			s.size.Store(n)
			s.sum.Store([32]byte(h.Sum(nil)))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, envelopeJSON(`{"promptId":777}`))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

type sinkCounter struct {
	r      io.Reader
	n      int64
	onRead func(int64)
}

func (c *sinkCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.onRead != nil {
		c.onRead(c.n)
	}
	return n, err
}

func (s *uploadSink) client(t testing.TB) *Client {
	c, err := NewClient(WithBaseURL(s.srv.URL+"/v3"), WithToken("tok"), WithRetryBackoff(0, 0))
	require.NoError(t, err)
	return c
}

func TestPromptsUploadStreams50MB(t *testing.T) {
	sink := newUploadSink(t)
	c := sink.client(t)
	for _, tc := range []struct {
		name    string
		file    func() io.Reader
		chunked bool
	}{
		{"unknown size, chunked", func() io.Reader { return io.LimitReader(RepeatReader('A'), MaxPromptSize) }, true},
		{"known size, seekable", func() io.Reader { return newPatternFile(MaxPromptSize) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Warm up the connection and the code paths, so the figure is
			// the upload's own.
			_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
				File: strings.NewReader("warm"), FileName: "w.mp3", MessageType: PromptTypePrompt})
			require.NoError(t, err)

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			created, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
				File: tc.file(), FileName: "big.wav", MessageType: PromptTypePrompt})
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			assert.Equal(t, int64(777), created.ID)

			grew := after.TotalAlloc - before.TotalAlloc
			t.Logf("50 MB upload (%s): TotalAlloc grew by %d bytes (%.2f MiB), client and server together", tc.name, grew, float64(grew)/(1<<20))
			assert.Less(t, grew, uint64(8<<20), "the body streams: far less than 50 MB allocated")

			assert.Equal(t, int64(MaxPromptSize), sink.size.Load(), "the server got every byte")
			assert.Equal(t, tc.chunked, sink.chunked.Load())
			if !tc.chunked {
				assert.Greater(t, sink.contentLn.Load(), int64(MaxPromptSize))
			}
			h := sha256.New()
			_, _ = io.Copy(h, tc.file())
			assert.Equal(t, [32]byte(h.Sum(nil)), sink.sum.Load(), "the server got the file intact")
		})
	}
}

func TestPromptsUploadUnknownSizeOverLimitFails(t *testing.T) {
	sink := newUploadSink(t)
	c := sink.client(t)
	_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
		File: io.LimitReader(RepeatReader('B'), MaxPromptSize+1), FileName: "big.ogg", MessageType: PromptTypePrompt})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "the body was cut short: nothing can have been created")
	assert.ErrorContains(t, err, "larger than 52428800 bytes")
	assert.Zero(t, sink.size.Load(), "the server never saw a complete file")
}

// BenchmarkPromptUpload50MB uploads 50 MB from a reader of unknown size to a
// local server that parses and hashes it as a stream. peak-heap-B/op is the
// largest growth of the live heap seen while the upload ran (sampled by the
// server every 4 MB of file), client and server together.
func BenchmarkPromptUpload50MB(b *testing.B) {
	sink := newUploadSink(b)
	var base, peak atomic.Uint64
	var next atomic.Int64
	sink.onRead = func(n int64) {
		if n < next.Load() {
			return
		}
		next.Store(n + 4<<20)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > base.Load() && ms.HeapAlloc-base.Load() > peak.Load() {
			peak.Store(ms.HeapAlloc - base.Load())
		}
	}
	c := sink.client(b)
	b.SetBytes(MaxPromptSize)
	b.ReportAllocs()
	var worst uint64
	for b.Loop() {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base.Store(ms.HeapAlloc)
		peak.Store(0)
		next.Store(0)
		_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{
			File: io.LimitReader(RepeatReader('C'), MaxPromptSize), FileName: "b.mp3", MessageType: PromptTypePrompt})
		if err != nil {
			b.Fatal(err)
		}
		worst = max(worst, peak.Load())
	}
	b.ReportMetric(float64(worst), "peak-heap-B/op")
}

// A pipe behind an *os.File cannot seek: it is streamed once, chunked.
func TestPromptsUploadFromPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	go func() {
		_, _ = pw.WriteString("piped audio")
		_ = pw.Close()
	}()
	c, mt := newWireClient(t)
	rec := respondUpload(t, mt, 200)
	_, err = c.Prompts.Upload(context.Background(), &UploadPromptParams{File: pr, FileName: "p.mp3", MessageType: PromptTypePrompt})
	require.NoError(t, err)
	got := rec.all()[0]
	assert.Equal(t, int64(0), got.ContentLength, "unknown length")
	assert.Equal(t, []byte("piped audio"), parseUpload(t, got.Header.Get("Content-Type"), got.Body)[1].Data)
}

// flakySeeker fails the Seek calls whose number (from 1) is in fail.
type flakySeeker struct {
	*bytes.Reader
	n    int
	fail map[int]bool
}

func (f *flakySeeker) Seek(off int64, whence int) (int64, error) {
	f.n++
	if f.fail[f.n] {
		return 0, errors.New("seek failed")
	}
	return f.Reader.Seek(off, whence)
}

func TestPromptsUploadSeekFailures(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respondUpload(t, mt, 503, 200)
	upload := func(fail ...int) error {
		f := &flakySeeker{Reader: bytes.NewReader([]byte("audio")), fail: map[int]bool{}}
		for _, n := range fail {
			f.fail[n] = true
		}
		_, err := c.Prompts.Upload(context.Background(), &UploadPromptParams{File: f, FileName: "a.mp3", MessageType: PromptTypePrompt})
		return err
	}
	// Seeks: 1 current position, 2 end, 3 back, 4 rewind for the request's
	// first open, 5 for the first attempt, 6 for the retry.
	for _, n := range []int{2, 3, 4} {
		err := upload(n)
		assert.ErrorContains(t, err, "seek failed", "seek %d", n)
	}
	assert.Empty(t, rec.all(), "nothing was sent")

	err := upload(6)
	assert.ErrorContains(t, err, "seek failed")
	assert.Len(t, rec.all(), 1, "the retry could not rewind, so it was not sent")
}
