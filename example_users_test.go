package convirza_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

// newExampleClient starts the fake API and returns a client logged in as its
// admin. Examples run against it; a real program would call
// convirza.NewClient(convirza.WithCredentials(email, password)).
func newExampleClient() (*convirza.Client, func()) {
	srv := convirzatest.Start()
	client, err := convirza.NewClient(
		convirza.WithBaseURL(srv.URL),
		convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword),
	)
	if err != nil {
		log.Fatal(err)
	}
	return client, srv.Close
}

func ExampleUsersService_Create() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	params := &convirza.CreateUserParams{
		Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
		OrgUnitID: convirzatest.SalesOrgUnitID, Role: convirza.RoleStandard,
	}
	created, err := client.Users.Create(ctx, params)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created user", created.ID)

	_, err = client.Users.Create(ctx, params)
	fmt.Println("again:", errors.Is(err, convirza.ErrDuplicateEmail))
	// Output:
	// created user 10005
	// again: true
}

func ExampleUsersService_All() {
	client, done := newExampleClient()
	defer done()

	params := &convirza.ListUsersParams{
		PageParams: convirza.PageParams{Limit: 2}, // two per request
		SortBy:     convirza.SortByEmail,
		Order:      convirza.Ascending,
	}
	for user, err := range client.Users.All(context.Background(), params) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(user.Email, user.Group)
	}
	// Output:
	// dana.whitfield@acme.example Acme Corporation
	// riley.chen@acme.example Support Division
	// sam.ortega@acme.example Sales Division
}

func ExampleUsersService_Patch() {
	client, done := newExampleClient()
	defer done()

	user, err := client.Users.Patch(context.Background(), convirzatest.StandardUserID, &convirza.PatchUserParams{
		AgentRingTo: convirza.Set("+14255559876"), // set a value
		ExtID:       convirza.Null[string](),      // clear a value
		// every other field is left unchanged
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.FirstName, user.AgentRingTo, user.ExtID == "")
	// Output:
	// Sam +14255559876 true
}

func ExampleAPIError() {
	client, done := newExampleClient()
	defer done()

	_, err := client.Users.Get(context.Background(), 424242)
	var apiErr *convirza.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, errors.Is(err, convirza.ErrNotFound), apiErr.RequestID != "")
	}
	// Output:
	// 404 true true
}
