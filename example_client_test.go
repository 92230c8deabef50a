package convirza_test

import (
	"context"
	"fmt"
	"log"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func ExampleNewClient() {
	srv := convirzatest.Start() // a real program leaves out the two URLs
	defer srv.Close()

	client, err := convirza.NewClient(
		convirza.WithBaseURL(srv.URL),
		convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword),
		convirza.WithMaxRetries(3),
	)
	if err != nil {
		log.Fatal(err)
	}
	user, err := client.Users.Get(context.Background(), convirzatest.AdminUserID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.FirstName, user.LastName, user.Role)
	// Output:
	// Dana Whitfield Admin User
}

func ExampleAuthService_Profile() {
	client, done := newExampleClient()
	defer done()

	me, err := client.Auth.Profile(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Email, me.RoleID == convirza.RoleIDAdmin, me.OrgUnitID)
	// Output:
	// dana.whitfield@acme.example true 1001
}

func ExampleClient_Do() {
	client, done := newExampleClient()
	defer done()

	// Do reaches any endpoint through the same pipeline; data is decoded
	// into out.
	var out struct {
		Users []struct {
			Email string `json:"email"`
		} `json:"users"`
		Total int `json:"total"`
	}
	err := client.Do(context.Background(), "GET", "/users/list?limit=1&sort_by=email&sort_order=asc", nil, &out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Total, out.Users[0].Email)
	// Output:
	// 3 dana.whitfield@acme.example
}
