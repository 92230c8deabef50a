package convirzatest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

// BenchmarkFakeVsCanned measures the in-process fake (convirzatest.Server)
// against an httptest handler that answers canned bytes, through the same
// SDK client settings, in the same run: Fake/Canned is what the fake's own
// work costs a test suite. The goals (BENCHMARKS.md): GET a user at least
// 0.5x the canned throughput, create a user at least 0.3x.
func BenchmarkFakeVsCanned(b *testing.B) {
	srv := convirzatest.NewServer(b, convirzatest.WithLoginRateLimit(0))
	login, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithToken("none yet"))
	if err != nil {
		b.Fatal(err)
	}
	tok, err := login.Auth.Login(context.Background(), srv.AdminEmail, srv.AdminPassword)
	if err != nil {
		b.Fatal(err)
	}
	canned := newCannedServer(b)
	clients := map[string]*convirza.Client{
		"Fake":   benchClient(b, srv.URL, tok.AccessToken),
		"Canned": benchClient(b, canned.URL+"/v3", tok.AccessToken),
	}
	ctx := context.Background()
	for _, target := range []string{"Fake", "Canned"} {
		c := clients[target]
		b.Run("GetUser/"+target, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Users.Get(ctx, convirzatest.AdminUserID); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
	n := 0
	for _, target := range []string{"Fake", "Canned"} {
		c := clients[target]
		b.Run("CreateUser/"+target, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n++
				_, err := c.Users.Create(ctx, &convirza.CreateUserParams{
					Email: "bench-" + strconv.Itoa(n) + "@example.com", FirstName: "Bench", LastName: "User",
					OrgUnitID: convirzatest.SalesOrgUnitID, Role: convirza.RoleStandard,
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

func benchClient(b *testing.B, base, token string) *convirza.Client {
	b.Helper()
	c, err := convirza.NewClient(convirza.WithBaseURL(base), convirza.WithToken(token))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// newCannedServer answers GET /v3/users/10001 with the documented Get User
// example and POST /v3/users with the documented 201 create answer, from
// bytes prepared once.
func newCannedServer(b *testing.B) *httptest.Server {
	b.Helper()
	user, err := os.ReadFile("../testdata/users/get.json")
	if err != nil {
		b.Fatal(err)
	}
	created := []byte(`{"code":200,"message":"Success","data":{"userId":10005},` +
		`"request_id":"2b1c9f0e-7d3a-4c5b-9e8f-1a2b3c4d5e6f","timestamp":"2026-03-05T10:30:00.000Z"}`)
	reply := func(w http.ResponseWriter, status int, body []byte) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.Method + " " + r.URL.Path {
		case "GET /v3/users/10001":
			reply(w, http.StatusOK, user)
		case "POST /v3/users":
			reply(w, http.StatusCreated, created)
		default:
			reply(w, http.StatusNotFound, []byte(fmt.Sprintf(`{"code":404,"message":"no route for %s"}`, r.URL.Path)))
		}
	}))
	b.Cleanup(s.Close)
	return s
}
