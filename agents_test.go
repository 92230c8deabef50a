package convirza

import (
	"context"
	"net/http"
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
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/ai-voice-agents", 200, string(golden(t, "agents/list.json")))
	page, err := c.AIVoiceAgents.List(context.Background(), &ListAIVoiceAgentsParams{
		PageParams: PageParams{Limit: 50, Offset: 100}, OrgUnitID: 1001, Status: AIVoiceAgentActive,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/ai-voice-agents", url.Values{
		"limit": {"50"}, "offset": {"100"}, "org_unit_id": {"1001"}, "status": {"active"},
	}, "")
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

func TestAIVoiceAgentsListDefaultsAndAlternativeKey(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/ai-voice-agents", 200, envelopeJSON(`{"ai_voice_agents":[{"agent_id":3}],"total":1}`))
	page, err := c.AIVoiceAgents.List(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/ai-voice-agents", url.Values{"limit": {"100"}}, "")
	require.Len(t, page.Items, 1)
	assert.Equal(t, int64(3), page.Items[0].ID)

	bad := []*ListAIVoiceAgentsParams{{PageParams: PageParams{Limit: 0, Offset: -1}}, {PageParams: PageParams{Limit: 1000}}, {OrgUnitID: -1}}
	for _, p := range bad {
		_, err := c.AIVoiceAgents.List(context.Background(), p)
		assert.ErrorIs(t, err, ErrInvalidParams)
	}
	assert.Equal(t, 1, rec.count())
}

func TestAIVoiceAgentsAllWalksEveryPage(t *testing.T) {
	c, mt := newWireClient(t)
	var offsets []string
	mt.RegisterRegexpResponder("GET", regexpFor(testBase+"/ai-voice-agents"), func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		offsets = append(offsets, q.Get("offset"))
		body := map[string]string{
			"":  `{"agents":[{"agent_id":1}],"total":2}`,
			"1": `{"agents":[{"agent_id":2}],"total":2}`,
		}[q.Get("offset")]
		return newJSONResponse(200, envelopeJSON(body)), nil
	})
	var ids []int64
	for a, err := range c.AIVoiceAgents.All(context.Background(), &ListAIVoiceAgentsParams{PageParams: PageParams{Limit: 1}}) {
		require.NoError(t, err)
		ids = append(ids, a.ID)
	}
	assert.Equal(t, []int64{1, 2}, ids)
	assert.Equal(t, []string{"", "1"}, offsets)

	respond(mt, "GET", "/ai-voice-agents", 403, `{"code":403,"message":"Forbidden"}`)
	for _, err := range c.AIVoiceAgents.All(context.Background(), nil) {
		assert.ErrorIs(t, err, ErrForbidden)
	}
}

func TestAIVoiceAgentsGetWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/ai-voice-agents/701", 200, envelopeJSON(agentJSON(t)))
	a, err := c.AIVoiceAgents.Get(context.Background(), 701)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/ai-voice-agents/701", nil, "")
	assert.Equal(t, int64(701), a.ID)
	assert.Equal(t, "female-1", a.Voice)
	assert.JSONEq(t, agentJSON(t), string(a.Raw))

	_, err = c.AIVoiceAgents.Get(context.Background(), -1)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, rec.count())

	respond(mt, "GET", "/ai-voice-agents/9", 404, `{"code":404,"message":"Agent not found"}`)
	_, err = c.AIVoiceAgents.Get(context.Background(), 9)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestAIVoiceAgentsCreateWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/ai-voice-agents", 200, string(golden(t, "agents/create.json")))
	created, err := c.AIVoiceAgents.Create(context.Background(), &CreateAIVoiceAgentParams{
		Name: "After-hours receptionist", OrgUnitID: 1001,
		Greeting:     "Thanks for calling Acme Corporation. How can I help?",
		Instructions: "Collect the caller's name, number and reason for calling.",
		Language:     "en-US", TransferTo: "+14255551234",
	})
	require.NoError(t, err)
	// The documented example body, field for field.
	assertWire(t, rec.last(t), "POST", "/ai-voice-agents", nil, string(golden(t, "agents/create_request.json")))
	assert.Equal(t, int64(701), created.ID)
}

func TestAIVoiceAgentsCreateNotRetried(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/ai-voice-agents", 503, `{"code":503,"message":"Unavailable"}`)
	_, err := c.AIVoiceAgents.Create(context.Background(), &CreateAIVoiceAgentParams{Name: "A"})
	assert.ErrorIs(t, err, ErrServer)
	assert.Equal(t, 1, rec.count(), "a create is never retried on its own")
	assertWire(t, rec.last(t), "POST", "/ai-voice-agents", nil, `{"agent_name":"A"}`)
}

func TestAIVoiceAgentsCreateValidatesBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/ai-voice-agents", 200, envelopeJSON(`{"agentId":1}`))
	for name, p := range map[string]*CreateAIVoiceAgentParams{
		"nil":      nil,
		"no name":  {Greeting: "hi"},
		"blank":    {Name: "  "},
		"org unit": {Name: "A", OrgUnitID: -2},
	} {
		_, err := c.AIVoiceAgents.Create(context.Background(), p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
		_, err = c.AIVoiceAgents.Update(context.Background(), 1, p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	_, err := c.AIVoiceAgents.Update(context.Background(), 0, &UpdateAIVoiceAgentParams{Name: "A"})
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Zero(t, rec.count())
}

func TestAIVoiceAgentsUpdateWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PUT", "/ai-voice-agents/701", 200, envelopeJSON(agentJSON(t)))
	a, err := c.AIVoiceAgents.Update(context.Background(), 701, &UpdateAIVoiceAgentParams{
		Name: "After-hours receptionist", Voice: "female-1", Status: AIVoiceAgentInactive,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PUT", "/ai-voice-agents/701", nil,
		`{"agent_name":"After-hours receptionist","voice":"female-1","status":"inactive"}`)
	assert.Equal(t, int64(701), a.ID)
}

func TestAIVoiceAgentsUpdateRefetchesWhenAnswerHasNoRecord(t *testing.T) {
	c, mt := newWireClient(t)
	put := respond(mt, "PUT", "/ai-voice-agents/701", 200, envelopeJSON(`{"agentId":701}`))
	get := respond(mt, "GET", "/ai-voice-agents/701", 200, envelopeJSON(agentJSON(t)))
	a, err := c.AIVoiceAgents.Update(context.Background(), 701, &UpdateAIVoiceAgentParams{Name: "X"})
	require.NoError(t, err)
	assert.Equal(t, 1, put.count())
	assert.Equal(t, 1, get.count())
	assert.Equal(t, "After-hours receptionist", a.Name)
}

func TestAIVoiceAgentsPatchThreeStates(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PATCH", "/ai-voice-agents/701", 200, envelopeJSON(agentJSON(t)))

	// The documented example body.
	_, err := c.AIVoiceAgents.Patch(context.Background(), 701, &PatchAIVoiceAgentParams{Status: Set(AIVoiceAgentInactive)})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PATCH", "/ai-voice-agents/701", nil, string(golden(t, "agents/patch_request.json")))

	_, err = c.AIVoiceAgents.Patch(context.Background(), 701, &PatchAIVoiceAgentParams{
		Greeting:   Set(""),          // a zero value is still sent
		TransferTo: Null[string](),   // null clears it
		OrgUnitID:  Set(int64(1002)), // every other field is left out
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PATCH", "/ai-voice-agents/701", nil, `{"greeting":"","transfer_to":null,"org_unit_id":1002}`)
	assert.Equal(t, 2, rec.count())
}

func TestAIVoiceAgentsPatchRefusesBadInputBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PATCH", "/ai-voice-agents/1", 200, envelopeJSON(agentJSON(t)))
	for name, p := range map[string]*PatchAIVoiceAgentParams{
		"nil":        nil,
		"empty":      {},
		"null name":  {Name: Null[string]()},
		"blank name": {Name: Set(" ")},
	} {
		_, err := c.AIVoiceAgents.Patch(context.Background(), 1, p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	_, err := c.AIVoiceAgents.Patch(context.Background(), 0, &PatchAIVoiceAgentParams{Voice: Set("v")})
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Zero(t, rec.count())
}

func TestAIVoiceAgentsDeleteWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "DELETE", "/ai-voice-agents/701", 200, string(golden(t, "agents/delete.json")))
	require.NoError(t, c.AIVoiceAgents.Delete(context.Background(), 701))
	assertWire(t, rec.last(t), "DELETE", "/ai-voice-agents/701", nil, "")
	assert.ErrorIs(t, c.AIVoiceAgents.Delete(context.Background(), 0), ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestAIVoiceAgentsGolden(t *testing.T) {
	list := goldenData(t, "agents/list.json")
	var page listData[AIVoiceAgent]
	require.NoError(t, jsonUnmarshal(list, &page))
	require.Len(t, page.Agents, 1)
	assertKnownFields(t, list, listData[AIVoiceAgent]{})

	for _, name := range []string{"agents/create.json", "agents/delete.json"} {
		var c Created
		require.NoError(t, jsonUnmarshal(goldenData(t, name), &c))
		assert.Equal(t, int64(701), c.ID, name)
	}
	for _, data := range []string{`{"agentId":5}`, `{"agent_id":5}`, `{"id":5}`} {
		var c Created
		require.NoError(t, jsonUnmarshal([]byte(data), &c))
		assert.Equal(t, int64(5), c.ID, data)
	}
	for _, name := range []string{"agents/create_request.json", "agents/patch_request.json"} {
		b := golden(t, name)
		var body CreateAIVoiceAgentParams
		require.NoError(t, jsonUnmarshal(b, &body))
		assertKnownFields(t, b, body)
		var patch PatchAIVoiceAgentParams
		require.NoError(t, jsonUnmarshal(b, &patch))
		assertKnownFields(t, b, patch)
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
