package convirza

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// Routes of the OAuth host and of the API call the renewal tests make.
const (
	loginRoute   = "POST /oauth/token"
	refreshRoute = "POST /oauth/refresh-token"
	getRoute     = "GET /v3/users/1"
)

// okUser answers a Get User.
var okUser = answer(200, envelopeJSON(`{"ct_user_id":1}`))

// staleStore is a store holding an expired access token and a live refresh
// token, so that the next call refreshes.
func staleStore(t *testing.T) *MemoryTokenStore {
	t.Helper()
	store := &MemoryTokenStore{}
	require.NoError(t, store.Save(context.Background(), &Token{AccessToken: "old-access", RefreshToken: "refresh-0",
		Expiry: time.Now().Add(-time.Minute), RefreshExpiry: time.Now().Add(time.Hour)}))
	return store
}

// credentialsOf is the token source of a client made WithCredentials.
func credentialsOf(c *Client) *credentialsSource { return c.tokens.(*credentialsSource) }

// TestTokenTroubleIsNeverRetried fails getting a token in every way, for a
// GET (which the retry loop would otherwise send three times) and a POST:
// each call makes one attempt to get a token, sends nothing to the API, and
// gets an error that is not of unknown outcome.
func TestTokenTroubleIsNeverRetried(t *testing.T) {
	var sourceCalls atomic.Int32
	failingSource := oauth2.TokenSource(tokenSourceFunc(func() (*oauth2.Token, error) {
		sourceCalls.Add(1)
		return nil, errors.New("vault unreachable")
	}))
	var loads atomic.Int32
	failingStore := &loadFailingStore{loads: &loads}
	for _, tc := range []struct {
		name    string
		login   http.HandlerFunc
		opts    []Option
		counter func(srv *countingServer) int
		want    error
	}{
		{"login answers 503", answer(503, `{"message":"down"}`), []Option{WithCredentials(testEmail, testPassword)},
			func(srv *countingServer) int { return srv.count(loginRoute) }, ErrServer},
		{"login answers 500", answer(500, `{}`), []Option{WithCredentials(testEmail, testPassword), WithTokenStore(&MemoryTokenStore{})},
			func(srv *countingServer) int { return srv.count(loginRoute) }, ErrServer},
		{"login connection dropped", dropConnection, []Option{WithCredentials(testEmail, testPassword)},
			func(srv *countingServer) int { return srv.count(loginRoute) }, nil},
		{"the token source fails", nil, []Option{WithTokenSource(failingSource)},
			func(*countingServer) int { return int(sourceCalls.Load()) }, nil},
		{"the store fails to load", nil, []Option{WithCredentials(testEmail, testPassword), WithTokenStore(failingStore)},
			func(*countingServer) int { return int(loads.Load()) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCountingServer(t, false, map[string]http.HandlerFunc{
				loginRoute: tc.login, getRoute: okUser, "POST /v3/users": okUser,
			})
			c := clientOn(t, srv, tc.opts...)
			_, err := c.Users.Get(context.Background(), 1)
			require.Error(t, err)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
			assert.NotErrorIs(t, err, ErrOutcomeUnknown)
			assert.Equal(t, 1, tc.counter(srv), "one attempt to get a token for a GET")
			_, err = c.Users.Create(context.Background(), &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin})
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrOutcomeUnknown, "the POST itself never left")
			assert.Equal(t, 2, tc.counter(srv), "one attempt to get a token for a POST")
			assert.Zero(t, srv.count(getRoute)+srv.count("POST /v3/users"), "nothing reached the API")
		})
	}
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// loadFailingStore is a TokenStore whose Load fails, counting the loads.
type loadFailingStore struct {
	MemoryTokenStore
	loads *atomic.Int32
}

func (s *loadFailingStore) Load(context.Context) (*Token, error) {
	s.loads.Add(1)
	return nil, errors.New("store offline")
}

// TestWaitersShareAFailingRefresh has 50 goroutines find the token stale
// while the refresh fails: one refresh reaches the OAuth host, every caller
// gets its error, nobody logs in behind its back, and the refresh token,
// which the failed refresh may have spent, is never sent again.
func TestWaitersShareAFailingRefresh(t *testing.T) {
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		refreshRoute: func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(300 * time.Millisecond) // the others pile up meanwhile
			answer(500, `{"message":"refresh failed"}`)(w, r)
		},
		loginRoute: loginOK,
		getRoute:   okUser,
	})
	store := staleStore(t)
	c := clientOn(t, srv, WithCredentials(testEmail, testPassword), WithTokenStore(store))

	const callers = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			<-start
			_, err := c.Users.Get(context.Background(), 1)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, ErrServer)
	}
	assert.Equal(t, 1, srv.count(refreshRoute), "one refresh for 50 callers")
	assert.Zero(t, srv.count(loginRoute), "no login behind the callers' backs")
	assert.Zero(t, srv.count(getRoute))

	saved, _ := store.Load(context.Background())
	assert.Empty(t, saved.RefreshToken, "the spent refresh token is dropped from the store")
	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err, "the next call logs in")
	assert.Equal(t, 1, srv.count(loginRoute))
	assert.Equal(t, 1, srv.count(refreshRoute), "refresh-0 was sent once")
}

// TestLostRefreshIsNeverSentAgain loses the answer of a refresh in each way
// it can be lost: the refresh token is sent once, the next renewal logs in,
// and a client restarted on the same store does not get it back.
func TestLostRefreshIsNeverSentAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refresh http.HandlerFunc
		timeout time.Duration
	}{
		{"connection dropped after the request", dropConnection, 0},
		{"502", answer(502, `<html>bad gateway</html>`), 0},
		{"503", answer(503, `{"message":"try later"}`), 0},
		{"the call's deadline", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, 100 * time.Millisecond},
		{"an answer that is not a token", answer(200, `{"unexpected":true}`), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCountingServer(t, false, map[string]http.HandlerFunc{
				refreshRoute: tc.refresh, loginRoute: loginOK, getRoute: okUser,
			})
			store := staleStore(t)
			c := clientOn(t, srv, WithCredentials(testEmail, testPassword), WithTokenStore(store))
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			_, err := c.Users.Get(ctx, 1)
			require.Error(t, err)
			if tc.timeout > 0 {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}

			assert.Empty(t, mustLoad(t, store).RefreshToken, "the store no longer holds the spent refresh token")

			// A process restarted on the store logs in instead of sending it.
			restarted := clientOn(t, srv, WithCredentials(testEmail, testPassword), WithTokenStore(store))
			_, err = restarted.Users.Get(context.Background(), 1)
			require.NoError(t, err)
			assert.Equal(t, 1, srv.count(loginRoute), "the restarted client logs in")

			// So does the client itself at its next renewal.
			_, err = c.Users.Get(context.Background(), 1)
			require.NoError(t, err)
			assert.Equal(t, 2, srv.count(loginRoute), "the next renewal logs in")
			assert.Equal(t, []string{`{"refresh_token":"refresh-0"}`}, srv.bodies(refreshRoute), "refresh-0 was sent once, and no other refresh")
		})
	}
}

func mustLoad(t *testing.T, s TokenStore) *Token {
	t.Helper()
	tok, err := s.Load(context.Background())
	require.NoError(t, err)
	require.NotNil(t, tok)
	return tok
}

// TestLoginRateLimitIsHonoured answers a login with 429: calls made before
// its Retry-After fail at once with ErrRateLimited and send no login.
func TestLoginRateLimitIsHonoured(t *testing.T) {
	var limited atomic.Bool
	limited.Store(true)
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		loginRoute: func(w http.ResponseWriter, r *http.Request) {
			if limited.Load() {
				w.Header().Set("Retry-After", "30")
				answer(429, `{"code":429,"message":"Too many login attempts"}`)(w, r)
				return
			}
			loginOK(w, r)
		},
		getRoute: okUser,
	})
	c := clientOn(t, srv, WithCredentials(testEmail, testPassword))
	clock := NewFakeClock(time.Now())
	credentialsOf(c).now = clock.Now

	for i := range 5 {
		_, err := c.Users.Get(context.Background(), 1)
		require.ErrorIs(t, err, ErrRateLimited, "call %d", i)
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr))
		assert.Equal(t, 30*time.Second-time.Duration(i)*5*time.Second, apiErr.RetryAfter, "call %d: what is left of the wait", i)
		clock.Advance(5 * time.Second)
	}
	assert.Equal(t, 1, srv.count(loginRoute), "no login before the Retry-After")
	limited.Store(false)
	clock.Advance(6 * time.Second) // 31 s after the 429
	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.count(loginRoute))
}

// TestWrongPasswordMakesOneLoginACall has four calls fail with a wrong
// password: four logins, not twelve, so that the right password is never
// locked out by the documented limit of 10 a minute.
func TestWrongPasswordMakesOneLoginACall(t *testing.T) {
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		loginRoute: answer(401, `{"code":401,"message":"Invalid email or password"}`),
		getRoute:   okUser,
	})
	c := clientOn(t, srv, WithCredentials(testEmail, "wrong-password"))
	for range 2 {
		_, err := c.Users.Get(context.Background(), 1)
		require.ErrorIs(t, err, ErrUnauthorized)
		err = c.Users.Delete(context.Background(), 1)
		require.ErrorIs(t, err, ErrUnauthorized)
	}
	assert.Equal(t, 4, srv.count(loginRoute))
	assert.Zero(t, srv.count(getRoute))
}

// TestOneLoginAndOneRefreshACall has the API refuse every token: one call
// logs in, refreshes once after the 401, and stops there when the refresh
// token is refused too.
func TestOneLoginAndOneRefreshACall(t *testing.T) {
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		loginRoute:   loginOK,
		refreshRoute: answer(401, `{"message":"invalid refresh token"}`),
		getRoute:     answer(401, `{"code":401,"message":"Token expired"}`),
	})
	c := clientOn(t, srv, WithCredentials(testEmail, testPassword))
	_, err := c.Users.Get(context.Background(), 1)
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 1, srv.count(loginRoute))
	assert.Equal(t, 1, srv.count(refreshRoute))
	assert.Equal(t, 1, srv.count(getRoute))
}

// TestRefreshAheadScalesWithTheLifetime logs in with tokens of very
// different lifetimes: ten calls in the first half of the lifetime make no
// refresh, and a call near the end makes one.
func TestRefreshAheadScalesWithTheLifetime(t *testing.T) {
	for _, lifetime := range []time.Duration{2 * time.Minute, 10 * time.Minute, time.Hour, 7 * 24 * time.Hour} {
		t.Run(lifetime.String(), func(t *testing.T) {
			srv := newCountingServer(t, false, map[string]http.HandlerFunc{
				loginRoute: func(w http.ResponseWriter, r *http.Request) {
					answer(200, tokenJSON("access-1", "refresh-1", time.Now().Add(lifetime)))(w, r)
				},
				refreshRoute: func(w http.ResponseWriter, r *http.Request) {
					answer(200, tokenJSON("access-2", "refresh-2", time.Now().Add(lifetime)))(w, r)
				},
				getRoute: okUser,
			})
			c := clientOn(t, srv, WithCredentials(testEmail, testPassword))
			clock := NewFakeClock(time.Now())
			credentialsOf(c).now = clock.Now
			for range 10 {
				_, err := c.Users.Get(context.Background(), 1)
				require.NoError(t, err)
				clock.Advance(lifetime / 20) // ten calls over the first half-life
			}
			assert.Equal(t, 1, srv.count(loginRoute))
			assert.Zero(t, srv.count(refreshRoute), "no refresh in the first half-life")

			ahead := min(maxRefreshAhead, lifetime/10)
			clock.Advance(lifetime/2 - ahead/2) // within the refresh-ahead margin
			_, err := c.Users.Get(context.Background(), 1)
			require.NoError(t, err)
			assert.Equal(t, 1, srv.count(refreshRoute), "renewed ahead of expiry")
		})
	}
}

// TestHangingTokenSourceHoldsNoCall gives the client an oauth2.TokenSource
// that hangs: calls return their context's error at their deadline, at most
// one Token call runs at a time, and no goroutine outlives its return.
func TestHangingTokenSourceHoldsNoCall(t *testing.T) {
	release := make(chan struct{})
	var calls, running, most atomic.Int32
	ts := tokenSourceFunc(func() (*oauth2.Token, error) {
		calls.Add(1)
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		return &oauth2.Token{AccessToken: "source-token"}, nil
	})
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{getRoute: okUser})
	before := goroutines()
	c := clientOn(t, srv, WithTokenSource(ts))

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			started := time.Now()
			_, err := c.Users.Get(ctx, 1)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(started), time.Second, "the call ends at its deadline")
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load(), "the callers share the one Token call")
	assert.Equal(t, int32(1), most.Load(), "at most one Token call at a time")
	assert.Zero(t, srv.total(), "nothing was sent without a token")

	close(release)
	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, "Bearer source-token", srv.seen[getRoute][0].Header.Get("Authorization"))
	srv.Client().CloseIdleConnections()
	assertNoNewGoroutines(t, before)
}

// TestRenewalWaitersKeepTheirOwnDeadline has the leader of a renewal give
// up (its context ends): a waiter with time left leads the next renewal
// instead of taking the leader's error.
func TestRenewalWaitersKeepTheirOwnDeadline(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		loginRoute: func(w http.ResponseWriter, r *http.Request) {
			if slow.Swap(false) {
				<-r.Context().Done()
				return
			}
			loginOK(w, r)
		},
		getRoute: okUser,
	})
	c := clientOn(t, srv, WithCredentials(testEmail, testPassword))
	leader, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := c.Users.Get(leader, 1); done <- err }()
	for srv.count(loginRoute) == 0 {
		time.Sleep(time.Millisecond)
	}
	waiter := make(chan error)
	go func() { _, err := c.Users.Get(context.Background(), 1); waiter <- err }()
	time.Sleep(20 * time.Millisecond) // the second call now waits on the first's login
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.NoError(t, <-waiter)
	assert.Equal(t, 2, srv.count(loginRoute))
}

// TestRefusedTokenWithWaitersRefreshesOnce is the 200-goroutine case of a
// token the server refuses: one refresh, whatever the number of callers.
func TestRefusedTokenWithWaitersRefreshesOnce(t *testing.T) {
	var current atomic.Value
	current.Store("access-0")
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		refreshRoute: func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(50 * time.Millisecond)
			current.Store("access-1")
			answer(200, tokenJSON("access-1", "refresh-1", time.Now().Add(time.Hour)))(w, r)
		},
		getRoute: func(w http.ResponseWriter, r *http.Request) {
			if strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") != current.Load() {
				answer(401, `{"message":"Token expired"}`)(w, r)
				return
			}
			okUser(w, r)
		},
	})
	store := &MemoryTokenStore{}
	require.NoError(t, store.Save(context.Background(), &Token{AccessToken: "stale-but-unexpired", RefreshToken: "refresh-0",
		Expiry: time.Now().Add(time.Hour)}))
	c := clientOn(t, srv, WithCredentials(testEmail, testPassword), WithTokenStore(store))
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			_, err := c.Users.Get(context.Background(), 1)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, 1, srv.count(refreshRoute))
	assert.Zero(t, srv.count(loginRoute))
}

// TestStoredTokensNeverLogIn runs a client made WithStoredTokens on an empty
// store, on a stale pair, and on a pair whose refresh token is dead: it
// refreshes when it can, and otherwise asks for a login without sending one.
func TestStoredTokensNeverLogIn(t *testing.T) {
	stale := &Token{AccessToken: "stale-access", RefreshToken: "refresh-0", Expiry: time.Now().Add(-time.Minute)}
	for _, tc := range []struct {
		name           string
		stored         *Token
		refresh        http.HandlerFunc
		wantErr        error
		wantRefreshes  int
		wantGets       int
		wantStoredPair string // the refresh token left in the store
	}{
		{"empty store", nil, loginOK, ErrLoginRequired, 0, 0, ""},
		{"stale pair", stale, answer(200, tokenJSON("fresh-access", "refresh-1", time.Now().Add(time.Hour))), nil, 1, 1, "refresh-1"},
		{"dead refresh token", stale, answer(401, `{"message":"invalid refresh token"}`), ErrLoginRequired, 1, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCountingServer(t, false, map[string]http.HandlerFunc{
				loginRoute: loginOK, refreshRoute: tc.refresh, getRoute: okUser,
			})
			store := &MemoryTokenStore{}
			if tc.stored != nil {
				require.NoError(t, store.Save(context.Background(), tc.stored))
			}
			c := clientOn(t, srv, WithStoredTokens(store))
			_, err := c.Users.Get(context.Background(), 1)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, "Bearer fresh-access", srv.seen[getRoute][0].Header.Get("Authorization"))
			}
			assert.Zero(t, srv.count(loginRoute), "no password, no login")
			assert.Equal(t, tc.wantRefreshes, srv.count(refreshRoute))
			assert.Equal(t, tc.wantGets, srv.count(getRoute))
			saved, err := store.Load(context.Background())
			require.NoError(t, err)
			if tc.stored != nil {
				assert.Equal(t, tc.wantStoredPair, saved.RefreshToken)
			}
		})
	}

	_, err := NewClient(WithStoredTokens(&MemoryTokenStore{}), WithCredentials(testEmail, testPassword))
	assert.ErrorContains(t, err, "choose one of")
	_, err = NewClient(WithStoredTokens(nil))
	assert.Error(t, err)
}
