package convirza_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func ExampleWebhooksService_Create() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	created, err := client.Webhooks.Create(ctx, &convirza.CreateWebhookParams{
		Name:         "CRM post-call feed",
		URL:          "https://crm.example.com/hooks/convirza",
		OrgUnitID:    convirzatest.SalesOrgUnitID, // sub-groups inherit it
		StaticParams: []convirza.StaticParam{{FieldName: "source", StaticValue: "convirza"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	hook, err := client.Webhooks.Get(ctx, created.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hook.ID, hook.Name, hook.Trigger, hook.Status, hook.StaticParams[0].FieldName)

	// A URL that is not absolute http(s) is refused before any request.
	_, err = client.Webhooks.Create(ctx, &convirza.CreateWebhookParams{Name: "bad", URL: "crm.example.com/hooks"})
	fmt.Println("bad URL:", errors.Is(err, convirza.ErrInvalidParams))
	// Output:
	// 10005 CRM post-call feed post_call active source
	// bad URL: true
}

func ExampleWebhooksService_Patch() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	created, err := client.Webhooks.Create(ctx, &convirza.CreateWebhookParams{
		Name: "Feed", URL: "https://crm.example.com/hooks/convirza"})
	if err != nil {
		log.Fatal(err)
	}
	hook, err := client.Webhooks.Patch(ctx, created.ID, &convirza.PatchWebhookParams{
		Status: convirza.Set(convirza.WebhookInactive), // pause deliveries; the rest is unchanged
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hook.Name, hook.Status)

	if err := client.Webhooks.Delete(ctx, created.ID); err != nil {
		log.Fatal(err)
	}
	_, err = client.Webhooks.Get(ctx, created.ID)
	fmt.Println("after delete:", errors.Is(err, convirza.ErrNotFound))
	// Output:
	// Feed inactive
	// after delete: true
}
