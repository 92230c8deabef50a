package convirza_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	convirza "github.com/convirza-community/convirza-go"
)

func ExamplePromptsService_Upload() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	// Any io.Reader works; an *os.File (or anything else that can seek) is
	// sent again if the server answers 429 or 503, and names the file by
	// itself. The body is streamed, never held in memory whole.
	audio := strings.NewReader("ID3 not really audio")
	created, err := client.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File:        audio,
		FileName:    "greeting.mp3", // the extension names the format
		MessageType: convirza.PromptTypePrompt,
		Name:        "Main greeting",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("uploaded prompt", created.ID)

	page, err := client.Prompts.List(ctx, &convirza.ListPromptsParams{MessageType: convirza.PromptTypePrompt})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range page.Items {
		fmt.Println(p.Name, p.FileName, p.ContentType, p.FileSize)
	}

	_, err = client.Prompts.Upload(ctx, &convirza.UploadPromptParams{
		File: strings.NewReader("hello"), FileName: "notes.txt", MessageType: convirza.PromptTypePrompt})
	fmt.Println(err)
	// Output:
	// uploaded prompt 10005
	// Main greeting greeting.mp3 audio/mpeg 20
	// convirza: invalid parameters: prompt file "notes.txt": the format must be one of aac, flac, m4a, mp3, mp4, ogg, wav, webm (by extension)
}
