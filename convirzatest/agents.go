package convirzatest

import (
	"cmp"
	"strings"
	"time"
)

// agentsAPI are the operations of this area; router.go lists every area.
var agentsAPI = []route{
	{pattern: "GET /v3/ai-voice-agents", access: anyRole, handle: listAIVoiceAgents},
	{pattern: "POST /v3/ai-voice-agents", access: adminOrStandard, handle: createAIVoiceAgent},
	{pattern: "GET /v3/ai-voice-agents/{id}", access: anyRole, handle: getAIVoiceAgent},
	{pattern: "PUT /v3/ai-voice-agents/{id}", access: adminOrStandard, handle: updateAIVoiceAgent},
	{pattern: "PATCH /v3/ai-voice-agents/{id}", access: adminOrStandard, handle: patchAIVoiceAgent},
	{pattern: "DELETE /v3/ai-voice-agents/{id}", access: adminOrStandard, handle: deleteAIVoiceAgent},
}

// Defaults of an AI voice agent's optional fields.
const (
	defaultAgentVoice    = "female-1"
	defaultAgentLanguage = "en-US"
)

// aiVoiceAgent is an AI voice agent (api/agents.md). Nullable wire fields
// are pointers.
type aiVoiceAgent struct {
	ID           int64     `json:"id"`
	OrgUnitID    int64     `json:"org_unit_id"`
	Name         string    `json:"name"`
	Greeting     *string   `json:"greeting"`
	Instructions *string   `json:"instructions"`
	Voice        string    `json:"voice"`
	Language     string    `json:"language"`
	TransferTo   *string   `json:"transfer_to"`
	Status       string    `json:"status"` // active or inactive
	Created      time.Time `json:"created"`
	Modified     time.Time `json:"modified"`
}

func (a *aiVoiceAgent) owner() int64 { return a.OrgUnitID }

// agentItem is the Agent object of api/agents.md, field for field.
type agentItem struct {
	AgentID       int64   `json:"agent_id"`
	OrgUnitID     int64   `json:"org_unit_id"`
	AgentName     string  `json:"agent_name"`
	Greeting      *string `json:"greeting"`
	Instructions  *string `json:"instructions"`
	Voice         string  `json:"voice"`
	Language      string  `json:"language"`
	TransferTo    *string `json:"transfer_to"`
	Status        string  `json:"status"`
	AgentCreated  string  `json:"agent_created"`
	AgentModified string  `json:"agent_modified"`
}

func (a *aiVoiceAgent) item() agentItem {
	return agentItem{
		AgentID: a.ID, OrgUnitID: a.OrgUnitID, AgentName: a.Name, Greeting: a.Greeting,
		Instructions: a.Instructions, Voice: a.Voice, Language: a.Language, TransferTo: a.TransferTo,
		Status: a.Status, AgentCreated: iso(a.Created), AgentModified: iso(a.Modified),
	}
}

// listAIVoiceAgents is GET /v3/ai-voice-agents: the agents of org_unit_id
// and the units below it, oldest first.
func listAIVoiceAgents(c *call) (any, *apiError) {
	q := c.query()
	ouID := c.orgUnitFilter(q)
	status := q.enum("status", "", statusActive, statusInactive)
	limit, offset := q.paging(100)
	if err := c.listScope(q, ouID); err != nil {
		return nil, err
	}
	found := under(c.st, c.st.AIVoiceAgents, ouID, func(a *aiVoiceAgent) bool { return status == "" || a.Status == status })
	oldestFirst := func(a, b *aiVoiceAgent) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) }
	return listReply("agents", found, oldestFirst, limit, offset, (*aiVoiceAgent).item), nil
}

// getAIVoiceAgent is GET /v3/ai-voice-agents/{id}.
func getAIVoiceAgent(c *call) (any, *apiError) {
	a, err := lookup(c, c.st.AIVoiceAgents, "AI voice agent")
	if err != nil {
		return nil, err
	}
	return a.item(), nil
}

// agentBody is a decoded Create, Update or Patch Agent body.
type agentBody struct {
	name, voice, language, status  field[string]
	greeting, instructions, transf field[string] // nullable
	ouID                           field[int64]
}

// agentFields are the members agentBody knows; PATCH needs one (X1).
var agentFields = []string{"agent_name", "org_unit_id", "greeting", "instructions", "voice", "language",
	"transfer_to", "status"}

// decodeAgentBody validates an agent body (the 400 step), the org unit's
// existence and scope included (S7). With patch false (create, PUT)
// agent_name is required and null counts as absent; with patch true every
// member is optional and null clears the nullable ones (greeting,
// instructions, transfer_to) and is refused on the others.
func (c *call) decodeAgentBody(patch bool) (agentBody, *apiError) {
	var b agentBody
	o, err := c.object()
	if err != nil {
		return b, err
	}
	// A blank name is refused at once on create and PUT, and on PATCH with
	// the other blank members below.
	if patch {
		b.name = member(o, "agent_name", false, patch, o.str)
	} else {
		b.name = textMember(o, "agent_name", true, patch)
	}
	b.voice = member(o, "voice", false, patch, o.str)
	b.language = member(o, "language", false, patch, o.str)
	b.status = member(o, "status", false, patch, o.str)
	b.greeting = nullable(o, "greeting", o.str)
	b.instructions = nullable(o, "instructions", o.str)
	b.transf = nullable(o, "transfer_to", o.str)
	for _, f := range []struct {
		v    field[string]
		name string
	}{{b.name, "agent_name"}, {b.voice, "voice"}, {b.language, "language"}} {
		if f.v.set && !f.v.null && strings.TrimSpace(f.v.v) == "" {
			o.fail(f.name, "must not be empty")
		}
	}
	o.wantStatus("status", b.status)
	b.ouID = c.orgUnitMember(o, patch)
	if patch {
		o.requireChange(agentFields)
	}
	return b, o.err()
}

// apply writes the body onto a. With full set (create, PUT) the members
// that were not sent take their defaults; otherwise (PATCH) they stay.
func (b agentBody) apply(a *aiVoiceAgent, full bool, callerOU int64) {
	setValue(&a.Name, b.name, full, a.Name)
	setValue(&a.Voice, b.voice, full, defaultAgentVoice)
	setValue(&a.Language, b.language, full, defaultAgentLanguage)
	setValue(&a.Status, b.status, full, statusActive)
	setNullable(&a.Greeting, b.greeting, full)
	setNullable(&a.Instructions, b.instructions, full)
	setNullable(&a.TransferTo, b.transf, full)
	switch {
	case b.ouID.set:
		a.OrgUnitID = b.ouID.v
	case full && a.OrgUnitID == 0:
		a.OrgUnitID = callerOU
	}
}

// createAIVoiceAgent is POST /v3/ai-voice-agents.
func createAIVoiceAgent(c *call) (any, *apiError) {
	b, err := c.decodeAgentBody(false)
	if err != nil {
		return nil, err
	}
	a := &aiVoiceAgent{ID: c.st.newID(), Created: c.now, Modified: c.now}
	b.apply(a, true, c.caller.OrgUnitID)
	c.st.AIVoiceAgents[a.ID] = a
	return map[string]int64{"agentId": a.ID}, nil
}

// updateAIVoiceAgent is PUT and patchAIVoiceAgent PATCH
// /v3/ai-voice-agents/{id}: the body is checked (400) before the id (404).
// A PUT keeps the agent's org unit when the body names none.
func updateAIVoiceAgent(c *call) (any, *apiError) { return c.editAIVoiceAgent(false) }
func patchAIVoiceAgent(c *call) (any, *apiError)  { return c.editAIVoiceAgent(true) }

func (c *call) editAIVoiceAgent(patch bool) (any, *apiError) {
	id, b, err := idAndBody(c, patch, c.decodeAgentBody)
	if err != nil {
		return nil, err
	}
	a, err := visible(c, c.st.AIVoiceAgents, id, "AI voice agent")
	if err != nil {
		return nil, err
	}
	b.apply(a, !patch, c.caller.OrgUnitID)
	a.Modified = c.now
	return a.item(), nil
}

// deleteAIVoiceAgent is DELETE /v3/ai-voice-agents/{id}: a hard delete.
func deleteAIVoiceAgent(c *call) (any, *apiError) {
	return remove(c, c.st.AIVoiceAgents, "AI voice agent", "agentId")
}
