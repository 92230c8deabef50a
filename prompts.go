package convirza

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Paths of the Media Prompts operations.
const (
	promptsPath = "/media-prompts"
	promptPath  = "/media-prompts/%v"
)

// MaxPromptSize is the largest prompt file the API accepts: 50 MB, read as
// 52,428,800 bytes.
const MaxPromptSize = 50 << 20

// promptFormats are the accepted audio formats, by file extension, with the
// content type sent for the file part.
var promptFormats = map[string]string{
	"wav":  "audio/wav",
	"mp3":  "audio/mpeg",
	"mp4":  "audio/mp4",
	"ogg":  "audio/ogg",
	"webm": "audio/webm",
	"m4a":  "audio/mp4",
	"aac":  "audio/aac",
	"flac": "audio/flac",
}

// PromptsService lists, uploads and deletes media prompts: the audio files
// that call flows play. Uploads and deletes are Admin-only; every role may
// list. There is no get-by-id and no update: replace a prompt by uploading
// a new one and deleting the old.
type PromptsService struct{ c *Client }

// PromptType is what a prompt is played for. Unknown values are kept as
// sent.
type PromptType string

// The prompt types.
const (
	PromptTypePrompt    PromptType = "prompt"
	PromptTypeWhisper   PromptType = "whisper"
	PromptTypeVoicemail PromptType = "voicemail"
	PromptTypeSurvey    PromptType = "survey"
)

func (t PromptType) check() error {
	switch t {
	case PromptTypePrompt, PromptTypeWhisper, PromptTypeVoicemail, PromptTypeSurvey:
		return nil
	}
	return invalidf("message type must be prompt, whisper, voicemail or survey, got %q", string(t))
}

// Prompt is a media prompt as List returns it.
type Prompt struct {
	ID        int64 `json:"prompt_id"`
	OrgUnitID int64 `json:"org_unit_id"`
	// Name is the display name; by default the uploaded file's name.
	Name        string     `json:"name"`
	MessageType PromptType `json:"message_type"`
	// FileName is the name of the uploaded file.
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	// FileSize is in bytes; 0 when the server leaves it out.
	FileSize int64 `json:"file_size"`
	// Duration is the audio's length; 0 when the server leaves it out.
	Duration Duration  `json:"duration"`
	Created  time.Time `json:"prompt_created"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (p *Prompt) UnmarshalJSON(b []byte) error {
	type alias Prompt
	return decodeModel(b, (*alias)(p), &p.Raw)
}

// ListPromptsParams filters List Prompts. The zero value lists every prompt
// of the caller's org unit and the units below it.
type ListPromptsParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the caller's).
	OrgUnitID int64 `url:"org_unit_id,omitempty"`
	// MessageType keeps the prompts of one type.
	MessageType PromptType `url:"message_type,omitempty"`
}

// List returns one page of prompts (100 by default).
//
// Convirza API: GET /media-prompts
func (s *PromptsService) List(ctx context.Context, params *ListPromptsParams, opts ...RequestOption) (*Page[Prompt], error) {
	var p ListPromptsParams
	if params != nil {
		p = *params
	}
	if p.MessageType != "" {
		if err := p.MessageType.check(); err != nil {
			return nil, err
		}
	}
	if p.OrgUnitID < 0 {
		return nil, invalidf("org unit id must be positive, got %d", p.OrgUnitID)
	}
	return listPage[Prompt, promptList](ctx, s.c, promptsPath, &p, 100, opts)
}

// All returns every prompt that params matches, fetching pages as the loop
// goes. It stops at the first error, which it yields.
func (s *PromptsService) All(ctx context.Context, params *ListPromptsParams, opts ...RequestOption) iter.Seq2[Prompt, error] {
	return all(ctx, params, func(ctx context.Context, p *ListPromptsParams) (*Page[Prompt], error) {
		return s.List(ctx, p, opts...)
	})
}

// UploadPromptParams is an audio file to upload. File, MessageType and a
// file name (FileName, or the name of an *os.File) are required.
type UploadPromptParams struct {
	// File is the audio, read from its current position to its end and
	// streamed: it is never held in memory whole. At most MaxPromptSize
	// bytes. Upload does not close it.
	//
	// When File is an io.Seeker (an *os.File, a *bytes.Reader), its size is
	// known before sending and an upload the server answers with 429 or 503
	// (it did not act) is sent again from the same position. Any other
	// reader is sent once, in chunks, and counted as it goes.
	File io.Reader
	// FileName is the file's name as the server sees it. Its extension
	// names the format: wav, mp3, mp4, ogg, webm, m4a, aac or flac (any
	// case). Empty means the base name of File's Name() (an *os.File).
	FileName string
	// MessageType is what the prompt is for.
	MessageType PromptType
	// Name is the display name (default: the file name).
	Name string
	// OrgUnitID owns the prompt (default: the caller's org unit).
	OrgUnitID int64
}

// fileName returns FileName, or the base name of File when it has one.
func (p *UploadPromptParams) fileName() string {
	if p.FileName != "" {
		return p.FileName
	}
	if n, ok := p.File.(interface{ Name() string }); ok && n.Name() != "" {
		return filepath.Base(n.Name())
	}
	return ""
}

// promptContentType returns the content type of the file part of name, or
// an error naming the accepted formats.
func promptContentType(name string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	if ct, ok := promptFormats[ext]; ok {
		return ct, nil
	}
	exts := make([]string, 0, len(promptFormats))
	for e := range promptFormats {
		exts = append(exts, e)
	}
	sort.Strings(exts)
	return "", invalidf("prompt file %q: the format must be one of %s (by extension)", name, strings.Join(exts, ", "))
}

// Upload uploads an audio file as a new prompt and returns its id. The body
// is streamed as multipart/form-data. Bad input (no file, an unsupported
// extension, a known size over MaxPromptSize, a missing or unknown message
// type) is refused before any I/O with an error wrapping ErrInvalidParams;
// so is, while streaming, a reader of unknown size that turns out larger
// than MaxPromptSize: the request is cut short and nothing is created.
//
// Once Upload returns, File is not read any more (for a reader that cannot
// seek, as soon as the Read in progress returns).
//
// Convirza API: POST /media-prompts
func (s *PromptsService) Upload(ctx context.Context, params *UploadPromptParams, opts ...RequestOption) (*Created, error) {
	if params == nil {
		return nil, invalidf("upload params are required")
	}
	if params.File == nil {
		return nil, invalidf("upload needs File")
	}
	name := params.fileName()
	if name == "" {
		return nil, invalidf("upload needs FileName: its extension names the format")
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return nil, invalidf("file name %q holds control characters", name)
	}
	ct, err := promptContentType(name)
	if err != nil {
		return nil, err
	}
	if params.MessageType == "" {
		return nil, invalidf("upload needs MessageType")
	}
	if err := params.MessageType.check(); err != nil {
		return nil, err
	}
	if params.OrgUnitID < 0 {
		return nil, invalidf("org unit id must be positive, got %d", params.OrgUnitID)
	}

	fields := []formField{{"message_type", string(params.MessageType)}}
	if params.Name != "" {
		fields = append(fields, formField{"name", params.Name})
	}
	if params.OrgUnitID > 0 {
		fields = append(fields, formField{"org_unit_id", strconv.FormatInt(params.OrgUnitID, 10)})
	}
	body, release, err := multipartPayload(fields, filePart{
		field: "file", fileName: name, contentType: ct, r: params.File, maxSize: MaxPromptSize,
	})
	if err != nil {
		return nil, err
	}
	defer release()
	// A 429 or 503 says the server did not act: safe to send again when the
	// body can be replayed (the pipeline never retries one that cannot).
	r := &request{method: http.MethodPost, path: promptsPath, body: body, retryUnprocessed: true}
	created, err := create(ctx, s.c, r, opts)
	if errors.Is(err, errFileTooLarge) {
		return nil, invalidf("prompt file %q is larger than %d bytes; the upload was cut short and nothing was created", name, MaxPromptSize)
	}
	return created, err
}

// Delete deletes a prompt for good: it no longer appears in List.
//
// Convirza API: DELETE /media-prompts/{id}
func (s *PromptsService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "prompt", promptPath, id, opts)
}

// promptList is the data of a list of Prompt records: the items under "prompts" or "media_prompts".
type promptList struct {
	Prompts      []Prompt `json:"prompts"`
	MediaPrompts []Prompt `json:"media_prompts"` // the other spelling the docs allow
	Total        int      `json:"total"`
}

func (l *promptList) page() ([]Prompt, int) { return firstList(l.Prompts, l.MediaPrompts), l.Total }
