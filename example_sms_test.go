package convirza_test

import (
	"context"
	"fmt"
	"log"

	convirza "github.com/convirza-community/convirza-go"
)

func ExampleSMSService_List() {
	client, done := newExampleClient()
	defer done()

	// Open threads assigned to the caller, most recently active first.
	page, err := client.SMS.List(context.Background(), &convirza.ListSMSParams{
		Type: convirza.SMSAssignedToYou,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("assigned to me:", page.Total)
	for _, m := range page.Items {
		fmt.Println(m.ID, m.SourceName, m.Status, m.FirstResponseTime)
	}
	// Output:
	// assigned to me: 7
	// 8102 Aisha Khan unread 14m35s
	// 8108 John Doe read 13m25s
	// 8111 Wei Zhang read 23m41s
	// 8117 John Doe read 5m49s
	// 8123 Aisha Khan read 11m2s
	// 8126 Lena Novak unread 13m27s
	// 8129 Lena Novak unread 20m20s
}

func ExampleSMSService_All() {
	client, done := newExampleClient()
	defer done()

	// All fetches 7 threads per request (the API's default) until done.
	n := 0
	for m, err := range client.SMS.All(context.Background(), &convirza.ListSMSParams{Type: convirza.SMSClosed}) {
		if err != nil {
			log.Fatal(err)
		}
		if n == 0 {
			fmt.Println("latest closed thread:", m.ID)
		}
		n++
	}
	fmt.Println("closed threads:", n)
	// Output:
	// latest closed thread: 8105
	// closed threads: 6
}
