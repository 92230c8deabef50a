package convirza_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	convirza "github.com/convirza-community/convirza-go"
)

func ExampleCallsService_List() {
	client, done := newExampleClient()
	defer done()

	// Without Start and End the API covers the last 7 days. Limit is
	// required for calls.
	page, err := client.Calls.List(context.Background(), &convirza.ListCallsParams{
		PageParams:   convirza.PageParams{Limit: 3},
		Dispositions: []convirza.Disposition{convirza.DispositionAnswered},
		Include:      []convirza.CallInclude{convirza.IncludeTags},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("answered calls in the last 7 days:", page.Total)
	for _, call := range page.Items {
		var tags []string
		for _, tag := range call.Tags {
			tags = append(tags, tag.Name)
		}
		fmt.Println(call.ID, call.CallerID, call.Duration, tags)
	}
	// Output:
	// answered calls in the last 7 days: 5
	// 6103 +15551000370 1m23s []
	// 6106 +15551000703 2m3s [Follow up]
	// 6108 +15551000148 13m7s [Follow up]
}

func ExampleCallsService_OpenRecording() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	call, err := client.Calls.Get(ctx, 6103, &convirza.GetCallParams{
		Include: []convirza.CallInclude{convirza.IncludeRecordings},
	})
	if err != nil {
		log.Fatal(err)
	}
	audio, err := client.Calls.OpenRecording(ctx, call.Recording)
	if errors.Is(err, convirza.ErrGone) {
		// The link lasts 7 days: fetch the call again for a fresh one.
		log.Fatal("expired link")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer audio.Close()
	b, err := io.ReadAll(audio)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", b)
	// Output:
	// ID3 fake mp3 recording of call 6103
}
