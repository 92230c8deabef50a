package convirzatest

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestSlowUploadDoesNotBlockOthers holds a prompt upload open in the middle
// of its file part, and checks that other clients are served meanwhile: no
// request body is read under the fake's lock.
func TestSlowUploadDoesNotBlockOthers(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	uploaded := make(chan reply, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.URL+"/media-prompts", pr)
		r, err := do(http.DefaultClient, req, tok, mw.FormDataContentType())
		if err != nil {
			r.status = -1
		}
		uploaded <- r
	}()
	_ = mw.WriteField("message_type", "prompt")
	fw, _ := mw.CreateFormFile("file", "slow.wav")
	// io.Pipe writes return once the server has read them: from here on the
	// server is inside the upload's file part.
	if _, err := fw.Write(make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/users/10001", nil)
	r, err := do(http.DefaultClient, req, tok, "")
	if err != nil {
		t.Fatalf("GET while an upload is in progress: %v", err)
	}
	r.want(t, http.StatusOK)
	select {
	case r := <-uploaded:
		t.Fatalf("the upload finished early: %d %s", r.status, r.body)
	default:
	}

	_, _ = fw.Write([]byte("the end"))
	_ = mw.Close()
	_ = pw.Close()
	up := <-uploaded
	id := createdID(t, up, "promptId")
	if pf, ok := s.PromptFile(id); !ok || pf.Size != 64<<10+7 {
		t.Errorf("prompt file %+v", pf)
	}
}

// TestUnknownPathsKeepMemoryBounded sends 100,000 requests to distinct
// unknown paths and checks that the live heap grows by at most 4 MiB: the
// request log is bounded, and so is what RequestCount keeps.
func TestUnknownPathsKeepMemoryBounded(t *testing.T) {
	f := NewFake()
	serve := func(i int) {
		req := httptest.NewRequest("GET", fmt.Sprintf("/v3/no-such-thing/%d", i), nil)
		req.Header.Set("User-Agent", "scanner/1.0")
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d", req.URL.Path, rec.Code)
		}
	}
	const total = 100000
	before := liveHeap()
	// Two clients at once, as many as the test machine has cores.
	var wg sync.WaitGroup
	for half := range 2 {
		wg.Go(func() {
			for i := half; i < total; i += 2 {
				serve(i)
			}
		})
	}
	wg.Wait()
	grown := int64(liveHeap()) - int64(before)
	t.Logf("live heap after %d requests to unknown paths: %+d KiB", total, grown>>10)
	if grown > 4<<20 {
		t.Errorf("the live heap grew by %d KiB over %d unknown paths, want at most 4 MiB", grown>>10, total)
	}
	for i := range 10 {
		f.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/v3/nope?i=%d", i), nil))
	}
	reqs := f.Requests()
	if len(reqs) != maxLoggedRequests {
		t.Errorf("log holds %d entries, want %d", len(reqs), maxLoggedRequests)
	}
	for i, r := range reqs[len(reqs)-10:] { // the most recent, oldest first
		if want := fmt.Sprintf("i=%d", i); r.RawQuery != want || r.Status != http.StatusNotFound {
			t.Errorf("entry %d: %q %d, want %q 404", i, r.RawQuery, r.Status, want)
		}
	}
	// Counting still works for a path seen past the exact-count bound.
	serve(-1)
	if n := f.RequestCount("GET", "/v3/no-such-thing/-1"); n != 1 {
		t.Errorf("RequestCount of a late path %d, want 1", n)
	}
	if n := f.RequestCount("GET", "/v3/no-such-thing/5"); n != 1 {
		t.Errorf("RequestCount of an early path %d, want 1", n)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
