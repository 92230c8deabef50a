package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sdkAsAdmin is an SDK client on the cli's fake, logged in as the admin.
func (c *cli) sdkAsAdmin() *convirza.Client {
	c.t.Helper()
	sdk, err := convirza.NewClient(convirza.WithBaseURL(c.srv.URL), convirza.WithAuthBaseURL(c.srv.AuthURL),
		convirza.WithCredentials(convirzatest.AdminEmail, convirzatest.SeedPassword))
	require.NoError(c.t, err)
	return sdk
}

// requests is the fake's log of the API (not the OAuth) requests.
func (c *cli) apiRequests() []convirzatest.Request {
	var out []convirzatest.Request
	for _, r := range c.srv.Fake.Requests() {
		if strings.HasPrefix(r.Path, "/v3/") {
			out = append(out, r)
		}
	}
	return out
}

func TestAPIPrintsTheData(t *testing.T) {
	c := newCLI(t)
	c.login()
	r := c.run("api", "GET", "users/list", "-q", "limit=2", "-q", "offset=1")
	require.Equal(t, 0, r.code, r.stderr)
	reqs := c.apiRequests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/v3/users/list", reqs[0].Path)
	assert.Equal(t, "limit=2&offset=1", reqs[0].RawQuery)
	assert.True(t, reqs[0].HasBearer)

	// data, indented, and nothing of the envelope.
	var data struct {
		Total int               `json:"total"`
		Users []json.RawMessage `json:"users"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &data))
	assert.Len(t, data.Users, 2)
	assert.Positive(t, data.Total)
	assert.True(t, strings.HasPrefix(r.stdout, "{\n  \""), "indented: %q", r.stdout[:20])
	assert.NotContains(t, r.stdout, "request_id")
	assert.Empty(t, r.stderr)
}

func TestAPIPaginate(t *testing.T) {
	c := newCLI(t)
	c.login()
	want := map[int64]bool{}
	for u, err := range c.sdkAsAdmin().Users.All(context.Background(), nil) {
		require.NoError(t, err)
		want[u.ID] = true
	}
	require.Greater(t, len(want), 2)
	c.srv.Fake.ResetRequests()

	r := c.run("api", "GET", "/users/list?limit=2", "--paginate")
	require.Equal(t, 0, r.code, r.stderr)
	var users []struct {
		ID int64 `json:"ct_user_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &users), "one JSON array")
	got := map[int64]bool{}
	for _, u := range users {
		assert.False(t, got[u.ID], "user %d twice", u.ID)
		got[u.ID] = true
	}
	assert.Equal(t, want, got)
	var offsets []string
	for _, rq := range c.apiRequests() {
		offsets = append(offsets, rq.RawQuery)
	}
	pages := (len(want) + 1) / 2
	assert.Len(t, offsets, pages, "pages of 2 until the total: %v", offsets)
	assert.Equal(t, "limit=2&offset=0", offsets[0])
	assert.Equal(t, "limit=2&offset=2", offsets[1])

	// NDJSON: one object a line, the same users; limit 200 by default.
	c.srv.Fake.ResetRequests()
	r = c.run("api", "GET", "/users/list", "--paginate", "-o", "ndjson")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	assert.Len(t, lines, len(want))
	for _, line := range lines {
		var u struct {
			ID int64 `json:"ct_user_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &u))
		assert.True(t, want[u.ID])
	}
	require.Len(t, c.apiRequests(), 1)
	assert.Equal(t, "limit=200&offset=0", c.apiRequests()[0].RawQuery)

	// An empty list is an empty array.
	r = c.run("api", "GET", "/users/list", "-q", "email=nobody-has-this-address", "--paginate")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "[]\n", r.stdout)
}

func TestAPISendsTheInput(t *testing.T) {
	c := newCLI(t)
	c.login()
	body := `{"username":"new.agent@acme.example","first_name":"New","last_name":"Agent","ct_user_ou_id":1002,"role":"Standard"}`
	file := filepath.Join(t.TempDir(), "user.json")
	require.NoError(t, os.WriteFile(file, []byte(body+"\n"), 0o600))
	r := c.run("api", "post", "/users", "--input", file)
	require.Equal(t, 0, r.code, r.stderr)
	reqs := c.apiRequests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "POST", reqs[0].Method)
	assert.JSONEq(t, body, string(reqs[0].Body))
	assert.Equal(t, 201, reqs[0].Status)
	var created struct {
		ID int64 `json:"userId"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &created))
	require.Positive(t, created.ID)

	// The same again, from stdin: the fake refuses the duplicate email, the
	// command says why and exits 1, and the POST is not retried.
	c.stdin = body
	r = c.run("api", "POST", "/users", "--input", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "409")
	assert.Contains(t, r.stderr, "request_id")
	assert.Len(t, c.apiRequests(), 2)
}

func TestAPIRefusesBadCommandLines(t *testing.T) {
	c := newCLI(t)
	c.login()
	notJSON := filepath.Join(t.TempDir(), "body.txt")
	require.NoError(t, os.WriteFile(notJSON, []byte("email=x"), 0o600))
	for name, args := range map[string][]string{
		"no path":                 {"api", "GET"},
		"bad method":              {"api", "FETCH", "/users/list"},
		"bad -q":                  {"api", "GET", "/users/list", "-q", "limit"},
		"bad query in path":       {"api", "GET", "/users/list?a=%zz"},
		"input not JSON":          {"api", "POST", "/users", "--input", notJSON},
		"missing input":           {"api", "POST", "/users", "--input", filepath.Join(t.TempDir(), "none.json")},
		"ndjson without paginate": {"api", "GET", "/users/list", "-o", "ndjson"},
		"bad output":              {"api", "GET", "/users/list", "-o", "yaml"},
		"paginate a POST":         {"api", "POST", "/users/list", "--paginate"},
		"paginate bad limit":      {"api", "GET", "/users/list", "-q", "limit=0", "--paginate"},
		"bad base URL":            {"api", "GET", "/users/list", "--base-url", "http://127.0.0.1:1"},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.run(args...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.True(t, strings.HasPrefix(r.stderr, "convirza: "), r.stderr)
		})
	}
	assert.Empty(t, c.apiRequests(), "no bad command line sends anything")
}
