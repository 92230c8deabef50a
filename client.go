package convirza

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.1.0"

const userAgent = "convirza-go/" + Version

// Client is a Convirza V3 Platform API client. It is safe for concurrent use
// by many goroutines; share one per process.
type Client struct {
	Users         *UsersService
	Groups        *GroupsService
	Webhooks      *WebhooksService
	Prompts       *PromptsService
	AIVoiceAgents *AIVoiceAgentsService
	PhoneNumbers  *PhoneNumbersService
	Routes        *RoutesService
	Broadcasts    *BroadcastsService
	Calls         *CallsService
	SMS           *SMSService
	Tags          *TagsService
	AdSources     *AdSourcesService
	Industries    *IndustriesService
	Auth          *AuthService

	base, authBase string // without trailing slash
	baseURL        *url.URL
	authURL        *url.URL
	http           *retryablehttp.Client
	tokens         tokenSource
	logger         *slog.Logger
	userAgent      string
	maxRetries     int
	retryMax       time.Duration
	maxBody        int64
	attemptTimeout time.Duration
	middleware     []Middleware
	limiter        RateLimiter
}

// NewClient returns a client configured by opts. With no options it talks to
// the production hosts without credentials (only Auth.Login and the other
// token calls work then).
func NewClient(opts ...Option) (*Client, error) {
	s := settings{
		userAgent:        userAgent,
		maxRetries:       2,
		retryMin:         500 * time.Millisecond,
		retryMax:         30 * time.Second,
		maxResponseBytes: 64 << 20,
	}
	s.baseURL, _ = url.Parse(DefaultBaseURL)
	s.authURL, _ = url.Parse(DefaultAuthBaseURL)
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	if s.authOptionsNumber > 1 {
		return nil, errors.New("convirza: choose one of WithToken, WithTokenSource, WithCredentials and WithStoredTokens")
	}
	if s.store != nil && s.email == "" && !s.storedTokens {
		return nil, errors.New("convirza: WithTokenStore needs WithCredentials")
	}
	c := &Client{
		base:       s.baseURL.String(),
		authBase:   s.authURL.String(),
		baseURL:    s.baseURL,
		authURL:    s.authURL,
		logger:     s.logger,
		userAgent:  s.userAgent,
		maxRetries: s.maxRetries,
		retryMax:   s.retryMax,
		maxBody:    s.maxResponseBytes,
	}
	c.attemptTimeout, c.middleware, c.limiter = s.attemptTimeout, s.middleware, s.limiter
	c.http = c.newRetryClient(s)
	c.Auth = &AuthService{c: c}
	switch {
	case s.staticToken != "":
		c.tokens = &staticToken{tok: secret(s.staticToken)}
	case s.tokenSource != nil:
		c.tokens = &oauth2Source{ts: s.tokenSource}
	case s.email != "" || s.storedTokens:
		store := s.store
		if store == nil {
			store = &MemoryTokenStore{}
		}
		c.tokens = newCredentialsSource(c.Auth, s.email, s.password, store)
	}
	c.Users = &UsersService{c: c}
	c.Groups = &GroupsService{c: c}
	c.Webhooks = &WebhooksService{c: c}
	c.Prompts = &PromptsService{c: c}
	c.AIVoiceAgents = &AIVoiceAgentsService{c: c}
	c.PhoneNumbers = &PhoneNumbersService{c: c}
	c.Routes = &RoutesService{c: c}
	c.Broadcasts = &BroadcastsService{c: c}
	c.Calls = &CallsService{c: c}
	c.SMS = &SMSService{c: c}
	c.Tags = &TagsService{c: c}
	c.AdSources = &AdSourcesService{c: c}
	c.Industries = &IndustriesService{c: c}
	return c, nil
}

// newRetryClient assembles the pipeline below the request builder:
// retries (go-retryablehttp), then the bearer, then the user's transport.
func (c *Client) newRetryClient(s settings) *retryablehttp.Client {
	base := s.httpClient
	if base == nil {
		base = &http.Client{Transport: defaultTransport()}
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	at := &authTransport{c: c, next: next}
	if len(s.middleware) > 0 {
		at.chain = middlewareChain(s.middleware, at.attempt)
	}
	hc := &http.Client{
		Transport:     at,
		CheckRedirect: c.checkRedirect(base.CheckRedirect),
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
	return &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: s.retryMin,
		RetryWaitMax: s.retryMax,
		// The per-call limit lives in callState; CheckRetry enforces it.
		RetryMax:        100,
		CheckRetry:      c.checkRetry,
		Backoff:         backoff,
		ErrorHandler:    retryablehttp.PassthroughErrorHandler,
		RequestLogHook:  countAttempt,
		ResponseLogHook: nil,
	}
}

// defaultTransport is http.DefaultTransport tuned for many goroutines
// sharing one client: enough idle connections per host that a burst does
// not open (and then close) new ones, and TLS 1.2 at least.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.ForceAttemptHTTP2 = true
	return t
}

// Do calls any endpoint: path is relative to the API base ("/users/list"),
// may carry a query, and is sent as given (escape its segments yourself).
// body, if not nil, is sent as JSON; the envelope's data is decoded into out
// when out is not nil. Errors are the same as those of the typed methods.
func (c *Client) Do(ctx context.Context, method, path string, body, out any, opts ...RequestOption) error {
	if method == "" {
		return invalidf("empty method")
	}
	if len(path) == 0 || path[0] != '/' {
		return invalidf("path %q must start with /", path)
	}
	if out != nil {
		if v := reflect.ValueOf(out); v.Kind() != reflect.Pointer || v.IsNil() {
			return invalidf("out must be nil or a non-nil pointer, got %T", out)
		}
	}
	r := &request{method: method, path: path, body: body}
	if p, q, ok := cutQuery(path); ok {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return invalidf("query of %q: %v", path, err)
		}
		r.path, r.query = p, vals
	}
	return c.send(ctx, r, out, opts)
}

func cutQuery(path string) (string, string, bool) {
	for i := range len(path) {
		if path[i] == '?' {
			return path[:i], path[i+1:], true
		}
	}
	return path, "", false
}

// String describes the client without any secret.
func (c *Client) String() string {
	return fmt.Sprintf("convirza.Client{base: %s, auth: %s}", c.base, c.authBase)
}

// Format makes every fmt verb print String, for a Client value as well as a
// pointer: fmt would otherwise print a value's fields, and follow the
// pointer to its token source for %s and %q.
func (c Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }
