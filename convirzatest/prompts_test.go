package convirzatest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// promptForm is a multipart upload body under construction.
type promptForm struct {
	fields   [][2]string // name, value, in order
	fileName string      // "" for no file part
	part     string      // the file part's name; "file" unless set
	fileType string      // the file part's Content-Type
	content  []byte
}

func goodPromptForm() promptForm {
	return promptForm{
		fields:   [][2]string{{"message_type", "prompt"}, {"name", "Main greeting"}},
		fileName: "greeting.mp3", fileType: "audio/mpeg", content: []byte("ID3 audio bytes"),
	}
}

// encode returns the Content-Type and the body.
func (f promptForm) encode(t testing.TB) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range f.fields {
		if err := w.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if f.fileName != "" {
		part := f.part
		if part == "" {
			part = "file"
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", multipart.FileContentDisposition(part, f.fileName))
		if f.fileType != "" {
			h.Set("Content-Type", f.fileType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(f.content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// sendForm posts a body with the given Content-Type to the prompts path.
func sendForm(t testing.TB, s *Server, tok, contentType string, body io.Reader) reply {
	t.Helper()
	return sendWith(t, "POST", s.URL+"/media-prompts", tok, contentType, body)
}

// uploadPromptForm sends f and returns the reply.
func uploadPromptForm(t testing.TB, s *Server, tok string, f promptForm) reply {
	t.Helper()
	ct, b := f.encode(t)
	return sendForm(t, s, tok, ct, bytes.NewReader(b))
}

// mkPrompt uploads f and returns the new prompt's id.
func mkPrompt(t testing.TB, s *Server, tok string, f promptForm) int64 {
	t.Helper()
	return createdID(t, uploadPromptForm(t, s, tok, f), "promptId")
}

// listPromptMaps lists prompts with the query, as generic maps.
func listPromptMaps(t testing.TB, s *Server, tok, query string) ([]map[string]any, int) {
	t.Helper()
	return listPage[map[string]any](t, s, tok, "/media-prompts?"+query, "prompts")
}

func promptIDs(items []map[string]any) []int64 {
	ids := []int64{}
	for _, it := range items {
		ids = append(ids, int64(it["prompt_id"].(float64)))
	}
	return ids
}

func TestPromptUploadAndList(t *testing.T) {
	s := NewServer(t, WithClock(newClock().Now))
	admin := token(t, s, AdminEmail)

	f := goodPromptForm()
	f.fields = append(f.fields, [2]string{"org_unit_id", "1002"})
	r := uploadPromptForm(t, s, admin, f).want(t, 200)
	checkEnvelope(t, r)
	var d map[string]int64
	r.data(t, &d)
	id := d["promptId"]
	if id == 0 || len(d) != 1 {
		t.Fatalf("data %s", r.env.Data)
	}

	items, total := listPromptMaps(t, s, admin, "")
	if total != 1 || len(items) != 1 {
		t.Fatalf("total %d, items %v", total, items)
	}
	want := map[string]any{
		"prompt_id": float64(id), "org_unit_id": float64(SalesOrgUnitID), "name": "Main greeting",
		"message_type": "prompt", "file_name": "greeting.mp3", "content_type": "audio/mpeg",
		"file_size": float64(len(f.content)), "prompt_created": "2026-01-20T12:00:00.000Z",
	}
	if fmt.Sprint(items[0]) != fmt.Sprint(want) {
		t.Errorf("item %v\nwant %v", items[0], want)
	}

	sum := sha256.Sum256(f.content)
	pf, ok := s.PromptFile(id)
	if !ok || pf != (PromptFile{Name: "greeting.mp3", ContentType: "audio/mpeg", Size: int64(len(f.content)), SHA256: hex.EncodeToString(sum[:])}) {
		t.Errorf("PromptFile %+v %v", pf, ok)
	}

	// Name and org unit default to the file name and the caller's org unit;
	// the extension's case does not matter.
	f = promptForm{fileName: "Hold.WAV", fileType: "audio/x-wav", content: []byte("RIFF"),
		fields: [][2]string{{"message_type", "whisper"}}}
	id2 := mkPrompt(t, s, admin, f)
	items, _ = listPromptMaps(t, s, admin, "message_type=whisper")
	if len(items) != 1 || items[0]["name"] != "Hold.WAV" || items[0]["org_unit_id"] != float64(AccountOrgUnitID) ||
		items[0]["prompt_id"] != float64(id2) {
		t.Errorf("defaults: %v", items)
	}
}

// The order of the parts does not matter: here the file comes first.
func TestPromptUploadFileFirst(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", "survey.ogg")
	_, _ = fw.Write([]byte("OggS"))
	_ = w.WriteField("message_type", "survey")
	_ = w.Close()
	r := sendForm(t, s, admin, w.FormDataContentType(), &buf).want(t, 200)
	var d map[string]int64
	r.data(t, &d)
	pf, ok := s.PromptFile(d["promptId"])
	if !ok || pf.Size != 4 || pf.ContentType != "application/octet-stream" {
		t.Errorf("PromptFile %+v", pf)
	}
}

func TestPromptUploadValidation(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	cases := []struct {
		name, field string
		change      func(f *promptForm)
	}{
		{"no file", "file", func(f *promptForm) { f.fileName = "" }},
		{"misnamed part", "file", func(f *promptForm) { f.part = "audio" }},
		{"file as text", "file", func(f *promptForm) { f.fileName = ""; f.fields = append(f.fields, [2]string{"file", "x"}) }},
		{"no message type", "message_type", func(f *promptForm) { f.fields = f.fields[1:] }},
		{"bad message type", "message_type", func(f *promptForm) { f.fields[0][1] = "Prompt" }},
		{"text file", "file", func(f *promptForm) { f.fileName = "notes.txt" }},
		{"no extension", "file", func(f *promptForm) { f.fileName = "greeting" }},
		{"not audio", "file", func(f *promptForm) { f.fileType = "text/plain" }},
		{"empty file", "file", func(f *promptForm) { f.content = nil }},
		{"org unit text", "org_unit_id", func(f *promptForm) { f.fields = append(f.fields, [2]string{"org_unit_id", "abc"}) }},
		{"org unit unknown", "org_unit_id", func(f *promptForm) { f.fields = append(f.fields, [2]string{"org_unit_id", "9999"}) }},
		{"org unit elsewhere", "org_unit_id", func(f *promptForm) {
			f.fields = append(f.fields, [2]string{"org_unit_id", fmt.Sprint(OtherAccountOrgUnitID)})
		}},
		{"long name", "name", func(f *promptForm) { f.fields[1][1] = strings.Repeat("n", 5000) }},
	}
	for _, tc := range cases {
		f := goodPromptForm()
		tc.change(&f)
		r := uploadPromptForm(t, s, admin, f)
		r.wantField(t, tc.field)
		checkEnvelope(t, r)
	}

	// Not multipart at all.
	send(t, "POST", s.URL+"/media-prompts", admin, map[string]string{"message_type": "prompt"}).wantField(t, "file")
	// Cut short: no closing boundary.
	ct, b := goodPromptForm().encode(t)
	sendForm(t, s, admin, ct, bytes.NewReader(b[:len(b)-10])).wantField(t, "body")

	if _, total := listPromptMaps(t, s, admin, ""); total != 0 {
		t.Errorf("a refused upload created a prompt: total %d", total)
	}
}

// repeatByte is an endless run of one byte.
type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	p = p[:min(len(p), 32<<10)]
	if len(p) > 0 {
		p[0] = byte(r)
		for n := 1; n < len(p); n *= 2 {
			copy(p[n:], p[:n])
		}
	}
	return len(p), nil
}

// streamedForm returns a multipart body whose file part is size bytes of
// 'a', generated as it is read.
func streamedForm(size int64) (string, io.Reader) {
	var head, tail bytes.Buffer
	w := multipart.NewWriter(&head)
	_ = w.WriteField("message_type", "voicemail")
	_, _ = w.CreateFormFile("file", "big.flac")
	ct := w.FormDataContentType()
	mw := multipart.NewWriter(&tail)
	_ = mw.SetBoundary(w.Boundary())
	_ = mw.Close()
	return ct, io.MultiReader(&head, io.LimitReader(repeatByte('a'), size), &tail) // tail: "\r\n--boundary--\r\n"
}

func TestPromptUploadSizeLimitStreams(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ct, body := streamedForm(MaxPromptSize)
	r := sendForm(t, s, admin, ct, body)
	runtime.ReadMemStats(&after)
	r.want(t, 200)
	grew := after.TotalAlloc - before.TotalAlloc
	t.Logf("a 50 MB upload to the fake allocated %d bytes (%.2f MiB), client included", grew, float64(grew)/(1<<20))
	if grew > 8<<20 {
		t.Errorf("the fake does not stream uploads: %d bytes allocated", grew)
	}
	var d map[string]int64
	r.data(t, &d)
	h := sha256.New()
	_, _ = io.Copy(h, io.LimitReader(repeatByte('a'), MaxPromptSize))
	if pf, _ := s.PromptFile(d["promptId"]); pf.Size != MaxPromptSize || pf.SHA256 != hex.EncodeToString(h.Sum(nil)) {
		t.Errorf("PromptFile %+v", pf)
	}

	ct, body = streamedForm(MaxPromptSize + 1)
	sendForm(t, s, admin, ct, body).wantField(t, "file")
	if _, total := listPromptMaps(t, s, admin, ""); total != 1 {
		t.Errorf("total %d after an oversize upload", total)
	}
}

func TestPromptRoles(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	std := token(t, s, StandardEmail)
	ro := token(t, s, ReadOnlyEmail)
	id := mkPrompt(t, s, admin, goodPromptForm())

	uploadPromptForm(t, s, std, goodPromptForm()).want(t, 403)
	uploadPromptForm(t, s, ro, goodPromptForm()).want(t, 403)
	bad := goodPromptForm()
	bad.fileName = "x.txt"
	uploadPromptForm(t, s, ro, bad).want(t, 403) // the role comes before the body
	uploadPromptForm(t, s, "", goodPromptForm()).want(t, 401)
	send(t, "DELETE", fmt.Sprintf("%s/media-prompts/%d", s.URL, id), std, nil).want(t, 403)
	send(t, "DELETE", fmt.Sprintf("%s/media-prompts/%d", s.URL, id), ro, nil).want(t, 403)

	// Every role reads, within its own scope.
	if items, _ := listPromptMaps(t, s, admin, ""); !slices.Equal(promptIDs(items), []int64{id}) {
		t.Errorf("admin sees %v", items)
	}
	if _, total := listPromptMaps(t, s, ro, ""); total != 0 {
		t.Errorf("read-only user in Support sees a prompt of the account root: %d", total)
	}
	f := goodPromptForm()
	f.fields = append(f.fields, [2]string{"org_unit_id", fmt.Sprint(SupportOrgUnitID)})
	id2 := mkPrompt(t, s, admin, f)
	if items, _ := listPromptMaps(t, s, ro, ""); !slices.Equal(promptIDs(items), []int64{id2}) {
		t.Errorf("read-only sees %v", items)
	}
}

func TestPromptListFiltersAndPaging(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	var ids []int64
	for i, ou := range []int64{AccountOrgUnitID, SalesOrgUnitID, EastCoastSalesOrgUnitID, SupportOrgUnitID} {
		f := goodPromptForm()
		f.fields = [][2]string{{"message_type", promptTypes[i]}, {"org_unit_id", fmt.Sprint(ou)}}
		ids = append(ids, mkPrompt(t, s, admin, f))
	}
	check := func(query string, want []int64, wantTotal int) {
		t.Helper()
		items, total := listPromptMaps(t, s, admin, query)
		if got := promptIDs(items); !slices.Equal(got, want) || total != wantTotal {
			t.Errorf("%s: ids %v total %d, want %v %d", query, got, total, want, wantTotal)
		}
	}
	check("", ids, 4)
	check("org_unit_id=1002", ids[1:3], 2)
	check("message_type=voicemail", ids[2:3], 1)
	check("limit=2&offset=1", ids[1:3], 4)
	check("offset=10", []int64{}, 4)

	send(t, "GET", s.URL+"/media-prompts?message_type=greeting", admin, nil).wantField(t, "message_type")
	send(t, "GET", s.URL+"/media-prompts?limit=201", admin, nil).wantField(t, "limit")
	send(t, "GET", s.URL+"/media-prompts?org_unit_id=2001", admin, nil).want(t, 403)
}

func TestPromptDelete(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	id := mkPrompt(t, s, admin, goodPromptForm())
	url := fmt.Sprintf("%s/media-prompts/%d", s.URL, id)

	r := send(t, "DELETE", url, admin, nil).want(t, 200)
	checkEnvelope(t, r)
	var d map[string]int64
	r.data(t, &d)
	if d["promptId"] != id {
		t.Errorf("data %s", r.env.Data)
	}
	send(t, "DELETE", url, admin, nil).want(t, 404) // gone for good
	if _, total := listPromptMaps(t, s, admin, ""); total != 0 {
		t.Errorf("total %d after delete", total)
	}
	if _, ok := s.PromptFile(id); ok {
		t.Error("PromptFile of a deleted prompt")
	}
	send(t, "DELETE", s.URL+"/media-prompts/abc", admin, nil).wantField(t, "id")

	// Another account's prompt is not found.
	globex := token(t, s, OtherAccountAdminEmail)
	other := mkPrompt(t, s, globex, goodPromptForm())
	send(t, "DELETE", fmt.Sprintf("%s/media-prompts/%d", s.URL, other), admin, nil).want(t, 404)
	if _, ok := s.PromptFile(other); !ok {
		t.Error("a refused delete removed the prompt")
	}
}
