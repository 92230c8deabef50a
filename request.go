package convirza

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// request is one call as a service method describes it.
type request struct {
	method string
	path   string     // relative to the base, segments already escaped
	query  url.Values // may be nil
	body   any        // nil, a *payload, or a value sent as JSON

	// url, when set, is an absolute URL called instead of base+path (a
	// signed recording link). It never carries the bearer token; path then
	// only names the call in errors and logs.
	url string

	auth bool // the OAuth host, no bearer, answers not enveloped
	// secrets are values the body carries (a password, a refresh token):
	// server text that echoes them is redacted.
	secrets []string
	// conflict is the sentinel a 409 of this call also matches
	// (ErrDuplicateEmail for a user write).
	conflict error
	// retryUnprocessed lets a POST or PATCH with a replayable body be
	// retried on the answers that say the server did not act on it (429 and
	// 503), not only on a failed dial. Uploads set it.
	retryUnprocessed bool
}

// payload is a request body that is not JSON (a multipart upload).
type payload struct {
	contentType string
	// open returns the body from its start. It may be called once before
	// the first attempt without the result being read.
	open   func() (io.Reader, error)
	length int64 // -1 when unknown
	// replayable reports whether open can be called for every attempt; a
	// body that is not is sent once and never retried.
	replayable bool
}

// callState is the per-call state that the retry policy and the transports
// reach through the request's context. It is that context: it wraps the
// caller's and answers Value(callStateKey{}) with itself, which saves the
// allocation of a context.WithValue on every call.
type callState struct {
	context.Context // the caller's

	method      string
	path        string
	auth        bool // a call to the OAuth host
	bearer      bool // send the access token
	replayable  bool
	retryUnsafe bool
	unprocessed bool // see request.retryUnprocessed
	maxRetries  int
	header      http.Header
	attempt     int    // 1-based, set before each attempt
	token       string // the access token the last attempt carried
	secrets     []string
	start       time.Time

	// loggedIn and refreshed record the renewals this call led: a call
	// makes at most one of each.
	loggedIn, refreshed bool
}

type callStateKey struct{}

// Value implements context.Context.
func (st *callState) Value(key any) any {
	if _, ok := key.(callStateKey); ok {
		return st
	}
	return st.Context.Value(key)
}

func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	return st
}

// idempotent reports whether a method may be repeated without changing the
// outcome, and so retried after a failure whose effect is unknown.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// envelope is the API's answer: {code, message, data, request_id,
// timestamp}, read in one pass with data decoded straight into the caller's
// value. The alternative spellings the docs show are fields too.
type envelope struct {
	Code       flexInt         `json:"code"`
	Message    string          `json:"message"`
	Error      json.RawMessage `json:"error"`
	Errors     json.RawMessage `json:"errors"`
	Data       any             `json:"data"`
	RequestID  string          `json:"request_id"`
	RequestID2 string          `json:"requestId"`
	Timestamp  string          `json:"timestamp"`
}

// flexInt is an integer that may come quoted.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	text, ok := scalarBytes(b)
	if !ok {
		text = []byte(scalarText(b))
	}
	v, _ := parseInt(string(text))
	*n = flexInt(v)
	return nil
}

const maxErrorBody = 1 << 20

// ErrInvalidResponse is wrapped by the error of a call whose answer could
// not be read: a body that is not the JSON the API sends, cut short, or
// larger than the limit set by WithMaxResponseBytes.
var ErrInvalidResponse = errors.New("convirza: invalid response")

// send runs one call through the pipeline: it builds the HTTP request,
// sends it with retries, refreshes the token once after a 401, and decodes
// the answer into out (the envelope's data, or the whole body for the OAuth
// host) or into an *APIError.
func (c *Client) send(ctx context.Context, r *request, out any, opts []RequestOption) error {
	if ctx == nil {
		return invalidf("%s %s: nil context", r.method, r.path)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("convirza: %s %s: %w", r.method, r.path, &unsentError{err})
	}
	st := &callState{
		Context:     ctx,
		method:      r.method,
		path:        r.path,
		auth:        r.auth,
		secrets:     r.secrets,
		bearer:      !r.auth && r.url == "" && c.tokens != nil,
		unprocessed: r.retryUnprocessed,
		maxRetries:  c.maxRetries,
		start:       time.Now(),
	}
	for _, o := range opts {
		if o != nil {
			o(st)
		}
	}
	if err := checkHeader(st.header); err != nil {
		return err
	}
	body, err := encodeBody(r.body)
	if err != nil {
		return err
	}
	st.replayable = body == nil || body.replayable
	ctx = st

	base := c.base
	if r.auth {
		base = c.authBase
	}
	u := base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	if r.url != "" {
		u = r.url
	}

	for refreshed := false; ; refreshed = true {
		resp, err := c.attempt(ctx, st, u, body)
		if err != nil {
			if resp != nil {
				// go-retryablehttp hands back the last answer with the error
				// that stopped the retries (the context ended as it came).
				drain(resp)
			}
			return c.transportError(ctx, st, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && st.bearer && !refreshed && st.replayable {
			if rf, ok := c.tokens.(refresher); ok {
				refusal := c.apiError(resp, st, r)
				resp.Body.Close()
				switch err := rf.invalidate(ctx, st.token); {
				case errors.Is(err, errNoRenewal):
					c.logDone(ctx, st, refusal.StatusCode, refusal.RequestID, refusal)
					return refusal
				case err != nil:
					return fmt.Errorf("convirza: %s %s: renewing the token after a 401: %w", st.method, st.path, err)
				}
				continue
			}
		}
		requestID, err := c.decode(resp, st, r, out)
		c.logDone(ctx, st, resp.StatusCode, requestID, err)
		return err
	}
}

// attempt sends the request with the retry policy.
func (c *Client) attempt(ctx context.Context, st *callState, u string, body *payload) (*http.Response, error) {
	var raw any
	if body != nil {
		raw = retryablehttp.ReaderFunc(body.open)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, st.method, u, raw)
	if err != nil {
		return nil, invalidf("%s %s: %v", st.method, st.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", body.contentType)
		if body.length >= 0 {
			req.ContentLength = body.length
		}
	}
	for k, vs := range st.header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	return c.http.Do(req)
}

// encodeBody turns a request body into a payload: JSON bytes, which can be
// sent again for every attempt, unless it is a payload already.
func encodeBody(v any) (*payload, error) {
	switch b := v.(type) {
	case nil:
		return nil, nil
	case *payload:
		return b, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, invalidf("encoding the request body: %v", err)
	}
	return &payload{
		contentType: "application/json",
		open:        func() (io.Reader, error) { return bytes.NewReader(data), nil },
		length:      int64(len(data)),
		replayable:  true,
	}, nil
}

// transportError explains a call that got no HTTP answer. A POST or PATCH
// that may have reached the server wraps ErrOutcomeUnknown.
func (c *Client) transportError(ctx context.Context, st *callState, err error) error {
	c.logDone(ctx, st, 0, "", err)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is already in our message
	}
	var unsent *unsentError
	if errors.As(err, &unsent) {
		// Never left: neither retried nor of unknown outcome, even when
		// the login or refresh that failed was.
		return fmt.Errorf("convirza: %s %s: %w", st.method, st.path, outcomeKnown{unsent.err})
	}
	// A refused redirect is an answer: the server did not act on the
	// request where it was sent.
	if !idempotent(st.method) && !neverSent(err) && !redirectRefused(err) {
		return fmt.Errorf("convirza: %s %s: %w: %w", st.method, st.path, ErrOutcomeUnknown, err)
	}
	return fmt.Errorf("convirza: %s %s: %w", st.method, st.path, err)
}

// decode reads an answer into out or into an *APIError, and closes it.
// It returns the request id the answer carried (when there is a logger to
// tell it to).
//
// The body is read whole into a pooled buffer (it is one JSON value, which
// encoding/json's Decoder would buffer whole anyway) and walked once:
// the envelope's data goes straight to out, and the envelope's other
// fields are turned into strings only for an error or a log line.
func (c *Client) decode(resp *http.Response, st *callState, r *request, out any) (string, error) {
	if stream, ok := out.(*io.ReadCloser); ok && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		*stream = resp.Body // a download: the caller reads and closes it
		return resp.Header.Get("X-Request-Id"), nil
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := c.apiError(resp, st, r)
		return e.RequestID, e
	}
	buf := getBuffer()
	defer putBuffer(buf)
	full, err := buf.readBody(resp, c.maxBody)
	body := buf.b
	invalid := func(err error) error {
		if _, verr := skipValue(body, 0); full && verr == errScanEOF {
			// Cut at the limit with the value still open: the body is
			// larger than allowed. (A value complete within the limit is
			// read, and what follows it ignored, as json.Decoder does.)
			return fmt.Errorf("convirza: %s %s: %w: body larger than %d bytes", st.method, st.path, ErrInvalidResponse, c.maxBody)
		}
		return fmt.Errorf("convirza: %s %s: %w: %v [request_id %s]", st.method, st.path, ErrInvalidResponse, err, resp.Header.Get("X-Request-Id"))
	}
	if err != nil {
		return "", invalid(err)
	}
	if len(body) == 0 {
		// No body (a 204): nothing to decode.
		return c.requestID(nil, resp), nil
	}
	if r.auth {
		if out != nil {
			end, err := skipValue(body, 0)
			if err == nil {
				err = json.Unmarshal(body[:end], out)
			}
			if err != nil {
				return "", invalid(err)
			}
		}
		return c.requestID(nil, resp), nil
	}
	var env envelope
	if out == nil {
		out = &skipJSON{}
	}
	if err := env.decode(body, out, c.logger != nil); err != nil {
		return "", invalid(err)
	}
	if env.Code >= 400 {
		// Rare (an error inside a 2xx): read the envelope's strings now.
		full := envelope{Code: env.Code}
		_ = full.decode(body, &skipJSON{}, true) // the same body: cannot fail
		e := &APIError{StatusCode: int(env.Code), Code: int(env.Code), Method: st.method, Path: st.path}
		fillAPIError(e, &full, resp)
		c.redactor(st).apiError(e)
		return e.RequestID, e
	}
	return c.requestID(&env, resp), nil
}

// requestID is the request id of a successful answer, read only when a
// logger may print it.
func (c *Client) requestID(env *envelope, resp *http.Response) string {
	if c.logger == nil {
		return ""
	}
	if env == nil {
		env = &envelope{}
	}
	return firstNonEmpty(env.RequestID, env.RequestID2, resp.Header.Get("X-Request-Id"))
}

// decode reads the envelope that b holds, decoding its data into out. Like
// encoding/json's Decoder, it reads the first JSON value and ignores what
// follows; keys match case-insensitively; when a key repeats, the last
// wins. The other fields are filled in only when full is set (a success
// needs none of them but to log its request id); their types are checked
// either way, so a body encoding/json refuses is refused here too.
func (env *envelope) decode(b []byte, out any, full bool) error {
	_, err := walkObject(b, 0, func(key []byte, b []byte, i int) (int, error) {
		var dst *string
		switch {
		case keyIs(key, "data"):
			return decodeInto(b, i, out)
		case keyIs(key, "code"):
			end, err := skipValue(b, i)
			if err == nil {
				err = env.Code.UnmarshalJSON(b[i:end])
			}
			return end, err
		case keyIs(key, "message"):
			dst = &env.Message
		case keyIs(key, "request_id"):
			dst = &env.RequestID
		case keyIs(key, "requestId"):
			dst = &env.RequestID2
		case keyIs(key, "timestamp"):
			dst = &env.Timestamp
		case keyIs(key, "error"), keyIs(key, "errors"):
			end, err := skipValue(b, i)
			if err == nil && full {
				raw := append(json.RawMessage(nil), b[i:end]...)
				if keyIs(key, "error") {
					env.Error = raw
				} else {
					env.Errors = raw
				}
			}
			return end, err
		default:
			return skipValue(b, i)
		}
		end, err := skipValue(b, i)
		if err != nil {
			return end, err
		}
		if v := b[i:end]; !full && (v[0] == '"' || v[0] == 'n') {
			return end, nil // a string or null: fine, not needed
		}
		return end, decodeString(b[i:end], dst)
	})
	if err == errNotObject {
		// Not an object: encoding/json says why.
		end, verr := skipValue(b, 0)
		if verr != nil {
			return verr
		}
		env.Data = out
		return json.Unmarshal(b[skipSpace(b, 0):end], env)
	}
	return err
}

// decodeString decodes a checked JSON value into a string field: a string
// without escapes directly, null as no change, anything else through
// encoding/json (which also gives its error for a value of another type).
func decodeString(v []byte, dst *string) error {
	if len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 {
		*dst = string(v[1 : len(v)-1])
		return nil
	}
	return json.Unmarshal(v, dst)
}

// bodyBuffer holds an answer read whole.
type bodyBuffer struct{ b []byte }

// bufferPool recycles the buffers that answers are read into.
var bufferPool = sync.Pool{New: func() any { return new(bodyBuffer) }}

// maxPooledBuffer is the largest buffer kept for reuse; a rare huge answer
// is left to the garbage collector rather than held by the pool.
const maxPooledBuffer = 4 << 20

func getBuffer() *bodyBuffer { return bufferPool.Get().(*bodyBuffer) }

func putBuffer(b *bodyBuffer) {
	if cap(b.b) > maxPooledBuffer {
		return
	}
	b.b = b.b[:0]
	bufferPool.Put(b)
}

// readBody reads the whole body, into a buffer sized from Content-Length
// when the server sent one, but never more than limit bytes: full reports
// that it stopped there, before the end of the body.
func (buf *bodyBuffer) readBody(resp *http.Response, limit int64) (full bool, err error) {
	b := buf.b[:0]
	defer func() { buf.b = b }()
	if n := resp.ContentLength; n > 0 && int64(cap(b)) <= n {
		b = make([]byte, 0, min(n, limit)+1) // + 1: room to read the end of the body
	}
	for {
		if int64(len(b)) >= limit {
			// Unless the length said so, the body may go on.
			return resp.ContentLength != int64(len(b)), nil
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		free := b[len(b):cap(b)]
		if room := limit - int64(len(b)); int64(len(free)) > room {
			free = free[:room]
		}
		n, err := resp.Body.Read(free)
		b = b[:len(b)+n]
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// skipJSON reads and discards a JSON value.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

// apiError reads an error answer (at most 1 MiB of it) tolerantly: JSON in
// any of the envelope's spellings, or HTML, text or nothing.
func (c *Client) apiError(resp *http.Response, st *callState, r *request) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{StatusCode: resp.StatusCode, Method: st.method, Path: st.path, Body: body}
	if resp.StatusCode == http.StatusConflict {
		e.kind = r.conflict
	}
	var env envelope
	if json.Unmarshal(body, &env) == nil {
		e.Code = int(env.Code)
	}
	fillAPIError(e, &env, resp)
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	c.redactor(st).apiError(e)
	return e
}

func fillAPIError(e *APIError, env *envelope, resp *http.Response) {
	e.Message = env.Message
	if e.Message == "" && len(env.Error) > 0 {
		e.Message = scalarText(env.Error)
		if e.Message == "" { // {"error": {"message": ...}}
			var nested struct{ Message string }
			_ = json.Unmarshal(env.Error, &nested)
			e.Message = nested.Message
		}
	}
	if len(env.Errors) > 0 {
		e.Errors = fieldErrors(env.Errors)
	}
	e.RequestID = firstNonEmpty(env.RequestID, env.RequestID2, resp.Header.Get("X-Request-Id"))
	e.Timestamp, _ = parseTime(env.Timestamp)
	if ra, ok := retryAfter(resp); ok {
		e.RetryAfter = ra
	}
}

// fieldErrors reads "errors" as [{field, message}], or as a list of strings.
func fieldErrors(raw json.RawMessage) []FieldError {
	var fe []FieldError
	if json.Unmarshal(raw, &fe) == nil {
		return fe
	}
	fe = nil
	var msgs []string
	if json.Unmarshal(raw, &msgs) == nil {
		for _, m := range msgs {
			fe = append(fe, FieldError{Message: m})
		}
	}
	return fe
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// drain reads what is left of a small body and closes it, so that the
// connection goes back to the pool.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// logDone writes the debug line that closes a call.
func (c *Client) logDone(ctx context.Context, st *callState, status int, requestID string, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", st.method),
		slog.String("path", st.path),
		slog.Int("status", status),
		slog.Int("attempts", st.attempt),
		slog.Duration("duration", time.Since(st.start)),
	}
	if requestID != "" {
		attrs = append(attrs, slog.String("request_id", requestID))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "convirza: call", attrs...)
}

// call sends r and decodes the answer's data into a new T.
func call[T any](ctx context.Context, c *Client, r *request, opts []RequestOption) (*T, error) {
	v := new(T)
	if err := c.send(ctx, r, v, opts); err != nil {
		return nil, err
	}
	return v, nil
}

// get fetches one record.
func get[T any](ctx context.Context, c *Client, path string, opts []RequestOption) (*T, error) {
	return call[T](ctx, c, &request{method: "GET", path: path}, opts)
}

// getByID fetches the record at pathf(format, id), refusing a bad id before
// any I/O; what names the record in that error.
func getByID[T any](ctx context.Context, c *Client, what, format string, id int64, opts []RequestOption) (*T, error) {
	if err := requireID(what, id); err != nil {
		return nil, err
	}
	return get[T](ctx, c, pathf(format, id), opts)
}

// deleteByID deletes the record at pathf(format, id), refusing a bad id
// before any I/O.
func deleteByID(ctx context.Context, c *Client, what, format string, id int64, opts []RequestOption) error {
	if err := requireID(what, id); err != nil {
		return err
	}
	return c.send(ctx, &request{method: http.MethodDelete, path: pathf(format, id)}, nil, opts)
}

// update sends a PUT or PATCH whose answer is the updated record. When the
// server answers with less (only an id, or null), hasID reports false and
// the record is fetched from the same path.
func update[T any](ctx context.Context, c *Client, r *request, hasID func(*T) bool, opts []RequestOption) (*T, error) {
	v, err := call[T](ctx, c, r, opts)
	if err != nil || hasID(v) {
		return v, err
	}
	return get[T](ctx, c, r.path, opts)
}

// requireID refuses an id that cannot name a record, before any I/O.
func requireID(what string, id int64) error {
	if id <= 0 {
		return invalidf("%s id must be positive, got %d", what, id)
	}
	return nil
}

// requirePatch refuses a PATCH that would change nothing (the API answers
// 400 to an empty body).
func requirePatch(p any) error {
	if p == nil {
		return invalidf("a patch needs at least one field")
	}
	b, err := json.Marshal(p)
	if err != nil {
		return invalidf("encoding the patch: %v", err)
	}
	if string(b) == "{}" || string(b) == "null" {
		return invalidf("a patch needs at least one field")
	}
	return nil
}
