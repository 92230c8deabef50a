package convirza

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// agentJSON is the documented list's agent, as Get would answer it.
func agentJSON(t *testing.T) string {
	return string(mustItem(t, goldenData(t, "agents/list.json"), "agents"))
}

func TestAIVoiceAgentsListWire(t *testing.T) {
	page := assertSends(t, "GET", "/ai-voice-agents", url.Values{
		"limit": {"50"}, "offset": {"100"}, "org_unit_id": {"1001"}, "status": {"active"},
	}, string(golden(t, "agents/list.json")), "", func(c *Client) (*Page[AIVoiceAgent], error) {
		return c.AIVoiceAgents.List(context.Background(), &ListAIVoiceAgentsParams{
			PageParams: PageParams{Limit: 50, Offset: 100}, OrgUnitID: 1001, Status: AIVoiceAgentActive,
		})
	})
	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	a := page.Items[0]
	assert.Equal(t, int64(701), a.ID)
	assert.Equal(t, int64(1001), a.OrgUnitID)
	assert.Equal(t, "After-hours receptionist", a.Name)
	assert.Equal(t, "Thanks for calling Acme Corporation. How can I help?", a.Greeting)
	assert.Equal(t, "Collect the caller's name, number and reason for calling.", a.Instructions)
	assert.Equal(t, "female-1", a.Voice)
	assert.Equal(t, "en-US", a.Language)
	assert.Equal(t, "+14255551234", a.TransferTo)
	assert.Equal(t, AIVoiceAgentActive, a.Status)
	assert.Equal(t, time.Date(2026, 1, 20, 12, 34, 56, 789e6, time.UTC), a.Created)
	assert.Equal(t, a.Created, a.Modified)
}

// Paging and the default limit are checked with every list's, in
// paging_test.go.
func TestAIVoiceAgentsListAlternativeKeyAndBadOrgUnit(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/ai-voice-agents", 200, envelopeJSON(`{"ai_voice_agents":[{"agent_id":3}],"total":1}`))
	page, err := c.AIVoiceAgents.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, int64(3), page.Items[0].ID)

	_, err = c.AIVoiceAgents.List(context.Background(), &ListAIVoiceAgentsParams{OrgUnitID: -1})
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestAIVoiceAgentsGetWire(t *testing.T) {
	a := assertGetWire(t, "/ai-voice-agents/%d", 701, envelopeJSON(agentJSON(t)), func(c *Client, id int64) (*AIVoiceAgent, error) {
		return c.AIVoiceAgents.Get(context.Background(), id)
	})
	assert.Equal(t, "female-1", a.Voice)
}

func TestAIVoiceAgentsCreateWire(t *testing.T) {
	// The documented example body, field for field.
	assertWriteWire(t, "POST", "/ai-voice-agents", string(golden(t, "agents/create.json")),
		string(golden(t, "agents/create_request.json")), 701, func(c *Client) (*Created, error) {
			return c.AIVoiceAgents.Create(context.Background(), &CreateAIVoiceAgentParams{
				Name: "After-hours receptionist", OrgUnitID: 1001,
				Greeting:     "Thanks for calling Acme Corporation. How can I help?",
				Instructions: "Collect the caller's name, number and reason for calling.",
				Language:     "en-US", TransferTo: "+14255551234",
			})
		})
}

func TestAIVoiceAgentsCreateNotRetried(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/ai-voice-agents", 503, `{"code":503,"message":"Unavailable"}`)
	_, err := c.AIVoiceAgents.Create(context.Background(), &CreateAIVoiceAgentParams{Name: "A"})
	assert.ErrorIs(t, err, ErrServer)
	assert.Equal(t, 1, rec.count(), "a create is never retried on its own")
	assertWire(t, rec.last(t), "POST", "/ai-voice-agents", nil, `{"agent_name":"A"}`)
}

func TestAIVoiceAgentsCreateAndUpdateValidateBeforeIO(t *testing.T) {
	bad := map[string]withID[CreateAIVoiceAgentParams]{
		"nil":      {1, nil},
		"no name":  {1, &CreateAIVoiceAgentParams{Greeting: "hi"}},
		"blank":    {1, &CreateAIVoiceAgentParams{Name: "  "}},
		"org unit": {1, &CreateAIVoiceAgentParams{Name: "A", OrgUnitID: -2}},
	}
	assertRefusedBeforeIO(t, bad, func(c *Client, p withID[CreateAIVoiceAgentParams]) error {
		_, err := c.AIVoiceAgents.Create(context.Background(), p.p)
		return err
	})
	bad["id 0"] = withID[UpdateAIVoiceAgentParams]{0, &UpdateAIVoiceAgentParams{Name: "A"}}
	assertRefusedBeforeIO(t, bad, func(c *Client, p withID[UpdateAIVoiceAgentParams]) error {
		_, err := c.AIVoiceAgents.Update(context.Background(), p.id, p.p)
		return err
	})
}

func TestAIVoiceAgentsUpdateWire(t *testing.T) {
	assertWriteWire(t, "PUT", "/ai-voice-agents/701", envelopeJSON(agentJSON(t)),
		`{"agent_name":"After-hours receptionist","voice":"female-1","status":"inactive"}`, 701, func(c *Client) (*AIVoiceAgent, error) {
			return c.AIVoiceAgents.Update(context.Background(), 701, &UpdateAIVoiceAgentParams{
				Name: "After-hours receptionist", Voice: "female-1", Status: AIVoiceAgentInactive,
			})
		})
}

func TestAIVoiceAgentsUpdateRefetchesWhenAnswerHasNoRecord(t *testing.T) {
	assertUpdateRefetches(t, "/ai-voice-agents/%d", 701, `{"agentId":701}`, envelopeJSON(agentJSON(t)), func(c *Client, id int64) (*AIVoiceAgent, error) {
		return c.AIVoiceAgents.Update(context.Background(), id, &UpdateAIVoiceAgentParams{Name: "X"})
	})
}

func TestAIVoiceAgentsPatchThreeStates(t *testing.T) {
	// The documented example body.
	assertWriteWire(t, "PATCH", "/ai-voice-agents/701", envelopeJSON(agentJSON(t)),
		string(golden(t, "agents/patch_request.json")), 701, func(c *Client) (*AIVoiceAgent, error) {
			return c.AIVoiceAgents.Patch(context.Background(), 701, &PatchAIVoiceAgentParams{Status: Set(AIVoiceAgentInactive)})
		})

	assertWriteWire(t, "PATCH", "/ai-voice-agents/701", envelopeJSON(agentJSON(t)),
		`{"greeting":"","transfer_to":null,"org_unit_id":1002}`, 701, func(c *Client) (*AIVoiceAgent, error) {
			return c.AIVoiceAgents.Patch(context.Background(), 701, &PatchAIVoiceAgentParams{
				Greeting:   Set(""),          // a zero value is still sent
				TransferTo: Null[string](),   // null clears it
				OrgUnitID:  Set(int64(1002)), // every other field is left out
			})
		})
}

func TestAIVoiceAgentsPatchRefusesBadInputBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[PatchAIVoiceAgentParams]{
		"nil":        {1, nil},
		"empty":      {1, &PatchAIVoiceAgentParams{}},
		"null name":  {1, &PatchAIVoiceAgentParams{Name: Null[string]()}},
		"blank name": {1, &PatchAIVoiceAgentParams{Name: Set(" ")}},
		"id 0":       {0, &PatchAIVoiceAgentParams{Voice: Set("v")}},
	}, func(c *Client, p withID[PatchAIVoiceAgentParams]) error {
		_, err := c.AIVoiceAgents.Patch(context.Background(), p.id, p.p)
		return err
	})
}

func TestAIVoiceAgentsDeleteWire(t *testing.T) {
	assertDeleteWire(t, "/ai-voice-agents/%d", 701, string(golden(t, "agents/delete.json")), func(c *Client, id int64) error {
		return c.AIVoiceAgents.Delete(context.Background(), id)
	})
}

func TestAIVoiceAgentsGolden(t *testing.T) {
	page := decodeGolden[agentList](t, goldenData(t, "agents/list.json"))
	require.Len(t, page.Agents, 1)

	assertGoldenIDs(t, 701, "agents/create.json", "agents/delete.json")
	for _, name := range []string{"agents/create_request.json", "agents/patch_request.json"} {
		decodeGolden[CreateAIVoiceAgentParams](t, golden(t, name))
		decodeGolden[PatchAIVoiceAgentParams](t, golden(t, name))
	}
}

func TestAIVoiceAgentToleratesDrift(t *testing.T) {
	var a AIVoiceAgent
	require.NoError(t, jsonUnmarshal([]byte(`{"agent_id":"701","org_unit_id":"1001","transfer_to":null,
		"agent_created":"2026-01-20 12:34:56","settings":{"barge_in":true}}`), &a))
	assert.Equal(t, int64(701), a.ID)
	assert.Equal(t, int64(1001), a.OrgUnitID)
	assert.Empty(t, a.TransferTo)
	assert.Equal(t, 2026, a.Created.Year())
	assert.Contains(t, string(a.Raw), `"barge_in":true`, "nested settings are kept")
}
