package convirzatest

import (
	"bufio"
	"cmp"
	"context"
	"io"
	"mime"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Limits and defaults. The token lifetimes are the documented ones (api/auth.md).
const (
	defaultAccessTTL  = 7 * 24 * time.Hour
	refreshTTL        = 180 * 24 * time.Hour
	defaultLoginLimit = 10

	maxJSONBody = 1 << 20 // larger JSON bodies get 413 before any handler runs
)

// Fake is the in-memory Convirza API as an http.Handler: it serves the API
// under /v3 and the OAuth service under /oauth on the same handler, so one
// listener can play both hosts.
//
// A Fake is safe for concurrent use. Its state starts from the seed described
// in the package documentation.
type Fake struct {
	// AdminEmail and AdminPassword are the seeded Admin's credentials, copied
	// here so that tests can log in without importing the constants. Changing
	// them does not change the seeded user.
	AdminEmail, AdminPassword string

	cfg config
	mux *http.ServeMux

	mu     sync.Mutex             // guards st, logins and origin; held while a handler runs, never while a body is read or a reply written
	st     *state                 // everything Snapshot saves
	logins map[string][]time.Time // login attempts per client IP within the last minute
	origin resetPoint             // what Reset returns to; guarded by mu

	controls []controlRoute // controlRoutes; a field, since the index it serves reads it

	log   requestLog  // see Requests; apart from mu so that logging never waits on a handler
	clock clockOffset // the offset AdvanceClock and SetClock put on cfg.now

	faults faultSet // see InjectFault

	deliveries     deliveryLog  // see Deliveries; apart from mu, like log
	deliveryClient *http.Client // sends webhook deliveries (deliveries.go)
}

// config is what Options change; NewFake fills in the defaults first.
type config struct {
	now            func() time.Time
	accessTTL      time.Duration
	loginPerMinute int

	// Webhook deliveries (deliveries.go).
	externalDeliveries bool                                                              // WithExternalDeliveries
	deliveryTimeout    time.Duration                                                     // 0: deliveryTimeout
	deliveryDial       func(ctx context.Context, network, addr string) (net.Conn, error) // nil: a net.Dialer
}

// Option configures a Fake or a Server.
type Option func(*config)

// WithClock sets the time source for token expiry, created timestamps and the
// envelope timestamp, so that tests can move time forward instead of sleeping.
// A nil function keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithAccessTokenTTL sets how long an access token lives after login, refresh
// or its last successful use (default 7 days, as documented). A value <= 0
// keeps the default.
func WithAccessTokenTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.accessTTL = d
		}
	}
}

// WithLoginRateLimit sets how many POST /oauth/token requests one client IP
// may make per minute before getting 429 (default 10, as documented). A value
// <= 0 disables the limit, for tests that log in many times.
func WithLoginRateLimit(n int) Option {
	return func(c *config) { c.loginPerMinute = max(n, 0) }
}

// NewFake returns a Fake holding the seed data.
func NewFake(opts ...Option) *Fake {
	cfg := config{now: time.Now, accessTTL: defaultAccessTTL, loginPerMinute: defaultLoginLimit}
	for _, o := range opts {
		o(&cfg)
	}
	f := &Fake{
		AdminEmail:     AdminEmail,
		AdminPassword:  SeedPassword,
		cfg:            cfg,
		mux:            http.NewServeMux(),
		logins:         map[string][]time.Time{},
		controls:       controlRoutes,
		deliveryClient: newDeliveryClient(cfg),
	}
	f.st = newState()
	for _, area := range apiAreas {
		for _, rt := range area {
			f.mux.HandleFunc(rt.pattern, f.handler(rt))
		}
	}
	// Every request that no pattern claims, including a known path with the
	// wrong method, lands here rather than on the mux's plain-text 404/405.
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		noRoute(w, r, requestInfo(r))
	})
	return f
}

// reqInfo is what ServeHTTP learns about a request before routing; route
// handlers read it from the request context.
type reqInfo struct {
	id   string    // request_id and X-Request-Id
	now  time.Time // the envelope timestamp and the handler's notion of now
	body []byte    // the whole body, unless it is multipart (then nil and unread)
}

type infoKey struct{}

func requestInfo(r *http.Request) *reqInfo {
	if info, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return info
	}
	// Only reachable if a handler is called without ServeHTTP.
	return &reqInfo{id: newUUID(), now: time.Now().UTC()}
}

// ServeHTTP serves one request: it serves the admin paths (/_mock/), applies
// an injected fault, reads and logs the body, rejects paths the mux would
// redirect, and hands the rest to the route table.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.serveControl(w, r) {
		return
	}
	ft := f.faults.take(r)
	if ft != nil && f.beforeRead(ft, w, r) {
		return
	}
	info := &reqInfo{id: newUUID(), now: f.now()}
	var readErr error
	if !isMultipart(r) && r.Body != nil {
		// Multipart uploads are left unread for their handler, which applies its
		// own, larger limit.
		info.body, readErr = io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	}
	entry := f.record(r, info.body, info.now)
	sw := &statusWriter{ResponseWriter: w}
	w = sw
	// Deferred, so that a reply aborted with http.ErrAbortHandler is logged
	// with status 0.
	defer func() { f.log.done(entry, sw.status) }()
	if ft != nil {
		f.serveFault(ft, w, r, info, readErr)
		return
	}
	f.dispatch(w, r, info, readErr)
}

// dispatch answers a request whose body has been read: an error for a body
// that could not be read or is too large, else the route's reply.
func (f *Fake) dispatch(w http.ResponseWriter, r *http.Request, info *reqInfo, readErr error) {
	switch {
	case readErr != nil:
		errorResponse(info, errorf(http.StatusBadRequest, "request body could not be read")).write(w)
	case len(info.body) > maxJSONBody:
		errorResponse(info, errorf(http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", maxJSONBody)).write(w)
	case r.Method == http.MethodConnect || cleanPath(r.URL.EscapedPath()) != r.URL.EscapedPath():
		// http.ServeMux would answer these with a redirect; the API has no
		// redirects, so they are simply unknown routes.
		noRoute(w, r, info)
	default:
		f.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
	}
}

// noRoute is the 404 for requests that match no route.
func noRoute(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	errorResponse(info, errorf(http.StatusNotFound, "no route for %s %s", r.Method, r.URL.Path)).write(w)
}

// cleanPath is net/http's path canonicalisation: the mux redirects any path
// that differs from it.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return strings.HasPrefix(mt, "multipart/")
}

// handler adapts a route to the mux. Under the state lock it runs the checks
// that business-rules.md puts before the handler (401 token, then 403 role),
// calls the handler, renews the access token on success and encodes the
// reply; it writes the reply after the lock is released.
func (f *Fake) handler(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		info := requestInfo(r)
		c := &call{f: f, r: r, now: info.now, body: info.body}
		if rt.read != nil {
			rt.read(c) // outside the lock: see route.read
		}
		f.respond(rt, c, info).write(w)
	}
}

func (f *Fake) respond(rt route, c *call, info *reqInfo) *response {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := f.run(rt, c)
	switch {
	case err != nil:
		return errorResponse(info, err)
	case rt.bare:
		if raw, ok := data.(*rawReply); ok { // not JSON: a recording's audio
			return raw.response(info.id)
		}
		return jsonResponse(http.StatusOK, info.id, data)
	default:
		return dataResponse(info, cmp.Or(rt.status, http.StatusOK), data)
	}
}

// run is one call with the state lock held.
func (f *Fake) run(rt route, c *call) (any, *apiError) {
	c.st = f.st
	if rt.access != public {
		if err := c.authenticate(); err != nil {
			return nil, err
		}
		if err := rt.access.check(c.caller.RoleID); err != nil {
			return nil, err
		}
	}
	data, err := rt.handle(c)
	if err == nil && c.token != nil {
		// Documented: the access token is renewed on each authenticated request.
		c.token.ExpiresAt = c.now.Add(f.cfg.accessTTL)
	}
	return data, err
}

// ExpireAccessTokens makes every access token issued so far expired, so the
// next /v3 call with any of them gets 401. Refresh tokens keep working, which
// is what a client's refresh-after-401 path needs.
func (f *Fake) ExpireAccessTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for _, t := range f.st.AccessTokens {
		if t.ExpiresAt.After(now) {
			t.ExpiresAt = now
		}
	}
}

// statusWriter remembers the status of the reply for the request log. A
// hijacked connection (a dropped reply) leaves it 0.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Hijack lets dropConnection take the connection over.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
