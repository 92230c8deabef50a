package convirza

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
)

// Middleware runs around every attempt of every call (retries, logins and
// refreshes included): it may read or change the request, call next to send
// it, look at the answer, or answer by itself without calling next. The
// request it sees carries no bearer token: the token is set after the last
// middleware, inside next. The answer's body has been read whole already,
// so timing next times the whole attempt.
//
// CallInfoFrom(req.Context()) tells which call and attempt a request is.
type Middleware func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error)

// WithMiddleware adds middleware around every attempt, the first given
// outermost. It may be given more than once; each adds to the chain.
func WithMiddleware(mw ...Middleware) Option {
	return func(s *settings) error {
		for _, m := range mw {
			if m == nil {
				return errors.New("convirza: WithMiddleware: nil middleware")
			}
		}
		s.middleware = append(s.middleware, mw...)
		return nil
	}
}

// RateLimiter is what WithRateLimiter waits on; *rate.Limiter from
// golang.org/x/time/rate is one.
type RateLimiter interface {
	Wait(ctx context.Context) error
}

// WithRateLimiter makes every attempt (retries, logins and refreshes
// included) wait on l first. An error from Wait (the context ended, or the
// wait would outlast its deadline) ends the call with that error, and
// nothing is sent.
func WithRateLimiter(l RateLimiter) Option {
	return func(s *settings) error {
		if l == nil {
			return errors.New("convirza: WithRateLimiter: nil limiter")
		}
		s.limiter = l
		return nil
	}
}

// CallInfo describes the call and the attempt a request belongs to.
type CallInfo struct {
	// Operation is the SDK method the caller called, such as "Users.Get"
	// or "Users.All"; "Do" for Client.Do; "Auth.Login" or "Auth.Refresh"
	// for the renewals the client makes by itself.
	Operation string
	// Method is the HTTP method.
	Method string
	// PathTemplate is the path relative to its base with every numeric
	// segment as {id}: "/users/{id}", never the id itself, so that it can
	// name a metric or a span.
	PathTemplate string
	// Attempt counts the attempts of the call from 1.
	Attempt int
}

// CallInfoFrom returns the CallInfo of the request whose context ctx is,
// inside a Middleware or the http.Client's transport.
func CallInfoFrom(ctx context.Context) (CallInfo, bool) {
	st := stateOf(ctx)
	if st == nil {
		return CallInfo{}, false
	}
	st.opOnce.Do(func() { st.operation = operationOf(st.callers) })
	return CallInfo{Operation: st.operation, Method: st.method, PathTemplate: pathTemplate(st.path), Attempt: st.attempt}, true
}

// ResponseInfo is what WithResponseInfo fills in after a call.
type ResponseInfo struct {
	// StatusCode and Header are those of the last answer; 0 and nil when
	// no answer came.
	StatusCode int
	Header     http.Header
	// RequestID is the id to quote to Convirza support, from the envelope
	// or the X-Request-Id header.
	RequestID string
	// Attempts is the number of attempts the call made (0 when it was
	// refused before any I/O).
	Attempts int
}

// WithResponseInfo makes the call fill *dst when it ends, whether it
// succeeded or not.
func WithResponseInfo(dst *ResponseInfo) RequestOption {
	return func(st *callState) { st.info = dst }
}

// pathTemplate is path with every numeric segment replaced by {id}.
func pathTemplate(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

// operationOf names the SDK method that made the call: going out from
// send through the frames of this package, the outermost method of a
// service ("Users.Get"; "Users.All" for its pages) or Client.Do ("Do").
// The frames stop at the first one outside the package, so the login a
// renewal makes inside another call's transport is "Auth.Login". It is read
// only when a middleware asks for it, from the frames send kept.
func operationOf(pcs []uintptr) string {
	frames := runtime.CallersFrames(pcs)
	const pkg = "github.com/convirza-community/convirza-go."
	op := ""
	for {
		f, more := frames.Next()
		rest, ok := strings.CutPrefix(f.Function, pkg)
		if !ok {
			return op
		}
		// A method inlined into its caller reads "Caller.(*T).Method".
		if i := strings.Index(rest, "(*"); i >= 0 {
			rest = rest[i+2:]
			typ, method, _ := strings.Cut(rest, ").")
			method, _, _ = strings.Cut(method, ".") // All.func1: All
			switch {
			case typ == "Client" && method == "Do":
				op = "Do"
			case strings.HasSuffix(typ, "Service") && method != "" && method[0] >= 'A' && method[0] <= 'Z':
				op = strings.TrimSuffix(typ, "Service") + "." + method
			}
		}
		if !more {
			return op
		}
	}
}

// callers returns the frames from send's caller out: cheap to take, named
// only when asked.
func callers() []uintptr {
	pcs := make([]uintptr, 48)
	return pcs[:runtime.Callers(3, pcs)]
}

// middlewareChain returns the function that runs mw around final, the
// first middleware outermost.
func middlewareChain(mw []Middleware, final func(*http.Request) (*http.Response, error)) func(*http.Request) (*http.Response, error) {
	next := final
	for i := len(mw) - 1; i >= 0; i-- {
		m, inner := mw[i], next
		next = func(req *http.Request) (*http.Response, error) { return m(req, inner) }
	}
	return next
}
