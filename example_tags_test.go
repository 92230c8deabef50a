package convirza_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	convirza "github.com/convirza-community/convirza-go"
)

func ExampleTagsService_Create() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	created, err := client.Tags.Create(ctx, &convirza.CreateTagParams{Name: "Hot lead"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created tag", created.ID)

	// Names are unique within an org unit.
	_, err = client.Tags.Create(ctx, &convirza.CreateTagParams{Name: "Hot lead"})
	fmt.Println("again:", errors.Is(err, convirza.ErrConflict))

	tag, err := client.Tags.Update(ctx, created.ID, &convirza.UpdateTagParams{Name: "Warm lead"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("renamed to", tag.Name)
	if err := client.Tags.Delete(ctx, created.ID); err != nil {
		log.Fatal(err)
	}
	// Output:
	// created tag 10005
	// again: true
	// renamed to Warm lead
}

func ExampleTagsService_All() {
	client, done := newExampleClient()
	defer done()

	for tag, err := range client.Tags.All(context.Background(), nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tag.ID, tag.Name)
	}
	// Output:
	// 4104 Existing customer
	// 4102 Follow up
	// 4101 Qualified lead
	// 4103 Spam
	// 4105 Wrong number
}

func ExampleAdSourcesService_List() {
	client, done := newExampleClient()
	defer done()

	sources, err := client.AdSources.List(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range sources[:3] {
		fmt.Println(s.ID, s.Name)
	}
	// Output:
	// 1 Direct Mail
	// 2 Facebook Ads
	// 3 Google Ads
}

func ExampleIndustriesService_List() {
	client, done := newExampleClient()
	defer done()

	industries, err := client.Industries.List(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(industries), "industries, the first:", industries[0].Name)
	// Output:
	// 7 industries, the first: Technology
}

// Reference lists change rarely: the docs advise caching them. One cache
// is safe to share between goroutines; it fetches at most once per hour
// here.
func ExampleNewReferenceCache() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	industries := convirza.NewReferenceCache(client.Industries.List, time.Hour)
	names := map[int64]string{}
	for range 3 { // one request, then two answers from the cache
		list, err := industries.Get(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, ind := range list {
			names[ind.ID] = ind.Name
		}
	}
	fmt.Println("industry 10 is", names[10])
	// Output:
	// industry 10 is Technology
}
