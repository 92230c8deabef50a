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
	stream      bool // a download: the caller reads the body
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
	// adopted: the last renewal took a pair from a shared store without
	// sending anything, so a 401 to it may be renewed again.
	adopted bool

	// callers are the frames of the call, kept when there is middleware
	// and named (operation) only when CallInfoFrom asks.
	callers      []uintptr
	opOnce       sync.Once
	operation    string
	info         *ResponseInfo // WithResponseInfo's
	status       int           // of the last answer
	answerHeader http.Header   // of the last answer
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

// fillInfo fills WithResponseInfo's ResponseInfo when the call ends.
func (st *callState) fillInfo() {
	id := st.info.RequestID
	*st.info = ResponseInfo{StatusCode: st.status, Header: st.answerHeader, Attempts: st.attempt, RequestID: id}
	if id == "" && st.answerHeader != nil {
		st.info.RequestID = st.answerHeader.Get("X-Request-Id")
	}
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
// timestamp}, decoded by encoding/json in one pass. D is what data decodes
// into: the caller's value (a **T for the typed methods, so that an answer
// without data leaves it nil) or skipJSON. The alternative spellings the
// docs show are fields too.
type envelope[D any] struct {
	Code       flexInt         `json:"code"`
	Message    looseString     `json:"message"`
	Error      json.RawMessage `json:"error"`
	Errors     json.RawMessage `json:"errors"`
	Data       D               `json:"data"`
	RequestID  looseString     `json:"request_id"`
	RequestID2 looseString     `json:"requestId"`
	Timestamp  looseString     `json:"timestamp"`
}

// requestID is the envelope's request id, else the header's.
func (env *envelope[D]) requestID(resp *http.Response) string {
	return firstNonEmpty(string(env.RequestID), string(env.RequestID2), resp.Header.Get("X-Request-Id"))
}

// flexInt is an integer that may come quoted.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	v, _ := parseInt(scalarText(b))
	*n = flexInt(v)
	return nil
}

// looseString is a string member of the envelope that may come as another
// scalar: an odd type there never fails the call.
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	*s = looseString(scalarText(b))
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
	_, st.stream = out.(*io.ReadCloser)
	if len(c.middleware) > 0 {
		st.callers = callers()
	}
	if st.info != nil {
		*st.info = ResponseInfo{}
		defer st.fillInfo()
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

	// A 401 is renewed once, or up to three times while each renewal only
	// took a pair another process had stored; the budget of one login and
	// one refresh a call bounds it too.
	for renewals := 0; ; renewals++ {
		resp, err := c.attempt(ctx, st, u, body)
		if err != nil {
			if resp != nil {
				// go-retryablehttp hands back the last answer with the error
				// that stopped the retries (the context ended as it came).
				drain(resp)
			}
			return c.transportError(ctx, st, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && st.bearer && st.replayable &&
			(renewals == 0 || st.adopted && renewals < 3) {
			st.adopted = false
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
		if st.info != nil {
			st.info.RequestID = requestID
		}
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
	if attemptTimedOut(ctx, err) {
		// Not the caller's deadline: an attempt's (WithAttemptTimeout,
		// or the http.Client's Timeout).
		err = fmt.Errorf("%w: %v", ErrAttemptTimeout, err)
	}
	// A refused redirect and an answer too large are answers: the server
	// did not act on the request where it was sent, or it did, and said so.
	var large *answerTooLarge
	if !idempotent(st.method) && !neverSent(err) && !redirectRefused(err) && !errors.As(err, &large) {
		return fmt.Errorf("convirza: %s %s: %w: %w", st.method, st.path, ErrOutcomeUnknown, err)
	}
	return fmt.Errorf("convirza: %s %s: %w", st.method, st.path, err)
}

// decode reads an answer into out or into an *APIError, and closes it. It
// returns the request id the answer carried. The transport has read the
// body already (see authTransport.read), so a failure to read it was an
// attempt's failure, retried as such.
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
	body, err := bodyBytes(resp.Body)
	if err != nil {
		return "", invalidResponse(st.method, st.path, err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return resp.Header.Get("X-Request-Id"), nil // no body (a 204): nothing to decode
	}
	if r.auth {
		if out != nil {
			if err := json.Unmarshal(body, out); err != nil {
				return "", invalidResponse(st.method, st.path, err.Error())
			}
		}
		return resp.Header.Get("X-Request-Id"), nil
	}
	if out == nil {
		out = &skipJSON{}
	}
	env := envelope[any]{Data: out}
	if err := json.Unmarshal(body, &env); err != nil {
		return "", invalidResponse(st.method, st.path, err.Error()+" [request_id "+resp.Header.Get("X-Request-Id")+"]")
	}
	if env.Code >= 400 {
		// An error inside a 2xx: the envelope's code stands for the status.
		e := &APIError{StatusCode: int(env.Code), Code: int(env.Code), Method: st.method, Path: st.path, Body: body}
		fillAPIError(e, &env, resp, r)
		c.redactor(st).apiError(e)
		return e.RequestID, e
	}
	return env.requestID(resp), nil
}

// invalidResponse is the error of an answer that is not what the API sends.
func invalidResponse(method, path, why string) error {
	return fmt.Errorf("convirza: %s %s: %w: %s", method, path, ErrInvalidResponse, why)
}

// skipJSON reads and discards a JSON value.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

// apiError reads an error answer (at most 1 MiB of it, as the transport
// read it) tolerantly: JSON in any of the envelope's spellings, or HTML,
// text or nothing.
func (c *Client) apiError(resp *http.Response, st *callState, r *request) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{StatusCode: resp.StatusCode, Method: st.method, Path: st.path, Body: body}
	var env envelope[skipJSON]
	if json.Unmarshal(body, &env) == nil {
		e.Code = int(env.Code)
	}
	fillAPIError(e, &env, resp, r)
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	c.redactor(st).apiError(e)
	return e
}

// fillAPIError fills e from the envelope of its answer.
func fillAPIError[D any](e *APIError, env *envelope[D], resp *http.Response, r *request) {
	if e.StatusCode == http.StatusConflict {
		e.kind = r.conflict
	}
	e.Message = string(env.Message)
	if e.Message == "" && len(env.Error) > 0 {
		e.Message = scalarText(env.Error)
		if e.Message == "" { // {"error": {"message": ...}}
			var nested struct{ Message looseString }
			_ = json.Unmarshal(env.Error, &nested)
			e.Message = string(nested.Message)
		}
	}
	if len(env.Errors) > 0 {
		e.Errors = fieldErrors(env.Errors)
	}
	e.RequestID = env.requestID(resp)
	e.Timestamp, _ = parseTime(string(env.Timestamp))
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

// call sends r and decodes the answer's data into a new T. An answer
// without data, or with data null, is ErrInvalidResponse: never a zero T.
func call[T any](ctx context.Context, c *Client, r *request, opts []RequestOption) (*T, error) {
	var v *T
	if err := c.send(ctx, r, &v, opts); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, invalidResponse(r.method, r.path, "the answer has no data")
	}
	return v, nil
}

// create sends a create and returns the new record's id; an answer
// without one is ErrInvalidResponse, never a created id 0.
func create(ctx context.Context, c *Client, r *request, opts []RequestOption) (*Created, error) {
	created, err := call[Created](ctx, c, r, opts)
	if err == nil && created.ID <= 0 {
		return nil, invalidResponse(r.method, r.path, "the answer names no id of the new record")
	}
	return created, err
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
