package convirza

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// hostile path parameters: each must stay one segment of its path.
var hostileSegments = []string{
	"..", ".", "../auth/profile", "../../oauth/token", "a/b", "%2F", "a%2Fb", "%2E%2E", "%252F",
	"x?limit=1", "?", "x#frag", "#", "x y", "10002/../10001", ";a=b", "\\..\\", "\x00", "é",
}

// TestPathParametersStayInTheirSegment sends hostile path parameters to a
// raw server and checks what arrived: the escaped path keeps them in one
// segment, with no query and no fragment.
func TestPathParametersStayInTheirSegment(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		_, _ = io.WriteString(w, envelopeJSON(`{}`))
	}))
	defer srv.Close()
	c, err := NewClient(WithBaseURL(srv.URL+"/v3"), WithToken(testToken))
	require.NoError(t, err)

	for _, seg := range hostileSegments {
		require.NoError(t, c.Do(context.Background(), "GET", pathf(userPath, seg), nil, nil), "%q", seg)
		mu.Lock()
		r := got[len(got)-1]
		mu.Unlock()
		parts := strings.Split(r.URL.EscapedPath(), "/")
		assert.Len(t, parts, 4, "%q arrived as %s", seg, r.RequestURI)
		assert.Equal(t, []string{"", "v3", "users"}, parts[:3], "%q", seg)
		last, err := url.PathUnescape(parts[len(parts)-1])
		assert.NoError(t, err)
		assert.Equal(t, seg, last, "%q arrived as %s", seg, r.RequestURI)
		assert.Empty(t, r.URL.RawQuery, "%q: no query", seg)
		assert.NotContains(t, r.RequestURI, "#", "%q: no fragment", seg)
		assert.True(t, strings.HasPrefix(r.RequestURI, "/v3/users/"), "%q arrived as %s", seg, r.RequestURI)
	}
}

// TestPathParametersCannotReachAnotherRoute sends the same parameters to
// the fake: every request lands on /v3/users/{id} (a 400 on the id) and no
// other route is ever called.
func TestPathParametersCannotReachAnotherRoute(t *testing.T) {
	srv := convirzatest.NewServer(t)
	c, _ := newFaultClient(t, srv, true)
	_, err := c.Auth.Profile(context.Background())
	require.NoError(t, err)
	srv.ResetRequests()

	for _, seg := range hostileSegments {
		err := c.Do(context.Background(), "GET", pathf(userPath, seg), nil, nil)
		var ae *APIError
		require.ErrorAs(t, err, &ae, "%q", seg)
		assert.Equal(t, 400, ae.StatusCode, "%q: %v", seg, err)
		require.Len(t, ae.Errors, 1, "%q", seg)
		assert.Equal(t, "id", ae.Errors[0].Field, "%q: the users/{id} route refused the id", seg)
	}
	reqs := srv.Requests()
	require.Len(t, reqs, len(hostileSegments))
	for i, r := range reqs {
		assert.Equal(t, "/v3/users/"+hostileSegments[i], r.Path)
		assert.Empty(t, r.RawQuery)
	}
	for _, other := range []string{"/v3/auth/profile", "/v3/users/list", "/v3/users/10001", "/v3/users/10002"} {
		assert.Zero(t, srv.RequestCount("GET", other), other)
	}
	assert.Zero(t, srv.RequestCount("POST", "/oauth/token"))
}

// TestEveryPathIsBuiltByPathf reads the SDK's source: every request path is
// a constant, a variable or a pathf call, never a string built by hand, so
// the escaping checked above applies to every operation.
func TestEveryPathIsBuiltByPathf(t *testing.T) {
	fset, files := sourceFiles(t)
	checked := 0
	check := func(where token.Pos, e ast.Expr) {
		checked++
		switch v := e.(type) {
		case *ast.Ident, *ast.SelectorExpr:
			return
		case *ast.CallExpr:
			if id, ok := v.Fun.(*ast.Ident); ok && id.Name == "pathf" {
				return
			}
		}
		t.Errorf("%s: a request path built without pathf: %s", fset.Position(where), types(e))
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch v := n.(type) {
			case *ast.CompositeLit:
				if id, ok := v.Type.(*ast.Ident); ok && id.Name == "request" {
					// A request with an absolute url (a recording link the
					// server gave) has a path for errors and logs only.
					if slices.ContainsFunc(v.Elts, func(el ast.Expr) bool {
						kv, ok := el.(*ast.KeyValueExpr)
						return ok && kv.Key.(*ast.Ident).Name == "url"
					}) {
						return true
					}
					for _, el := range v.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "path" {
							check(kv.Pos(), kv.Value)
						}
					}
				}
			case *ast.CallExpr:
				fun := v.Fun
				if ix, ok := fun.(*ast.IndexExpr); ok {
					fun = ix.X
				} else if ix, ok := fun.(*ast.IndexListExpr); ok {
					fun = ix.X
				}
				if id, ok := fun.(*ast.Ident); ok && (id.Name == "get" || id.Name == "listPage" || id.Name == "listAll") && len(v.Args) > 2 {
					check(v.Pos(), v.Args[2])
				}
			}
			return true
		})
	}
	assert.Greater(t, checked, 20, "the check found the request paths")
}

func types(e ast.Expr) string { return fmt.Sprintf("%T", e) }

// TestTokenNeverLeavesItsHost follows redirects between real servers: the
// bearer goes to the API host only, not to another port, another host or
// the auth host, not after a downgrade to http, and again only when a chain
// comes back to the API host.
func TestTokenNeverLeavesItsHost(t *testing.T) {
	type seen struct{ path, auth string }
	var mu sync.Mutex
	var log []seen
	record := func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, seen{r.URL.Path, r.Header.Get("Authorization")})
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		if r.URL.Path == "/bounce" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, envelopeJSON(`{"ct_user_id":9}`))
	}))
	defer other.Close()
	authSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		_, _ = io.WriteString(w, envelopeJSON(`{"ct_user_id":8}`))
	}))
	defer authSrv.Close()
	var api *httptest.Server
	api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		switch r.URL.Path {
		case "/v3/users/1": // to another port
			http.Redirect(w, r, other.URL+"/v3/users/1", http.StatusTemporaryRedirect)
		case "/v3/users/2": // to the auth host
			http.Redirect(w, r, authSrv.URL+"/v3/users/2", http.StatusFound)
		case "/v3/users/3": // away and back
			http.Redirect(w, r, other.URL+"/bounce?to="+url.QueryEscape(api.URL+"/v3/users/4"), http.StatusFound)
		case "/v3/users": // a POST sent on with its body
			http.Redirect(w, r, other.URL+"/v3/users", http.StatusPermanentRedirect)
		default:
			_, _ = io.WriteString(w, envelopeJSON(`{"ct_user_id":7}`))
		}
	}))
	defer api.Close()
	c, err := NewClient(WithBaseURL(api.URL+"/v3"), WithAuthBaseURL(authSrv.URL), WithToken(testToken))
	require.NoError(t, err)
	ctx := context.Background()

	for id := int64(1); id <= 3; id++ {
		_, err := c.Users.Get(ctx, id)
		require.NoError(t, err)
	}
	// A body is never sent on to another origin: the POST stops at the 308.
	_, err = c.Users.Create(ctx, &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin})
	require.ErrorIs(t, err, ErrRedirectRefused)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "a redirect is an answer")
	assert.Contains(t, err.Error(), strings.TrimPrefix(other.URL, "http://"), "the error names the target")

	bearer := "Bearer " + testToken
	assert.Equal(t, []seen{
		{"/v3/users/1", bearer}, {"/v3/users/1", ""},
		{"/v3/users/2", bearer}, {"/v3/users/2", ""},
		{"/v3/users/3", bearer}, {"/bounce", ""}, {"/v3/users/4", bearer},
		{"/v3/users", bearer},
	}, log)
}

// TestRecordingLinkGetsNoToken opens recording links the server handed
// out, on another host and on the API host: the links are signed, so
// neither gets the bearer.
func TestRecordingLinkGetsNoToken(t *testing.T) {
	var mu sync.Mutex
	auth := map[string]string{}
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			auth[name] = r.Header.Get("Authorization")
			mu.Unlock()
			_, _ = io.WriteString(w, "ID3 audio")
		}
	}
	storage := httptest.NewServer(handler("storage"))
	defer storage.Close()
	api := httptest.NewServer(handler("api"))
	defer api.Close()
	c, err := NewClient(WithBaseURL(api.URL+"/v3"), WithToken(testToken))
	require.NoError(t, err)
	for _, link := range []string{storage.URL + "/rec/1.mp3?sig=abc", api.URL + "/recordings/1.mp3?sig=abc"} {
		body, err := c.Calls.OpenRecording(context.Background(), &Recording{URL: link})
		require.NoError(t, err, link)
		b, _ := io.ReadAll(body)
		body.Close()
		assert.Equal(t, "ID3 audio", string(b))
	}
	assert.Equal(t, map[string]string{"storage": "", "api": ""}, auth)
}

// TestTokenNotSentOnDowngradeOrLookalikeHost covers redirects that only a
// mock transport can make: to http on the API host, and to hosts that
// merely start or end like it.
func TestTokenNotSentOnDowngradeOrLookalikeHost(t *testing.T) {
	for _, target := range []string{
		"http://api.convirza.test/v3/users/2",
		"https://api.convirza.test.evil.example/v3/users/2",
		"https://evil-api.convirza.test/v3/users/2",
		"https://api.convirza.test:443/v3/users/2",
		"https://auth.convirza.test/v3/users/2",
	} {
		c, mt := newWireClient(t)
		mt.RegisterResponder("GET", testBase+"/users/1", func(*http.Request) (*http.Response, error) {
			resp := newJSONResponse(http.StatusFound, ``)
			resp.Header.Set("Location", target)
			return resp, nil
		})
		var gotAuth []string
		mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
			gotAuth = append(gotAuth, r.Header.Get("Authorization"))
			return newJSONResponse(200, envelopeJSON(`{"ct_user_id":2}`)), nil
		})
		_, err := c.Users.Get(context.Background(), 1)
		if strings.HasPrefix(target, "http:") {
			// A downgrade is refused outright: nothing reaches the http host.
			require.ErrorIs(t, err, ErrRedirectRefused, target)
			assert.Empty(t, gotAuth, target)
			continue
		}
		require.NoError(t, err, target)
		assert.Equal(t, []string{""}, gotAuth, target)
	}
}

// TestDoPathsStayOnTheAPIHost sends Do paths that look like other hosts:
// every request still goes to the API host.
func TestDoPathsStayOnTheAPIHost(t *testing.T) {
	c, mt := newWireClient(t)
	var hosts []string
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		hosts = append(hosts, r.URL.Host)
		return newJSONResponse(200, envelopeJSON(`{}`)), nil
	})
	for _, p := range []string{"//evil.example/x", "/@evil.example/x", "/..//evil.example/x", "/%2F%2Fevil.example",
		"/\\evil.example", "/x?next=https://evil.example"} {
		err := c.Do(context.Background(), "GET", p, nil, nil)
		if err != nil {
			assert.ErrorIs(t, err, ErrInvalidParams, p)
		}
	}
	require.NotEmpty(t, hosts)
	for _, h := range hosts {
		assert.Equal(t, "api.convirza.test", h)
	}
}

// TestPlainHTTPRefusedForLookalikeLoopback extends the option checks with
// hosts that look local but are not.
func TestPlainHTTPRefusedForLookalikeLoopback(t *testing.T) {
	for _, u := range []string{
		"http://localhost.evil.example/v3", "http://127.0.0.1.nip.io/v3", "http://0.0.0.0/v3", "http://127.1/v3",
		"http://2130706433/v3", "HTTP://api.example.com/v3", "http://localhost:80@evil.example/v3",
		"http://evil.example#@127.0.0.1/v3", "http://[::]/v3", "http://10.0.0.1/v3",
	} {
		_, err := NewClient(WithBaseURL(u))
		assert.Error(t, err, u)
		_, err = NewClient(WithAuthBaseURL(u))
		assert.Error(t, err, u)
	}
	for _, u := range []string{"http://[::ffff:127.0.0.1]:8089/v3", "http://127.0.0.2/v3", "http://localhost:1/v3"} {
		_, err := NewClient(WithBaseURL(u))
		assert.NoError(t, err, u)
	}
}

// TestTLS12IsTheMinimum makes real handshakes: the default transport
// refuses a server that speaks TLS 1.1 at most, and talks to a TLS 1.2
// server with the same settings.
func TestTLS12IsTheMinimum(t *testing.T) {
	var hits sync.Map
	start := func(name string, minV, maxV uint16) *httptest.Server {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Store(name, true)
			_, _ = io.WriteString(w, envelopeJSON(`{"ct_user_id":1}`))
		}))
		srv.TLS = &tls.Config{MinVersion: minV, MaxVersion: maxV}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv
	}
	old := start("tls11", tls.VersionTLS10, tls.VersionTLS11)
	modern := start("tls12", tls.VersionTLS12, tls.VersionTLS12)

	client := func(srv *httptest.Server) *Client {
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		tr := defaultTransport()
		tr.TLSClientConfig.RootCAs = roots
		t.Cleanup(tr.CloseIdleConnections)
		c, err := NewClient(WithBaseURL(srv.URL+"/v3"), WithToken(testToken), WithMaxRetries(0),
			WithHTTPClient(&http.Client{Transport: tr}))
		require.NoError(t, err)
		return c
	}
	_, err := client(old).Users.Get(context.Background(), 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "protocol version")
	_, reached := hits.Load("tls11")
	assert.False(t, reached, "no request reached the TLS 1.1 server")

	_, err = client(modern).Users.Get(context.Background(), 1)
	require.NoError(t, err)

	// The old server does speak TLS 1.1: a client that allows it connects.
	roots := x509.NewCertPool()
	roots.AddCert(old.Certificate())
	lax := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10}}}
	resp, err := lax.Get(old.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, uint16(tls.VersionTLS11), resp.TLS.Version)
}

// valueTokenSource is a TokenSource that holds its secret in a plain field,
// the worst case for printing a client made with it.
type valueTokenSource struct{ Secret string }

func (v valueTokenSource) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: v.Secret}, nil
}

// TestNoSecretInAnyPrintedValue prints clients made with every auth
// option, their token sources, tokens, stores and errors, with every verb
// and through slog, and finds no secret. It extends
// TestNoSecretInLogsOrErrors (a credentials client and its logs).
func TestNoSecretInAnyPrintedValue(t *testing.T) {
	const (
		static    = "static-secret-token"
		fromValue = "value-source-secret"
		fromOAuth = "oauth2-source-secret"
	)
	secrets := []string{static, fromValue, fromOAuth, testPassword, "secret-access-A", "secret-refresh-A"}

	mt := httpmock.NewMockTransport()
	staticClient, err := NewClient(WithBaseURL(testBase), WithAuthBaseURL(testAuthBase), WithToken(static),
		WithHTTPClient(&http.Client{Transport: mt}), WithMaxRetries(0))
	require.NoError(t, err)
	valueClient, err := NewClient(WithBaseURL(testBase), WithTokenSource(valueTokenSource{fromValue}),
		WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	oauthClient, err := NewClient(WithBaseURL(testBase),
		WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: fromOAuth})), WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	store := &MemoryTokenStore{}
	credClient, _ := newCredentialsClient(t, store)
	credClient.http.HTTPClient.Transport.(*authTransport).next = mt
	respond(mt, "POST", testAuthBase+"/oauth/token", 200, tokenJSON("secret-access-A", "secret-refresh-A", time.Now().Add(time.Hour)))
	respond(mt, "GET", "/users/1", 401, `{"code":401,"message":"Token expired","request_id":"r-401"}`)
	respond(mt, "POST", testAuthBase+"/oauth/refresh-token", 400, `{"code":400,"message":"bad refresh"}`)

	var errs []error
	for _, c := range []*Client{staticClient, valueClient, oauthClient, credClient} {
		_, err := c.Users.Get(context.Background(), 1)
		require.Error(t, err)
		errs = append(errs, err)
	}
	_, err = credClient.Auth.Refresh(context.Background(), "secret-refresh-A")
	require.Error(t, err)
	errs = append(errs, err)
	tok, _ := store.Load(context.Background())
	require.NotNil(t, tok)

	values := []any{tok, *tok, store, errs[0], errs[len(errs)-1]}
	for _, c := range []*Client{staticClient, valueClient, oauthClient, credClient} {
		values = append(values, c, *c, c.tokens)
	}
	var ae *APIError
	require.ErrorAs(t, errs[0], &ae)
	values = append(values, ae, *ae)

	var out strings.Builder
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	for _, e := range errs {
		out.WriteString(e.Error() + "\n")
	}
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&logs, nil), slog.NewTextHandler(&logs, nil)} {
		slog.New(h).Info("values", "token", tok, "token value", *tok, "store", store, "err", errs[0],
			"static", staticClient, "value", valueClient, "oauth", oauthClient, "cred", credClient, "api error", ae)
	}
	out.WriteString(logs.String())
	for _, s := range secrets {
		assert.NotContains(t, out.String(), s)
	}
	assert.Contains(t, out.String(), "r-401", "the request id is still shown")
}

// TestNoSecretInPanics panics with the SDK's values in a child process and
// reads what the runtime printed: String and Error are used, so no secret
// appears.
func TestNoSecretInPanics(t *testing.T) {
	const secretToken = "panic-secret-token"
	if which := os.Getenv("CONVIRZA_PANIC_WITH"); which != "" {
		c, err := NewClient(WithToken(secretToken))
		if err != nil {
			panic(err)
		}
		tok := Token{AccessToken: secretToken, RefreshToken: secretToken}
		store := &MemoryTokenStore{}
		_ = store.Save(context.Background(), &tok)
		values := map[string]any{
			"token": tok, "token pointer": &tok, "client": c, "store": store,
			"api error": &APIError{StatusCode: 401, Message: "Token expired", Body: []byte("{}")},
			"wrapped":   fmt.Errorf("calling: %w", &APIError{StatusCode: 500}),
		}
		panic(values[which])
	}
	for _, which := range []string{"token", "token pointer", "client", "store", "api error", "wrapped"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoSecretInPanics$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CONVIRZA_PANIC_WITH="+which)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "%s: the child panicked: %v", which, err)
		assert.Contains(t, string(out), "panic: ", which)
		assert.NotContains(t, string(out), secretToken, which)
	}
}
