package convirza

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func TestNewClientValidatesOptions(t *testing.T) {
	bad := map[string][]Option{
		"relative base URL":      {WithBaseURL("/v3")},
		"ftp base URL":           {WithBaseURL("ftp://api.example.com/v3")},
		"unparsable base URL":    {WithBaseURL("http://[::1")},
		"plain http remote":      {WithBaseURL("http://api.example.com/v3")},
		"plain http remote auth": {WithAuthBaseURL("http://auth.example.com")},
		"user info in URL":       {WithBaseURL("https://u:p@api.example.com/v3")},
		"empty token":            {WithToken(" ")},
		"empty email":            {WithCredentials("", "pw")},
		"empty password":         {WithCredentials("a@b.c", "")},
		"nil token source":       {WithTokenSource(nil)},
		"two auth options":       {WithToken("t"), WithCredentials("a@b.c", "pw")},
		"nil http client":        {WithHTTPClient(nil)},
		"negative retries":       {WithMaxRetries(-1)},
		"too many retries":       {WithMaxRetries(11)},
		"backoff max below base": {WithRetryBackoff(2, 1)},
		"zero response cap":      {WithMaxResponseBytes(0)},
		"empty user agent":       {WithUserAgent("")},
		"nil token store":        {WithTokenStore(nil)},
		"store without password": {WithToken("t"), WithTokenStore(&MemoryTokenStore{})},
	}
	for name, opts := range bad {
		_, err := NewClient(opts...)
		assert.Error(t, err, name)
	}
	for _, u := range []string{"http://127.0.0.1:8089/v3", "http://localhost:1/v3", "http://[::1]:8/v3", "https://api.example.com/v3/"} {
		c, err := NewClient(WithBaseURL(u), WithAuthBaseURL(u))
		require.NoError(t, err, u)
		assert.False(t, strings.HasSuffix(c.base, "/"), "trailing slash trimmed")
	}
}

func TestNewClientDefaults(t *testing.T) {
	c, err := NewClient()
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseURL, c.base)
	assert.Equal(t, DefaultAuthBaseURL, c.authBase)
	assert.Equal(t, 2, c.maxRetries)
	assert.Equal(t, "convirza-go/"+Version, c.userAgent)
	tr := c.http.HTTPClient.Transport.(*authTransport).next.(*http.Transport)
	assert.GreaterOrEqual(t, tr.MaxIdleConnsPerHost, 64, "many goroutines reuse connections")
	assert.Equal(t, uint16(tls.VersionTLS12), tr.TLSClientConfig.MinVersion)
	for _, svc := range []any{c.Users, c.Groups, c.Webhooks, c.Prompts, c.AIVoiceAgents, c.PhoneNumbers,
		c.Routes, c.Broadcasts, c.Calls, c.SMS, c.Tags, c.AdSources, c.Industries, c.Auth} {
		assert.NotNil(t, svc)
	}
	assert.NotContains(t, c.String(), "token")
}

func TestUserAgentOption(t *testing.T) {
	c, mt := newWireClient(t, WithUserAgent("billing-sync/2.1"))
	rec := respond(mt, "GET", "/users/1", 200, envelopeJSON(`{"ct_user_id":1}`))
	_, err := c.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, "billing-sync/2.1 convirza-go/"+Version, rec.last(t).Header.Get("User-Agent"))
}

func TestRequestHeaderOption(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/users/1", 200, envelopeJSON(`{"ct_user_id":1}`))
	_, err := c.Users.Get(context.Background(), 1, WithHeader("X-Trace", "abc"), nil)
	require.NoError(t, err)
	assert.Equal(t, "abc", rec.last(t).Header.Get("X-Trace"))
}

func TestTokenSourceOption(t *testing.T) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "from-source"})
	c, mt := newWireClient(t)
	c2, err := NewClient(WithBaseURL(testBase), WithTokenSource(ts), WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	_ = c
	rec := respond(mt, "GET", "/users/1", 200, envelopeJSON(`{"ct_user_id":1}`))
	_, err = c2.Users.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, "Bearer from-source", rec.last(t).Header.Get("Authorization"))
}

func TestDoReachesAnyEndpoint(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/custom/thing", 200, envelopeJSON(`{"answer":42}`))
	var out struct{ Answer int }
	err := c.Do(context.Background(), "POST", "/custom/thing?x=1&y=two", map[string]string{"k": "v"}, &out)
	require.NoError(t, err)
	assert.Equal(t, 42, out.Answer)
	assertWire(t, rec.last(t), "POST", "/custom/thing", url.Values{"x": {"1"}, "y": {"two"}}, `{"k":"v"}`)

	assert.ErrorIs(t, c.Do(context.Background(), "GET", "no-slash", nil, nil), ErrInvalidParams)
	assert.ErrorIs(t, c.Do(context.Background(), "", "/x", nil, nil), ErrInvalidParams)
	assert.ErrorIs(t, c.Do(context.Background(), "GET", "/x?%zz", nil, nil), ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestPathSegmentsAreEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"..":         "%2E%2E",
		".":          "%2E",
		"../admin":   "..%2Fadmin",
		"a%2Fb":      "a%252Fb",
		"x?y=1":      "x%3Fy=1",
		"x#frag":     "x%23frag",
		"plain-id_7": "plain-id_7",
	} {
		assert.Equal(t, "/users/"+want, pathf("/users/%v", in), in)
	}
}
