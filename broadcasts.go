package convirza

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strings"
	"time"
)

// Paths of the SMS Broadcasts operations. The docs name the base both
// "/broadcast" and "/sms-broadcasts"; "/broadcast" is sent.
const (
	broadcastsPath = "/broadcast"
	broadcastPath  = broadcastsPath + "/%v"
)

// BroadcastsService manages SMS broadcasts: one message sent from a
// tracking number to many recipients, now or at a scheduled time. A
// broadcast can be changed only while it is a draft or scheduled. Admin and
// Standard users may write; ReadOnly users only read.
type BroadcastsService struct{ c *Client }

// BroadcastStatus is where a broadcast is in its life. The server sets it:
// a broadcast without ScheduledAt is a draft, one with a future ScheduledAt
// is scheduled, and when the time comes the server moves it to sending,
// then sent or failed. Unknown values (such as "queued") are kept as sent.
type BroadcastStatus string

// The broadcast statuses.
const (
	BroadcastDraft     BroadcastStatus = "draft"
	BroadcastScheduled BroadcastStatus = "scheduled"
	BroadcastSending   BroadcastStatus = "sending"
	BroadcastSent      BroadcastStatus = "sent"
	BroadcastFailed    BroadcastStatus = "failed"
)

// Editable reports whether a broadcast in this status may be updated or
// patched: only a draft or a scheduled one.
func (s BroadcastStatus) Editable() bool {
	return s == BroadcastDraft || s == BroadcastScheduled
}

// Deletable reports whether a broadcast in this status may be deleted: a
// draft, a scheduled or a failed one, but not one sending or sent.
func (s BroadcastStatus) Deletable() bool {
	return s.Editable() || s == BroadcastFailed
}

// Broadcast is an SMS broadcast.
type Broadcast struct {
	ID        int64  `json:"broadcast_id"`
	OrgUnitID int64  `json:"org_unit_id"`
	Name      string `json:"broadcast_name"`
	Message   string `json:"message"`
	// PhoneNumberID is the SMS-enabled tracking number that sends it.
	PhoneNumberID int64 `json:"phone_number_id"`
	// Recipients may be left out of list items; RecipientCount is always
	// there.
	Recipients     []string `json:"recipients"`
	RecipientCount int      `json:"recipient_count"`
	// ScheduledAt is nil for a draft.
	ScheduledAt *time.Time      `json:"scheduled_at"`
	Status      BroadcastStatus `json:"status"`
	// SentAt is set when sending finishes.
	SentAt   *time.Time `json:"sent_at"`
	Created  time.Time  `json:"broadcast_created"`
	Modified time.Time  `json:"broadcast_modified"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (b *Broadcast) UnmarshalJSON(data []byte) error {
	type alias Broadcast
	return decodeModel(data, (*alias)(b), &b.Raw)
}

func (b *Broadcast) hasID() bool { return b.ID != 0 }

// ListBroadcastsParams filters List. The zero value lists the broadcasts
// of the caller's org unit and of every unit below it.
type ListBroadcastsParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the caller's).
	OrgUnitID int64           `url:"org_unit_id,omitempty"`
	Status    BroadcastStatus `url:"status,omitempty"`
}

// List returns one page of broadcasts (100 by default).
//
// Convirza API: GET /broadcast
func (s *BroadcastsService) List(ctx context.Context, params *ListBroadcastsParams, opts ...RequestOption) (*Page[Broadcast], error) {
	return listPage[Broadcast, broadcastList](ctx, s.c, broadcastsPath, params, 100, opts)
}

// All returns every broadcast that params matches, fetching pages as the
// loop goes. It stops at the first error, which it yields.
func (s *BroadcastsService) All(ctx context.Context, params *ListBroadcastsParams, opts ...RequestOption) iter.Seq2[Broadcast, error] {
	return all(ctx, params, func(ctx context.Context, p *ListBroadcastsParams) (*Page[Broadcast], error) {
		return s.List(ctx, p, opts...)
	})
}

// Get returns a broadcast.
//
// Convirza API: GET /broadcast/{id}
func (s *BroadcastsService) Get(ctx context.Context, id int64, opts ...RequestOption) (*Broadcast, error) {
	return getByID[Broadcast](ctx, s.c, "broadcast", broadcastPath, id, opts)
}

// CreateBroadcastParams is a new broadcast. Name, a non-empty Message,
// PhoneNumberID and at least one recipient are required.
type CreateBroadcastParams struct {
	Name    string `json:"broadcast_name"`
	Message string `json:"message"`
	// PhoneNumberID is an SMS-enabled number held by the caller's
	// hierarchy.
	PhoneNumberID int64    `json:"phone_number_id"`
	Recipients    []string `json:"recipients"`
	// OrgUnitID defaults to the caller's org unit.
	OrgUnitID int64 `json:"org_unit_id,omitempty"`
	// ScheduledAt schedules the broadcast (the server refuses a time in its past); nil makes it a
	// draft. It is sent in UTC.
	ScheduledAt *time.Time `json:"scheduled_at,omitempty"`
}

// UpdateBroadcastParams is the full replacement of a broadcast: the fields
// of CreateBroadcastParams, with the same required ones. A nil ScheduledAt
// turns it (back) into a draft.
type UpdateBroadcastParams = CreateBroadcastParams

// validate checks p against the clock and returns the body to send.
func (p *CreateBroadcastParams) validate() (*CreateBroadcastParams, error) {
	if p == nil {
		return nil, invalidf("broadcast params are required")
	}
	var missing []string
	if strings.TrimSpace(p.Name) == "" {
		missing = append(missing, "Name")
	}
	if strings.TrimSpace(p.Message) == "" {
		missing = append(missing, "Message")
	}
	if p.PhoneNumberID <= 0 {
		missing = append(missing, "PhoneNumberID")
	}
	if len(missing) > 0 {
		return nil, invalidf("broadcast needs %s", strings.Join(missing, ", "))
	}
	if err := checkRecipients(p.Recipients); err != nil {
		return nil, err
	}
	body := *p
	if p.ScheduledAt != nil {
		at := p.ScheduledAt.UTC() // the zone the API writes
		body.ScheduledAt = &at
	}
	return &body, nil
}

func checkRecipients(r []string) error {
	if len(r) == 0 {
		return invalidf("a broadcast needs at least one recipient")
	}
	for i, n := range r {
		if strings.TrimSpace(n) == "" {
			return invalidf("recipient %d is empty", i)
		}
	}
	return nil
}

// Create creates a broadcast and returns its id: a draft without
// ScheduledAt, scheduled with one.
//
// Convirza API: POST /broadcast
func (s *BroadcastsService) Create(ctx context.Context, params *CreateBroadcastParams, opts ...RequestOption) (*Created, error) {
	body, err := params.validate()
	if err != nil {
		return nil, err
	}
	return create(ctx, s.c, &request{method: http.MethodPost, path: broadcastsPath, body: body}, opts)
}

// Update replaces a draft or scheduled broadcast and returns it. A
// broadcast in another status is an error matching ErrConflict.
//
// Convirza API: PUT /broadcast/{id}
func (s *BroadcastsService) Update(ctx context.Context, id int64, params *UpdateBroadcastParams, opts ...RequestOption) (*Broadcast, error) {
	if err := requireID("broadcast", id); err != nil {
		return nil, err
	}
	body, err := params.validate()
	if err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPut, path: pathf(broadcastPath, id), body: body}
	return update(ctx, s.c, r, (*Broadcast).hasID, opts)
}

// PatchBroadcastParams changes some fields of a broadcast: each field is
// left out (the zero value), set with Set, or cleared with Null. Setting
// ScheduledAt to a future time schedules a draft; Null[time.Time]() turns a
// scheduled broadcast back into a draft.
type PatchBroadcastParams struct {
	Name          Optional[string]    `json:"broadcast_name,omitzero"`
	Message       Optional[string]    `json:"message,omitzero"`
	PhoneNumberID Optional[int64]     `json:"phone_number_id,omitzero"`
	Recipients    Optional[[]string]  `json:"recipients,omitzero"`
	OrgUnitID     Optional[int64]     `json:"org_unit_id,omitzero"`
	ScheduledAt   Optional[time.Time] `json:"scheduled_at,omitzero"`
}

// validate checks p against the clock and returns the body to send.
func (p *PatchBroadcastParams) validate() (*PatchBroadcastParams, error) {
	if err := requirePatch(p); err != nil {
		return nil, err
	}
	if m, ok := p.Message.Get(); p.Message.IsNull() || (ok && strings.TrimSpace(m) == "") {
		return nil, invalidf("a broadcast message must not be empty")
	}
	if r, ok := p.Recipients.Get(); p.Recipients.IsNull() || ok {
		if err := checkRecipients(r); err != nil {
			return nil, err
		}
	}
	body := *p
	if at, ok := p.ScheduledAt.Get(); ok {
		body.ScheduledAt = Set(at.UTC()) // the zone the API writes
	}
	return &body, nil
}

// Patch changes the fields of a draft or scheduled broadcast that params
// sets, and returns the broadcast. A broadcast in another status is an
// error matching ErrConflict.
//
// Convirza API: PATCH /broadcast/{id}
func (s *BroadcastsService) Patch(ctx context.Context, id int64, params *PatchBroadcastParams, opts ...RequestOption) (*Broadcast, error) {
	if err := requireID("broadcast", id); err != nil {
		return nil, err
	}
	body, err := params.validate()
	if err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPatch, path: pathf(broadcastPath, id), body: body}
	return update(ctx, s.c, r, (*Broadcast).hasID, opts)
}

// Delete deletes a draft, scheduled or failed broadcast for good. A
// broadcast that is sending or sent is an error matching ErrConflict.
//
// Convirza API: DELETE /broadcast/{id}
func (s *BroadcastsService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "broadcast", broadcastPath, id, opts)
}

// broadcastList is the data of a list of Broadcast records: the items under "broadcasts" or "broadcast".
type broadcastList struct {
	Broadcasts []Broadcast `json:"broadcasts"`
	Broadcast  []Broadcast `json:"broadcast"` // the other spelling the docs allow
	Total      int         `json:"total"`
}

func (l *broadcastList) page() ([]Broadcast, int) {
	return firstList(l.Broadcasts, l.Broadcast), l.Total
}
