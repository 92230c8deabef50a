package convirza_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

// broadcastClock is a time source for convirzatest.WithClock that a test
// moves forward, so a scheduled broadcast is sent without waiting. It starts
// at the real time: the SDK refuses a scheduled time in the past by the
// real clock.
type broadcastClock struct {
	mu sync.Mutex
	t  time.Time
}

func newBroadcastClock() *broadcastClock {
	return &broadcastClock{t: time.Now().UTC().Truncate(time.Second)}
}

// Now is the fake's current time.
func (c *broadcastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the fake's time forward.
func (c *broadcastClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// A scheduled broadcast goes out when its time comes; the fake follows its
// clock, which the example moves forward.
func ExampleBroadcastsService_Create() {
	clk := newBroadcastClock()
	srv := convirzatest.Start(convirzatest.WithClock(clk.Now))
	defer srv.Close()
	client, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	at := clk.Now().Add(time.Hour)
	created, err := client.Broadcasts.Create(ctx, &convirza.CreateBroadcastParams{
		Name:          "March promo",
		Message:       "Spring sale starts Friday! Reply STOP to opt out.",
		PhoneNumberID: convirzatest.AcmeProvisionedNumberID,
		Recipients:    []string{"+18015557654", "+18015550123"},
		ScheduledAt:   &at, // nil would make a draft
	})
	if err != nil {
		log.Fatal(err)
	}
	status := func() convirza.BroadcastStatus {
		b, err := client.Broadcasts.Get(ctx, created.ID)
		if err != nil {
			log.Fatal(err)
		}
		return b.Status
	}
	fmt.Println(status())

	clk.Advance(time.Hour + convirzatest.BroadcastSendTime)
	fmt.Println(status())
	err = client.Broadcasts.Delete(ctx, created.ID)
	fmt.Println("delete:", errors.Is(err, convirza.ErrConflict))
	// Output:
	// scheduled
	// sent
	// delete: true
}

func ExampleBroadcastsService_Patch() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	saturday := time.Now().Add(48 * time.Hour)
	created, err := client.Broadcasts.Create(ctx, &convirza.CreateBroadcastParams{
		Name: "Weekend hours", Message: "Open Saturday 9-5.",
		PhoneNumberID: convirzatest.AcmeProvisionedNumberID, Recipients: []string{"+12125550180"},
		ScheduledAt: &saturday,
	})
	if err != nil {
		log.Fatal(err)
	}
	// Null clears scheduled_at: the broadcast is a draft again.
	b, err := client.Broadcasts.Patch(ctx, created.ID, &convirza.PatchBroadcastParams{ScheduledAt: convirza.Null[time.Time]()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Status, b.ScheduledAt == nil, b.Status.Editable())
	// Output:
	// draft true true
}
