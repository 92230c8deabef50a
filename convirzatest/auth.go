package convirzatest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"
)

// authAPI are the operations of this area; router.go lists every area.
var authAPI = []route{
	{pattern: "POST /oauth/token", access: public, bare: true, handle: login},
	{pattern: "POST /oauth/refresh-token", access: public, bare: true, handle: refresh},
	{pattern: "POST /oauth/revoke-token", access: public, bare: true, handle: revoke},
	{pattern: "GET /v3/auth/profile", access: anyRole, handle: profile},
}

// accessToken is an issued access token. The token itself is not kept: state
// maps are keyed by its hash, so a snapshot file holds no usable secret.
type accessToken struct {
	UserID    int64     `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"` // moved forward by every successful call
	Revoked   bool      `json:"revoked"`
}

// refreshToken is an issued refresh token. Refresh tokens are single-use
// (rule A2): Used is set by the first refresh and any later one gets 401.
type refreshToken struct {
	UserID    int64     `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
	Used      bool      `json:"used"`
	Revoked   bool      `json:"revoked"`
}

// tokenKey is how state finds a token: its SHA-256, hex-encoded.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// hashPassword is what a user record keeps instead of the password. A fast
// unsalted hash is enough for seeded test credentials; it only keeps
// passwords out of snapshot files.
func hashPassword(pw string) string { return tokenKey("password:" + pw) }

// randomToken returns an opaque token: 32 random bytes, base64url. Clients
// must treat tokens as opaque (documented), so nothing is encoded in them.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenPair is the unwrapped reply of login and refresh (api/auth.md).
type tokenPair struct {
	AccessToken      string    `json:"access_token"`
	RefreshToken     string    `json:"refresh_token"`
	FrontendToken    string    `json:"frontend_token"`
	TokenType        string    `json:"token_type"`
	ExpiresIn        string    `json:"expires_in"`
	RefreshExpiresIn string    `json:"refresh_expires_in"`
	User             tokenUser `json:"user"`
}

type tokenUser struct {
	UserID    int64  `json:"user_id"`
	Email     string `json:"email"`
	RoleID    int    `json:"role_id"`
	OrgUnitID int64  `json:"org_unit_id"`
}

// issue creates a new access and refresh token for u. Expired tokens are
// dropped here, so a long-running fake does not accumulate them.
func (c *call) issue(u *user) tokenPair {
	for k, t := range c.st.AccessTokens {
		if !t.ExpiresAt.After(c.now) {
			delete(c.st.AccessTokens, k)
		}
	}
	for k, t := range c.st.RefreshTokens {
		if !t.ExpiresAt.After(c.now) {
			delete(c.st.RefreshTokens, k)
		}
	}
	access, refresh := randomToken(), randomToken()
	at := &accessToken{UserID: u.ID, ExpiresAt: c.now.Add(c.f.cfg.accessTTL)}
	rt := &refreshToken{UserID: u.ID, ExpiresAt: c.now.Add(refreshTTL)}
	c.st.AccessTokens[tokenKey(access)] = at
	c.st.RefreshTokens[tokenKey(refresh)] = rt
	var front [16]byte
	_, _ = rand.Read(front[:])
	return tokenPair{
		AccessToken:      access,
		RefreshToken:     refresh,
		FrontendToken:    hex.EncodeToString(front[:]), // documented as a 32-character hash
		TokenType:        "Bearer",
		ExpiresIn:        iso(at.ExpiresAt),
		RefreshExpiresIn: iso(rt.ExpiresAt),
		User:             tokenUser{UserID: u.ID, Email: u.Email, RoleID: u.RoleID, OrgUnitID: u.OrgUnitID},
	}
}

// login is POST /oauth/token. The rate limit comes first (step 1 of the order
// of checks), so malformed attempts count against it too.
func login(c *call) (any, *apiError) {
	if wait := c.f.loginWait(clientIP(c.r), c.now); wait > 0 {
		e := errorf(http.StatusTooManyRequests, "too many login attempts; try again later")
		e.retryAfter = wait
		return nil, e
	}
	o, err := c.object()
	if err != nil {
		return nil, err
	}
	email, _ := o.text("email")
	pw, _ := o.text("password")
	if err := o.err(); err != nil {
		return nil, err
	}
	u := c.st.userByEmail(email)
	// Compare a hash even when the email is unknown, so both failures look alike.
	want := hashPassword(SeedPassword)
	if u != nil {
		want = u.PasswordHash
	}
	if subtle.ConstantTimeCompare([]byte(hashPassword(pw)), []byte(want)) != 1 || u == nil || u.Status == statusDeleted {
		return nil, errorf(http.StatusUnauthorized, "invalid email or password")
	}
	if u.Status != statusActive {
		return nil, errorf(http.StatusUnauthorized, "user account is %s", u.Status)
	}
	return c.issue(u), nil
}

// loginWait records a login attempt from ip and returns zero when it is
// allowed, or how long until the oldest attempt in the last minute ages out.
// It runs under f.mu, like every handler.
func (f *Fake) loginWait(ip string, now time.Time) time.Duration {
	limit := f.cfg.loginPerMinute
	if limit <= 0 {
		return 0
	}
	recent := f.logins[ip][:0]
	for _, t := range f.logins[ip] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= limit {
		f.logins[ip] = recent
		return max(recent[0].Add(time.Minute).Sub(now), time.Second)
	}
	f.logins[ip] = append(recent, now)
	return 0
}

// clientIP is the remote address without its port: the unit of the
// documented per-IP login limit.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// refresh is POST /oauth/refresh-token: it spends the refresh token and
// issues a new pair (rule A2).
func refresh(c *call) (any, *apiError) {
	o, err := c.object()
	if err != nil {
		return nil, err
	}
	tok, _ := o.text("refresh_token")
	if err := o.err(); err != nil {
		return nil, err
	}
	rt := c.st.RefreshTokens[tokenKey(tok)]
	switch {
	case rt == nil:
		return nil, errorf(http.StatusUnauthorized, "invalid refresh token")
	case rt.Revoked:
		return nil, errorf(http.StatusUnauthorized, "refresh token has been revoked")
	case rt.Used:
		return nil, errorf(http.StatusUnauthorized, "refresh token has already been used")
	case !rt.ExpiresAt.After(c.now):
		return nil, errorf(http.StatusUnauthorized, "refresh token has expired")
	}
	rt.Used = true
	u := c.st.Users[rt.UserID]
	if u.Status != statusActive {
		return nil, errorf(http.StatusUnauthorized, "user account is %s", u.Status)
	}
	return c.issue(u), nil
}

// revoke is POST /oauth/revoke-token. It succeeds for unknown, expired and
// already revoked tokens alike (rule A5: idempotent).
func revoke(c *call) (any, *apiError) {
	o, err := c.object()
	if err != nil {
		return nil, err
	}
	tok, _ := o.text("token")
	kind, ok := o.text("token_type")
	if ok && kind != "access" && kind != "refresh" {
		o.fail("token_type", "must be access or refresh")
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	key := tokenKey(tok)
	if t := c.st.AccessTokens[key]; kind == "access" && t != nil {
		t.Revoked = true
	}
	if t := c.st.RefreshTokens[key]; kind == "refresh" && t != nil {
		t.Revoked = true
	}
	return map[string]string{"message": "Token revoked successfully"}, nil
}

// authenticate is the 401 step of the order of checks: a Bearer token that
// exists, is not revoked or expired, and belongs to an active user.
func (c *call) authenticate() *apiError {
	h := c.r.Header.Get("Authorization")
	if h == "" {
		return errorf(http.StatusUnauthorized, "missing bearer token")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return errorf(http.StatusUnauthorized, "malformed Authorization header; want: Bearer <access_token>")
	}
	t := c.st.AccessTokens[tokenKey(tok)]
	switch {
	case t == nil:
		return errorf(http.StatusUnauthorized, "invalid access token")
	case t.Revoked:
		return errorf(http.StatusUnauthorized, "access token has been revoked")
	case !t.ExpiresAt.After(c.now):
		return errorf(http.StatusUnauthorized, "access token has expired")
	}
	u := c.st.Users[t.UserID]
	if u.Status != statusActive {
		return errorf(http.StatusUnauthorized, "user account is %s", u.Status)
	}
	c.caller, c.token = u, t
	return nil
}

// profile is GET /v3/auth/profile.
func profile(c *call) (any, *apiError) {
	u := c.caller
	return map[string]any{
		"user_id":     u.ID,
		"email":       u.Email,
		"first_name":  u.FirstName,
		"last_name":   u.LastName,
		"role_id":     u.RoleID,
		"org_unit_id": u.OrgUnitID,
		"timezone":    u.Timezone,
	}, nil
}
