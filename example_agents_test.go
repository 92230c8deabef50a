package convirza_test

import (
	"context"
	"fmt"
	"log"

	convirza "github.com/convirza-community/convirza-go"
)

func ExampleAIVoiceAgentsService_Create() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	created, err := client.AIVoiceAgents.Create(ctx, &convirza.CreateAIVoiceAgentParams{
		Name:         "After-hours receptionist",
		Greeting:     "Thanks for calling. How can I help?",
		Instructions: "Collect the caller's name, number and reason for calling.",
		TransferTo:   "+14255551234",
	})
	if err != nil {
		log.Fatal(err)
	}

	// Pause the agent and stop transfers; every other field stays.
	agent, err := client.AIVoiceAgents.Patch(ctx, created.ID, &convirza.PatchAIVoiceAgentParams{
		Status:     convirza.Set(convirza.AIVoiceAgentInactive),
		TransferTo: convirza.Null[string](),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(agent.ID, agent.Name, agent.Status, agent.Language, agent.TransferTo == "")
	// Output:
	// 10005 After-hours receptionist inactive en-US true
}
