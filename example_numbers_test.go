package convirza_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func ExamplePhoneNumbersService_Available() {
	client, done := newExampleClient()
	defer done()

	found, err := client.PhoneNumbers.Available(context.Background(), &convirza.SearchNumbersParams{Match: "801*"})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range found {
		if n.IsCarrier() {
			fmt.Println(n.Number, "carrier")
		} else {
			fmt.Println(n.Number, "inventory", *n.NumberID)
		}
	}
	// Output:
	// 8015550142 inventory 7001
	// 8015550187 inventory 7002
	// 8015550123 carrier
	// 8015550199 carrier
}

// The whole flow: find a number, reserve it, give it a route.
func ExamplePhoneNumbersService_Reserve() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	found, err := client.PhoneNumbers.Available(ctx, &convirza.SearchNumbersParams{State: "UT", RateCenter: "Ogden"})
	if err != nil || len(found) == 0 {
		log.Fatal("no number: ", err)
	}
	// ReserveParams sends the candidate back unchanged: number_id (null for
	// a carrier number), number and source.
	num, err := client.PhoneNumbers.Reserve(ctx, found[0].ReserveParams(convirzatest.SalesOrgUnitID))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("reserved", num.Number, "as", num.ID, num.Status)

	route, err := client.Routes.Create(ctx, &convirza.CreateRouteParams{
		Name: "Ogden billboard", PhoneNumberID: num.ID,
		RoutingType: convirza.RoutingForward, RingTo: "+18015550100",
	})
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.PhoneNumbers.Provisioned(ctx, &convirza.ListProvisionedNumbersParams{OrgUnitID: convirzatest.SalesOrgUnitID})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range page.Items {
		fmt.Println(n.Number, n.Status, "route", *n.RouteID == route.ID)
	}
	// Output:
	// reserved 8015550199 as 10005 reserved
	// 8015550199 provisioned route true
}

func ExamplePhoneNumbersService_Release() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	// A number with a route cannot be released.
	err := client.PhoneNumbers.Release(ctx, convirzatest.AcmeProvisionedNumberID)
	fmt.Println(errors.Is(err, convirza.ErrConflict))

	fmt.Println(client.PhoneNumbers.Release(ctx, convirzatest.SalesReservedNumberID))
	// Output:
	// true
	// <nil>
}
