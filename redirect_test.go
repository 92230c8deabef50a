package convirza

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// authConfigs are the ways a client authenticates: the redirect and token
// rules must hold with each of them.
func authConfigs() map[string][]Option {
	return map[string][]Option{
		"no auth":               nil,
		"WithToken":             {WithToken(testToken)},
		"WithTokenSource":       {WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken}))},
		"WithCredentials":       {WithCredentials(testEmail, testPassword)},
		"WithCredentials+store": {WithCredentials(testEmail, testPassword), WithTokenStore(&MemoryTokenStore{})},
	}
}

// loginOK answers a login with a pair valid for an hour.
var loginOK = answer(200, tokenJSON(testToken, "refresh-1", time.Now().Add(time.Hour)))

// clientOn returns a client of srv (API and OAuth host on the same server)
// with opts, and no backoff.
func clientOn(t *testing.T, srv *countingServer, opts ...Option) *Client {
	t.Helper()
	base := []Option{WithBaseURL(srv.URL + "/v3"), WithAuthBaseURL(srv.URL), WithRetryBackoff(0, 0),
		WithHTTPClient(srv.Client())}
	c, err := NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c
}

var redirectStatuses = []int{301, 302, 303, 307, 308}

// requireRefused checks that err is a refused redirect that names target,
// and not an error that reads as a bad token.
func requireRefused(t *testing.T, err error, target *countingServer, msg string) {
	t.Helper()
	require.ErrorIs(t, err, ErrRedirectRefused, msg)
	assert.NotErrorIs(t, err, ErrUnauthorized, msg)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, msg)
	var re *RedirectError
	require.True(t, errors.As(err, &re), msg)
	assert.Contains(t, err.Error(), strings.TrimPrefix(strings.TrimPrefix(target.URL, "http://"), "https://"), msg)
	assert.Zero(t, target.total(), "%s: nothing reaches the redirect's target", msg)
}

// TestOAuthCallsAreNeverRedirectedAway has the OAuth host redirect login,
// refresh and revoke elsewhere with every redirect status: none follows,
// so the password and the tokens in their bodies never reach the other host.
func TestOAuthCallsAreNeverRedirectedAway(t *testing.T) {
	for _, status := range redirectStatuses {
		evil := newCountingServer(t, false, nil)
		auth := newCountingServer(t, false, map[string]http.HandlerFunc{
			"POST /oauth/token":         redirectTo(status, evil.URL+"/oauth/token"),
			"POST /oauth/refresh-token": redirectTo(status, evil.URL+"/oauth/refresh-token"),
			"POST /oauth/revoke-token":  redirectTo(status, evil.URL+"/oauth/revoke-token"),
		})
		for name, opts := range authConfigs() {
			msg := fmt.Sprintf("%d, %s", status, name)
			c := clientOn(t, auth, opts...)
			ctx := context.Background()
			_, err := c.Auth.Login(ctx, testEmail, testPassword)
			requireRefused(t, err, evil, msg+": login")
			_, err = c.Auth.Refresh(ctx, "refresh-secret")
			requireRefused(t, err, evil, msg+": refresh")
			err = c.Auth.Revoke(ctx, "refresh-secret", RefreshToken)
			requireRefused(t, err, evil, msg+": revoke")
			if strings.HasPrefix(name, "WithCredentials") {
				_, err = c.Users.Get(ctx, 1) // the client's own login
				requireRefused(t, err, evil, msg+": the client's login")
			}
		}
		assert.Equal(t, 3*len(authConfigs())+2, auth.count("POST /oauth/token")+
			auth.count("POST /oauth/refresh-token")+auth.count("POST /oauth/revoke-token"),
			"%d: each call reached the OAuth host once: refused redirects are not retried", status)
	}
}

// TestBodiesAreNeverRedirectedAway has the API redirect every write to
// another host: a request with a body never follows, whatever the status
// and the auth; a GET still does, without the token.
func TestBodiesAreNeverRedirectedAway(t *testing.T) {
	user := &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin}
	for _, status := range redirectStatuses {
		evil := newCountingServer(t, false, map[string]http.HandlerFunc{
			"GET /v3/users/1": answer(200, envelopeJSON(`{"ct_user_id":1}`)),
		})
		api := newCountingServer(t, false, map[string]http.HandlerFunc{
			"POST /oauth/token": loginOK,
			"POST /v3/users":    redirectTo(status, evil.URL+"/v3/users"),
			"PUT /v3/users/1":   redirectTo(status, evil.URL+"/v3/users/1"),
			"PATCH /v3/users/1": redirectTo(status, evil.URL+"/v3/users/1"),
			"GET /v3/users/1":   redirectTo(status, evil.URL+"/v3/users/1"),
		})
		for name, opts := range authConfigs() {
			msg := fmt.Sprintf("%d, %s", status, name)
			c := clientOn(t, api, opts...)
			ctx := context.Background()
			_, err := c.Users.Create(ctx, user)
			requireRefused(t, err, evil, msg+": POST")
			_, err = c.Users.Update(ctx, 1, user)
			requireRefused(t, err, evil, msg+": PUT")
			_, err = c.Users.Patch(ctx, 1, &PatchUserParams{FirstName: Set("Ada")})
			requireRefused(t, err, evil, msg+": PATCH")
		}
		assert.Equal(t, len(authConfigs()), api.count("PUT /v3/users/1"), "%d: a refused redirect is not retried", status)

		c := clientOn(t, api, WithToken(testToken))
		_, err := c.Users.Get(context.Background(), 1)
		require.NoError(t, err, "%d: a GET follows to another host", status)
		require.Equal(t, 1, evil.count("GET /v3/users/1"))
		assert.Empty(t, evil.seen["GET /v3/users/1"][0].Header.Get("Authorization"), "without the token")
	}
}

// TestHTTPSNeverRedirectsToHTTP has an https API redirect to plain http,
// on the same host and port and elsewhere: no method follows.
func TestHTTPSNeverRedirectsToHTTP(t *testing.T) {
	plain := newCountingServer(t, false, map[string]http.HandlerFunc{
		"GET /v3/users/1":    answer(200, envelopeJSON(`{"ct_user_id":1}`)),
		"DELETE /v3/users/1": answer(200, envelopeJSON(`null`)),
	})
	var api *countingServer
	api = newCountingServer(t, true, map[string]http.HandlerFunc{
		"POST /oauth/token": loginOK,
		"GET /v3/users/1":   redirectTo(302, plain.URL+"/v3/users/1"),
		"GET /v3/users/2": func(w http.ResponseWriter, r *http.Request) {
			// The same host and port, http: a downgrade all the same.
			redirectTo(301, "http://"+strings.TrimPrefix(api.URL, "https://")+"/v3/users/1")(w, r)
		},
		"DELETE /v3/users/1": redirectTo(307, plain.URL+"/v3/users/1"),
	})
	for name, opts := range authConfigs() {
		c := clientOn(t, api, opts...)
		_, err := c.Users.Get(context.Background(), 1)
		requireRefused(t, err, plain, name+": GET")
		_, err = c.Users.Get(context.Background(), 2)
		require.ErrorIs(t, err, ErrRedirectRefused, name+": same host, http")
		err = c.Users.Delete(context.Background(), 1)
		requireRefused(t, err, plain, name+": DELETE")
	}
}

// TestUsersCheckRedirectRunsAfterTheRules gives the client an http.Client
// with its own CheckRedirect: it sees the redirects the rules allow, not
// those they refuse, and its verdict stands.
func TestUsersCheckRedirectRunsAfterTheRules(t *testing.T) {
	evil := newCountingServer(t, false, nil)
	api := newCountingServer(t, false, map[string]http.HandlerFunc{
		"GET /v3/users/1":  redirectTo(302, "/v3/users/2"),
		"GET /v3/users/2":  answer(200, envelopeJSON(`{"ct_user_id":2}`)),
		"GET /v3/users/3":  redirectTo(302, "/v3/users/4"),
		"POST /v3/users":   redirectTo(307, evil.URL+"/v3/users"),
		"GET /v3/users/10": redirectTo(302, "/v3/users/11"),
	})
	errMine := errors.New("my policy says no")
	var seen []string
	hc := api.Client()
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		seen = append(seen, req.URL.Path)
		if req.URL.Path == "/v3/users/4" {
			return errMine
		}
		return nil
	}
	c, err := NewClient(WithBaseURL(api.URL+"/v3"), WithToken(testToken), WithHTTPClient(hc), WithRetryBackoff(0, 0))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = c.Users.Get(ctx, 1)
	require.NoError(t, err)
	_, err = c.Users.Get(ctx, 3)
	require.ErrorIs(t, err, errMine, "the user's verdict is returned")
	_, err = c.Users.Create(ctx, &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin})
	requireRefused(t, err, evil, "POST")
	assert.Equal(t, []string{"/v3/users/2", "/v3/users/4"}, seen, "the user's CheckRedirect runs after the rules, for what they allow")
}
