package convirza

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testEmail    = "ops@example.com"
	testPassword = "hunter2-very-secret-password"
)

// tokenJSON is a login or refresh answer for the pair (access, refresh).
func tokenJSON(access, refresh string, expiry time.Time) string {
	return fmt.Sprintf(`{"access_token":%q,"refresh_token":%q,"frontend_token":"f","token_type":"Bearer",
		"expires_in":%q,"refresh_expires_in":%q,"user":{"user_id":123,"email":"ops@example.com","role_id":1,"org_unit_id":1001}}`,
		access, refresh, expiry.UTC().Format("2006-01-02T15:04:05.000Z"), time.Now().Add(180*24*time.Hour).UTC().Format(time.RFC3339))
}

// newCredentialsClient returns a client that logs in with testEmail and
// testPassword against httpmock, with store as its TokenStore.
func newCredentialsClient(t *testing.T, store TokenStore, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []Option{
		WithBaseURL(testBase), WithAuthBaseURL(testAuthBase), WithCredentials(testEmail, testPassword),
		WithHTTPClient(&http.Client{Transport: mt}), WithRetryBackoff(0, 0), WithTokenStore(store),
	}
	c, err := NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// requireBearer answers 200 to requests carrying "Bearer want" and 401 to
// the others, counting both.
func requireBearer(mt *httpmock.MockTransport, path string, want func() string, ok, refused *atomic.Int32) {
	mt.RegisterResponder("GET", testBase+path, func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("Authorization") == "Bearer "+want() {
			ok.Add(1)
			return newJSONResponse(200, envelopeJSON(`{"ct_user_id":1}`)), nil
		}
		refused.Add(1)
		return newJSONResponse(401, `{"code":401,"message":"Token expired"}`), nil
	})
}

func TestLoginWire(t *testing.T) {
	c, mt := newWireClient(t)
	expiry := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	rec := respond(mt, "POST", testAuthBase+"/oauth/token", 200, tokenJSON("acc", "ref", expiry))
	tok, err := c.Auth.Login(context.Background(), testEmail, testPassword)
	require.NoError(t, err)
	got := rec.last(t)
	assert.Equal(t, "/oauth/token", got.Path)
	assert.Empty(t, got.Header.Get("Authorization"), "login carries no bearer")
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"email":"ops@example.com","password":"hunter2-very-secret-password"}`, string(got.Body))
	assert.Equal(t, "acc", tok.AccessToken)
	assert.Equal(t, "ref", tok.RefreshToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, expiry, tok.Expiry)
	assert.Equal(t, TokenUser{UserID: 123, Email: testEmail, RoleID: 1, OrgUnitID: 1001}, tok.User)

	_, err = c.Auth.Login(context.Background(), "", "x")
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestLoginAcceptsEnvelopeAndSeconds(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "POST", testAuthBase+"/oauth/token", 200, string(golden(t, "auth/login_enveloped.json")))
	tok, err := c.Auth.Login(context.Background(), testEmail, testPassword)
	require.NoError(t, err)
	assert.Equal(t, "encrypted-token-string", tok.AccessToken)
	assert.Equal(t, time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC), tok.Expiry)

	respond(mt, "POST", testAuthBase+"/oauth/refresh-token", 200, `{"access_token":"a","refresh_token":"r","expires_in":3600}`)
	tok, err = c.Auth.Refresh(context.Background(), "r0")
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, time.Minute)

	respond(mt, "POST", testAuthBase+"/oauth/token", 200, `{"message":"Login successful"}`)
	_, err = c.Auth.Login(context.Background(), testEmail, testPassword)
	assert.ErrorIs(t, err, ErrInvalidResponse)
}

func TestAuthGolden(t *testing.T) {
	for _, name := range []string{"auth/login.json", "auth/refresh.json"} {
		var ans authAnswer
		require.NoError(t, json.Unmarshal(golden(t, name), &ans), name)
		tok, err := ans.token(time.Now())
		require.NoError(t, err)
		assert.NotEmpty(t, tok.AccessToken)
		assert.NotEmpty(t, tok.RefreshToken)
		assert.False(t, tok.Expiry.IsZero())
		assert.False(t, tok.RefreshExpiry.IsZero())
		assert.NotZero(t, tok.User.UserID)
		assertKnownFields(t, golden(t, name), tokenWire{})
	}
}

func TestRefreshAndRevokeWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", testAuthBase+"/oauth/refresh-token", 200, string(golden(t, "auth/refresh.json")))
	tok, err := c.Auth.Refresh(context.Background(), "xyz789refresh012345678901234567890")
	require.NoError(t, err)
	assert.JSONEq(t, `{"refresh_token":"xyz789refresh012345678901234567890"}`, string(rec.last(t).Body))
	assert.Empty(t, rec.last(t).Header.Get("Authorization"))
	assert.Equal(t, int64(12345), tok.User.UserID)
	_, err = c.Auth.Refresh(context.Background(), "")
	assert.ErrorIs(t, err, ErrInvalidParams)

	rev := respond(mt, "POST", testAuthBase+"/oauth/revoke-token", 200, `{"message":"Token revoked successfully"}`)
	require.NoError(t, c.Auth.Revoke(context.Background(), "tok-1", RefreshToken))
	assert.JSONEq(t, `{"token":"tok-1","token_type":"refresh"}`, string(rev.last(t).Body))
	assert.Empty(t, rev.last(t).Header.Get("Authorization"), "revoke carries no bearer")
	require.NoError(t, c.Auth.Revoke(context.Background(), "tok-2", AccessToken))
	assert.JSONEq(t, `{"token":"tok-2","token_type":"access"}`, string(rev.last(t).Body))
	assert.ErrorIs(t, c.Auth.Revoke(context.Background(), "t", "both"), ErrInvalidParams)
	assert.ErrorIs(t, c.Auth.Revoke(context.Background(), "", AccessToken), ErrInvalidParams)
	assert.Equal(t, 2, rev.count())
}

func TestCredentialsLogInOnceThenReuse(t *testing.T) {
	store := &MemoryTokenStore{}
	c, mt := newCredentialsClient(t, store)
	login := respond(mt, "POST", testAuthBase+"/oauth/token", 200, tokenJSON("a1", "r1", time.Now().Add(7*24*time.Hour)))
	var ok, refused atomic.Int32
	requireBearer(mt, "/users/1", func() string { return "a1" }, &ok, &refused)
	for range 3 {
		_, err := c.Users.Get(context.Background(), 1)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, login.count())
	assert.Equal(t, int32(3), ok.Load())
	saved, _ := store.Load(context.Background())
	require.NotNil(t, saved)
	assert.Equal(t, "a1", saved.AccessToken)
}

// recordingStore is a TokenStore that checks, at each Save, what the API
// has seen so far, and can be told to fail.
type recordingStore struct {
	MemoryTokenStore
	mu    sync.Mutex
	saves []string
	fail  atomic.Bool
}

func (s *recordingStore) Save(ctx context.Context, tok *Token) error {
	if s.fail.Load() {
		return errors.New("disk full")
	}
	s.mu.Lock()
	s.saves = append(s.saves, tok.AccessToken)
	s.mu.Unlock()
	return s.MemoryTokenStore.Save(ctx, tok)
}

func (s *recordingStore) current() string {
	t, _ := s.Load(context.Background())
	if t == nil {
		return ""
	}
	return t.AccessToken
}

func TestHundredGoroutinesOneRefresh(t *testing.T) {
	for _, tc := range []struct {
		name   string
		expiry time.Time // of the stored access token
	}{
		{"expired token", time.Now().Add(-time.Minute)},
		{"token within five minutes of expiry", time.Now().Add(2 * time.Minute)},
		{"token refused by the server", time.Now().Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &recordingStore{}
			require.NoError(t, store.MemoryTokenStore.Save(context.Background(),
				&Token{AccessToken: "old", RefreshToken: "r0", Expiry: tc.expiry}))
			c, mt := newCredentialsClient(t, store)

			var refreshes atomic.Int32
			mt.RegisterResponder("POST", testAuthBase+"/oauth/refresh-token", func(req *http.Request) (*http.Response, error) {
				var body struct {
					RefreshToken string `json:"refresh_token"`
				}
				_ = json.NewDecoder(req.Body).Decode(&body)
				if body.RefreshToken != "r0" || refreshes.Add(1) > 1 {
					return newJSONResponse(401, `{"message":"refresh token already used"}`), nil
				}
				time.Sleep(20 * time.Millisecond) // let the others pile up
				return newJSONResponse(200, tokenJSON("new", "r1", time.Now().Add(7*24*time.Hour))), nil
			})
			login := respond(mt, "POST", testAuthBase+"/oauth/token", 500, `{}`)
			var ok, refused atomic.Int32
			// The rotated pair must be in the store before the API sees it.
			mt.RegisterResponder("GET", testBase+"/users/1", func(req *http.Request) (*http.Response, error) {
				got := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
				if got == "new" && store.current() == "new" {
					ok.Add(1)
					return newJSONResponse(200, envelopeJSON(`{"ct_user_id":1}`)), nil
				}
				refused.Add(1)
				return newJSONResponse(401, `{"message":"Token expired"}`), nil
			})

			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.Users.Get(context.Background(), 1)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			assert.Equal(t, int32(1), refreshes.Load(), "exactly one refresh")
			assert.Zero(t, login.count(), "no login")
			assert.Equal(t, int32(100), ok.Load())
			assert.Equal(t, []string{"new"}, store.saves)
		})
	}
}

func TestSecond401IsUnauthorized(t *testing.T) {
	store := &MemoryTokenStore{}
	c, mt := newCredentialsClient(t, store)
	login := respond(mt, "POST", testAuthBase+"/oauth/token", 200, tokenJSON("a1", "r1", time.Now().Add(time.Hour)))
	refresh := respond(mt, "POST", testAuthBase+"/oauth/refresh-token", 200, tokenJSON("a2", "r2", time.Now().Add(time.Hour)))
	api := respond(mt, "GET", "/groups/org-list/99", 401, `{"code":401,"message":"Org unit outside your scope"}`)

	err := c.Do(context.Background(), "GET", "/groups/org-list/99", nil, nil)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 1, login.count())
	assert.Equal(t, 1, refresh.count(), "one refresh after a 401, no loop")
	assert.Equal(t, 2, api.count(), "the call is sent again once")
	assert.Equal(t, "Bearer a2", api.last(t).Header.Get("Authorization"))
}

func TestStaticToken401IsUnauthorized(t *testing.T) {
	c, mt := newWireClient(t)
	api := respond(mt, "GET", "/users/1", 401, `{"code":401,"message":"Token expired"}`)
	_, err := c.Users.Get(context.Background(), 1)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 1, api.count())
}

func TestDeadRefreshTokenFallsBackToLogin(t *testing.T) {
	store := &MemoryTokenStore{}
	require.NoError(t, store.Save(context.Background(), &Token{AccessToken: "old", RefreshToken: "revoked", Expiry: time.Now().Add(-time.Hour)}))
	c, mt := newCredentialsClient(t, store)
	refresh := respond(mt, "POST", testAuthBase+"/oauth/refresh-token", 401, `{"message":"invalid refresh token"}`)
	login := respond(mt, "POST", testAuthBase+"/oauth/token", 200, tokenJSON("fresh", "r9", time.Now().Add(time.Hour)))
	var ok, refused atomic.Int32
	requireBearer(mt, "/users/1", func() string { return "fresh" }, &ok, &refused)
	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, 1, refresh.count())
	assert.Equal(t, 1, login.count())

	// An expired refresh token is not even tried.
	store2 := &MemoryTokenStore{}
	require.NoError(t, store2.Save(context.Background(), &Token{AccessToken: "old", RefreshToken: "r",
		Expiry: time.Now().Add(-time.Hour), RefreshExpiry: time.Now().Add(-time.Minute)}))
	c2, mt2 := newCredentialsClient(t, store2)
	refresh2 := respond(mt2, "POST", testAuthBase+"/oauth/refresh-token", 200, tokenJSON("x", "y", time.Now().Add(time.Hour)))
	login2 := respond(mt2, "POST", testAuthBase+"/oauth/token", 200, tokenJSON("fresh", "r9", time.Now().Add(time.Hour)))
	requireBearer(mt2, "/users/1", func() string { return "fresh" }, &ok, &refused)
	_, err = c2.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Zero(t, refresh2.count())
	assert.Equal(t, 1, login2.count())
}

func TestFailedSaveKeepsThePairUnused(t *testing.T) {
	store := &recordingStore{}
	c, mt := newCredentialsClient(t, store)
	login := respond(mt, "POST", testAuthBase+"/oauth/token", 200, tokenJSON("a1", "r1", time.Now().Add(time.Hour)))
	var ok, refused atomic.Int32
	requireBearer(mt, "/users/1", func() string { return "a1" }, &ok, &refused)

	store.fail.Store(true)
	_, err := c.Users.Get(context.Background(), 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
	assert.Zero(t, ok.Load()+refused.Load(), "a pair that was not saved is not used")

	store.fail.Store(false)
	_, err = c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, 1, login.count(), "the pending pair is saved, not fetched again")
	assert.Equal(t, []string{"a1"}, store.saves)
}

func TestWaitingForRefreshHonoursContext(t *testing.T) {
	c, mt := newCredentialsClient(t, &MemoryTokenStore{})
	release := make(chan struct{})
	mt.RegisterResponder("POST", testAuthBase+"/oauth/token", func(req *http.Request) (*http.Response, error) {
		<-release
		return newJSONResponse(200, tokenJSON("a", "r", time.Now().Add(time.Hour))), nil
	})
	respond(mt, "GET", "/users/1", 200, envelopeJSON(`{"ct_user_id":1}`))
	done := make(chan error)
	go func() { _, err := c.Users.Get(context.Background(), 1); done <- err }()
	time.Sleep(10 * time.Millisecond) // the first call now holds the renewal
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Users.Get(ctx, 1)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	assert.NoError(t, <-done)
}

// TestNoSecretInLogsOrErrors runs logins, refreshes and failures with a
// debug logger and checks that no token or password is in any line, error
// or printed value.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := &MemoryTokenStore{}
	c, mt := newCredentialsClient(t, store, WithLogger(logger))
	respond(mt, "POST", testAuthBase+"/oauth/token", 200, tokenJSON("secret-access-A", "secret-refresh-A", time.Now().Add(time.Hour)))
	respond(mt, "POST", testAuthBase+"/oauth/refresh-token", 200, tokenJSON("secret-access-B", "secret-refresh-B", time.Now().Add(time.Hour)))
	var ok, refused atomic.Int32
	requireBearer(mt, "/users/1", func() string { return "secret-access-B" }, &ok, &refused)
	respond(mt, "POST", "/users", 409, `{"code":409,"message":"User with email a@b.c already exists","request_id":"rid-1"}`)

	_, err := c.Users.Get(context.Background(), 1) // login, 401, refresh, 200
	require.NoError(t, err)
	_, err1 := c.Users.Create(context.Background(), &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin})
	_, err2 := c.Auth.Login(context.Background(), testEmail, "")
	require.Error(t, err1)
	require.Error(t, err2)

	tok, _ := store.Load(context.Background())
	require.NotNil(t, tok)
	printed := []string{
		logs.String(), err1.Error(), err2.Error(),
		fmt.Sprintf("%v %+v %#v %s %q", tok, tok, tok, tok, tok),
		fmt.Sprintf("%v %+v %#v", *tok, *tok, *tok),
		fmt.Sprintf("%v %+v %#v", store, store, store),
		fmt.Sprintf("%v %+v %#v", c, c, c.tokens),
		fmt.Sprintf("%v %+v %#v", c.tokens.(*credentialsSource).password, c.tokens.(*credentialsSource).password, c.tokens.(*credentialsSource).password),
	}
	var tokJSON bytes.Buffer
	slog.New(slog.NewTextHandler(&tokJSON, nil)).Info("token", "tok", tok, "store", store)
	printed = append(printed, tokJSON.String())
	for _, out := range printed {
		for _, secret := range []string{"secret-access-A", "secret-refresh-A", "secret-access-B", "secret-refresh-B", testPassword} {
			assert.NotContains(t, out, secret)
		}
	}
	assert.Contains(t, logs.String(), `"request_id":"rid-1"`, "logs carry the request id")
	assert.Contains(t, logs.String(), `"path":"/users/1"`)
	assert.Contains(t, logs.String(), `"attempt":1`)
	assert.Contains(t, logs.String(), `"status":401`)
}

func TestRedirectKeepsTokenOnItsHost(t *testing.T) {
	c, mt := newWireClient(t)
	mt.RegisterResponder("GET", testBase+"/users/1", func(*http.Request) (*http.Response, error) {
		resp := newJSONResponse(http.StatusTemporaryRedirect, ``)
		resp.Header.Set("Location", "https://elsewhere.example/v3/users/1")
		return resp, nil
	})
	other := respond(mt, "GET", "https://elsewhere.example/v3/users/1", 200, envelopeJSON(`{"ct_user_id":1}`))
	mt.RegisterResponder("GET", testBase+"/users/2", func(*http.Request) (*http.Response, error) {
		resp := newJSONResponse(http.StatusFound, ``)
		resp.Header.Set("Location", "/v3/users/3")
		return resp, nil
	})
	same := respond(mt, "GET", "/users/3", 200, envelopeJSON(`{"ct_user_id":3}`))
	mt.RegisterResponder("GET", testBase+"/users/4", func(*http.Request) (*http.Response, error) {
		resp := newJSONResponse(http.StatusFound, ``)
		resp.Header.Set("Location", "https://api.convirza.test:8443/v3/users/5")
		return resp, nil
	})
	port := respond(mt, "GET", "https://api.convirza.test:8443/v3/users/5", 200, envelopeJSON(`{"ct_user_id":5}`))

	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Empty(t, other.last(t).Header.Get("Authorization"), "another host gets no token")

	_, err = c.Users.Get(context.Background(), 2)
	require.NoError(t, err)
	assert.Equal(t, "Bearer "+testToken, same.last(t).Header.Get("Authorization"), "the same host does")

	_, err = c.Users.Get(context.Background(), 4)
	require.NoError(t, err)
	assert.Empty(t, port.last(t).Header.Get("Authorization"), "another port gets no token")
}

func TestTokenOAuth2(t *testing.T) {
	tok := &Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Unix(10, 0)}
	o := tok.OAuth2()
	assert.Equal(t, "a", o.AccessToken)
	assert.Equal(t, "r", o.RefreshToken)
	assert.Equal(t, "Bearer", o.TokenType)
	assert.Equal(t, tok.Expiry, o.Expiry)
	assert.Equal(t, "convirza.Token{access: <empty>, refresh: <empty>, expiry: 0001-01-01T00:00:00Z, user: 0}", Token{}.String())
	assert.Equal(t, "convirza.MemoryTokenStore{empty}", (&MemoryTokenStore{}).String())
}
