package convirza_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func ExampleWebhookHandler() {
	// The webhook was created with the static parameter auth_key; a
	// delivery without its value is answered 401 and never handled.
	hook := convirza.WebhookHandler(func(ctx context.Context, ev *convirza.WebhookEvent) error {
		fmt.Println(ev.Trigger, ev.WebhookID, ev.Call.ID, ev.Call.Disposition, ev.Call.Duration, ev.Params["caller_name"])
		return nil // an error answers 500
	}, convirza.WithWebhookParam("auth_key", "s3cret-static-value"))
	// In a server: http.Handle("POST /hooks/convirza", hook)

	deliver := func(body string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/hooks/convirza", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		hook.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	deliver(`{"trigger": "post_call", "webhook_id": 7001, "call_id": 880001, "disposition": "ANSWERED",
		"duration": "00:03:12", "caller_name": "Ada Lovelace", "auth_key": "s3cret-static-value"}`)
	deliver(`{"trigger": "post_call", "call_id": 880001, "auth_key": "guess"}`)
	deliver(`[{"call_id": 880001}]`)
	// Output:
	// post_call 7001 880001 ANSWERED 3m12s Ada Lovelace
	// 204
	// 401
	// 400
}

func ExampleParseWebhook() {
	// A form-encoded delivery: the same members as form fields, nested
	// objects as JSON text.
	form := url.Values{
		"trigger": {"pre_call"}, "webhook_id": {"7002"}, "call_id": {"880002"},
		"tags": {`[{"tag_id": 11, "tag_name": "Qualified lead"}]`}, "auth_key": {"s3cret-static-value"},
	}
	r := httptest.NewRequest(http.MethodPost, "/hooks/convirza", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	ev, err := convirza.ParseWebhook(r, convirza.WithWebhookParam("auth_key", "s3cret-static-value"))
	switch {
	case errors.Is(err, convirza.ErrWebhookAuth):
		log.Fatal("not from Convirza: ", err) // names the parameters, never their values
	case errors.Is(err, convirza.ErrWebhookPayload):
		log.Fatal("unreadable delivery: ", err)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(ev.Trigger, ev.WebhookID, ev.Call.ID, ev.Call.Tags[0].Name)
	// Output:
	// pre_call 7002 880002 Qualified lead
}

func ExampleWebhookHandler_againstTheFake() {
	// A receiver under test, on a loopback port: the fake delivers only to
	// loopback URLs unless started with convirzatest.WithExternalDeliveries.
	hook := convirza.WebhookHandler(func(ctx context.Context, ev *convirza.WebhookEvent) error {
		fmt.Println(ev.Trigger, ev.Call.CallerID, ev.Call.Duration)
		return nil
	}, convirza.WithWebhookParam("auth_key", "s3cret"))
	receiver := httptest.NewServer(hook)
	defer receiver.Close()

	srv := convirzatest.Start()
	defer srv.Close()
	client, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Webhooks.Create(context.Background(), &convirza.CreateWebhookParams{
		Name: "receiver", URL: receiver.URL, OrgUnitID: convirzatest.SalesOrgUnitID,
		StaticParams: []convirza.StaticParam{{FieldName: "auth_key", StaticValue: "s3cret"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The deliveries are made before SimulateCall returns.
	if _, err := srv.SimulateCall(convirzatest.SimulatedCall{PhoneNumber: "+12125550141", Duration: 95 * time.Second}); err != nil {
		log.Fatal(err)
	}
	for _, d := range srv.Deliveries() {
		fmt.Println(d.Trigger, d.Status)
	}
	// Output:
	// post_call +18015557654 1m35s
	// post_call 204
}
