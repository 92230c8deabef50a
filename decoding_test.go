package convirza

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnswersThatLieAreRefused answers each kind of call with what a
// hostile or broken server might send: never an empty page, a zero record
// or a created id 0, always ErrInvalidResponse.
func TestAnswersThatLieAreRefused(t *testing.T) {
	user := &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin}
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf(`{"ct_user_id":%d}`, i+1)
	}
	for name, tc := range map[string]struct {
		method, path, answer string
		call                 func(c *Client) error
	}{
		"a list without its key": {"GET", "/users/list", `{"code":200,"data":{"total":3}}`,
			func(c *Client) error { _, err := c.Users.List(context.Background(), nil); return err }},
		"users answered under groups": {"GET", "/users/list", envelopeJSON(`{"groups":[{"ct_user_id":1}],"total":1}`),
			func(c *Client) error { _, err := c.Users.List(context.Background(), nil); return err }},
		"a list that is null": {"GET", "/users/list", envelopeJSON(`{"users":null,"total":0}`),
			func(c *Client) error { _, err := c.Users.List(context.Background(), nil); return err }},
		"more items than the limit": {"GET", "/users/list", envelopeJSON(`{"users":[` + strings.Join(many, ",") + `],"total":51}`),
			func(c *Client) error {
				_, err := c.Users.List(context.Background(), &ListUsersParams{PageParams: PageParams{Limit: 50}})
				return err
			}},
		"a reference list without its key": {"GET", "/industry", envelopeJSON(`{"ad_sources":[],"total":0}`),
			func(c *Client) error { _, err := c.Industries.List(context.Background()); return err }},
		"a get without data": {"GET", "/users/1", `{"code":200,"message":"Success"}`,
			func(c *Client) error { _, err := c.Users.Get(context.Background(), 1); return err }},
		"a get with data null": {"GET", "/users/1", envelopeJSON(`null`),
			func(c *Client) error { _, err := c.Users.Get(context.Background(), 1); return err }},
		"an empty body on a get": {"GET", "/users/1", ``,
			func(c *Client) error { _, err := c.Users.Get(context.Background(), 1); return err }},
		"a create without data": {"POST", "/users", `{"code":201}`,
			func(c *Client) error { _, err := c.Users.Create(context.Background(), user); return err }},
		"a create without an id": {"POST", "/users", envelopeJSON(`{"message":"created"}`),
			func(c *Client) error { _, err := c.Users.Create(context.Background(), user); return err }},
		"an update with data null": {"PUT", "/users/1", envelopeJSON(`null`),
			func(c *Client) error { _, err := c.Users.Update(context.Background(), 1, user); return err }},
		"a patch without data": {"PATCH", "/users/1", `{"code":200}`,
			func(c *Client) error {
				_, err := c.Users.Patch(context.Background(), 1, &PatchUserParams{FirstName: Set("A")})
				return err
			}},
		"data of another type": {"GET", "/users/list", envelopeJSON(`{"users":{"ct_user_id":1},"total":1}`),
			func(c *Client) error { _, err := c.Users.List(context.Background(), nil); return err }},
		"not JSON": {"GET", "/users/1", `<html>maintenance</html>`,
			func(c *Client) error { _, err := c.Users.Get(context.Background(), 1); return err }},
		"trailing garbage": {"GET", "/users/1", envelopeJSON(`{"ct_user_id":1}`) + `{"code":500}`,
			func(c *Client) error { _, err := c.Users.Get(context.Background(), 1); return err }},
	} {
		c, mt := newWireClient(t)
		rec := respond(mt, tc.method, tc.path, 200, tc.answer)
		err := tc.call(c)
		require.ErrorIs(t, err, ErrInvalidResponse, name)
		assert.Equal(t, 1, rec.count(), "%s: not retried", name)
	}
}

// TestEnvelopeCodeActsAsTheStatus answers 200 with an error code in the
// envelope: the error matches exactly what that HTTP status would.
func TestEnvelopeCodeActsAsTheStatus(t *testing.T) {
	user := &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin}
	for code, want := range map[int][]error{
		400: {ErrBadRequest}, 401: {ErrUnauthorized}, 403: {ErrForbidden}, 404: {ErrNotFound},
		409: {ErrConflict, ErrDuplicateEmail}, 410: {ErrGone}, 429: {ErrRateLimited}, 500: {ErrServer}, 503: {ErrServer},
	} {
		c, mt := newWireClient(t)
		respond(mt, "POST", "/users", 200, fmt.Sprintf(`{"code":%d,"message":"inside a 200","request_id":"r-%d"}`, code, code))
		_, err := c.Users.Create(context.Background(), user)
		for _, w := range want {
			assert.ErrorIs(t, err, w, "code %d", code)
		}
		var ae *APIError
		require.True(t, errors.As(err, &ae), "code %d", code)
		assert.Equal(t, code, ae.StatusCode)
		assert.Equal(t, "inside a 200", ae.Message)
		assert.Equal(t, "r-"+strconv.Itoa(code), ae.RequestID)
		if code != 409 {
			assert.NotErrorIs(t, err, ErrDuplicateEmail, "code %d", code)
		}
	}
}

// TestContextEndingDuringTheBodyIsTheContextsError cancels, and times out,
// a call while its answer's body is arriving.
func TestContextEndingDuringTheBodyIsTheContextsError(t *testing.T) {
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		getRoute: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			_, _ = io.WriteString(w, `{"code":200,"data":{"first_name":"`)
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the rest never comes
		},
	})
	c := clientOn(t, srv, WithToken(testToken))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Users.Get(ctx, 1)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrAttemptTimeout, "the caller's deadline, not an attempt's")

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = c.Users.Get(ctx, 1)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, srv.count(getRoute), "no retry once the context ended")
}

// TestDoRefusesBadOutAndBodies: what Do cannot decode into or encode is
// refused before any I/O.
func TestDoRefusesBadOutAndBodies(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/x", 200, envelopeJSON(`{"a":1}`))
	var typedNil *struct{ A int }
	for name, out := range map[string]any{"a struct value": struct{ A int }{}, "a typed nil pointer": typedNil, "a map value": map[string]any{}} {
		assert.ErrorIs(t, c.Do(context.Background(), "GET", "/x", nil, out), ErrInvalidParams, name)
	}
	assert.ErrorIs(t, c.Do(context.Background(), "POST", "/x", map[string]any{"f": func() {}}, nil), ErrInvalidParams, "a body that cannot be encoded")
	assert.ErrorIs(t, c.Do(context.Background(), "POST", "/x", make(chan int), nil), ErrInvalidParams)
	assert.Zero(t, rec.count())

	var out struct{ A int }
	require.NoError(t, c.Do(context.Background(), "GET", "/x", nil, &out))
	assert.Equal(t, 1, out.A)
	require.NoError(t, c.Do(context.Background(), "GET", "/x", nil, nil), "nil discards the answer")
}

// TestLyingContentLengthCostsOnlyWhatArrives answers with a Content-Length
// of 1 GB and streams bytes past the default 64 MiB cap: the call fails
// with ErrInvalidResponse, and what it allocated is the cap and a few MiB,
// however large the claim. A claim of 1 GB for a small body costs nothing.
func TestLyingContentLengthCostsOnlyWhatArrives(t *testing.T) {
	const claimed = 1 << 30
	block := bytes.Repeat([]byte("x"), 1<<20)
	var sent atomic.Int64
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		getRoute: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(claimed))
			_, _ = io.WriteString(w, `{"code":200,"data":{"first_name":"`)
			for sent.Load() < claimed {
				n, err := w.Write(block)
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
		},
		"GET /v3/users/2": func(w http.ResponseWriter, r *http.Request) {
			// A small body that claims 1 GB: the client reads what comes.
			conn, buf, _ := w.(http.Hijacker).Hijack()
			defer conn.Close()
			body := envelopeJSON(`{"ct_user_id":2}`)
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/json\r\n\r\n%s", claimed, body)
			_ = buf.Flush()
		},
	})
	c := clientOn(t, srv, WithToken(testToken), WithMaxRetries(0))

	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	var err error
	got := allocated(func() { _, err = c.Users.Get(context.Background(), 1) })
	require.ErrorIs(t, err, ErrInvalidResponse)
	assert.Contains(t, err.Error(), "larger than 67108864 bytes")
	t.Logf("a 1 GB answer over the 64 MiB cap: %.1f MiB allocated by the whole call (server included), %d MiB sent before the client stopped",
		float64(got)/(1<<20), sent.Load()>>20)
	assert.Less(t, got, uint64(64<<20+8<<20), "the cap and a few MiB")

	got = allocated(func() { _, err = c.Users.Get(context.Background(), 2) })
	require.Error(t, err, "a body shorter than its length is cut short")
	assert.Less(t, got, uint64(1<<20), "a lying length allocates nothing up front")
}

// TestCancelledCallKeepsThePool cancels a call during a Retry-After wait
// (where go-retryablehttp closes idle connections of the client below it):
// the shared transport's idle connection survives, so the next call dials
// nothing.
func TestCancelledCallKeepsThePool(t *testing.T) {
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		getRoute: okUser,
		"GET /v3/users/2": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			answer(503, `{"message":"later"}`)(w, r)
		},
	})
	var dials atomic.Int32
	tr := defaultTransport()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := NewClient(WithBaseURL(srv.URL+"/v3"), WithToken(testToken), WithHTTPClient(&http.Client{Transport: tr}),
		WithRetryBackoff(time.Hour, time.Hour))
	require.NoError(t, err)
	_, err = c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, int32(1), dials.Load())

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Users.Get(ctx, 2)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, int32(1), dials.Load(), "the cancelled call left the pool as it was")
}

// TestAttemptTimeoutIsRetried stalls the first attempt, in its headers and
// in its body, with WithAttemptTimeout and with an http.Client Timeout: a
// GET is retried and succeeds, a POST is of unknown outcome, and neither
// error claims to be the caller's deadline.
func TestAttemptTimeoutIsRetried(t *testing.T) {
	stall := func(inBody bool) http.HandlerFunc {
		var n atomic.Int32
		return func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) > 1 {
				answer(200, envelopeJSON(`{"ct_user_id":1,"userId":1}`))(w, r)
				return
			}
			if inBody {
				w.Header().Set("Content-Length", "1000")
				_, _ = io.WriteString(w, `{"code":200,`)
				w.(http.Flusher).Flush()
			}
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
	}
	for _, inBody := range []bool{false, true} {
		for name, opt := range map[string]func(*countingServer) Option{
			"WithAttemptTimeout":    func(*countingServer) Option { return WithAttemptTimeout(100 * time.Millisecond) },
			"http.Client's Timeout": func(s *countingServer) Option { return WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}) },
		} {
			msg := fmt.Sprintf("%s, stalled in the body: %v", name, inBody)
			srv := newCountingServer(t, false, map[string]http.HandlerFunc{getRoute: stall(inBody), "POST /v3/users": stall(inBody)})
			c, err := NewClient(WithBaseURL(srv.URL+"/v3"), WithToken(testToken), WithRetryBackoff(0, 0), opt(srv))
			require.NoError(t, err)
			_, err = c.Users.Get(context.Background(), 1)
			require.NoError(t, err, msg)
			assert.Equal(t, 2, srv.count(getRoute), msg)

			_, err = c.Users.Create(context.Background(), &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin})
			require.ErrorIs(t, err, ErrOutcomeUnknown, msg)
			assert.ErrorIs(t, err, ErrAttemptTimeout, msg)
			assert.NotErrorIs(t, err, context.DeadlineExceeded, msg)
			assert.Equal(t, 1, srv.count("POST /v3/users"), "%s: a POST is never sent twice", msg)
		}
	}
}

// TestBaseURLNeedsItsVersion refuses a base URL without the version path
// with an error that shows the expected form.
func TestBaseURLNeedsItsVersion(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8089", "http://127.0.0.1:8089/", "https://platform-api.convirza.com/api"} {
		_, err := NewClient(WithBaseURL(u))
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), DefaultBaseURL, u)
	}
	for _, u := range []string{"http://127.0.0.1:8089/v3", "https://proxy.example/convirza/v3/", "http://localhost/v10"} {
		_, err := NewClient(WithBaseURL(u))
		require.NoError(t, err, u)
	}
}

// TestAttemptAndCallLinesShowOnePathForm logs a call with a retry: the
// attempt lines and the call line name the path alike.
func TestAttemptAndCallLinesShowOnePathForm(t *testing.T) {
	var n atomic.Int32
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		getRoute: func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				answer(503, `{}`)(w, r)
				return
			}
			okUser(w, r)
		},
		loginRoute: loginOK,
	})
	var logs bytes.Buffer
	c := clientOn(t, srv, WithCredentials(testEmail, testPassword),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var paths []string
	for _, l := range lines {
		_, rest, _ := strings.Cut(l, "path=")
		p, _, _ := strings.Cut(rest, " ")
		paths = append(paths, p)
	}
	assert.Equal(t, []string{"/oauth/token", "/oauth/token", "/users/1", "/users/1", "/users/1"}, paths, logs.String())
}
