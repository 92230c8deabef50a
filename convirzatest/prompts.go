package convirzatest

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// promptsAPI are the operations of this area; router.go lists every area.
var promptsAPI = []route{
	{pattern: "GET /v3/media-prompts", access: anyRole, handle: listPrompts},
	{pattern: "POST /v3/media-prompts", access: adminOnly, read: readPromptUpload, handle: uploadPrompt},
	{pattern: "DELETE /v3/media-prompts/{id}", access: adminOnly, handle: deletePrompt},
}

// Upload limits (api/prompts.md, rules MP1 to MP4).
const (
	// MaxPromptSize is the largest prompt file accepted: 50 MB, read as
	// 52,428,800 bytes.
	MaxPromptSize = 50 << 20

	maxFormField = 4 << 10 // a text part longer than this is a 400
	// maxUploadDrain is how much of an upload the fake reads in all before
	// answering an error, so the client gets the answer rather than a reset
	// connection; past it the connection is closed.
	maxUploadDrain = MaxPromptSize + 8<<20
)

// promptExts are the accepted formats, judged by the file name's extension.
var promptExts = []string{"aac", "flac", "m4a", "mp3", "mp4", "ogg", "wav", "webm"}

// promptTypes are the values of message_type.
var promptTypes = []string{"prompt", "whisper", "voicemail", "survey"}

// prompt is a media prompt. The audio itself is not kept: the fake reads
// uploads as a stream and keeps only their size and SHA-256.
type prompt struct {
	ID          int64     `json:"id"`
	OrgUnitID   int64     `json:"org_unit_id"`
	Name        string    `json:"name"`
	MessageType string    `json:"message_type"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	FileSize    int64     `json:"file_size"`
	SHA256      string    `json:"sha256"` // hex
	Created     time.Time `json:"created"`
}

func (p *prompt) owner() int64 { return p.OrgUnitID }

// PromptFile is what the fake keeps of an uploaded prompt's audio: enough
// for a test to check that its file arrived whole.
type PromptFile struct {
	Name        string // the file name the upload gave
	ContentType string // the file part's content type
	Size        int64  // bytes
	SHA256      string // lower-case hex
}

// PromptFile returns what the fake kept of prompt id's audio, and false when
// no such prompt exists (never uploaded, or deleted).
func (f *Fake) PromptFile(id int64) (PromptFile, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.st.Prompts[id]
	if p == nil {
		return PromptFile{}, false
	}
	return PromptFile{Name: p.FileName, ContentType: p.ContentType, Size: p.FileSize, SHA256: p.SHA256}, true
}

// promptItem is a Prompt object as api/prompts.md shows it. The fake does
// not decode audio, so duration, which may be absent, is left out.
type promptItem struct {
	PromptID    int64  `json:"prompt_id"`
	OrgUnitID   int64  `json:"org_unit_id"`
	Name        string `json:"name"`
	MessageType string `json:"message_type"`
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	FileSize    int64  `json:"file_size"`
	Created     string `json:"prompt_created"`
}

func (p *prompt) item() promptItem {
	return promptItem{
		PromptID: p.ID, OrgUnitID: p.OrgUnitID, Name: p.Name, MessageType: p.MessageType,
		FileName: p.FileName, ContentType: p.ContentType, FileSize: p.FileSize, Created: iso(p.Created),
	}
}

// listPrompts is GET /v3/media-prompts: the prompts of org_unit_id and the
// units below it, oldest first.
func listPrompts(c *call) (any, *apiError) {
	q := c.query()
	ouID := c.orgUnitFilter(q)
	typ := q.enum("message_type", "", promptTypes...)
	limit, offset := q.paging(100)
	if err := c.listScope(q, ouID); err != nil {
		return nil, err
	}
	found := under(c.st, c.st.Prompts, ouID, func(p *prompt) bool { return typ == "" || p.MessageType == typ })
	oldestFirst := func(a, b *prompt) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) }
	return listReply("prompts", found, oldestFirst, limit, offset, (*prompt).item), nil
}

// upload is what uploadPrompt read from a multipart body.
type upload struct {
	fields   map[string]string
	file     bool // a part named "file" with a file name
	fileName string
	fileType string // the file part's Content-Type
	size     int64  // bytes of the file part, counted up to MaxPromptSize+1
	sum      string
	misnamed string // the name of a file part that is not "file"
	errs     []fieldError
}

func (u *upload) fail(field, msg string) {
	if !slices.ContainsFunc(u.errs, func(e fieldError) bool { return e.Field == field }) {
		u.errs = append(u.errs, fieldError{field, msg})
	}
}

// readUpload reads a multipart body part by part. The file part is streamed
// through a hash and a counter, never held in memory; past MaxPromptSize
// bytes it is only skipped. When u.size > MaxPromptSize the error, if any,
// comes from reading past the limit and does not matter.
func readUpload(r *http.Request) (*upload, error) {
	u := &upload{fields: map[string]string{}}
	// Bound what the fake reads of one upload: a body larger than this
	// fails, and the connection is closed after the answer.
	r.Body = http.MaxBytesReader(nil, r.Body, maxUploadDrain)
	mr, err := r.MultipartReader()
	if err != nil {
		return u, err
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return u, nil
		}
		if err != nil {
			return u, err
		}
		name := p.FormName()
		switch {
		case name == "file" && p.FileName() != "":
			if u.file {
				u.fail("file", "only one file may be uploaded")
				continue
			}
			u.file, u.fileName, u.fileType = true, p.FileName(), p.Header.Get("Content-Type")
			h := sha256.New()
			u.size, err = io.Copy(h, io.LimitReader(p, MaxPromptSize+1))
			if err != nil {
				return u, err
			}
			u.sum = hex.EncodeToString(h.Sum(nil))
		case p.FileName() != "":
			u.misnamed = name
		case name == "message_type" || name == "name" || name == "org_unit_id" || name == "file":
			v, err := io.ReadAll(io.LimitReader(p, maxFormField+1))
			if err != nil {
				return u, err
			}
			if len(v) > maxFormField {
				u.fail(name, "must be at most 4096 bytes")
			}
			if name == "file" {
				u.fail("file", "must be a file part (with a filename), not a text field")
				continue
			}
			u.fields[name] = string(v)
		}
	}
}

// audioType reports whether a file part's content type may carry audio.
func audioType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (strings.HasPrefix(mt, "audio/") || mt == "video/mp4" || mt == "video/webm" ||
		mt == "application/octet-stream")
}

// promptUpload is what readPromptUpload read, for uploadPrompt.
type promptUpload struct {
	multipart bool
	u         *upload
	err       error
}

// readPromptUpload reads the body of POST /v3/media-prompts before the state
// lock is taken, so that a slow upload holds up no other client.
func readPromptUpload(c *call) {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		c.upload = &promptUpload{}
		return
	}
	u, err := readUpload(c.r)
	// Read what is left (readUpload bounds it), so that a client still
	// sending gets the answer rather than a reset connection.
	_, _ = io.Copy(io.Discard, c.r.Body)
	c.upload = &promptUpload{multipart: true, u: u, err: err}
}

// uploadPrompt is POST /v3/media-prompts (multipart/form-data), whose body
// readPromptUpload has read.
func uploadPrompt(c *call) (any, *apiError) {
	if !c.upload.multipart {
		return nil, invalid(fieldError{"file", "the request must be multipart/form-data with the audio in a part named file"})
	}
	u, err := c.upload.u, c.upload.err
	if u.size > MaxPromptSize { // MP2
		return nil, invalid(fieldError{"file", "must be at most 52428800 bytes (50 MB)"})
	}
	if err != nil {
		return nil, invalid(fieldError{"body", "malformed multipart body: " + err.Error()})
	}

	switch typ, ok := u.fields["message_type"]; {
	case !ok || typ == "":
		u.fail("message_type", "is required")
	case !slices.Contains(promptTypes, typ):
		u.fail("message_type", "must be one of: "+strings.Join(promptTypes, ", "))
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(u.fileName), "."))
	switch {
	case !u.file && u.misnamed != "":
		u.fail("file", "the audio must be in a part named file, not "+strconv.Quote(u.misnamed))
	case !u.file:
		u.fail("file", "is required")
	case !slices.Contains(promptExts, ext):
		u.fail("file", "format must be one of: "+strings.Join(promptExts, ", "))
	case !audioType(u.fileType):
		u.fail("file", "content type "+strconv.Quote(u.fileType)+" is not audio")
	case u.size == 0:
		u.fail("file", "is empty")
	}
	ouID := c.caller.OrgUnitID
	if s, ok := u.fields["org_unit_id"]; ok && s != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil || n <= 0:
			u.fail("org_unit_id", "must be a positive integer")
		case !c.seesOrgUnit(n):
			u.fail("org_unit_id", orgUnitUnseen) // S7
		default:
			ouID = n
		}
	}
	if len(u.errs) > 0 {
		return nil, invalid(u.errs...)
	}

	name := u.fields["name"]
	if strings.TrimSpace(name) == "" {
		name = u.fileName
	}
	ct := u.fileType
	if ct == "" {
		ct = "application/octet-stream"
	}
	p := &prompt{
		ID: c.st.newID(), OrgUnitID: ouID, Name: name, MessageType: u.fields["message_type"],
		FileName: u.fileName, ContentType: ct, FileSize: u.size, SHA256: u.sum, Created: c.now,
	}
	c.st.Prompts[p.ID] = p
	return map[string]int64{"promptId": p.ID}, nil
}

// deletePrompt is DELETE /v3/media-prompts/{id}: a hard delete.
func deletePrompt(c *call) (any, *apiError) {
	return remove(c, c.st.Prompts, "Prompt", "promptId")
}
