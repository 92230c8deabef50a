package convirza_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func ExampleNewFileTokenStore() {
	srv := convirzatest.Start() // a real program leaves out the two URLs
	defer srv.Close()
	dir, err := os.MkdirTemp("", "convirza-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Every process of the service uses the same file: a restarted process
	// goes on with the saved pair, and processes renewing at once send each
	// refresh token once. A real program would keep it under
	// os.UserConfigDir() or a state directory.
	newClient := func() *convirza.Client {
		store, err := convirza.NewFileTokenStore(filepath.Join(dir, "convirza", "tokens.json"))
		if err != nil {
			log.Fatal(err)
		}
		client, err := convirza.NewClient(
			convirza.WithBaseURL(srv.URL),
			convirza.WithAuthBaseURL(srv.AuthURL),
			convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword),
			convirza.WithTokenStore(store),
		)
		if err != nil {
			log.Fatal(err)
		}
		return client
	}
	for range 2 { // a process, then its restart
		me, err := newClient().Auth.Profile(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(me.Email)
	}
	fmt.Println("logins:", srv.RequestCount("POST", "/oauth/token"))
	// Output:
	// dana.whitfield@acme.example
	// dana.whitfield@acme.example
	// logins: 1
}
