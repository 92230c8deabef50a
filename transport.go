package convirza

import (
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// authTransport puts the bearer token on requests to the configured API
// host, and logs each attempt. It sits inside the retry loop, so every
// attempt asks the token source afresh (a retry after a refresh carries the
// new token), and inside the redirect loop, so a redirect to any other host
// (or scheme, or port) never carries the token.
type authTransport struct {
	c    *Client
	next http.RoundTripper

	// bearer is the Authorization value of the last token seen, kept so
	// that a request does not build the same string again.
	bearer atomic.Pointer[bearerHeader]
}

type bearerHeader struct {
	token string
	value []string // {"Bearer " + token}; shared, never written
}

// header returns the Authorization value for tok.
func (t *authTransport) header(tok string) []string {
	if h := t.bearer.Load(); h != nil && h.token == tok {
		return h.value
	}
	h := &bearerHeader{token: tok, value: []string{"Bearer " + tok}}
	t.bearer.Store(h)
	return h.value
}

// withHeader returns a shallow copy of req whose header map is new and
// holds value under key: a RoundTripper must not change the request it is
// given, and only the map is changed, so neither the URL nor the other
// values need a copy as req.Clone would make.
func withHeader(req *http.Request, key string, value []string) *http.Request {
	r := new(http.Request)
	*r = *req
	h := make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		h[k] = v
	}
	h[key] = value
	r.Header = h
	return r
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
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
		req = withHeader(req, "Authorization", t.header(tok))
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if log := t.c.logger; log != nil && log.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.Duration("duration", time.Since(start)),
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
	return resp, err
}

// sameOrigin reports whether u has the scheme and host (with port) of base.
func sameOrigin(u, base *url.URL) bool {
	return u.Scheme == base.Scheme && u.Host == base.Host
}
