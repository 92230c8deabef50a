package convirza_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestPromptsLifeAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv := newFakeClient(t, "")

	// From a file on disk: the name comes from the file.
	audio := []byte("ID3\x03 greeting audio")
	path := filepath.Join(t.TempDir(), "greeting.mp3")
	require.NoError(t, os.WriteFile(path, audio, 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	greeting, err := c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: f, MessageType: convirza.PromptTypePrompt, Name: "Main greeting"})
	require.NoError(t, err)

	// From memory, into a sub-group.
	whisper, err := c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: bytes.NewReader([]byte("RIFF....WAVE")), FileName: "whisper.wav",
		MessageType: convirza.PromptTypeWhisper, OrgUnitID: convirzatest.SalesOrgUnitID})
	require.NoError(t, err)

	// From a stream that cannot seek.
	stream, err := c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: io.MultiReader(strings.NewReader("OggS stream")), FileName: "Voicemail.OGG",
		MessageType: convirza.PromptTypeVoicemail})
	require.NoError(t, err)

	pf, ok := srv.PromptFile(greeting.ID)
	require.True(t, ok)
	assert.Equal(t, convirzatest.PromptFile{Name: "greeting.mp3", ContentType: "audio/mpeg",
		Size: int64(len(audio)), SHA256: sha256Hex(audio)}, pf, "the file arrived whole")

	var got []convirza.Prompt
	for p, err := range c.Prompts.All(ctx, &convirza.ListPromptsParams{PageParams: convirza.PageParams{Limit: 2}}) {
		require.NoError(t, err)
		got = append(got, p)
	}
	require.Len(t, got, 3)
	assert.Equal(t, []int64{greeting.ID, whisper.ID, stream.ID}, []int64{got[0].ID, got[1].ID, got[2].ID})
	assert.Equal(t, "Main greeting", got[0].Name)
	assert.Equal(t, convirza.PromptTypePrompt, got[0].MessageType)
	assert.Equal(t, int64(len(audio)), got[0].FileSize)
	assert.Equal(t, convirzatest.AccountOrgUnitID, got[0].OrgUnitID, "the caller's org unit by default")
	assert.False(t, got[0].Created.IsZero())
	assert.Equal(t, "whisper.wav", got[1].Name, "the file name by default")
	assert.Equal(t, "audio/wav", got[1].ContentType)
	assert.Equal(t, convirzatest.SalesOrgUnitID, got[1].OrgUnitID)
	assert.Equal(t, "audio/ogg", got[2].ContentType)

	page, err := c.Prompts.List(ctx, &convirza.ListPromptsParams{MessageType: convirza.PromptTypeWhisper})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, whisper.ID, page.Items[0].ID)

	require.NoError(t, c.Prompts.Delete(ctx, whisper.ID))
	assert.ErrorIs(t, c.Prompts.Delete(ctx, whisper.ID), convirza.ErrNotFound, "deleted for good")
	page, err = c.Prompts.List(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, page.Total)
}

func TestPromptsTypedErrorsAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv := newFakeClient(t, "")

	// The server's own checks: an empty file, an org unit outside the account.
	_, err := c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: bytes.NewReader(nil), FileName: "a.mp3", MessageType: convirza.PromptTypePrompt})
	require.ErrorIs(t, err, convirza.ErrBadRequest)
	var apiErr *convirza.APIError
	require.ErrorAs(t, err, &apiErr)
	require.NotEmpty(t, apiErr.Errors)
	assert.Equal(t, "file", apiErr.Errors[0].Field)

	_, err = c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: strings.NewReader("x"), FileName: "a.mp3", MessageType: convirza.PromptTypePrompt,
		OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "org_unit_id", apiErr.Errors[0].Field)

	// Writes are Admin-only; every role reads.
	id, err := c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: strings.NewReader("x"), FileName: "a.mp3", MessageType: convirza.PromptTypePrompt,
		OrgUnitID: convirzatest.SalesOrgUnitID})
	require.NoError(t, err)
	std := fakeClientAs(t, srv, convirzatest.StandardEmail)
	_, err = std.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: strings.NewReader("x"), FileName: "a.mp3", MessageType: convirza.PromptTypePrompt})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
	assert.ErrorIs(t, std.Prompts.Delete(ctx, id.ID), convirza.ErrForbidden)
	page, err := std.Prompts.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, id.ID, page.Items[0].ID)
	ro := fakeClientAs(t, srv, convirzatest.ReadOnlyEmail)
	page, err = ro.Prompts.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, page.Items, "Sales lies outside the Support user's scope")
}

// A 50 MB upload from a stream of unknown size reaches the fake whole, and
// neither side holds it in memory.
func TestPromptsUpload50MBAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv := newFakeClient(t, "")
	_, err := c.Prompts.List(ctx, nil) // log in first: the figure is the upload's own
	require.NoError(t, err)

	file := func() io.Reader { return io.LimitReader(repeatByteReader('z'), convirza.MaxPromptSize) }
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	created, err := c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: file(), FileName: "long.flac", MessageType: convirza.PromptTypeSurvey})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	grew := after.TotalAlloc - before.TotalAlloc
	t.Logf("50 MB through the SDK into the fake: TotalAlloc grew by %d bytes (%.2f MiB)", grew, float64(grew)/(1<<20))
	assert.Less(t, grew, uint64(8<<20))

	h := sha256.New()
	_, _ = io.Copy(h, file())
	pf, ok := srv.PromptFile(created.ID)
	require.True(t, ok)
	assert.Equal(t, int64(convirza.MaxPromptSize), pf.Size)
	assert.Equal(t, hex.EncodeToString(h.Sum(nil)), pf.SHA256)

	// One byte more is refused while streaming, and nothing is created.
	_, err = c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: io.LimitReader(repeatByteReader('z'), convirza.MaxPromptSize+1), FileName: "long.flac",
		MessageType: convirza.PromptTypeSurvey})
	assert.ErrorIs(t, err, convirza.ErrInvalidParams)
	page, err := c.Prompts.List(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total)
}

// A seekable upload answered 503 is sent again, whole, and the fake keeps
// the second copy; a stream is not.
func TestPromptsUploadRetriedAgainstFake(t *testing.T) {
	fake := convirzatest.NewFake()
	var unavailable atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/v3/media-prompts" && unavailable.Add(-1) >= 0 {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"code":503,"message":"Service unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := convirza.NewClient(convirza.WithBaseURL(srv.URL+"/v3"), convirza.WithAuthBaseURL(srv.URL),
		convirza.WithCredentials(fake.AdminEmail, fake.AdminPassword), convirza.WithRetryBackoff(0, 0))
	require.NoError(t, err)
	ctx := context.Background()

	audio := bytes.Repeat([]byte("retry me "), 10000)
	unavailable.Store(1)
	created, err := c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: bytes.NewReader(audio), FileName: "r.m4a", MessageType: convirza.PromptTypePrompt})
	require.NoError(t, err)
	assert.Equal(t, 1, fake.RequestCount("POST", "/v3/media-prompts"), "the second attempt reached the fake")
	pf, _ := fake.PromptFile(created.ID)
	assert.Equal(t, sha256Hex(audio), pf.SHA256)

	unavailable.Store(1)
	_, err = c.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: io.MultiReader(bytes.NewReader(audio)), FileName: "r.m4a", MessageType: convirza.PromptTypePrompt})
	assert.ErrorIs(t, err, convirza.ErrServer)
	assert.Equal(t, 1, fake.RequestCount("POST", "/v3/media-prompts"), "a stream is sent once")
}

// repeatByteReader is an endless run of one byte.
type repeatByteReader byte

func (r repeatByteReader) Read(p []byte) (int, error) {
	p = p[:min(len(p), 32<<10)]
	if len(p) > 0 {
		p[0] = byte(r)
		for n := 1; n < len(p); n *= 2 {
			copy(p[n:], p[:n])
		}
	}
	return len(p), nil
}
