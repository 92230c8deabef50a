package convirza

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strings"
	"time"
)

// Paths of the AI Voice Agents operations.
const (
	agentsPath = "/ai-voice-agents"
	agentPath  = "/ai-voice-agents/%v"
)

// AIVoiceAgentsService manages AI voice agents, which answer calls. Admin
// and Standard users may write; every role may read. Deletes are for good.
type AIVoiceAgentsService struct{ c *Client }

// AIVoiceAgentStatus is an agent's status. Unknown values are kept as sent.
type AIVoiceAgentStatus string

// The agent statuses.
const (
	AIVoiceAgentActive   AIVoiceAgentStatus = "active"
	AIVoiceAgentInactive AIVoiceAgentStatus = "inactive"
)

// AIVoiceAgent is an AI voice agent as List and Get return it. Its ID is a
// number, unlike the users' agent_id ("AGT-001").
type AIVoiceAgent struct {
	ID        int64  `json:"agent_id"`
	OrgUnitID int64  `json:"org_unit_id"`
	Name      string `json:"agent_name"`
	// Greeting is the first thing the agent says.
	Greeting string `json:"greeting"`
	// Instructions tell the agent how to behave (its system prompt).
	Instructions string `json:"instructions"`
	Voice        string `json:"voice"`
	// Language is a BCP 47 tag, such as "en-US".
	Language string `json:"language"`
	// TransferTo is the phone number that takes the call over from the
	// agent, as the server wrote it; "" when null.
	TransferTo string             `json:"transfer_to"`
	Status     AIVoiceAgentStatus `json:"status"`
	Created    time.Time          `json:"agent_created"`
	Modified   time.Time          `json:"agent_modified"`

	// Raw is the object as the server sent it, unknown fields (such as
	// nested settings) included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (a *AIVoiceAgent) UnmarshalJSON(b []byte) error {
	type alias AIVoiceAgent
	return decodeModel(b, (*alias)(a), &a.Raw)
}

func (a *AIVoiceAgent) hasID() bool { return a.ID != 0 }

// ListAIVoiceAgentsParams filters List. The zero value lists every agent of
// the caller's org unit and the units below it.
type ListAIVoiceAgentsParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the caller's).
	OrgUnitID int64              `url:"org_unit_id,omitempty"`
	Status    AIVoiceAgentStatus `url:"status,omitempty"`
}

// List returns one page of AI voice agents (100 by default).
//
// Convirza API: GET /ai-voice-agents
func (s *AIVoiceAgentsService) List(ctx context.Context, params *ListAIVoiceAgentsParams, opts ...RequestOption) (*Page[AIVoiceAgent], error) {
	var p ListAIVoiceAgentsParams
	if params != nil {
		p = *params
	}
	if p.OrgUnitID < 0 {
		return nil, invalidf("org unit id must be positive, got %d", p.OrgUnitID)
	}
	return listPage[AIVoiceAgent, agentList](ctx, s.c, agentsPath, &p, 100, opts)
}

// All returns every agent that params matches, fetching pages as the loop
// goes. It stops at the first error, which it yields.
func (s *AIVoiceAgentsService) All(ctx context.Context, params *ListAIVoiceAgentsParams, opts ...RequestOption) iter.Seq2[AIVoiceAgent, error] {
	return all(ctx, params, func(ctx context.Context, p *ListAIVoiceAgentsParams) (*Page[AIVoiceAgent], error) {
		return s.List(ctx, p, opts...)
	})
}

// Get returns an agent.
//
// Convirza API: GET /ai-voice-agents/{id}
func (s *AIVoiceAgentsService) Get(ctx context.Context, id int64, opts ...RequestOption) (*AIVoiceAgent, error) {
	return getByID[AIVoiceAgent](ctx, s.c, "AI voice agent", agentPath, id, opts)
}

// CreateAIVoiceAgentParams is a new agent. Name is required; the server
// fills in the defaults of the others (language "en-US", status "active",
// the caller's org unit).
type CreateAIVoiceAgentParams struct {
	Name string `json:"agent_name"`
	// OrgUnitID owns the agent; it must lie in the caller's hierarchy.
	OrgUnitID    int64  `json:"org_unit_id,omitempty"`
	Greeting     string `json:"greeting,omitempty"`
	Instructions string `json:"instructions,omitempty"`
	Voice        string `json:"voice,omitempty"`
	Language     string `json:"language,omitempty"`
	// TransferTo is a phone number in any format; it is sent as given.
	TransferTo string             `json:"transfer_to,omitempty"`
	Status     AIVoiceAgentStatus `json:"status,omitempty"`
}

// UpdateAIVoiceAgentParams is the full replacement of an agent: the fields
// of CreateAIVoiceAgentParams, Name required. Fields left out fall back to
// their defaults.
type UpdateAIVoiceAgentParams = CreateAIVoiceAgentParams

func (p *CreateAIVoiceAgentParams) validate() error {
	if p == nil {
		return invalidf("AI voice agent params are required")
	}
	if strings.TrimSpace(p.Name) == "" {
		return invalidf("AI voice agent needs Name")
	}
	if p.OrgUnitID < 0 {
		return invalidf("org unit id must be positive, got %d", p.OrgUnitID)
	}
	return nil
}

// Create creates an agent and returns its id.
//
// Convirza API: POST /ai-voice-agents
func (s *AIVoiceAgentsService) Create(ctx context.Context, params *CreateAIVoiceAgentParams, opts ...RequestOption) (*Created, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return create(ctx, s.c, &request{method: http.MethodPost, path: agentsPath, body: params}, opts)
}

// Update replaces an agent and returns it.
//
// Convirza API: PUT /ai-voice-agents/{id}
func (s *AIVoiceAgentsService) Update(ctx context.Context, id int64, params *UpdateAIVoiceAgentParams, opts ...RequestOption) (*AIVoiceAgent, error) {
	if err := requireID("AI voice agent", id); err != nil {
		return nil, err
	}
	if err := params.validate(); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPut, path: pathf(agentPath, id), body: params}
	return update(ctx, s.c, r, (*AIVoiceAgent).hasID, opts)
}

// PatchAIVoiceAgentParams changes some fields of an agent: each field is
// left out (the zero value), set with Set, or cleared with Null.
type PatchAIVoiceAgentParams struct {
	Name         Optional[string]             `json:"agent_name,omitzero"`
	OrgUnitID    Optional[int64]              `json:"org_unit_id,omitzero"`
	Greeting     Optional[string]             `json:"greeting,omitzero"`
	Instructions Optional[string]             `json:"instructions,omitzero"`
	Voice        Optional[string]             `json:"voice,omitzero"`
	Language     Optional[string]             `json:"language,omitzero"`
	TransferTo   Optional[string]             `json:"transfer_to,omitzero"`
	Status       Optional[AIVoiceAgentStatus] `json:"status,omitzero"`
}

// Patch changes the fields of an agent that params sets, and returns the
// agent.
//
// Convirza API: PATCH /ai-voice-agents/{id}
func (s *AIVoiceAgentsService) Patch(ctx context.Context, id int64, params *PatchAIVoiceAgentParams, opts ...RequestOption) (*AIVoiceAgent, error) {
	if err := requireID("AI voice agent", id); err != nil {
		return nil, err
	}
	if err := requirePatch(params); err != nil {
		return nil, err
	}
	if params.Name.IsNull() {
		return nil, invalidf("an AI voice agent's name cannot be cleared")
	}
	if name, ok := params.Name.Get(); ok && strings.TrimSpace(name) == "" {
		return nil, invalidf("an AI voice agent's name cannot be empty")
	}
	r := &request{method: http.MethodPatch, path: pathf(agentPath, id), body: params}
	return update(ctx, s.c, r, (*AIVoiceAgent).hasID, opts)
}

// Delete deletes an agent for good: Get then answers ErrNotFound.
//
// Convirza API: DELETE /ai-voice-agents/{id}
func (s *AIVoiceAgentsService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "AI voice agent", agentPath, id, opts)
}

// agentList is the data of a list of AIVoiceAgent records: the items under "agents" or "ai_voice_agents".
type agentList struct {
	Agents        []AIVoiceAgent `json:"agents"`
	AIVoiceAgents []AIVoiceAgent `json:"ai_voice_agents"` // the other spelling the docs allow
	Total         int            `json:"total"`
}

func (l *agentList) page() ([]AIVoiceAgent, int) {
	return firstList(l.Agents, l.AIVoiceAgents), l.Total
}
