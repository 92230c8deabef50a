package convirza

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingMiddleware notes, for each request it wraps, its name, the
// CallInfo and the Authorization header it saw.
type recordingMiddleware struct {
	mu   sync.Mutex
	seen []string
}

func (r *recordingMiddleware) named(name string) Middleware {
	return func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		info, _ := CallInfoFrom(req.Context())
		r.mu.Lock()
		r.seen = append(r.seen, fmt.Sprintf("%s> %s %s %s #%d auth=%q", name, info.Operation, info.Method, info.PathTemplate,
			info.Attempt, req.Header.Get("Authorization")))
		r.mu.Unlock()
		resp, err := next(req)
		r.mu.Lock()
		r.seen = append(r.seen, "<"+name)
		r.mu.Unlock()
		return resp, err
	}
}

// TestMiddlewareRunsAroundEveryAttempt retries a call once after a 503,
// with a login first: each middleware runs around each attempt, outermost
// first, sees the operation, the path template and the attempt, and never
// the token, which the server still gets.
func TestMiddlewareRunsAroundEveryAttempt(t *testing.T) {
	var n atomic.Int32
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		loginRoute: loginOK,
		getRoute: func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				answer(503, `{}`)(w, r)
				return
			}
			okUser(w, r)
		},
	})
	rec := &recordingMiddleware{}
	c := clientOn(t, srv, WithCredentials(testEmail, testPassword), WithMiddleware(rec.named("A")), WithMiddleware(rec.named("B")))
	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, []string{
		// The login runs inside the first attempt, after the middleware:
		// the token is set last.
		`A> Users.Get GET /users/{id} #1 auth=""`, `B> Users.Get GET /users/{id} #1 auth=""`,
		`A> Auth.Login POST /oauth/token #1 auth=""`, `B> Auth.Login POST /oauth/token #1 auth=""`, "<B", "<A",
		"<B", "<A",
		`A> Users.Get GET /users/{id} #2 auth=""`, `B> Users.Get GET /users/{id} #2 auth=""`, "<B", "<A",
	}, rec.seen)
	for _, r := range srv.seen[getRoute] {
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"), "the server got the token")
	}
}

// TestCallInfoNamesTheMethodCalled checks the operation of a typed method,
// an iterator, Do, and a renewal.
func TestCallInfoNamesTheMethodCalled(t *testing.T) {
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		getRoute:              okUser,
		"GET /v3/users/list":  answer(200, envelopeJSON(`{"users":[{"ct_user_id":1}],"total":1}`)),
		"DELETE /v3/users/77": answer(200, envelopeJSON(`{"userId":77}`)),
	})
	var ops []CallInfo
	c := clientOn(t, srv, WithToken(testToken), WithMiddleware(func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		info, ok := CallInfoFrom(req.Context())
		require.True(t, ok)
		ops = append(ops, info)
		return next(req)
	}))
	ctx := context.Background()
	_, err := c.Users.Get(ctx, 1)
	require.NoError(t, err)
	for _, err := range c.Users.All(ctx, nil) {
		require.NoError(t, err)
	}
	require.NoError(t, c.Do(ctx, "GET", "/users/1", nil, nil))
	require.NoError(t, c.Users.Delete(ctx, 77))
	assert.Equal(t, []CallInfo{
		{"Users.Get", "GET", "/users/{id}", 1}, {"Users.All", "GET", "/users/list", 1},
		{"Do", "GET", "/users/{id}", 1}, {"Users.Delete", "DELETE", "/users/{id}", 1},
	}, ops)
	_, ok := CallInfoFrom(ctx)
	assert.False(t, ok, "outside a call")
}

// TestMiddlewareCanAnswerByItself short-circuits every request: nothing
// reaches the server, and its answer is decoded as the server's would be.
func TestMiddlewareCanAnswerByItself(t *testing.T) {
	srv := newCountingServer(t, false, nil)
	c := clientOn(t, srv, WithToken(testToken), WithMiddleware(func(req *http.Request, _ func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: req,
			Body: io.NopCloser(strings.NewReader(envelopeJSON(`{"ct_user_id":42}`)))}, nil
	}))
	u, err := c.Users.Get(context.Background(), 42)
	require.NoError(t, err)
	assert.Equal(t, int64(42), u.ID)
	assert.Zero(t, srv.total())
}

// countingLimiter counts its waits and fails once told to.
type countingLimiter struct {
	waits atomic.Int32
	fail  error
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	return l.fail
}

// TestRateLimiterIsWaitedBeforeEveryAttempt counts the waits of a call with
// a login and a retry, and ends a call with the limiter's error.
func TestRateLimiterIsWaitedBeforeEveryAttempt(t *testing.T) {
	var n atomic.Int32
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		loginRoute: loginOK,
		getRoute: func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				answer(502, `{}`)(w, r)
				return
			}
			okUser(w, r)
		},
	})
	l := &countingLimiter{}
	c := clientOn(t, srv, WithCredentials(testEmail, testPassword), WithRateLimiter(l))
	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, int32(3), l.waits.Load(), "two attempts and the login")
	assert.Equal(t, 3, srv.total())

	l.fail = errors.New("rate: Wait(n=1) would exceed context deadline")
	_, err = c.Users.Get(context.Background(), 1)
	require.ErrorIs(t, err, l.fail)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, 3, srv.total(), "nothing sent")
	assert.Equal(t, int32(4), l.waits.Load(), "no retry after the limiter's error")
}

// TestResponseInfoAfterEveryKindOfEnd fills a ResponseInfo on a success
// after a retry, an API error, a transport error and a refusal before I/O.
func TestResponseInfoAfterEveryKindOfEnd(t *testing.T) {
	var n atomic.Int32
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		getRoute: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", fmt.Sprintf("hdr-%d", n.Add(1)))
			if n.Load() == 1 {
				answer(503, `{}`)(w, r)
				return
			}
			answer(200, `{"code":200,"data":{"ct_user_id":1},"request_id":"env-2"}`)(w, r)
		},
		"GET /v3/users/2": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", "hdr-404")
			answer(404, `{"code":404,"message":"User not found"}`)(w, r)
		},
		"GET /v3/users/3": dropConnection,
	})
	c := clientOn(t, srv, WithToken(testToken))
	ctx := context.Background()
	var info ResponseInfo
	_, err := c.Users.Get(ctx, 1, WithResponseInfo(&info))
	require.NoError(t, err)
	assert.Equal(t, 200, info.StatusCode)
	assert.Equal(t, "env-2", info.RequestID)
	assert.Equal(t, 2, info.Attempts)
	assert.Equal(t, "hdr-2", info.Header.Get("X-Request-Id"))

	_, err = c.Users.Get(ctx, 2, WithResponseInfo(&info))
	require.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, ResponseInfo{StatusCode: 404, Header: info.Header, RequestID: "hdr-404", Attempts: 1}, info)

	_, err = c.Users.Get(ctx, 3, WithResponseInfo(&info), WithRetries(1))
	require.Error(t, err)
	assert.Equal(t, ResponseInfo{Attempts: 2}, info, "no answer came")

	_, err = c.Users.Get(ctx, 0, WithResponseInfo(&info))
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, ResponseInfo{Attempts: 2}, info, "a refusal before I/O leaves it as it was: the call never began")
}
