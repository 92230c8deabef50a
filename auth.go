package convirza

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Paths of the Auth operations: the token calls on the OAuth host, the
// profile on the API host.
const (
	authLoginPath   = "/oauth/token"
	authRefreshPath = "/oauth/refresh-token"
	authRevokePath  = "/oauth/revoke-token"
	authProfilePath = "/auth/profile"
)

// AuthService logs in, refreshes and revokes tokens, and reads the profile
// of the authenticated user. A client made WithCredentials calls it by
// itself; use it directly to manage tokens by hand.
type AuthService struct{ c *Client }

// Token is a token pair from a login or a refresh. Its String and Format
// methods never show the tokens, so printing or logging it is safe; encode
// it with encoding/json to persist it.
type Token struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	// FrontendToken is used by Convirza's web app; integrations ignore it.
	FrontendToken string `json:"frontend_token,omitempty"`
	TokenType     string `json:"token_type"`
	// Expiry and RefreshExpiry are the absolute expiry times of the access
	// and refresh tokens (the API's expires_in and refresh_expires_in).
	Expiry        time.Time `json:"expiry"`
	RefreshExpiry time.Time `json:"refresh_expiry"`
	// IssuedAt is when the client received the pair. With Expiry it gives
	// the token's lifetime, which sets how early it is renewed.
	IssuedAt time.Time `json:"issued_at,omitzero"`
	User     TokenUser `json:"user"`
}

// TokenUser is the user a token belongs to.
type TokenUser struct {
	UserID    int64  `json:"user_id"`
	Email     string `json:"email"`
	RoleID    int    `json:"role_id"`
	OrgUnitID int64  `json:"org_unit_id"`
}

// String describes the token without its secrets.
func (t Token) String() string {
	return fmt.Sprintf("convirza.Token{access: %s, refresh: %s, expiry: %s, user: %d}",
		redacted(t.AccessToken), redacted(t.RefreshToken), t.Expiry.Format(time.RFC3339), t.User.UserID)
}

// Format makes every fmt verb print String, so no verb shows a secret.
func (t Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// LogValue keeps tokens out of slog output.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// OAuth2 returns the access token as an oauth2.Token.
func (t *Token) OAuth2() *oauth2.Token {
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer", RefreshToken: t.RefreshToken, Expiry: t.Expiry}
}

func redacted(s string) string {
	if s == "" {
		return "<empty>"
	}
	return "<redacted>"
}

// tokenWire is a login or refresh answer. The expiries are absolute
// ISO-8601 times; a number is read as seconds from now, as plain OAuth
// servers send it.
type tokenWire struct {
	AccessToken      string          `json:"access_token"`
	RefreshToken     string          `json:"refresh_token"`
	FrontendToken    string          `json:"frontend_token"`
	TokenType        string          `json:"token_type"`
	ExpiresIn        json.RawMessage `json:"expires_in"`
	RefreshExpiresIn json.RawMessage `json:"refresh_expires_in"`
	User             TokenUser       `json:"user"`
}

// authAnswer accepts the token fields at the top level (as the API sends
// them) or inside an envelope's data (as some docs pages show).
type authAnswer struct {
	tokenWire
	Data *tokenWire `json:"data"`
}

func (a *authAnswer) token(now time.Time) (*Token, error) {
	w := &a.tokenWire
	if w.AccessToken == "" && a.Data != nil {
		w = a.Data
	}
	if w.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access_token in the answer", ErrInvalidResponse)
	}
	return &Token{
		AccessToken:   w.AccessToken,
		RefreshToken:  w.RefreshToken,
		FrontendToken: w.FrontendToken,
		TokenType:     firstNonEmpty(w.TokenType, "Bearer"),
		Expiry:        expiry(w.ExpiresIn, now),
		RefreshExpiry: expiry(w.RefreshExpiresIn, now),
		IssuedAt:      now,
		User:          w.User,
	}, nil
}

func expiry(raw json.RawMessage, now time.Time) time.Time {
	text := scalarText(raw)
	if len(raw) > 0 && raw[0] != '"' {
		if secs, ok := parseInt(text); ok && secs < 1e9 {
			return now.Add(time.Duration(secs) * time.Second)
		}
	}
	t, _ := parseTime(text)
	return t
}

// Login exchanges an email and a password for a token pair. The API allows
// 10 logins a minute per IP, so a login is never retried automatically.
//
// Convirza API: POST /oauth/token
func (s *AuthService) Login(ctx context.Context, email, password string, opts ...RequestOption) (*Token, error) {
	if strings.TrimSpace(email) == "" || password == "" {
		return nil, invalidf("login needs an email and a password")
	}
	body := struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}{email, password}
	return s.tokenCall(ctx, authLoginPath, body, []string{password}, opts)
}

// Refresh exchanges a refresh token for a new pair. Refresh tokens are
// single-use: the one passed stops working at once, so save the new pair
// before anything else.
//
// Convirza API: POST /oauth/refresh-token
func (s *AuthService) Refresh(ctx context.Context, refreshToken string, opts ...RequestOption) (*Token, error) {
	if refreshToken == "" {
		return nil, invalidf("empty refresh token")
	}
	body := struct {
		RefreshToken string `json:"refresh_token"`
	}{refreshToken}
	return s.tokenCall(ctx, authRefreshPath, body, []string{refreshToken}, opts)
}

// tokenCall sends a login or a refresh, whose body holds secrets: they are
// never printed, even when the server echoes them.
func (s *AuthService) tokenCall(ctx context.Context, path string, body any, secrets []string, opts []RequestOption) (*Token, error) {
	var ans authAnswer
	r := &request{method: "POST", path: path, body: body, auth: true, secrets: secrets}
	if err := s.c.send(ctx, r, &ans, opts); err != nil {
		return nil, err
	}
	return ans.token(time.Now())
}

// TokenKind names the token that Revoke kills.
type TokenKind string

// The kinds of token.
const (
	AccessToken  TokenKind = "access"
	RefreshToken TokenKind = "refresh"
)

// Revoke kills a token at once. It is idempotent: revoking a dead token
// succeeds. Revoking a refresh token forces a new login.
//
// Convirza API: POST /oauth/revoke-token
func (s *AuthService) Revoke(ctx context.Context, token string, kind TokenKind, opts ...RequestOption) error {
	if token == "" {
		return invalidf("empty token")
	}
	if kind != AccessToken && kind != RefreshToken {
		return invalidf("token kind %q is neither %q nor %q", kind, AccessToken, RefreshToken)
	}
	body := struct {
		Token     string    `json:"token"`
		TokenType TokenKind `json:"token_type"`
	}{token, kind}
	// Revoking is idempotent, so it is safe to retry like a GET.
	opts = append([]RequestOption{WithRetryNonIdempotent()}, opts...)
	return s.c.send(ctx, &request{method: "POST", path: authRevokePath, body: body, auth: true, secrets: []string{token}}, nil, opts)
}

// Profile is the authenticated user.
type Profile struct {
	UserID    int64           `json:"user_id"`
	Email     string          `json:"email"`
	FirstName string          `json:"first_name"`
	LastName  string          `json:"last_name"`
	RoleID    int             `json:"role_id"`
	OrgUnitID int64           `json:"org_unit_id"`
	Timezone  string          `json:"timezone"`
	Raw       json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (p *Profile) UnmarshalJSON(b []byte) error {
	type alias Profile
	return decodeModel(b, (*alias)(p), &p.Raw)
}

// Profile returns the authenticated user.
//
// Convirza API: GET /auth/profile
func (s *AuthService) Profile(ctx context.Context, opts ...RequestOption) (*Profile, error) {
	return get[Profile](ctx, s.c, authProfilePath, opts)
}

// TokenStore keeps the token pair of a client made WithCredentials. Save is
// called with every new pair before the pair is used; Load once, before the
// first call, so a restarted process goes on with its saved refresh token.
// Implementations must be safe for concurrent use.
type TokenStore interface {
	// Load returns the saved pair, or nil and no error when there is none.
	Load(ctx context.Context) (*Token, error)
	// Save stores a new pair. An error stops the pair from being used.
	Save(ctx context.Context, tok *Token) error
}

// TokenLocker is implemented by a TokenStore that several processes share
// (FileTokenStore). A client made WithCredentials holds the lock for the
// whole of each renewal and loads the pair again under it: when another
// process saved a different pair meanwhile, that pair is used instead of
// refreshing, since the refresh token this process holds may have been
// spent already.
type TokenLocker interface {
	// LockTokens blocks until the caller holds the store's exclusive lock,
	// or ctx ends; unlock releases it.
	LockTokens(ctx context.Context) (unlock func(), err error)
}

// MemoryTokenStore is the default TokenStore: it keeps the pair in memory.
// Its zero value is ready to use.
type MemoryTokenStore struct {
	// An atomic pointer, not a mutex and a plain pointer: fmt never follows
	// it, so even a copy of the store printed with %s shows no token.
	tok atomic.Pointer[Token]
}

// Load implements TokenStore.
func (m *MemoryTokenStore) Load(context.Context) (*Token, error) {
	return m.tok.Load(), nil
}

// Save implements TokenStore.
func (m *MemoryTokenStore) Save(_ context.Context, tok *Token) error {
	m.tok.Store(tok)
	return nil
}

// Format makes every fmt verb, %#v included, print String.
func (m *MemoryTokenStore) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(m.String())) }

// String describes the store without its secrets.
func (m *MemoryTokenStore) String() string {
	tok := m.tok.Load()
	if tok == nil {
		return "convirza.MemoryTokenStore{empty}"
	}
	return "convirza.MemoryTokenStore{" + tok.String() + "}"
}

// tokenSource gives the access token for the next attempt.
type tokenSource interface {
	token(ctx context.Context) (string, error)
	// secrets lists what the source holds that must never be printed, so
	// that server text echoing it can be redacted.
	secrets() []string
}

// refresher is a tokenSource that can replace a token the server refused.
type refresher interface {
	// invalidate renews the token unless the one refused (used) was already
	// replaced by another goroutine.
	invalidate(ctx context.Context, used string) error
}

// The token sources are pointers, and print nothing secret: fmt shows a
// pointer inside another value (the Client) as an address, and calls no
// method of an unexported field, so a plain string here would be printed
// whole by %v of a Client.

// staticToken is the source of WithToken.
type staticToken struct{ tok secret }

func (s *staticToken) token(context.Context) (string, error) { return string(s.tok), nil }

func (s *staticToken) secrets() []string { return []string{string(s.tok)} }

// String describes the source without its secret.
func (s *staticToken) String() string { return "convirza.staticToken{<redacted>}" }

// Format makes every fmt verb, %#v included, print String.
func (s *staticToken) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// oauth2Source is the source of WithTokenSource. oauth2.TokenSource.Token
// takes no context, so it runs in a goroutine of its own that a caller stops
// waiting for when its context ends; the goroutines that ask while one runs
// share its answer, so at most one Token call runs at a time, and no
// goroutine outlives it.
type oauth2Source struct {
	ts     oauth2.TokenSource
	flight flightGroup[string]
	last   atomic.Pointer[string] // the last token, for redaction
}

// String describes the source without asking it for a token.
func (s *oauth2Source) String() string { return fmt.Sprintf("convirza.oauth2Source{%T}", s.ts) }

// Format makes every fmt verb, %#v included, print String.
func (s *oauth2Source) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

func (s *oauth2Source) token(ctx context.Context) (string, error) {
	f, lead := s.flight.join()
	if lead {
		go func() {
			tok, err := s.fetch()
			s.flight.finish(f, tok, err)
		}()
	}
	return f.wait(ctx)
}

func (s *oauth2Source) fetch() (tok string, err error) {
	defer func() {
		// A panic in the user's source must not kill the process from a
		// goroutine no caller can recover in.
		if p := recover(); p != nil {
			err = fmt.Errorf("convirza: token source panicked: %v", p)
		}
	}()
	t, err := s.ts.Token()
	if err != nil {
		return "", fmt.Errorf("convirza: token source: %w", err)
	}
	if t == nil || t.AccessToken == "" {
		return "", errors.New("convirza: token source: empty access token")
	}
	s.last.Store(&t.AccessToken)
	return t.AccessToken, nil
}

func (s *oauth2Source) secrets() []string {
	if t := s.last.Load(); t != nil {
		return []string{*t}
	}
	return nil
}

// secret is a string that never prints.
type secret string

func (secret) String() string                 { return "<redacted>" }
func (s secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(s.String())) }
func (secret) LogValue() slog.Value           { return slog.StringValue("<redacted>") }
func (s secret) GoString() string             { return s.String() }
func (s secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
