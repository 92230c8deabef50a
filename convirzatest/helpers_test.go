package convirzatest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"
)

// reply is one HTTP exchange, with the envelope decoded when there is one.
type reply struct {
	status int
	header http.Header
	body   []byte
	env    struct {
		Code      int             `json:"code"`
		Message   string          `json:"message"`
		Data      json.RawMessage `json:"data"`
		Errors    []fieldError    `json:"errors"`
		RequestID string          `json:"request_id"`
		Timestamp string          `json:"timestamp"`
	}
}

// send makes one request. body may be nil (no body), a string or []byte
// (sent as is) or anything else (sent as JSON). token, when not empty, goes
// in a Bearer header.
func send(t testing.TB, method, url, token string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	contentType := ""
	if rd != nil {
		contentType = "application/json"
	}
	return sendWith(t, method, url, token, contentType, rd)
}

// sendWith makes one request with a body of the given Content-Type (none
// when empty).
func sendWith(t testing.TB, method, url, token, contentType string, body io.Reader) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	r, err := do(http.DefaultClient, req, token, contentType)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// do sends req with client, token in a Bearer header when not empty, and
// returns the reply, or the error of a request that got no complete reply.
func do(client *http.Client, req *http.Request, token, contentType string) (reply, error) {
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	r := reply{status: res.StatusCode, header: res.Header}
	r.body, err = io.ReadAll(res.Body)
	_ = json.Unmarshal(r.body, &r.env)
	return r, err
}

// data decodes the envelope's data into v.
func (r reply) data(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.env.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.env.Data, err)
	}
}

// dataOf decodes the envelope's data into a new T.
func dataOf[T any](t testing.TB, r reply) T {
	t.Helper()
	var v T
	r.data(t, &v)
	return v
}

// getData reads the data of a successful GET of path (below the API base)
// into a new T; as a map[string]any, tests see the wire form.
func getData[T any](t testing.TB, s *Server, tok, path string) T {
	t.Helper()
	return dataOf[T](t, send(t, "GET", s.URL+path, tok, nil).want(t, http.StatusOK))
}

// listPage reads a successful list at path (below the API base, query
// included): the items under key, and the total. Either missing fails the
// test.
func listPage[T any](t testing.TB, s *Server, tok, path, key string) ([]T, int) {
	t.Helper()
	r := send(t, "GET", s.URL+path, tok, nil).want(t, http.StatusOK)
	var d map[string]json.RawMessage
	r.data(t, &d)
	var items []T
	var total *int
	if json.Unmarshal(d[key], &items) != nil || json.Unmarshal(d["total"], &total) != nil || items == nil || total == nil {
		t.Fatalf("list without %s or total: %s", key, r.env.Data)
	}
	return items, *total
}

// pageIDs is listPage for the items' ids, the member idKey of each.
func pageIDs(t testing.TB, s *Server, tok, path, key, idKey string) ([]int64, int) {
	t.Helper()
	items, total := listPage[map[string]json.RawMessage](t, s, tok, path, key)
	ids := []int64{}
	for _, it := range items {
		var id int64
		if err := json.Unmarshal(it[idKey], &id); err != nil {
			t.Fatalf("%s item without %s: %v", key, idKey, err)
		}
		ids = append(ids, id)
	}
	return ids, total
}

// createdID checks the reply of a create: the status its page documents
// (201 for Create User, whose id is "userId"; 200 for the others), with the
// new id as the one member of data, named key. It returns the id.
func createdID(t testing.TB, r reply, key string) int64 {
	t.Helper()
	want := http.StatusOK
	if key == "userId" {
		want = http.StatusCreated
	}
	r.want(t, want)
	var d map[string]int64
	r.data(t, &d)
	if d[key] == 0 || len(d) != 1 {
		t.Fatalf("create reply %s, want %s", r.env.Data, key)
	}
	return d[key]
}

// withChanges applies changes to a request body b and returns it: a nil
// value deletes the member.
func withChanges(b, changes map[string]any) map[string]any {
	for k, v := range changes {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

// want fails the test unless the status is as expected; it prints the body.
func (r reply) want(t testing.TB, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// wantField fails the test unless a 400 names the field.
func (r reply) wantField(t testing.TB, field string) {
	t.Helper()
	r.want(t, http.StatusBadRequest)
	for _, e := range r.env.Errors {
		if e.Field == field {
			return
		}
	}
	t.Fatalf("errors %+v do not name %q", r.env.Errors, field)
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkEnvelope checks what every reply carries: a UUID v4 request id, equal
// to X-Request-Id, a millisecond UTC timestamp, and code equal to the status
// (200 on the 201 of Create User, as in the docs' example).
func checkEnvelope(t testing.TB, r reply) {
	t.Helper()
	if !uuidV4.MatchString(r.env.RequestID) {
		t.Errorf("request_id %q is not a UUID v4", r.env.RequestID)
	}
	if got := r.header.Get("X-Request-Id"); got != r.env.RequestID {
		t.Errorf("X-Request-Id %q, request_id %q", got, r.env.RequestID)
	}
	if _, err := time.Parse(isoMillis, r.env.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", r.env.Timestamp, err)
	}
	if want := r.status; r.env.Code != want && (want != http.StatusCreated || r.env.Code != http.StatusOK) {
		t.Errorf("code %d, status %d", r.env.Code, r.status)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// tokens logs in and returns the pair.
func tokens(t testing.TB, s *Server, email, password string) tokenPair {
	t.Helper()
	r := send(t, "POST", s.AuthURL+"/oauth/token", "", map[string]string{"email": email, "password": password})
	r.want(t, http.StatusOK)
	var p tokenPair
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// token logs in with the seed password and returns the access token.
func token(t testing.TB, s *Server, email string) string {
	t.Helper()
	return tokens(t, s, email, SeedPassword).AccessToken
}

// clock is a settable time source for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
