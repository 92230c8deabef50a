package convirza_test

import (
	"log"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/require"
)

// clientOf returns a client of the fake srv logged in as email, its Admin
// when empty; the other seeded users share SeedPassword.
func clientOf(srv *convirzatest.Server, email string) (*convirza.Client, error) {
	password := convirzatest.SeedPassword
	if email == "" {
		email, password = srv.AdminEmail, srv.AdminPassword
	}
	return convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(email, password))
}

// fakeClientAs returns a client of srv logged in as email (the Admin when
// empty).
func fakeClientAs(t *testing.T, srv *convirzatest.Server, email string) *convirza.Client {
	t.Helper()
	c, err := clientOf(srv, email)
	require.NoError(t, err)
	return c
}

// newFakeClient starts a fake with opts and returns it and a client logged
// in as email (the Admin when empty).
func newFakeClient(t *testing.T, email string, opts ...convirzatest.Option) (*convirza.Client, *convirzatest.Server) {
	t.Helper()
	srv := convirzatest.NewServer(t, opts...)
	return fakeClientAs(t, srv, email), srv
}

// newFakeClock returns a clock for convirzatest.WithClock that starts at
// the real time: the SDK judges token expiry, and refuses a schedule in
// the past, by the real clock.
func newFakeClock() *convirza.FakeClock {
	return convirza.NewFakeClock(time.Now().UTC().Truncate(time.Second))
}

// newClockedClient is newFakeClient with the fake on a clock the test
// moves, which it returns too.
func newClockedClient(t *testing.T, email string) (*convirza.Client, *convirzatest.Server, *convirza.FakeClock) {
	t.Helper()
	clk := newFakeClock()
	c, srv := newFakeClient(t, email, convirzatest.WithClock(clk.Now))
	return c, srv, clk
}

// newExampleClient starts the fake API with opts and returns a client
// logged in as its Admin, and the function that stops the fake. Examples
// run against it; a real program would call
// convirza.NewClient(convirza.WithCredentials(email, password)).
func newExampleClient(opts ...convirzatest.Option) (*convirza.Client, func()) {
	srv := convirzatest.Start(opts...)
	client, err := clientOf(srv, "")
	if err != nil {
		log.Fatal(err)
	}
	return client, srv.Close
}
