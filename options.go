package convirza

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Production hosts. The API base includes the version path.
const (
	DefaultBaseURL     = "https://platform-api.convirza.com/v3"
	DefaultAuthBaseURL = "https://platform-oauth.convirza.com"
)

// Option configures a Client. Options are checked by NewClient, so a bad
// value fails there and not at the first call.
type Option func(*settings) error

// settings is what the options fill in.
type settings struct {
	baseURL, authURL  *url.URL
	httpClient        *http.Client
	logger            *slog.Logger
	userAgent         string
	maxRetries        int
	retryMin          time.Duration
	retryMax          time.Duration
	maxResponseBytes  int64
	attemptTimeout    time.Duration
	middleware        []Middleware
	limiter           RateLimiter
	store             TokenStore
	staticToken       string
	tokenSource       oauth2.TokenSource
	email, password   string
	storedTokens      bool
	authOptionsNumber int
}

// WithBaseURL sets the API base, including its version path (default
// DefaultBaseURL). It must be https, or http on a loopback host (a fake
// server in tests).
func WithBaseURL(rawURL string) Option {
	return func(s *settings) (err error) {
		if s.baseURL, err = parseBaseURL("base URL", rawURL); err != nil {
			return err
		}
		if !versionPath.MatchString(s.baseURL.Path) {
			// Without it every call would answer 404, which reads as
			// "user not found" rather than as a wrong URL.
			return fmt.Errorf("convirza: base URL %q has no version segment: want the form %s (the fake's: http://127.0.0.1:PORT/v3)",
				rawURL, DefaultBaseURL)
		}
		return nil
	}
}

// versionPath is the path of an API base: it ends in a version segment.
var versionPath = regexp.MustCompile(`(^|/)v[0-9]+$`)

// WithAuthBaseURL sets the OAuth service root (default DefaultAuthBaseURL),
// with the same rules as WithBaseURL.
func WithAuthBaseURL(rawURL string) Option {
	return func(s *settings) (err error) {
		s.authURL, err = parseBaseURL("auth base URL", rawURL)
		return err
	}
}

// WithToken authenticates every call with a fixed access token. A 401 is
// returned as ErrUnauthorized: a fixed token cannot be refreshed.
func WithToken(accessToken string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(accessToken) == "" {
			return errors.New("convirza: WithToken: empty token")
		}
		s.staticToken = accessToken
		s.authOptionsNumber++
		return nil
	}
}

// WithTokenSource authenticates every call with the access token of ts,
// which is asked for a token before each attempt (wrap it in
// oauth2.ReuseTokenSource to cache).
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(s *settings) error {
		if ts == nil {
			return errors.New("convirza: WithTokenSource: nil token source")
		}
		s.tokenSource = ts
		s.authOptionsNumber++
		return nil
	}
}

// WithCredentials makes the client log in with an email and a password, then
// keep its tokens fresh: it refreshes ahead of expiry and once after a 401,
// one refresh at a time, and hands every new token pair to the TokenStore
// before using it.
func WithCredentials(email, password string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(email) == "" {
			return errors.New("convirza: WithCredentials: empty email")
		}
		if password == "" {
			return errors.New("convirza: WithCredentials: empty password")
		}
		s.email, s.password = email, password
		s.authOptionsNumber++
		return nil
	}
}

// WithTokenStore sets where WithCredentials keeps its tokens (default: in
// memory). A persistent store lets a restarted process go on with its last
// refresh token instead of logging in again: refresh tokens are single-use,
// so the newest one must never be lost.
func WithTokenStore(store TokenStore) Option {
	return func(s *settings) error {
		if store == nil {
			return errors.New("convirza: WithTokenStore: nil store")
		}
		s.store = store
		return nil
	}
}

// WithStoredTokens makes the client use the token pair kept in store (saved
// there by a client made WithCredentials and WithTokenStore, or by the
// convirza command's login) and keep it fresh by refreshing it, under the
// rules of WithCredentials. It never logs in, since it has no password:
// when the store holds no pair, or its refresh token is dead and the access
// token stale, calls fail with an error matching ErrLoginRequired.
//
// It suits tools that keep a login between runs without keeping the
// password, as the convirza command does.
func WithStoredTokens(store TokenStore) Option {
	return func(s *settings) error {
		if store == nil {
			return errors.New("convirza: WithStoredTokens: nil store")
		}
		s.store, s.storedTokens = store, true
		s.authOptionsNumber++
		return nil
	}
}

// WithHTTPClient sets the http.Client whose Transport, Jar and Timeout the
// SDK uses. The default has a transport tuned for many goroutines sharing
// one client.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("convirza: WithHTTPClient: nil client")
		}
		s.httpClient = hc
		return nil
	}
}

// WithLogger sets the logger for debug lines about each request: method,
// path, status, attempt, duration and request id. Tokens, passwords and
// bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithUserAgent puts product in front of the SDK's own User-Agent
// ("convirza-go/<version>"), which stays so that Convirza can tell SDK
// traffic apart.
func WithUserAgent(product string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(product) == "" {
			return errors.New("convirza: WithUserAgent: empty user agent")
		}
		if !validHeaderValue(product) {
			return errors.New("convirza: WithUserAgent: the user agent has a control character")
		}
		s.userAgent = product + " " + userAgent
		return nil
	}
}

// WithMaxRetries sets how many times a failed idempotent call is retried
// (default 2; 0 turns retries off).
func WithMaxRetries(n int) Option {
	return func(s *settings) error {
		if n < 0 || n > 10 {
			return fmt.Errorf("convirza: WithMaxRetries: %d is outside 0..10", n)
		}
		s.maxRetries = n
		return nil
	}
}

// WithRetryBackoff sets the backoff between retries: the wait before retry n
// is random in [0, min(max, base·2ⁿ)) (full jitter), and a server's
// Retry-After is honoured up to max. Defaults: 500ms and 30s.
func WithRetryBackoff(base, max time.Duration) Option {
	return func(s *settings) error {
		if base < 0 || max < base {
			return fmt.Errorf("convirza: WithRetryBackoff: need 0 <= base <= max, got %v and %v", base, max)
		}
		s.retryMin, s.retryMax = base, max
		return nil
	}
}

// WithMaxResponseBytes caps the size of a success body (default 64 MiB); a
// larger answer fails instead of filling memory. Error bodies are always
// read up to 1 MiB.
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return fmt.Errorf("convirza: WithMaxResponseBytes: %d is not positive", n)
		}
		s.maxResponseBytes = n
		return nil
	}
}

// WithAttemptTimeout bounds each attempt of a call, from sending the
// request to the end of its answer's body (for a download, the body read
// by the caller). An attempt that runs out of time is a transient failure:
// a GET, PUT or DELETE is retried, and a POST or PATCH returns an error
// matching ErrAttemptTimeout and ErrOutcomeUnknown. The caller's context
// still bounds the whole call. Default: no bound but the context's.
func WithAttemptTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return fmt.Errorf("convirza: WithAttemptTimeout: %v is negative", d)
		}
		s.attemptTimeout = d
		return nil
	}
}

// parseBaseURL checks that raw is an absolute http(s) URL, https unless the
// host is loopback, and returns it without a trailing slash.
func parseBaseURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("convirza: %s: %w", what, err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("convirza: %s %q is not an absolute http(s) URL", what, raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("convirza: %s %q: plain http is allowed only for loopback hosts", what, raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("convirza: %s %q must not carry user info, a query or a fragment", what, raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RequestOption changes one call.
type RequestOption func(*callState)

// WithHeader adds a header to the request.
func WithHeader(key, value string) RequestOption {
	return func(st *callState) {
		if st.header == nil {
			st.header = http.Header{}
		}
		st.header.Add(key, value)
	}
}

// WithRetries sets the retries of this call, overriding WithMaxRetries.
func WithRetries(n int) RequestOption {
	return func(st *callState) { st.maxRetries = max(n, 0) }
}

// WithRetryNonIdempotent lets this POST or PATCH be retried like a GET. Use
// it only for calls that are safe to repeat: the API has no idempotency keys,
// so a retried create may create twice.
func WithRetryNonIdempotent() RequestOption {
	return func(st *callState) { st.retryUnsafe = true }
}

// checkHeader refuses, before any I/O, a header that net/http would refuse
// at send time (or, worse, that would split the request): a name that is
// not an HTTP token, a value with a control character.
func checkHeader(h http.Header) error {
	for k, vs := range h {
		if !validHeaderName(k) {
			return invalidf("header name %q is not a valid HTTP token", k)
		}
		for _, v := range vs {
			if !validHeaderValue(v) {
				return invalidf("value of header %q has a control character", k)
			}
		}
	}
	return nil
}

// validHeaderName reports whether k is a token of RFC 9110 (section 5.6.2).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range []byte(k) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v holds no control character but tab.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
