package convirza_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"sync"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func ExampleWithMiddleware() {
	srv := convirzatest.Start()
	defer srv.Close()

	// Count the attempts of each operation, as a metrics middleware would.
	var mu sync.Mutex
	attempts := map[string]int{}
	count := func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		info, _ := convirza.CallInfoFrom(req.Context())
		mu.Lock()
		attempts[info.Operation+" "+info.PathTemplate]++
		mu.Unlock()
		return next(req)
	}
	client, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword), convirza.WithMiddleware(count))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.Users.Get(context.Background(), convirzatest.AdminUserID); err != nil {
		log.Fatal(err)
	}
	fmt.Println(attempts["Auth.Login /oauth/token"], attempts["Users.Get /users/{id}"])
	// Output:
	// 1 1
}

// limiter is a stand-in for *rate.Limiter of golang.org/x/time/rate.
type limiter struct{ waits int }

func (l *limiter) Wait(context.Context) error { l.waits++; return nil }

func ExampleWithRateLimiter() {
	srv := convirzatest.Start()
	defer srv.Close()

	l := &limiter{} // in a service: rate.NewLimiter(rate.Limit(10), 1)
	client, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword), convirza.WithRateLimiter(l))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.Users.Get(context.Background(), convirzatest.AdminUserID); err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.waits, "waits: the login and the call")
	// Output:
	// 2 waits: the login and the call
}

func ExampleWithResponseInfo() {
	client, done := newExampleClient()
	defer done()

	var info convirza.ResponseInfo
	_, err := client.Users.Get(context.Background(), 99999, convirza.WithResponseInfo(&info))
	fmt.Println(err != nil, info.StatusCode, info.Attempts, info.RequestID != "")
	// Output:
	// true 404 1 true
}
