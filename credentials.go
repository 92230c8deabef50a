package convirza

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// maxRefreshAhead is the longest time before its expiry that an access token
// is renewed. A token is renewed a tenth of its lifetime before it expires,
// and never earlier than this: a 2-minute token 12 s before, a 1-hour token
// 5 minutes before.
const maxRefreshAhead = 5 * time.Minute

// loginBackoff is how long logins pause after a 429 that named no
// Retry-After: the API allows 10 logins a minute per IP (assumed to be a
// fixed one-minute window).
const loginBackoff = time.Minute

// ErrLoginRequired is the error of a call made by a client WithStoredTokens
// when the store holds no usable pair: log in again (convirza login) to
// save a new one.
var ErrLoginRequired = errors.New("convirza: login required: the token store holds no usable token pair")

// errNoRenewal is what a renewal returns when the call has already made its
// one login and its one refresh: the call then ends with the server's 401.
var errNoRenewal = errors.New("convirza: this call has already renewed its token")

// credentialsSource is the token source of WithCredentials. Reading a fresh
// token takes no lock. A renewal (a refresh, or a login when there is no
// usable refresh token) is shared: the goroutines that need one while it
// runs wait for its outcome, success or failure, so however many goroutines
// find the token stale, one request reaches the OAuth host.
//
// The rules that keep a client out of trouble with the OAuth host:
//   - one call makes at most one refresh and at most one login;
//   - a refresh token is sent at most once: a refresh whose answer was lost
//     or was an error may have spent it, so it is dropped (in the store too)
//     and the next renewal logs in;
//   - after a 429 on a login, no login is sent before its Retry-After: calls
//     fail at once with that 429 meanwhile;
//   - every new pair is saved in the TokenStore before it is used.
type credentialsSource struct {
	auth     *AuthService
	email    string
	password secret
	store    TokenStore
	now      func() time.Time

	cur     atomic.Pointer[Token]
	renewal flightGroup[string]
	// spent is the last refresh token sent, so that it is never sent again,
	// even when a shared store hands it back. Atomic: redaction reads it
	// while a renewal runs.
	spent atomic.Pointer[string]

	// The fields below are used only by the leader of a renewal, and
	// renewals run one at a time.
	loaded bool // store loaded
	// pending is a pair the store refused to save; it is saved (and only
	// then used) at the next renewal, so it is never lost.
	pending *Token
	// loginRefused is the 429 of the last login, in force until
	// loginRefusedUntil.
	loginRefused      *APIError
	loginRefusedUntil time.Time
}

func newCredentialsSource(auth *AuthService, email, password string, store TokenStore) *credentialsSource {
	return &credentialsSource{auth: auth, email: email, password: secret(password), store: store, now: time.Now}
}

// String describes the source without its secrets.
func (s *credentialsSource) String() string {
	if s.password == "" {
		return "convirza.storedTokens{}" // a user's store may print what it holds
	}
	return "convirza.credentials{email: " + s.email + ", password: <redacted>}"
}

// Format makes every fmt verb, %#v included, print String.
func (s *credentialsSource) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

func (s *credentialsSource) secrets() []string {
	out := []string{string(s.password)}
	if sp := s.spent.Load(); sp != nil {
		out = append(out, *sp)
	}
	if t := s.cur.Load(); t != nil {
		out = append(out, t.AccessToken, t.RefreshToken)
	}
	return out
}

// fresh reports whether t can be sent without renewing it first.
func (s *credentialsSource) fresh(t *Token) bool {
	if t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	ahead := maxRefreshAhead
	if !t.IssuedAt.IsZero() {
		ahead = min(ahead, t.Expiry.Sub(t.IssuedAt)/10)
	}
	return s.now().Add(ahead).Before(t.Expiry)
}

func (s *credentialsSource) token(ctx context.Context) (string, error) {
	t := s.cur.Load()
	if t != nil && s.fresh(t) {
		return t.AccessToken, nil
	}
	if st := stateOf(ctx); st != nil && (st.loggedIn || st.refreshed) && t != nil && t.AccessToken != "" {
		// This call renewed already (a retry after a 5xx, say): the server
		// judges the token, not a second renewal.
		return t.AccessToken, nil
	}
	return s.renew(ctx, "")
}

func (s *credentialsSource) invalidate(ctx context.Context, used string) error {
	_, err := s.renew(ctx, used)
	return err
}

// renew returns a usable access token, renewing it when the current one is
// stale, or is refused (refused != "") and still current. It joins the
// renewal in progress when there is one.
func (s *credentialsSource) renew(ctx context.Context, refused string) (string, error) {
	return s.renewal.do(ctx, func() (string, error) { return s.lead(ctx, refused) })
}

// lead runs one renewal. Under the lock of a store shared between
// processes, it first takes the pair another process may have saved.
func (s *credentialsSource) lead(ctx context.Context, refused string) (string, error) {
	reload := !s.loaded
	if l, ok := s.store.(TokenLocker); ok {
		unlock, err := l.LockTokens(ctx)
		if err != nil {
			return "", fmt.Errorf("convirza: locking the token store: %w", err)
		}
		defer unlock()
		reload = true
	}
	adopted := false
	if reload {
		t, err := s.store.Load(ctx)
		if err != nil {
			return "", fmt.Errorf("convirza: loading tokens: %w", err)
		}
		s.loaded = true
		if cur := s.cur.Load(); t != nil && (cur == nil || *t != *cur) {
			if sp := s.spent.Load(); t.RefreshToken != "" && sp != nil && t.RefreshToken == *sp {
				u := *t
				u.RefreshToken, u.RefreshExpiry = "", time.Time{}
				t = &u
			}
			s.cur.Store(t)
			adopted = true
		}
	}
	cur := s.cur.Load()
	if s.pending == nil && cur != nil && cur.AccessToken != "" &&
		(refused == "" && s.fresh(cur) || refused != "" && cur.AccessToken != refused) {
		if st := stateOf(ctx); adopted && st != nil {
			// A pair from the store, which the server has not judged yet:
			// should it refuse it too, the call may renew once more.
			st.adopted = true
		}
		return cur.AccessToken, nil // renewed meanwhile, here or by another process
	}
	next := s.pending
	if next == nil {
		var err error
		if next, err = s.fetch(ctx, cur); err != nil {
			return "", err
		}
	}
	if err := s.store.Save(ctx, next); err != nil {
		s.pending = next
		return "", fmt.Errorf("convirza: saving the new token pair: %w", err)
	}
	s.pending = nil
	s.cur.Store(next)
	return next.AccessToken, nil
}

// fetch gets a new pair: by refresh while the refresh token lives, else by
// logging in, within the call's budget of one of each.
func (s *credentialsSource) fetch(ctx context.Context, cur *Token) (*Token, error) {
	st := stateOf(ctx)
	if st == nil {
		st = &callState{}
	}
	if cur != nil && cur.RefreshToken != "" && !st.refreshed &&
		(cur.RefreshExpiry.IsZero() || s.now().Before(cur.RefreshExpiry)) {
		st.refreshed = true
		spent := cur.RefreshToken
		s.spent.Store(&spent)
		next, err := s.auth.Refresh(ctx, cur.RefreshToken)
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, ErrRateLimited) && !neverSent(err) {
			// A refresh token is single-use, and this one may have been
			// spent by a refresh whose answer was lost, or is dead (400,
			// 401): drop it, in the store too, so that it is never sent
			// again, even after a restart.
			s.dropRefreshToken(ctx, cur)
		}
		if !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrBadRequest) {
			return nil, err // no verdict on the refresh token: no login now
		}
	}
	if st.loggedIn {
		return nil, errNoRenewal
	}
	st.loggedIn = true
	return s.login(ctx)
}

// dropRefreshToken forgets the refresh token of cur, keeping its access
// token while it lives.
func (s *credentialsSource) dropRefreshToken(ctx context.Context, cur *Token) {
	t := *cur
	t.RefreshToken, t.RefreshExpiry = "", time.Time{}
	s.cur.Store(&t)
	// Saved even when the call's context has ended (a timeout is one way to
	// get here). A store that fails to save still has the old token, which
	// s.spent keeps from being sent again by this process.
	_ = s.store.Save(context.WithoutCancel(ctx), &t)
}

// login logs in, unless a 429 told the client to wait, or the client was
// made WithStoredTokens and has no password.
func (s *credentialsSource) login(ctx context.Context) (*Token, error) {
	if s.password == "" {
		return nil, ErrLoginRequired
	}
	if wait := s.loginRefusedUntil.Sub(s.now()); s.loginRefused != nil && wait > 0 {
		e := *s.loginRefused
		e.RetryAfter = wait
		return nil, &e
	}
	tok, err := s.auth.Login(ctx, s.email, string(s.password))
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == 429 {
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = loginBackoff
		}
		s.loginRefused, s.loginRefusedUntil = apiErr, s.now().Add(wait)
	}
	return tok, err
}
