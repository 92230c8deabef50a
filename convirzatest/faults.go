package convirzatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultsPath is the control path where faults are listed (GET), added
// (POST, one Fault as JSON) and cleared (DELETE) over HTTP; control.go has
// the others.
const FaultsPath = "/_mock/faults"

const (
	nonJSONFormat = "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>" +
		"<body><h1>%d %s</h1><p>convirzatest: injected non-JSON body</p></body></html>\n"
)

// Drop says when a faulty request's connection is closed without a reply.
type Drop string

// The ways to drop a connection.
const (
	// DropBeforeRead closes the connection before the request body is read:
	// the request never reaches a handler and changes nothing.
	DropBeforeRead Drop = "before_read"
	// DropAfterRead reads the whole request, applies it to the state (a POST
	// really creates), then closes the connection without answering: the
	// client cannot know whether it was applied.
	DropAfterRead Drop = "after_read"
)

// BodyFault says how a faulty request's reply body is spoiled.
type BodyFault string

// The ways to spoil a reply body.
const (
	// TruncatedBody sends the reply's status and headers with the
	// Content-Length of the whole body, then half the body, then closes the
	// connection: the client reads an unexpected EOF.
	TruncatedBody BodyFault = "truncated"
	// NonJSONBody replaces the reply body with an HTML page (Content-Type
	// text/html), as a proxy or a load balancer would send, keeping the
	// status.
	NonJSONBody BodyFault = "non_json"
)

// Fault is a misbehaviour of the fake for the requests that match it, so
// that a client's handling of slow, failing and broken answers can be
// tested. A request matches when its method and URL path match; the first
// matching fault, in the order they were added, applies, and one of its
// Times is used up.
//
// For each matching request, in this order: ExpireToken expires the
// request's access token; DropBeforeRead waits Latency and closes the
// connection unread; otherwise the body is read and logged, the request is
// answered with Status without being applied, or applied as usual (a POST
// creates), the reply waits Latency, DropAfterRead closes the connection
// without it, and else the reply goes out with RetryAfter and Body applied.
//
// Over HTTP a Fault is the JSON object of its tags, with Latency as a Go
// duration string ("250ms", "2s") or a number of milliseconds:
//
//	{"method":"POST","path":"/v3/users","times":1,"drop":"after_read"}
//	{"path":"/v3/users/*","times":3,"status":503,"retry_after":"1"}
//	{"method":"GET","path":"/v3/users/list","latency":"2s"}
type Fault struct {
	// Method matches the request method, in any case; "" matches all.
	Method string `json:"method,omitempty"`
	// Path matches the URL path exactly ("/v3/users/10002"), or as a
	// path.Match pattern when it holds *, ? or [ ("/v3/users/*"); "" matches
	// every path.
	Path string `json:"path,omitempty"`
	// Times is how many matching requests the fault applies to; 0 means every
	// one until ClearFaults. Faults returns what is left.
	Times int `json:"times,omitempty"`

	// Status, 400 to 599, answers in the API's error envelope (with a fresh
	// request id) without applying the request: the state is unchanged.
	Status int `json:"status,omitempty"`
	// RetryAfter is sent as the reply's Retry-After header, as given:
	// seconds ("2") or an HTTP date.
	RetryAfter string `json:"retry_after,omitempty"`
	// Latency delays the reply (or the drop) after the request is applied.
	// The wait ends early when the client goes away or on ClearFaults.
	Latency time.Duration `json:"-"`
	// Drop closes the connection without a reply.
	Drop Drop `json:"drop,omitempty"`
	// Body spoils the reply body.
	Body BodyFault `json:"body,omitempty"`
	// ExpireToken makes the access token the request carries expire, so the
	// request gets 401 and the client must refresh; other tokens still work.
	ExpireToken bool `json:"expire_token,omitempty"`
}

// MarshalJSON writes Latency as a Go duration string.
func (ft Fault) MarshalJSON() ([]byte, error) {
	type plain Fault
	w := struct {
		plain
		Latency string `json:"latency,omitempty"`
	}{plain: plain(ft)}
	if ft.Latency != 0 {
		w.Latency = ft.Latency.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a fault strictly: an unknown member is an error, so a
// misspelt effect cannot turn into a fault that does nothing.
func (ft *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var w struct {
		plain
		Latency json.RawMessage `json:"latency"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	*ft = Fault(w.plain)
	d, err := durationMember(w.Latency, time.Millisecond, nil)
	if err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	ft.Latency = d
	return nil
}

// validate checks a fault and returns it normalised (method in upper case).
func (ft Fault) validate() (Fault, error) {
	ft.Method = strings.ToUpper(ft.Method)
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if strings.ContainsFunc(ft.Method, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		bad("method %q is not an HTTP method", ft.Method)
	}
	if ft.Path != "" {
		if ft.Path[0] != '/' {
			bad("path %q must start with /", ft.Path)
		} else if _, err := path.Match(ft.Path, "/"); err != nil {
			bad("path %q: %v", ft.Path, err)
		}
	}
	if ft.Times < 0 {
		bad("times %d is negative", ft.Times)
	}
	if ft.Status != 0 && (ft.Status < 400 || ft.Status > 599) {
		bad("status %d is outside 400..599", ft.Status)
	}
	if strings.ContainsFunc(ft.RetryAfter, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		bad("retry_after %q holds control characters", ft.RetryAfter)
	}
	if ft.Latency < 0 {
		bad("latency %v is negative", ft.Latency)
	}
	switch ft.Drop {
	case "", DropBeforeRead, DropAfterRead:
	default:
		bad("drop %q is neither %q nor %q", ft.Drop, DropBeforeRead, DropAfterRead)
	}
	switch ft.Body {
	case "", TruncatedBody, NonJSONBody:
	default:
		bad("body %q is neither %q nor %q", ft.Body, TruncatedBody, NonJSONBody)
	}
	if ft.Drop != "" && (ft.Status != 0 || ft.Body != "" || ft.RetryAfter != "") {
		bad("a dropped connection sends no reply: drop excludes status, retry_after and body")
	}
	if ft.Status == 0 && ft.RetryAfter == "" && ft.Latency == 0 && ft.Drop == "" && ft.Body == "" && !ft.ExpireToken {
		bad("the fault does nothing: set status, retry_after, latency, drop, body or expire_token")
	}
	if len(problems) > 0 {
		return ft, errors.New("convirzatest: fault: " + strings.Join(problems, "; "))
	}
	return ft, nil
}

// matches reports whether the fault applies to r.
func (ft *Fault) matches(r *http.Request) bool {
	return (ft.Method == "" || ft.Method == r.Method) && pathMatches(ft.Path, r.URL.Path)
}

// pathMatches reports whether URL path p matches pattern: "" matches every
// path, a pattern holding *, ? or [ is a path.Match pattern, anything else
// must equal p.
func pathMatches(pattern, p string) bool {
	if pattern == "" || pattern == p {
		return true
	}
	ok, _ := path.Match(pattern, p)
	return ok
}

// faultSet holds a Fake's faults.
type faultSet struct {
	mu   sync.Mutex
	list []*Fault
	// release is closed by ClearFaults, ending every Latency wait under way.
	release chan struct{}
}

// activeFault is the fault a request drew, with the release channel of its
// time.
type activeFault struct {
	Fault
	release <-chan struct{}
}

// take returns the fault for r, using up one of its Times, or nil.
func (s *faultSet) take(r *http.Request) *activeFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, ft := range s.list {
		if !ft.matches(r) {
			continue
		}
		a := &activeFault{Fault: *ft, release: s.releaseLocked()}
		if ft.Times > 0 {
			if ft.Times--; ft.Times == 0 {
				s.list = append(s.list[:i], s.list[i+1:]...)
			}
		}
		return a
	}
	return nil
}

func (s *faultSet) releaseLocked() chan struct{} {
	if s.release == nil {
		s.release = make(chan struct{})
	}
	return s.release
}

// InjectFault adds a fault for the next requests that match it (see Fault).
// It returns an error, and adds nothing, when the fault is invalid: a status
// outside 400..599, an unknown Drop or Body, a drop combined with a reply
// effect, a malformed path pattern, or no effect at all.
func (f *Fake) InjectFault(ft Fault) error {
	ft, err := ft.validate()
	if err != nil {
		return err
	}
	f.faults.mu.Lock()
	defer f.faults.mu.Unlock()
	f.faults.list = append(f.faults.list, &ft)
	return nil
}

// Faults returns the faults still pending, in the order they apply, each
// with the Times it has left (0: until cleared).
func (f *Fake) Faults() []Fault {
	f.faults.mu.Lock()
	defer f.faults.mu.Unlock()
	out := make([]Fault, len(f.faults.list))
	for i, ft := range f.faults.list {
		out[i] = *ft
	}
	return out
}

// ClearFaults removes every fault, and ends the Latency wait of requests
// that are waiting on one: their replies go out at once.
func (f *Fake) ClearFaults() {
	f.faults.mu.Lock()
	defer f.faults.mu.Unlock()
	f.faults.list = nil
	if f.faults.release != nil {
		close(f.faults.release)
		f.faults.release = nil
	}
}

// beforeRead applies the effects that come before the body is read. It
// reports whether the request is finished (dropped).
func (f *Fake) beforeRead(ft *activeFault, w http.ResponseWriter, r *http.Request) bool {
	if ft.ExpireToken {
		f.expireBearer(r)
	}
	if ft.Drop != DropBeforeRead {
		return false
	}
	f.record(r, nil, f.now())
	ft.wait(r.Context())
	dropConnection(w)
	return true
}

// serveFault answers a request that drew a fault, once its body is read.
func (f *Fake) serveFault(ft *activeFault, w http.ResponseWriter, r *http.Request, info *reqInfo, readErr error) {
	rec := &replyRecorder{header: http.Header{}}
	if ft.Status != 0 {
		errorResponse(info, errorf(ft.Status, "injected fault: %d %s", ft.Status, http.StatusText(ft.Status))).write(rec)
	} else {
		f.dispatch(rec, r, info, readErr)
	}
	if r.Body != nil {
		// A multipart handler may stop early; "after read" means all of it.
		_, _ = io.Copy(io.Discard, r.Body)
	}
	ft.wait(r.Context())
	if ft.Drop == DropAfterRead {
		dropConnection(w)
		return
	}

	status, body := rec.status, rec.body.Bytes()
	if status == 0 {
		status = http.StatusOK
	}
	h := w.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	if ft.RetryAfter != "" {
		h.Set("Retry-After", ft.RetryAfter)
	}
	switch ft.Body {
	case NonJSONBody:
		text := http.StatusText(status)
		body = fmt.Appendf(nil, nonJSONFormat, status, text, status, text)
		h.Set("Content-Type", "text/html; charset=utf-8")
	case TruncatedBody:
		// Declaring the whole length and writing half makes net/http close
		// the connection after the handler: the client sees the body end
		// early instead of a shorter, complete one.
		h.Set("Content-Length", strconv.Itoa(len(body)))
		body = body[:len(body)/2]
	}
	if ft.Body != TruncatedBody {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// wait sleeps for the fault's Latency, or less if the client goes away or
// the faults are cleared.
func (ft *activeFault) wait(ctx context.Context) {
	if ft.Latency <= 0 {
		return
	}
	t := time.NewTimer(ft.Latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-ft.release:
	}
}

// expireBearer makes the access token of r expired, if r carries a known one.
func (f *Fake) expireBearer(r *http.Request) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if t := f.st.AccessTokens[tokenKey(strings.TrimSpace(tok))]; t != nil && t.ExpiresAt.After(now) {
		t.ExpiresAt = now
	}
}

// dropConnection closes the connection of w without a reply. Without a real
// connection to take over (an httptest.ResponseRecorder, HTTP/2) it aborts
// the handler with http.ErrAbortHandler, which net/http turns into a closed
// connection or a reset stream.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// replyRecorder keeps a reply so that a fault can change it before it goes
// out.
type replyRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *replyRecorder) Header() http.Header { return r.header }

func (r *replyRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *replyRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// durationMember reads a JSON member that holds a duration: absent or null
// (0), a string that parse reads (when not nil) or a Go duration string
// ("250ms"), or a non-negative number of units up to a day.
func durationMember(raw json.RawMessage, unit time.Duration, parse func(string) (time.Duration, bool)) (time.Duration, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return 0, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		if parse != nil {
			if d, ok := parse(s); ok {
				return d, nil
			}
		}
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || n < 0 || n > float64(24*time.Hour/unit) {
		return 0, fmt.Errorf("%s is neither a duration string nor a number of %v up to a day", raw, unit)
	}
	return time.Duration(n * float64(unit)), nil
}
