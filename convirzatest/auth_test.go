package convirzatest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))

	r := send(t, "POST", s.AuthURL+"/oauth/token", "", map[string]string{"email": "DANA.Whitfield@ACME.example", "password": SeedPassword})
	r.want(t, http.StatusOK)
	if strings.Contains(string(r.body), `"data"`) {
		t.Errorf("login reply is wrapped in an envelope: %s", r.body)
	}
	var p tokenPair
	r.env.Data = r.body
	r.data(t, &p)
	if p.AccessToken == "" || p.RefreshToken == "" || p.AccessToken == p.RefreshToken {
		t.Errorf("tokens %q %q", p.AccessToken, p.RefreshToken)
	}
	if len(p.FrontendToken) != 32 || p.TokenType != "Bearer" {
		t.Errorf("frontend_token %q token_type %q", p.FrontendToken, p.TokenType)
	}
	if want := iso(clk.Now().Add(7 * 24 * time.Hour)); p.ExpiresIn != want {
		t.Errorf("expires_in %q, want %q", p.ExpiresIn, want)
	}
	if want := iso(clk.Now().Add(180 * 24 * time.Hour)); p.RefreshExpiresIn != want {
		t.Errorf("refresh_expires_in %q, want %q", p.RefreshExpiresIn, want)
	}
	if want := (tokenUser{AdminUserID, AdminEmail, 1, AccountOrgUnitID}); p.User != want {
		t.Errorf("user %+v, want %+v", p.User, want)
	}
	if s.AdminEmail != AdminEmail || s.AdminPassword != SeedPassword {
		t.Errorf("Fake credentials %q %q", s.AdminEmail, s.AdminPassword)
	}
}

func TestLoginErrors(t *testing.T) {
	s := NewServer(t, WithLoginRateLimit(0))
	admin := token(t, s, AdminEmail)
	send(t, "PATCH", s.URL+"/users/"+strconv.FormatInt(ReadOnlyUserID, 10), admin, `{"user_status":"inactive"}`).want(t, 200)
	send(t, "DELETE", s.URL+"/users/"+strconv.FormatInt(StandardUserID, 10), admin, nil).want(t, 200)

	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
		msg    string
	}{
		{"no body", nil, 400, "body", ""},
		{"array", `[]`, 400, "body", ""},
		{"missing email", map[string]string{"password": "x"}, 400, "email", ""},
		{"missing password", map[string]string{"email": AdminEmail}, 400, "password", ""},
		{"email not a string", `{"email":1,"password":"x"}`, 400, "email", ""},
		{"wrong password", map[string]string{"email": AdminEmail, "password": "nope"}, 401, "", "invalid email or password"},
		{"unknown email", map[string]string{"email": "who@acme.example", "password": SeedPassword}, 401, "", "invalid email or password"},
		{"inactive user", map[string]string{"email": ReadOnlyEmail, "password": SeedPassword}, 401, "", "user account is inactive"},
		{"deleted user", map[string]string{"email": StandardEmail, "password": SeedPassword}, 401, "", "invalid email or password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, "POST", s.AuthURL+"/oauth/token", "", tc.body)
			checkEnvelope(t, r)
			if tc.field != "" {
				r.wantField(t, tc.field)
				return
			}
			r.want(t, tc.status)
			if r.env.Message != tc.msg {
				t.Errorf("message %q, want %q", r.env.Message, tc.msg)
			}
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	creds := map[string]string{"email": AdminEmail, "password": SeedPassword}
	for i := range 10 {
		if i == 5 {
			clk.Advance(30 * time.Second)
		}
		send(t, "POST", s.AuthURL+"/oauth/token", "", creds).want(t, 200)
	}
	// Failed and malformed attempts count too.
	r := send(t, "POST", s.AuthURL+"/oauth/token", "", `{}`).want(t, http.StatusTooManyRequests)
	checkEnvelope(t, r)
	if got := r.header.Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After %q, want 30 (the oldest attempt ages out in 30s)", got)
	}
	clk.Advance(30 * time.Second)
	send(t, "POST", s.AuthURL+"/oauth/token", "", creds).want(t, 200)
	// The first five have aged out; five more fill the window again.
	for range 4 {
		send(t, "POST", s.AuthURL+"/oauth/token", "", creds).want(t, 200)
	}
	r = send(t, "POST", s.AuthURL+"/oauth/token", "", creds).want(t, 429)
	if got := r.header.Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After %q, want 30", got)
	}
	// Refresh and revoke are not limited.
	send(t, "POST", s.AuthURL+"/oauth/revoke-token", "", map[string]string{"token": "x", "token_type": "access"}).want(t, 200)

	t.Run("disabled", func(t *testing.T) {
		s := NewServer(t, WithLoginRateLimit(-1))
		for range 30 {
			send(t, "POST", s.AuthURL+"/oauth/token", "", creds).want(t, 200)
		}
	})
	t.Run("custom", func(t *testing.T) {
		s := NewServer(t, WithLoginRateLimit(2))
		for range 2 {
			send(t, "POST", s.AuthURL+"/oauth/token", "", creds).want(t, 200)
		}
		send(t, "POST", s.AuthURL+"/oauth/token", "", creds).want(t, 429)
	})
}

func TestRefreshRotation(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	first := tokens(t, s, AdminEmail, SeedPassword)
	clk.Advance(time.Hour)

	r := send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": first.RefreshToken}).want(t, 200)
	var second tokenPair
	r.env.Data = r.body
	r.data(t, &second)
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatal("refresh did not rotate both tokens")
	}
	if want := iso(clk.Now().Add(7 * 24 * time.Hour)); second.ExpiresIn != want {
		t.Errorf("expires_in %q, want %q", second.ExpiresIn, want)
	}
	if second.User.UserID != AdminUserID {
		t.Errorf("user %+v", second.User)
	}
	send(t, "GET", s.URL+"/auth/profile", second.AccessToken, nil).want(t, 200)

	// The spent refresh token is dead at once (A2); the new one works once.
	r = send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": first.RefreshToken}).want(t, 401)
	checkEnvelope(t, r)
	if r.env.Message != "refresh token has already been used" {
		t.Errorf("message %q", r.env.Message)
	}
	send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": second.RefreshToken}).want(t, 200)
	send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": second.RefreshToken}).want(t, 401)

	send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{}).wantField(t, "refresh_token")
	send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", `{"refresh_token":""}`).wantField(t, "refresh_token")
	send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", "not json").wantField(t, "body")
	send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": "unknown"}).want(t, 401)

	// A4: after 180 days only a login works.
	late := tokens(t, s, AdminEmail, SeedPassword)
	clk.Advance(180*24*time.Hour + time.Second)
	r = send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": late.RefreshToken}).want(t, 401)
	if r.env.Message != "refresh token has expired" {
		t.Errorf("message %q", r.env.Message)
	}
}

func TestRefreshInactiveUser(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	std := tokens(t, s, StandardEmail, SeedPassword)
	send(t, "PATCH", s.URL+"/users/"+strconv.FormatInt(StandardUserID, 10), admin, `{"user_status":"inactive"}`).want(t, 200)
	r := send(t, "GET", s.URL+"/auth/profile", std.AccessToken, nil).want(t, 401)
	if r.env.Message != "user account is inactive" {
		t.Errorf("message %q", r.env.Message)
	}
	send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": std.RefreshToken}).want(t, 401)
}

func TestRevoke(t *testing.T) {
	s := NewServer(t)
	p := tokens(t, s, AdminEmail, SeedPassword)
	revoke := func(tok, kind string) reply {
		t.Helper()
		// No Bearer header is needed (A5).
		return send(t, "POST", s.AuthURL+"/oauth/revoke-token", "", map[string]string{"token": tok, "token_type": kind})
	}

	r := revoke(p.AccessToken, "access").want(t, 200)
	if string(r.body) != `{"message":"Token revoked successfully"}`+"\n" {
		t.Errorf("body %s", r.body)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	r = send(t, "GET", s.URL+"/auth/profile", p.AccessToken, nil).want(t, 401)
	if r.env.Message != "access token has been revoked" {
		t.Errorf("message %q", r.env.Message)
	}
	revoke(p.AccessToken, "access").want(t, 200) // idempotent
	revoke("never-issued", "refresh").want(t, 200)

	// A6: a revoked access token still allows a refresh.
	r = send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": p.RefreshToken}).want(t, 200)
	var next tokenPair
	r.env.Data = r.body
	r.data(t, &next)

	// Revoking with the wrong token_type changes nothing.
	revoke(next.RefreshToken, "access").want(t, 200)
	revoke(next.AccessToken, "refresh").want(t, 200)
	send(t, "GET", s.URL+"/auth/profile", next.AccessToken, nil).want(t, 200)

	// Revoking the refresh token forces a login.
	revoke(next.RefreshToken, "refresh").want(t, 200)
	r = send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": next.RefreshToken}).want(t, 401)
	if r.env.Message != "refresh token has been revoked" {
		t.Errorf("message %q", r.env.Message)
	}

	send(t, "POST", s.AuthURL+"/oauth/revoke-token", "", map[string]string{"token_type": "access"}).wantField(t, "token")
	send(t, "POST", s.AuthURL+"/oauth/revoke-token", "", map[string]string{"token": "x", "token_type": "id"}).wantField(t, "token_type")
	send(t, "POST", s.AuthURL+"/oauth/revoke-token", "", map[string]string{"token": "x"}).wantField(t, "token_type")
	send(t, "POST", s.AuthURL+"/oauth/revoke-token", "", nil).wantField(t, "body")
}

func TestAccessTokenExpiry(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)

	// Each successful call renews the token for 7 days (A3).
	for range 3 {
		clk.Advance(6 * 24 * time.Hour)
		send(t, "GET", s.URL+"/auth/profile", tok, nil).want(t, 200)
	}
	// A failed call does not renew it.
	clk.Advance(6 * 24 * time.Hour)
	send(t, "GET", s.URL+"/users/abc", tok, nil).want(t, 400)
	clk.Advance(24*time.Hour + time.Millisecond)
	r := send(t, "GET", s.URL+"/auth/profile", tok, nil).want(t, 401)
	checkEnvelope(t, r)
	if r.env.Message != "access token has expired" {
		t.Errorf("message %q", r.env.Message)
	}
}

func TestShortAccessTokenTTL(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now), WithAccessTokenTTL(time.Minute), WithAccessTokenTTL(0))
	p := tokens(t, s, AdminEmail, SeedPassword)
	if want := iso(clk.Now().Add(time.Minute)); p.ExpiresIn != want {
		t.Errorf("expires_in %q, want %q (a zero TTL keeps the last setting)", p.ExpiresIn, want)
	}
	clk.Advance(time.Minute)
	send(t, "GET", s.URL+"/auth/profile", p.AccessToken, nil).want(t, 401)
}

func TestExpireAccessTokens(t *testing.T) {
	s := NewServer(t)
	p := tokens(t, s, AdminEmail, SeedPassword)
	other := token(t, s, StandardEmail)
	s.ExpireAccessTokens()
	send(t, "GET", s.URL+"/auth/profile", p.AccessToken, nil).want(t, 401)
	send(t, "GET", s.URL+"/auth/profile", other, nil).want(t, 401)
	// The refresh token still works, which is what a client's retry needs.
	r := send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": p.RefreshToken}).want(t, 200)
	var next tokenPair
	r.env.Data = r.body
	r.data(t, &next)
	send(t, "GET", s.URL+"/auth/profile", next.AccessToken, nil).want(t, 200)
}

func TestBearerHeader(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for _, tc := range []struct{ header, msg string }{
		{"", "missing bearer token"},
		{"Basic dXNlcjpwYXNz", "malformed Authorization header; want: Bearer <access_token>"},
		{"Bearer", "malformed Authorization header; want: Bearer <access_token>"},
		{"Bearer ", "malformed Authorization header; want: Bearer <access_token>"},
		{"Bearer not-a-token", "invalid access token"},
	} {
		req := httptest.NewRequest("GET", "/v3/auth/profile", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var env errorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &env)
		if rec.Code != 401 || env.Message != tc.msg || rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%q: status %d, message %q, WWW-Authenticate %q", tc.header, rec.Code, env.Message, rec.Header().Get("WWW-Authenticate"))
		}
	}
	// The scheme is case-insensitive.
	req, _ := http.NewRequest("GET", s.URL+"/auth/profile", nil)
	req.Header.Set("Authorization", "bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("lower-case bearer: status %d", res.StatusCode)
	}
}

func TestProfile(t *testing.T) {
	s := NewServer(t)
	for _, tc := range []struct {
		email string
		want  map[string]any
	}{
		{AdminEmail, map[string]any{"user_id": 10001.0, "email": AdminEmail, "first_name": "Dana", "last_name": "Whitfield", "role_id": 1.0, "org_unit_id": 1001.0, "timezone": "America/New_York"}},
		{ReadOnlyEmail, map[string]any{"user_id": 10003.0, "email": ReadOnlyEmail, "first_name": "Riley", "last_name": "Chen", "role_id": 3.0, "org_unit_id": 1003.0, "timezone": "America/Chicago"}},
	} {
		r := send(t, "GET", s.URL+"/auth/profile", token(t, s, tc.email), nil).want(t, 200)
		checkEnvelope(t, r)
		if r.env.Message != "Success" {
			t.Errorf("message %q", r.env.Message)
		}
		var got map[string]any
		r.data(t, &got)
		if len(got) != len(tc.want) {
			t.Errorf("profile %v, want %v", got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %v, want %v", k, got[k], v)
			}
		}
	}
}
