package convirza

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// authTransport is the innermost step of every attempt: it bounds the
// attempt (WithAttemptTimeout), puts the bearer token on requests to the
// configured API host, reads the answer's body, and logs the attempt.
//
// It sits inside the retry loop, so every attempt asks the token source
// afresh (a retry after a refresh carries the new token), and inside the
// redirect loop, so a redirect to any other host (or scheme, or port) never
// carries the token. It has no CloseIdleConnections on purpose: the retry
// library calls that after a failed or cancelled call, and the user's
// transport, shared by every call, must keep its pool.
type authTransport struct {
	c    *Client
	next http.RoundTripper
	// chain is the user's middleware around attempt, built once.
	chain func(*http.Request) (*http.Response, error)
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateOf(req.Context())
	if st != nil && t.c.limiter != nil {
		if err := t.c.limiter.Wait(req.Context()); err != nil {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			return nil, &unsentError{err} // the call ends with the limiter's error
		}
	}
	if t.chain == nil || st == nil {
		return t.attempt(req)
	}
	return t.chain(req)
}

// attempt sends one attempt, inside the middleware: it sets the bearer,
// bounds the attempt and reads the answer.
func (t *authTransport) attempt(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st := stateOf(ctx)
	if st != nil && st.bearer && sameOrigin(req.URL, t.c.baseURL) {
		tok, err := t.c.tokens.token(ctx)
		if err != nil {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			// Never retried by the retry loop: a login or a refresh that
			// failed is not sent again behind the caller's back.
			return nil, &unsentError{err}
		}
		st.token = tok
		req = withHeader(req, "Authorization", "Bearer "+tok)
	}
	cancel := context.CancelFunc(func() {})
	if d := t.c.attemptTimeout; d > 0 && st != nil {
		var actx context.Context
		actx, cancel = context.WithTimeout(ctx, d)
		req = req.WithContext(actx)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		if st != nil {
			st.status, st.answerHeader = resp.StatusCode, resp.Header
		}
		if st != nil && st.stream && resp.StatusCode/100 == 2 {
			// A download: its body is read by the caller, within the
			// attempt's time.
			resp.Body = &cancelOnClose{resp.Body, cancel}
		} else {
			err = t.read(resp, st)
			cancel()
			if err != nil {
				resp = nil
			}
		}
	} else {
		cancel()
	}
	t.log(ctx, st, req, resp, err, time.Since(start))
	return resp, err
}

// withHeader returns a shallow copy of req whose header map is new and
// holds value under key: a RoundTripper must not change the request it is
// given, and only the header changes (req.Clone would copy the URL too).
func withHeader(req *http.Request, key, value string) *http.Request {
	r := *req
	r.Header = make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		r.Header[k] = v
	}
	r.Header.Set(key, value)
	return &r
}

// read reads the whole body of resp while the attempt runs, up to the size
// cap of a success or of an error, into a buffer that grows with what
// arrives (a Content-Length that lies costs nothing). A body that fails to
// arrive whole fails the attempt, which is then retried as a connection
// failure would be; one over the cap is ErrInvalidResponse.
func (t *authTransport) read(resp *http.Response, st *callState) error {
	var body []byte
	var err error
	if resp.StatusCode/100 == 2 {
		body, err = readAll(resp.Body, t.c.maxBody)
	} else {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody)) // kept in part
	}
	_ = resp.Body.Close()
	var large *answerTooLarge
	if err != nil && !errors.As(err, &large) {
		if st != nil && st.Err() != nil {
			err = st.Err() // the caller's own context ended: say so
		}
		err = fmt.Errorf("%w: reading the answer [request_id %s]: %w", ErrInvalidResponse, resp.Header.Get("X-Request-Id"), err)
	}
	if err != nil {
		return err
	}
	resp.Body = newBufferedBody(body)
	resp.ContentLength = int64(len(body))
	return nil
}

// bufferedBody is a body read whole by the transport; decode takes its
// bytes instead of copying them again.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func newBufferedBody(b []byte) *bufferedBody { return &bufferedBody{bytes.NewReader(b), b} }

func (*bufferedBody) Close() error { return nil }

// bodyBytes returns what is left of a body.
func bodyBytes(body io.Reader) ([]byte, error) {
	if b, ok := body.(*bufferedBody); ok && b.Len() == len(b.data) {
		return b.data, nil
	}
	return io.ReadAll(body)
}

// readAll reads r whole, or fails with *answerTooLarge past limit bytes. It
// reads into chunks that double from 8 KiB up to 4 MiB and joins them
// once at the end: a body refused at the limit has cost the limit and a
// chunk, not the copies a growing slice makes, and nothing is sized from
// Content-Length, which may lie.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	var chunks [][]byte
	var total int64
	size := int64(8 << 10) // one chunk for most answers but pages
	for {
		chunk := make([]byte, min(size, limit+1-total))
		n, err := fill(r, chunk)
		chunks, total = append(chunks, chunk[:n]), total+int64(n)
		if total > limit {
			return nil, &answerTooLarge{limit}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err // io.ErrUnexpectedEOF included: a body cut short
		}
		size = min(2*size, 4<<20)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	return bytes.Join(chunks, nil), nil
}

// fill reads into b until it is full or r fails (io.EOF at its end).
func fill(r io.Reader, b []byte) (n int, err error) {
	for n < len(b) && err == nil {
		var m int
		m, err = r.Read(b[n:])
		n += m
	}
	return n, err
}

// answerTooLarge is a success body over WithMaxResponseBytes: not retried
// (the same answer would come again), and not of unknown outcome.
type answerTooLarge struct{ limit int64 }

func (e *answerTooLarge) Error() string {
	return fmt.Sprintf("%v: body larger than %d bytes", ErrInvalidResponse, e.limit)
}

func (e *answerTooLarge) Unwrap() error { return ErrInvalidResponse }

// cancelOnClose ends an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	defer b.cancel()
	return b.ReadCloser.Close()
}

// log writes the debug line of an attempt, with the same path form as the
// line of the call.
func (t *authTransport) log(ctx context.Context, st *callState, req *http.Request, resp *http.Response, err error, d time.Duration) {
	log := t.c.logger
	if log == nil || !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	path := req.URL.Path // relative to its base, as the call's line has it
	for _, base := range []*url.URL{t.c.baseURL, t.c.authURL} {
		if sameOrigin(req.URL, base) && strings.HasPrefix(path, base.Path) {
			path = strings.TrimPrefix(path, base.Path)
			break
		}
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("path", path),
		slog.Duration("duration", d),
	}
	if st != nil {
		attrs = append(attrs, slog.Int("attempt", st.attempt))
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if id := resp.Header.Get("X-Request-Id"); id != "" {
			attrs = append(attrs, slog.String("request_id", id))
		}
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	log.LogAttrs(ctx, slog.LevelDebug, "convirza: attempt", attrs...)
}

// sameOrigin reports whether u has the scheme and host (with port) of base.
func sameOrigin(u, base *url.URL) bool {
	return u.Scheme == base.Scheme && u.Host == base.Host
}
