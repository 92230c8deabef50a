package convirza

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The leak checks compare goroutine ids rather than counts, with a settle
// loop: a goroutine that existed before is never blamed, and one that is
// still on its way out gets time to finish. No dependency is needed for
// that. Top-level tests here are not parallel, so no other test starts
// goroutines while they run.

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) `)

// goroutines returns the stack of every goroutine, by goroutine id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if m := goroutineHeader.FindStringSubmatch(g); m != nil {
			out[m[1]] = g
		}
	}
	return out
}

// assertNoNewGoroutines fails when goroutines that were not in before are
// still running after a few seconds.
func assertNoNewGoroutines(t *testing.T, before map[string]string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var leaked []string
		for id, stack := range goroutines() {
			if _, ok := before[id]; !ok {
				leaked = append(leaked, stack)
			}
		}
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			sort.Strings(leaked)
			t.Errorf("%d goroutine(s) outlived the calls:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// bodyCounter is a transport that counts the response bodies it hands out
// and the ones closed, and how many bytes were read from them.
type bodyCounter struct {
	next           http.RoundTripper
	opened, closed atomic.Int64
	read           atomic.Int64
}

func (b *bodyCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b.opened.Add(1)
	resp.Body = &countedBody{ReadCloser: resp.Body, c: b}
	return resp, nil
}

func (b *bodyCounter) open() int64 { return b.opened.Load() - b.closed.Load() }

type countedBody struct {
	io.ReadCloser
	c    *bodyCounter
	once sync.Once
}

func (cb *countedBody) Read(p []byte) (int, error) {
	n, err := cb.ReadCloser.Read(p)
	cb.c.read.Add(int64(n))
	return n, err
}

func (cb *countedBody) Close() error {
	cb.once.Do(func() { cb.c.closed.Add(1) })
	return cb.ReadCloser.Close()
}

// TestNothingOutlivesACall makes calls that succeed, fail, retry, time out,
// get cut off and get abandoned, against a real server, and checks that
// every response body was closed and that, once the idle connections are
// closed, no goroutine the calls started is left; then closes the fake and
// checks the same of its goroutines.
func TestNothingOutlivesACall(t *testing.T) {
	before := goroutines()
	srv := convirzatest.Start()
	tr := defaultTransport()
	bodies := &bodyCounter{next: tr}
	c := fakeClientAs(t, srv, "", WithRetryBackoff(0, 5*time.Millisecond), WithHTTPClient(&http.Client{Transport: bodies}))
	bg := context.Background()
	inject := func(ft convirzatest.Fault) { require.NoError(t, srv.InjectFault(ft)) }
	const user = "/v3/users/10002"
	getUser := func(ctx context.Context) error { _, err := c.Users.Get(ctx, convirzatest.StandardUserID); return err }
	create := func(ctx context.Context, email string) error {
		_, err := c.Users.Create(ctx, &CreateUserParams{Email: email, FirstName: "L", LastName: "K",
			OrgUnitID: convirzatest.SalesOrgUnitID, Role: RoleStandard})
		return err
	}

	require.NoError(t, getUser(bg))
	assert.ErrorIs(t, c.Users.Delete(bg, 999999), ErrNotFound)

	inject(convirzatest.Fault{Method: "GET", Path: user, Times: 3, Status: 503})
	assert.ErrorIs(t, getUser(bg), ErrServer, "retries used up")
	inject(convirzatest.Fault{Method: "GET", Path: user, Times: 1, ExpireToken: true})
	assert.NoError(t, getUser(bg), "refreshed")

	// The context ends during a Retry-After wait, and during a slow reply.
	slow := fakeClientAs(t, srv, "", WithRetryBackoff(time.Minute, time.Hour), WithHTTPClient(&http.Client{Transport: bodies}))
	inject(convirzatest.Fault{Method: "GET", Path: user, Times: 1, Status: 429, RetryAfter: "3600"})
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	_, err := slow.Users.Get(ctx, convirzatest.StandardUserID)
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	inject(convirzatest.Fault{Method: "GET", Path: user, Times: 1, Latency: time.Hour})
	ctx, cancel = context.WithTimeout(bg, 100*time.Millisecond)
	assert.ErrorIs(t, getUser(ctx), context.DeadlineExceeded)
	cancel()

	// Cut connections and spoiled bodies.
	inject(convirzatest.Fault{Method: "POST", Path: "/v3/users", Times: 1, Drop: convirzatest.DropBeforeRead})
	assert.ErrorIs(t, create(bg, "leak-1@acme.example"), ErrOutcomeUnknown)
	inject(convirzatest.Fault{Method: "POST", Path: "/v3/users", Times: 1, Drop: convirzatest.DropAfterRead})
	assert.ErrorIs(t, create(bg, "leak-2@acme.example"), ErrOutcomeUnknown)
	inject(convirzatest.Fault{Method: "GET", Path: user, Times: 3, Body: convirzatest.TruncatedBody})
	assert.ErrorIs(t, getUser(bg), ErrInvalidResponse)
	inject(convirzatest.Fault{Method: "GET", Path: user, Times: 1, Body: convirzatest.NonJSONBody})
	assert.ErrorIs(t, getUser(bg), ErrInvalidResponse)
	inject(convirzatest.Fault{Method: "POST", Path: "/v3/media-prompts", Times: 1, Drop: convirzatest.DropBeforeRead})
	_, err = c.Prompts.Upload(bg, &UploadPromptParams{File: io.MultiReader(bytes.NewReader(make([]byte, 256<<10))),
		FileName: "big.wav", MessageType: PromptTypePrompt})
	assert.ErrorIs(t, err, ErrOutcomeUnknown, "an upload cut while streaming")

	// Iterators abandoned mid-way, or ended by their context.
	for i := range 7 {
		require.NoError(t, create(bg, "walk-"+string(rune('a'+i))+"@acme.example"))
	}
	n := 0
	for u, err := range c.Users.All(bg, &ListUsersParams{PageParams: PageParams{Limit: 2}}) {
		require.NoError(t, err)
		assert.NotZero(t, u.ID)
		if n++; n == 3 {
			break
		}
	}
	ctx, cancel = context.WithCancel(bg)
	n = 0
	var iterErr error
	for _, err := range c.Users.All(ctx, &ListUsersParams{PageParams: PageParams{Limit: 2}}) {
		if err != nil {
			iterErr = err
			break
		}
		if n++; n == 3 {
			cancel()
		}
	}
	cancel()
	assert.ErrorIs(t, iterErr, context.Canceled)
	assert.Equal(t, 4, n, "the page fetched before the cancel is yielded whole")

	// Concurrent calls, some of them cancelled.
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(bg, time.Duration(i%4)*time.Millisecond+time.Millisecond)
			defer cancel()
			_ = getUser(ctx)
		})
	}
	wg.Wait()

	assert.Zero(t, bodies.open(), "response bodies left open")
	assert.Greater(t, bodies.opened.Load(), int64(20))
	tr.CloseIdleConnections()
	srv.Close()
	assertNoNewGoroutines(t, before)
}

// TestClosedFakeLeavesNothing closes a fake while a client call waits on a
// slow reply: the call ends, Close returns, and no goroutine of either is
// left.
func TestClosedFakeLeavesNothing(t *testing.T) {
	before := goroutines()
	srv := convirzatest.Start()
	tr := defaultTransport()
	c := fakeClientAs(t, srv, "", WithMaxRetries(0), WithHTTPClient(&http.Client{Transport: tr}))
	_, err := c.Auth.Profile(context.Background())
	require.NoError(t, err)
	require.NoError(t, srv.InjectFault(convirzatest.Fault{Method: "GET", Latency: time.Hour}))
	done := make(chan error, 1)
	go func() { _, err := c.Auth.Profile(context.Background()); done <- err }()
	for srv.RequestCount("GET", "/v3/auth/profile") < 2 {
		time.Sleep(time.Millisecond)
	}
	srv.Close()
	select {
	case <-done: // answered or cut: either way it returned
	case <-time.After(10 * time.Second):
		t.Fatal("the call outlived the fake")
	}
	_, err = c.Auth.Profile(context.Background())
	assert.Error(t, err, "a closed fake answers nothing")
	tr.CloseIdleConnections()
	assertNoNewGoroutines(t, before)
}

// endless is a body that never ends: prefix, then filler forever.
type endless struct {
	prefix []byte
	filler byte
	read   int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.prefix)
	e.prefix = e.prefix[n:]
	for i := n; i < len(p); i++ {
		p[i] = e.filler
	}
	e.read += int64(len(p))
	return len(p), nil
}

// TestBodiesAreReadUpToTheirLimit sends endless bodies: a success body is
// read up to the WithMaxResponseBytes cap (64 MiB by default) and an error
// body up to 1 MiB, then closed; neither call hangs.
func TestBodiesAreReadUpToTheirLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		limit  int64
		want   error
	}{
		{"success body over the cap", 200, 4 << 10, ErrInvalidResponse},
		{"error body", 500, 4 << 10, ErrServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &endless{prefix: []byte(`{"code":200,"data":{"first_name":"`), filler: 'x'}
			bodies := &bodyCounter{next: rtFunc(func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: io.NopCloser(body)}, nil
			})}
			c, err := NewClient(WithBaseURL(testBase), WithToken(testToken), WithMaxRetries(0),
				WithHTTPClient(&http.Client{Transport: bodies}), WithMaxResponseBytes(tc.limit))
			require.NoError(t, err)
			_, err = c.Users.Get(context.Background(), 1)
			require.ErrorIs(t, err, tc.want)
			assert.Zero(t, bodies.open(), "closed")
			read := bodies.read.Load()
			if tc.status >= 400 {
				var ae *APIError
				require.True(t, errors.As(err, &ae))
				assert.Len(t, ae.Body, 1<<20, "an error body is kept up to 1 MiB")
				assert.Equal(t, int64(1<<20), read, "and read no further")
			} else {
				assert.Equal(t, tc.limit+1, read, "a success body is read up to one byte past the cap, no further")
			}
		})
	}
	c, err := NewClient()
	require.NoError(t, err)
	assert.Equal(t, int64(64<<20), c.maxBody, "the default cap")
}

// TestAnswerArrivingAsTheContextEndsIsClosed is the case where the retry
// loop stops on the context's error with an answer in hand: the answer's
// body must still be closed.
func TestAnswerArrivingAsTheContextEndsIsClosed(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		ctx, cancel := context.WithCancel(context.Background())
		bodies := &bodyCounter{next: rtFunc(func(*http.Request) (*http.Response, error) {
			cancel() // the context ends while the answer comes back
			return newJSONResponse(200, envelopeJSON(`{"ct_user_id":1}`)), nil
		})}
		c, err := NewClient(WithBaseURL(testBase), WithToken(testToken), WithHTTPClient(&http.Client{Transport: bodies}))
		require.NoError(t, err)
		err = c.Do(ctx, method, "/users/1", nil, nil)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, method == "POST", errors.Is(err, ErrOutcomeUnknown), "a POST may have been applied")
		assert.Equal(t, int64(1), bodies.opened.Load())
		assert.Zero(t, bodies.open(), "%s: the answer's body is closed", method)
	}
}
