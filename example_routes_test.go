package convirza_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func ExampleRoutesService_Create() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	// SalesReservedNumberID is a number Sales Division reserved earlier.
	created, err := client.Routes.Create(ctx, &convirza.CreateRouteParams{
		Name:          "After-hours menu",
		PhoneNumberID: convirzatest.SalesReservedNumberID,
		RoutingType:   convirza.RoutingIVR,
		RecordCall:    true,
		// Settings whose shape depends on the routing type go as raw JSON.
		RouteConfig: json.RawMessage(`{"menu":[{"digit":"1","ring_to":"+12125550102"}]}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	route, err := client.Routes.Get(ctx, created.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(route.Name, route.PhoneNumber, route.RoutingType, route.Status, string(route.RouteConfig))
	// Output:
	// After-hours menu 2125550141 ivr active {"menu":[{"digit":"1","ring_to":"+12125550102"}]}
}

func ExampleRoutesService_Patch() {
	client, done := newExampleClient()
	defer done()

	route, err := client.Routes.Patch(context.Background(), convirzatest.AcmeRouteID, &convirza.PatchRouteParams{
		RingTo:     convirza.Set("+12125550199"), // a new value
		RecordCall: convirza.Set(false),          // false is sent too
		CampaignID: convirza.Null[int64](),       // cleared
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(route.Name, route.RingTo, route.RecordCall, route.CampaignID == nil)
	// Output:
	// Main line +12125550199 false true
}
