package convirza

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSnapshot reads the users and prompts of a fake from its snapshot, so
// the state is checked without going through the SDK under test.
func fakeSnapshot(t *testing.T, srv *convirzatest.Server) *fakeState {
	t.Helper()
	snap, err := srv.Snapshot()
	require.NoError(t, err)
	var st fakeState
	require.NoError(t, json.Unmarshal(snap, &st))
	return &st
}

type fakeState struct {
	Users   map[int64]fakeUser `json:"users"`
	Prompts map[int64]struct {
		Name string `json:"name"`
	} `json:"prompts"`
}

type fakeUser struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	Status    string `json:"status"`
}

// idRecorder is a transport that remembers the X-Request-Id of the last
// response of each URL path.
type idRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	ids  map[string]string
}

func (r *idRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.ids[req.URL.Path] = resp.Header.Get("X-Request-Id")
		r.mu.Unlock()
	}
	return resp, err
}

func (r *idRecorder) last(path string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[path]
}

// newFaultClient returns a client of srv logged in as its Admin, with fast
// retries. With keepAlive false every request gets its own connection, so
// the fake counts exactly the attempts the SDK makes: net/http resends a
// GET by itself when a kept-alive connection breaks (see
// TestDroppedKeptAliveGET).
func newFaultClient(t *testing.T, srv *convirzatest.Server, keepAlive bool, opts ...Option) (*Client, *idRecorder) {
	t.Helper()
	tr := defaultTransport()
	tr.DisableKeepAlives = !keepAlive
	t.Cleanup(tr.CloseIdleConnections)
	rec := &idRecorder{next: tr, ids: map[string]string{}}
	base := []Option{WithRetryBackoff(0, 5*time.Millisecond), WithHTTPClient(&http.Client{Transport: rec})}
	return fakeClientAs(t, srv, "", append(base, opts...)...), rec
}

// matrixKind is a kind of request: its method and path at the fake, a call
// of that kind, and how its effect shows in the fake's state (how many
// times it is there).
type matrixKind struct {
	method, path string
	call         func(ctx context.Context, c *Client) error
	effect       func(st *fakeState) int
}

const (
	matrixEmail  = "matrix@acme.example"
	matrixPrompt = "Matrix prompt"
)

var matrixKinds = map[string]matrixKind{
	"GET": {"GET", "/v3/users/10002",
		func(ctx context.Context, c *Client) error {
			u, err := c.Users.Get(ctx, convirzatest.StandardUserID)
			if err == nil && u.Email != convirzatest.StandardEmail {
				return errors.New("wrong user: " + u.Email)
			}
			return err
		},
		func(*fakeState) int { return 0 }},
	"PUT": {"PUT", "/v3/users/10002",
		func(ctx context.Context, c *Client) error {
			_, err := c.Users.Update(ctx, convirzatest.StandardUserID, &UpdateUserParams{Email: convirzatest.StandardEmail,
				FirstName: "Updated", LastName: "Ortega", OrgUnitID: convirzatest.SalesOrgUnitID, Role: RoleStandard})
			return err
		},
		func(st *fakeState) int { return countIf(st.Users[convirzatest.StandardUserID].FirstName == "Updated") }},
	"PATCH": {"PATCH", "/v3/users/10002",
		func(ctx context.Context, c *Client) error {
			_, err := c.Users.Patch(ctx, convirzatest.StandardUserID, &PatchUserParams{FirstName: Set("Patched")})
			return err
		},
		func(st *fakeState) int { return countIf(st.Users[convirzatest.StandardUserID].FirstName == "Patched") }},
	"DELETE": {"DELETE", "/v3/users/10002",
		func(ctx context.Context, c *Client) error { return c.Users.Delete(ctx, convirzatest.StandardUserID) },
		func(st *fakeState) int { return countIf(st.Users[convirzatest.StandardUserID].Status == "deleted") }},
	"POST": {"POST", "/v3/users",
		func(ctx context.Context, c *Client) error {
			_, err := c.Users.Create(ctx, &CreateUserParams{Email: matrixEmail, FirstName: "Mat", LastName: "Rix",
				OrgUnitID: convirzatest.SalesOrgUnitID, Role: RoleStandard})
			return err
		},
		func(st *fakeState) int {
			n := 0
			for _, u := range st.Users {
				n += countIf(u.Email == matrixEmail)
			}
			return n
		}},
	"multipart POST": {"POST", "/v3/media-prompts",
		func(ctx context.Context, c *Client) error {
			_, err := c.Prompts.Upload(ctx, &UploadPromptParams{File: bytes.NewReader([]byte("RIFF....WAVEfmt matrix")),
				FileName: "matrix.wav", MessageType: PromptTypePrompt, Name: matrixPrompt})
			return err
		},
		func(st *fakeState) int {
			n := 0
			for _, p := range st.Prompts {
				n += countIf(p.Name == matrixPrompt)
			}
			return n
		}},
}

func countIf(b bool) int {
	if b {
		return 1
	}
	return 0
}

// outcome is what a cell of the matrix must give.
type outcome struct {
	attempts int   // requests the fake counted on the kind's method and path
	is       error // the sentinel the error matches; nil: success
	status   int   // the *APIError's status, when is is an API sentinel
	unknown  bool  // the error also matches ErrOutcomeUnknown
	applied  int   // times the call's effect is in the state afterwards
}

var (
	wantOK       = func(attempts, applied int) outcome { return outcome{attempts: attempts, applied: applied} }
	wantAPIError = func(attempts int, is error, status int) outcome {
		return outcome{attempts: attempts, is: is, status: status}
	}
	wantUnknown = func(applied int) outcome {
		return outcome{attempts: 1, is: ErrOutcomeUnknown, unknown: true, applied: applied}
	}
	wantInvalid  = func(applied int) outcome { return outcome{attempts: 1, is: ErrInvalidResponse, applied: applied} }
	wantDeadline = func(unknown bool, applied int) outcome {
		return outcome{attempts: 1, is: context.DeadlineExceeded, unknown: unknown, applied: applied}
	}
)

// faultMatrix is every fault against every kind of request. The client
// retries twice (three attempts at most); a fault's Times says how many
// requests it spoils.
var faultMatrix = []struct {
	name    string
	fault   convirzatest.Fault
	timeout time.Duration
	want    map[string]outcome
}{
	{"500 once", convirzatest.Fault{Times: 1, Status: 500}, 0, map[string]outcome{
		"GET": wantOK(2, 0), "PUT": wantOK(2, 1), "DELETE": wantOK(2, 1),
		"PATCH": wantAPIError(1, ErrServer, 500), "POST": wantAPIError(1, ErrServer, 500),
		"multipart POST": wantAPIError(1, ErrServer, 500)}},
	{"503 five times", convirzatest.Fault{Times: 5, Status: 503}, 0, map[string]outcome{
		"GET": wantAPIError(3, ErrServer, 503), "PUT": wantAPIError(3, ErrServer, 503), "DELETE": wantAPIError(3, ErrServer, 503),
		"PATCH": wantAPIError(1, ErrServer, 503), "POST": wantAPIError(1, ErrServer, 503),
		"multipart POST": wantAPIError(3, ErrServer, 503)}},
	{"HTML 502 once", convirzatest.Fault{Times: 1, Status: 502, Body: convirzatest.NonJSONBody}, 0, map[string]outcome{
		"GET": wantOK(2, 0), "PUT": wantOK(2, 1), "DELETE": wantOK(2, 1),
		"PATCH": wantAPIError(1, ErrServer, 502), "POST": wantAPIError(1, ErrServer, 502),
		"multipart POST": wantAPIError(1, ErrServer, 502)}},
	{"429 with Retry-After once", convirzatest.Fault{Times: 1, Status: 429, RetryAfter: "1"}, 0, map[string]outcome{
		"GET": wantOK(2, 0), "PUT": wantOK(2, 1), "DELETE": wantOK(2, 1),
		"PATCH": wantAPIError(1, ErrRateLimited, 429), "POST": wantAPIError(1, ErrRateLimited, 429),
		"multipart POST": wantOK(2, 1)}},
	{"latency past the deadline", convirzatest.Fault{Times: 1, Latency: 10 * time.Second}, 200 * time.Millisecond, map[string]outcome{
		"GET": wantDeadline(false, 0), "PUT": wantDeadline(false, 1), "DELETE": wantDeadline(false, 1),
		"PATCH": wantDeadline(true, 1), "POST": wantDeadline(true, 1), "multipart POST": wantDeadline(true, 1)}},
	{"dropped before read", convirzatest.Fault{Times: 1, Drop: convirzatest.DropBeforeRead}, 0, map[string]outcome{
		"GET": wantOK(2, 0), "PUT": wantOK(2, 1), "DELETE": wantOK(2, 1),
		"PATCH": wantUnknown(0), "POST": wantUnknown(0), "multipart POST": wantUnknown(0)}},
	{"dropped after read", convirzatest.Fault{Times: 1, Drop: convirzatest.DropAfterRead}, 0, map[string]outcome{
		"GET": wantOK(2, 0), "PUT": wantOK(2, 1), "DELETE": wantOK(2, 1),
		"PATCH": wantUnknown(1), "POST": wantUnknown(1), "multipart POST": wantUnknown(1)}},
	// A body cut short failed its attempt: retried as a dropped
	// connection would be, of unknown outcome for a POST or PATCH.
	{"truncated body", convirzatest.Fault{Times: 1, Body: convirzatest.TruncatedBody}, 0, map[string]outcome{
		"GET": wantOK(2, 0), "PUT": wantOK(2, 1), "DELETE": wantOK(2, 1),
		"PATCH": wantUnknown(1), "POST": wantUnknown(1), "multipart POST": wantUnknown(1)}},
	{"non-JSON body", convirzatest.Fault{Times: 1, Body: convirzatest.NonJSONBody}, 0, map[string]outcome{
		"GET": wantInvalid(0), "PUT": wantInvalid(1), "DELETE": wantInvalid(1), "PATCH": wantInvalid(1), "POST": wantInvalid(1),
		"multipart POST": wantInvalid(1)}},
	{"expired token", convirzatest.Fault{Times: 1, ExpireToken: true}, 0, map[string]outcome{
		"GET": wantOK(2, 0), "PUT": wantOK(2, 1), "DELETE": wantOK(2, 1), "PATCH": wantOK(2, 1), "POST": wantOK(2, 1),
		"multipart POST": wantOK(2, 1)}},
}

// TestFaultMatrix sends every kind of request into every fault of the fake
// and checks the attempts, the error, the request id and the state: above
// all, a POST or PATCH whose outcome is unknown is reported as such and
// never sent twice.
func TestFaultMatrix(t *testing.T) {
	for _, col := range faultMatrix {
		for _, kindName := range []string{"GET", "PUT", "PATCH", "DELETE", "POST", "multipart POST"} {
			kind, want := matrixKinds[kindName], col.want[kindName]
			t.Run(col.name+"/"+kindName, func(t *testing.T) {
				srv := convirzatest.NewServer(t)
				c, ids := newFaultClient(t, srv, false)
				_, err := c.Auth.Profile(context.Background()) // log in first
				require.NoError(t, err)
				srv.ResetRequests()

				ft := col.fault
				ft.Method, ft.Path = kind.method, kind.path
				require.NoError(t, srv.InjectFault(ft))
				ctx := context.Background()
				if col.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, col.timeout)
					defer cancel()
				}
				err = kind.call(ctx, c)

				assert.Equal(t, want.attempts, srv.RequestCount(kind.method, kind.path), "attempts")
				if want.is == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, want.is)
				}
				assert.Equal(t, want.unknown, errors.Is(err, ErrOutcomeUnknown), "outcome unknown: %v", err)
				var ae *APIError
				if assert.Equal(t, want.status != 0, errors.As(err, &ae), "APIError: %v", err) && ae != nil {
					assert.Equal(t, want.status, ae.StatusCode)
					assert.NotEmpty(t, ae.RequestID)
					assert.Equal(t, ids.last(kind.path), ae.RequestID, "the request id of the last answer")
					if want.status == 429 {
						assert.Equal(t, time.Second, ae.RetryAfter)
					}
				}
				if errors.Is(err, ErrInvalidResponse) {
					assert.Contains(t, err.Error(), "[request_id "+ids.last(kind.path)+"]")
				}
				// A request dropped after read or cut by the deadline may still be
				// finishing in the fake when the client gives up.
				assert.Eventually(t, func() bool { return kind.effect(fakeSnapshot(t, srv)) == want.applied },
					5*time.Second, 10*time.Millisecond, "the effect is in the state %d time(s)", want.applied)
				time.Sleep(20 * time.Millisecond) // and stays so
				assert.Equal(t, want.applied, kind.effect(fakeSnapshot(t, srv)))

				refreshes := srv.RequestCount("POST", "/oauth/refresh-token")
				assert.Equal(t, countIf(ft.ExpireToken), refreshes, "one refresh after an expired token, none otherwise")
				assert.Zero(t, srv.RequestCount("POST", "/oauth/token"), "no new login")
			})
		}
	}
}

// TestDroppedKeptAliveGET documents what the matrix avoids by opening a
// connection per request: when a kept-alive connection is dropped, net/http
// resends a GET by itself, so the fake counts one request more than the SDK
// made attempts. A POST is never resent that way.
func TestDroppedKeptAliveGET(t *testing.T) {
	srv := convirzatest.NewServer(t)
	tr := defaultTransport()
	t.Cleanup(tr.CloseIdleConnections)
	var attempts atomic.Int32
	c := fakeClientAs(t, srv, "", WithRetryBackoff(0, 5*time.Millisecond),
		WithHTTPClient(&http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			attempts.Add(1)
			return tr.RoundTrip(r)
		})}))
	_, err := c.Auth.Profile(context.Background())
	require.NoError(t, err)

	for _, drop := range []convirzatest.Drop{convirzatest.DropBeforeRead, convirzatest.DropAfterRead} {
		attempts.Store(0)
		srv.ResetRequests()
		require.NoError(t, srv.InjectFault(convirzatest.Fault{Method: "GET", Path: "/v3/users/10002", Times: 1, Drop: drop}))
		_, err = c.Users.Get(context.Background(), convirzatest.StandardUserID)
		require.NoError(t, err)
		assert.Equal(t, int32(1), attempts.Load(), "SDK attempts")
		assert.Equal(t, 2, srv.RequestCount("GET", "/v3/users/10002"), "requests the fake saw")
	}

	attempts.Store(0)
	srv.ResetRequests()
	require.NoError(t, srv.InjectFault(convirzatest.Fault{Method: "POST", Path: "/v3/users", Times: 1, Drop: convirzatest.DropAfterRead}))
	_, err = c.Users.Create(context.Background(), &CreateUserParams{Email: matrixEmail, FirstName: "K", LastName: "A",
		OrgUnitID: convirzatest.SalesOrgUnitID, Role: RoleStandard})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, int32(1), attempts.Load())
	assert.Equal(t, 1, srv.RequestCount("POST", "/v3/users"))
	assert.Equal(t, 1, matrixKinds["POST"].effect(fakeSnapshot(t, srv)))
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestFaultMatrixCoversEveryKind keeps the matrix square: every fault
// names an outcome for every kind of request.
func TestFaultMatrixCoversEveryKind(t *testing.T) {
	for _, col := range faultMatrix {
		for kind := range matrixKinds {
			_, ok := col.want[kind]
			assert.True(t, ok, "%s has no outcome for %s", col.name, kind)
		}
		assert.Len(t, col.want, len(matrixKinds), col.name)
		assert.False(t, strings.Contains(col.fault.Path, "*"), "a fault of the matrix names its path exactly")
	}
}
