package convirzatest

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Bounds of the request log, so that a long run or hostile traffic cannot
// grow the process without limit.
const (
	maxLoggedBody     = 64 << 10 // Requests keeps at most this much of each body
	maxLoggedRequests = 10000    // Requests keeps the most recent entries only
	maxLoggedBodies   = 8 << 20  // and drops the oldest entries while their bodies hold more than this
	maxCountedKeys    = 4096     // distinct "METHOD /path" keys RequestCount counts exactly
)

// Request is one entry of the request log that Requests returns. It never
// holds a token or a password: the Authorization header is dropped (HasBearer
// says whether one was sent) and secret fields of JSON bodies are redacted.
type Request struct {
	Method    string
	Path      string // URL path, e.g. "/v3/users/10001"
	RawQuery  string
	Header    http.Header // request headers without Authorization
	HasBearer bool        // whether an "Authorization: Bearer ..." header was sent
	Body      []byte      // JSON bodies only, at most 64 KiB; nil otherwise
	// Status is the HTTP status of the reply; 0 while the request is being
	// served, or when its connection was dropped without a reply.
	Status int
	// Time is when the request arrived, on the fake's clock.
	Time time.Time
}

// MarshalJSON writes the entry as GET /_mock/requests lists it: method,
// path, query, status, time (RFC 3339, UTC with milliseconds, as the API writes times) and the body when there is one, as
// JSON when it parses and as a string otherwise.
func (r Request) MarshalJSON() ([]byte, error) {
	var body any
	switch {
	case r.Body == nil:
	case json.Valid(r.Body):
		body = json.RawMessage(r.Body)
	default:
		body = string(r.Body)
	}
	return json.Marshal(struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Query  string `json:"query"`
		Status int    `json:"status"`
		Time   string `json:"time"`
		Body   any    `json:"body,omitempty"`
	}{r.Method, r.Path, r.RawQuery, r.Status, iso(r.Time), body})
}

// RequestFilter selects entries of the request log. Method matches in any
// case, "" matches all; Path matches exactly, or as a path.Match pattern
// when it holds *, ? or [ (as Fault.Path does), "" matches all.
type RequestFilter struct {
	Method string
	Path   string
}

func (flt RequestFilter) matches(r *logEntry) bool {
	return (flt.Method == "" || strings.EqualFold(flt.Method, r.Method)) && pathMatches(flt.Path, r.Path)
}

// logEntry is a Request as the log keeps it: the header as a flat list of
// name and value pairs, a third of the size of an http.Header's map.
type logEntry struct {
	Request
	header []string
}

// requestLog is the log behind Requests and RequestCount. entries[start:]
// are kept, oldest first; the slice is compacted when half of it is spent,
// so appending stays O(1) amortised and memory stays bounded.
type requestLog struct {
	mu        sync.Mutex
	entries   []*logEntry
	start     int
	bodyBytes int            // the bodies held by entries[start:]
	counts    map[string]int // "METHOD /path" -> requests since the last reset, for up to maxCountedKeys keys
}

// add logs req and returns its entry, whose Status done fills in later.
func (l *requestLog) add(req *logEntry) *logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	key := req.Method + " " + req.Path
	if _, ok := l.counts[key]; ok || len(l.counts) < maxCountedKeys {
		// Past maxCountedKeys distinct paths (a scan of unknown paths, say),
		// new keys are counted from the log instead: see RequestCount.
		l.counts[key]++
	}
	l.entries = append(l.entries, req)
	l.bodyBytes += len(req.Body)
	for n := len(l.entries) - l.start; n > maxLoggedRequests || (n > 1 && l.bodyBytes > maxLoggedBodies); n-- {
		l.bodyBytes -= len(l.entries[l.start].Body)
		l.entries[l.start] = nil
		l.start++
	}
	if l.start > len(l.entries)/2 {
		n := copy(l.entries, l.entries[l.start:])
		clear(l.entries[n:])
		l.entries, l.start = l.entries[:n], 0
	}
	return req
}

// done records the status a logged request was answered with.
func (l *requestLog) done(req *logEntry, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	req.Status = status
}

// find returns copies of the kept entries that match any of the filters, or
// all of them when there is none.
func (l *requestLog) find(filters []RequestFilter) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Request{}
	for _, r := range l.entries[l.start:] {
		if len(filters) > 0 && !matchesAny(filters, r) {
			continue
		}
		c := r.Request
		c.Header = make(http.Header, len(r.header)/2)
		for i := 0; i < len(r.header); i += 2 {
			c.Header[r.header[i]] = append(c.Header[r.header[i]], r.header[i+1])
		}
		c.Body = bytes.Clone(r.Body)
		out = append(out, c)
	}
	return out
}

func matchesAny(filters []RequestFilter, r *logEntry) bool {
	for _, flt := range filters {
		if flt.matches(r) {
			return true
		}
	}
	return false
}

// count is RequestCount.
func (l *requestLog) count(method, path string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n, ok := l.counts[method+" "+path]; ok || len(l.counts) < maxCountedKeys {
		return n
	}
	n := 0
	for _, r := range l.entries[l.start:] {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.entries)
	l.entries, l.start, l.bodyBytes, l.counts = nil, 0, 0, nil
}

// secretKeys are the JSON body members that Requests redacts.
var secretKeys = []string{"password", "token", "access_token", "refresh_token"}

// record logs r with its body, as read so far, and returns the entry.
func (f *Fake) record(r *http.Request, body []byte, now time.Time) *logEntry {
	auth := r.Header.Get("Authorization")
	req := &logEntry{Request: Request{
		Method:    r.Method,
		Path:      r.URL.Path,
		RawQuery:  r.URL.RawQuery,
		HasBearer: len(auth) > len("Bearer ") && strings.EqualFold(auth[:len("Bearer ")], "Bearer "),
		Body:      loggedBody(r, body),
		Time:      now,
	}}
	n := 0
	for _, vs := range r.Header {
		n += 2 * len(vs)
	}
	req.header = make([]string, 0, n)
	for k, vs := range r.Header {
		if k == "Authorization" {
			continue
		}
		for _, v := range vs {
			req.header = append(req.header, k, v)
		}
	}
	return f.log.add(req)
}

// loggedBody returns the part of a JSON body that the log keeps, with secrets
// redacted. A body on an /oauth path that cannot be parsed is dropped whole,
// since it may hold a password the redaction cannot find.
func loggedBody(r *http.Request, body []byte) []byte {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if len(body) == 0 || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil && obj != nil {
		redacted := false
		for _, k := range secretKeys {
			if _, ok := obj[k]; ok {
				obj[k] = json.RawMessage(`"<redacted>"`)
				redacted = true
			}
		}
		if redacted {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep "<redacted>" readable
			_ = enc.Encode(obj)
			body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		}
	} else if strings.HasPrefix(r.URL.Path, "/oauth/") {
		return nil
	}
	return bytes.Clone(body[:min(len(body), maxLoggedBody)])
}

// RequestCount reports how many requests hit exactly this method and URL path
// since the Fake was created or ResetRequests was called, e.g.
// RequestCount("POST", "/v3/users"). Tests use it to prove retries, or their
// absence, without a custom transport. It counts exactly for the first 4,096
// distinct method and path pairs; past that, a pair first seen later is
// counted within the kept log only (see Requests).
func (f *Fake) RequestCount(method, path string) int { return f.log.count(method, path) }

// Requests returns a copy of the request log, oldest first: every entry, or
// with filters the entries that match at least one of them. The log keeps
// the most recent 10,000 requests, fewer when their bodies pass 8 MiB;
// RequestCount is not limited that way.
func (f *Fake) Requests(filters ...RequestFilter) []Request { return f.log.find(filters) }

// ResetRequests empties the request log and the counts behind RequestCount.
func (f *Fake) ResetRequests() { f.log.reset() }
