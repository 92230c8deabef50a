// Command quickstart shows the SDK end to end.
//
// With CONVIRZA_EMAIL and CONVIRZA_PASSWORD unset it starts the in-memory
// fake Convirza (package convirzatest) in this process and runs a whole user
// life against it: log in, create, catch a duplicate email, page, patch,
// delete. With both set it only reads: the first page of users of the real
// API.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	email, password := os.Getenv("CONVIRZA_EMAIL"), os.Getenv("CONVIRZA_PASSWORD")
	if email != "" && password != "" {
		if err := readReal(ctx, email, password); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := runAgainstFake(ctx); err != nil {
		log.Fatal(err)
	}
}

// readReal lists the first page of users of the real API, changing nothing.
func readReal(ctx context.Context, email, password string) error {
	client, err := convirza.NewClient(convirza.WithCredentials(email, password))
	if err != nil {
		return err
	}
	page, err := client.Users.List(ctx, &convirza.ListUsersParams{PageParams: convirza.PageParams{Limit: 20}})
	if err != nil {
		return err
	}
	fmt.Printf("%d users in all; the first %d:\n", page.Total, len(page.Items))
	for _, u := range page.Items {
		fmt.Printf("  %d  %-30s %s %s (%s)\n", u.ID, u.Email, u.FirstName, u.LastName, u.Status)
	}
	return nil
}

func runAgainstFake(ctx context.Context) error {
	srv := convirzatest.Start()
	defer srv.Close()
	fmt.Println("1. started the fake Convirza API at", srv.URL)

	client, err := convirza.NewClient(
		convirza.WithBaseURL(srv.URL),
		convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword),
	)
	if err != nil {
		return err
	}

	me, err := client.Auth.Profile(ctx) // the first call logs in
	if err != nil {
		return err
	}
	fmt.Printf("2. logged in as %s %s <%s>, org unit %d\n", me.FirstName, me.LastName, me.Email, me.OrgUnitID)

	newUser := &convirza.CreateUserParams{
		Email: "ada.lovelace@example.com", FirstName: "Ada", LastName: "Lovelace",
		OrgUnitID: convirzatest.SalesOrgUnitID, Role: convirza.RoleStandard,
		AgentRingTo: "+14255551234", AccessAudio: convirza.Set(true),
	}
	created, err := client.Users.Create(ctx, newUser)
	if err != nil {
		return err
	}
	fmt.Println("3. created user", created.ID)

	newUser.Email = "ADA.LOVELACE@example.com" // emails are unique, ignoring case
	_, err = client.Users.Create(ctx, newUser)
	switch {
	case errors.Is(err, convirza.ErrDuplicateEmail):
		var apiErr *convirza.APIError
		errors.As(err, &apiErr)
		fmt.Printf("4. a second user with that email is refused: %d %q\n", apiErr.StatusCode, apiErr.Message)
	case err == nil:
		return errors.New("the duplicate email was accepted")
	default:
		return err
	}

	fmt.Println("5. every user, two per page:")
	for u, err := range client.Users.All(ctx, &convirza.ListUsersParams{
		PageParams: convirza.PageParams{Limit: 2}, SortBy: convirza.SortByEmail, Order: convirza.Ascending,
	}) {
		if err != nil {
			return err
		}
		fmt.Printf("   %d  %-28s %-8s %s\n", u.ID, u.Email, u.Status, u.Group)
	}

	patched, err := client.Users.Patch(ctx, created.ID, &convirza.PatchUserParams{
		AgentRingTo: convirza.Set("+14255559876"),
	})
	if err != nil {
		return err
	}
	fmt.Println("6. patched the ring-to number:", patched.AgentRingTo, "(name unchanged:", patched.FirstName+")")

	if err := client.Users.Delete(ctx, created.ID); err != nil {
		return err
	}
	gone, err := client.Users.Get(ctx, created.ID)
	if err != nil {
		return err
	}
	fmt.Println("7. deleted the user; its status is now", gone.Status)
	return nil
}
