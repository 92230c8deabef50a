package convirzatest

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
)

// broadcastsAPI are the operations of this area; router.go lists every area.
var broadcastsAPI = []route{
	{pattern: "GET /v3/broadcast", access: anyRole, handle: listBroadcasts},
	{pattern: "POST /v3/broadcast", access: adminOrStandard, handle: createBroadcast},
	{pattern: "GET /v3/broadcast/{id}", access: anyRole, handle: getBroadcast},
	{pattern: "PUT /v3/broadcast/{id}", access: adminOrStandard, handle: updateBroadcast},
	{pattern: "PATCH /v3/broadcast/{id}", access: adminOrStandard, handle: patchBroadcast},
	{pattern: "DELETE /v3/broadcast/{id}", access: adminOrStandard, handle: deleteBroadcast},
}

// Seeded broadcasts.
const (
	// SentBroadcastID is a broadcast Acme sent from its main line in January
	// 2026: it can no longer be edited or deleted.
	SentBroadcastID int64 = 1201
	// OtherAccountBroadcastID is a Globex draft, outside every Acme user's scope.
	OtherAccountBroadcastID int64 = 1202
)

// Broadcast statuses (api/broadcasts.md, "Status lifecycle").
const (
	broadcastDraft     = "draft"
	broadcastScheduled = "scheduled"
	broadcastSending   = "sending"
	broadcastSent      = "sent"
	broadcastFailed    = "failed"
)

// BroadcastSendTime is how long the fake spends sending a broadcast. The
// fake's clock (WithClock) drives the lifecycle: when a scheduled
// broadcast's scheduled_at comes, it is "sending" (or "failed", if its
// account no longer holds the sending number); BroadcastSendTime later it is
// "sent", with sent_at set. So a test reaches "sending" and "sent" by moving
// its clock forward, without sleeping.
const BroadcastSendTime = time.Minute

// broadcast is a broadcast record.
type broadcast struct {
	ID            int64      `json:"id"`
	OrgUnitID     int64      `json:"org_unit_id"`
	Name          string     `json:"name"`
	Message       string     `json:"message"`
	PhoneNumberID int64      `json:"phone_number_id"`
	Recipients    []string   `json:"recipients"`
	ScheduledAt   *time.Time `json:"scheduled_at"`
	Status        string     `json:"status"`
	SentAt        *time.Time `json:"sent_at"`
	Created       time.Time  `json:"created"`
	Modified      time.Time  `json:"modified"`
}

func (b *broadcast) owner() int64 { return b.OrgUnitID }

func seedBroadcasts(s *state) {
	at := time.Date(2026, 1, 15, 15, 0, 0, 0, time.UTC)
	s.Broadcasts[SentBroadcastID] = &broadcast{
		ID: SentBroadcastID, OrgUnitID: AccountOrgUnitID, Name: "January newsletter",
		Message: "Our winter hours start Monday. Reply STOP to opt out.", PhoneNumberID: AcmeProvisionedNumberID,
		Recipients: []string{"+12125550180", "+12125550181", "+12125550182"}, ScheduledAt: &at,
		Status: broadcastSent, SentAt: ptr(at.Add(BroadcastSendTime)),
		Created: at.Add(-48 * time.Hour), Modified: at.Add(BroadcastSendTime),
	}
	s.Broadcasts[OtherAccountBroadcastID] = &broadcast{
		ID: OtherAccountBroadcastID, OrgUnitID: OtherAccountOrgUnitID, Name: "Globex spring sale",
		Message: "Spring sale this weekend.", PhoneNumberID: OtherAccountNumberID,
		Recipients: []string{"+12135550188"}, Status: broadcastDraft,
		Created: at, Modified: at,
	}
}

// advanceBroadcasts moves every scheduled or sending broadcast along its
// lifecycle to the time now. Every broadcast handler calls it first, so
// reads and writes see the status the clock implies.
func (s *state) advanceBroadcasts(now time.Time) {
	for _, b := range s.Broadcasts {
		if b.ScheduledAt == nil {
			continue
		}
		at := *b.ScheduledAt
		if b.Status == broadcastScheduled && !now.Before(at) {
			b.Status, b.Modified = broadcastSending, at
			if !s.accountHolds(b.OrgUnitID, b.PhoneNumberID) {
				b.Status = broadcastFailed
			}
		}
		if done := at.Add(BroadcastSendTime); b.Status == broadcastSending && !now.Before(done) {
			b.Status, b.SentAt, b.Modified = broadcastSent, &done, done
		}
	}
}

// accountHolds reports whether the account of org unit ouID still holds
// the number (reserved or provisioned).
func (s *state) accountHolds(ouID, numberID int64) bool {
	ou, n := s.OrgUnits[ouID], s.PhoneNumbers[numberID]
	return ou != nil && n != nil && n.Status != numberAvailable && n.OrgUnitID != nil && s.within(ou.TopID, *n.OrgUnitID)
}

// broadcastView is the Broadcast object of api/broadcasts.md.
type broadcastView struct {
	ID             int64    `json:"broadcast_id"`
	OrgUnitID      int64    `json:"org_unit_id"`
	Name           string   `json:"broadcast_name"`
	Message        string   `json:"message"`
	PhoneNumberID  int64    `json:"phone_number_id"`
	Recipients     []string `json:"recipients"`
	RecipientCount int      `json:"recipient_count"`
	ScheduledAt    *string  `json:"scheduled_at"`
	Status         string   `json:"status"`
	SentAt         *string  `json:"sent_at"`
	Created        string   `json:"broadcast_created"`
	Modified       string   `json:"broadcast_modified"`
}

func isoPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return ptr(iso(*t))
}

func (b *broadcast) view() broadcastView {
	return broadcastView{
		ID: b.ID, OrgUnitID: b.OrgUnitID, Name: b.Name, Message: b.Message, PhoneNumberID: b.PhoneNumberID,
		Recipients: slices.Clone(b.Recipients), RecipientCount: len(b.Recipients), ScheduledAt: isoPtr(b.ScheduledAt),
		Status: b.Status, SentAt: isoPtr(b.SentAt), Created: iso(b.Created), Modified: iso(b.Modified),
	}
}

// listBroadcasts is GET /v3/broadcast.
func listBroadcasts(c *call) (any, *apiError) {
	c.st.advanceBroadcasts(c.now)
	q := c.query()
	status := q.enum("status", "", broadcastDraft, broadcastScheduled, broadcastSending, broadcastSent, broadcastFailed)
	limit, offset := q.paging(100)
	ouID, err := c.listOrgUnit(q)
	if err != nil {
		return nil, err
	}
	found := under(c.st, c.st.Broadcasts, ouID, func(b *broadcast) bool { return status == "" || b.Status == status })
	byID := func(a, b *broadcast) int { return cmp.Compare(a.ID, b.ID) }
	return listReply("broadcasts", found, byID, limit, offset, (*broadcast).view), nil
}

// getBroadcast is GET /v3/broadcast/{id}.
func getBroadcast(c *call) (any, *apiError) {
	c.st.advanceBroadcasts(c.now)
	b, err := lookup(c, c.st.Broadcasts, "Broadcast")
	if err != nil {
		return nil, err
	}
	return b.view(), nil
}

// broadcastBody is a decoded Create, Update or Patch Broadcast body.
type broadcastBody struct {
	name, message  field[string]
	numberID, ouID field[int64]
	recipients     field[[]string]
	scheduledAt    field[time.Time] // nullable: null makes a draft
}

var broadcastFields = []string{"broadcast_name", "message", "phone_number_id", "recipients", "org_unit_id", "scheduled_at"}

// decodeBroadcastBody validates a broadcast body (the 400 step): B3 (a
// future scheduled_at) and B4 (a message, one recipient at least) included.
func (c *call) decodeBroadcastBody(patch bool) (broadcastBody, *apiError) {
	var b broadcastBody
	o, err := c.object()
	if err != nil {
		return b, err
	}
	b.name = textMember(o, "broadcast_name", true, patch)
	b.message = textMember(o, "message", true, patch)
	b.numberID = idMember(o, "phone_number_id", true, patch)
	b.ouID = idMember(o, "org_unit_id", false, patch)
	switch {
	case !o.has("recipients") || o.isNull("recipients"):
		if !patch || o.isNull("recipients") {
			o.fail("recipients", "must hold one phone number at least")
		}
	default:
		var list []string
		if o.value("recipients", &list, "must be an array of strings") {
			switch {
			case len(list) == 0:
				o.fail("recipients", "must hold one phone number at least")
			case slices.ContainsFunc(list, func(s string) bool { return strings.TrimSpace(s) == "" }):
				o.fail("recipients", "must not hold an empty number")
			default:
				b.recipients = field[[]string]{set: true, v: list}
			}
		}
	}
	switch {
	case o.isNull("scheduled_at"):
		b.scheduledAt = field[time.Time]{set: true, null: true}
	case o.has("scheduled_at"):
		if s, ok := o.str("scheduled_at"); ok {
			t, err := time.Parse(time.RFC3339Nano, s)
			switch {
			case err != nil:
				o.fail("scheduled_at", "must be an ISO-8601 time")
			case !t.After(c.now):
				o.fail("scheduled_at", "must be in the future")
			default:
				b.scheduledAt = field[time.Time]{set: true, v: t.UTC()}
			}
		}
	}
	if patch {
		o.requireChange(broadcastFields)
	}
	return b, o.err()
}

// checkBroadcastRefs applies S7 to the body's org unit and requires the
// sending number to be held by the caller's hierarchy (400).
func (c *call) checkBroadcastRefs(b broadcastBody) *apiError {
	if err := c.checkOrgUnitRef(b.ouID); err != nil {
		return err
	}
	if b.numberID.set && c.heldNumber(b.numberID.v) == nil {
		return invalid(fieldError{"phone_number_id", "is not a number held by your hierarchy"})
	}
	return nil
}

// apply writes the body onto br and sets the status that scheduled_at
// implies; with full set (create, PUT) the members that were not sent take
// their defaults.
func (b broadcastBody) apply(br *broadcast, full bool, callerOU int64) {
	if b.name.set {
		br.Name = b.name.v
	}
	if b.message.set {
		br.Message = b.message.v
	}
	if b.numberID.set {
		br.PhoneNumberID = b.numberID.v
	}
	if b.recipients.set {
		br.Recipients = b.recipients.v
	}
	switch {
	case b.ouID.set:
		br.OrgUnitID = b.ouID.v
	case full && br.OrgUnitID == 0:
		br.OrgUnitID = callerOU
	}
	setNullable(&br.ScheduledAt, b.scheduledAt, full)
	br.Status = broadcastDraft
	if br.ScheduledAt != nil {
		br.Status = broadcastScheduled
	}
}

// createBroadcast is POST /v3/broadcast: a draft without scheduled_at,
// scheduled with one.
func createBroadcast(c *call) (any, *apiError) {
	c.st.advanceBroadcasts(c.now)
	b, err := c.decodeBroadcastBody(false)
	if err == nil {
		err = c.checkBroadcastRefs(b)
	}
	if err != nil {
		return nil, err
	}
	br := &broadcast{ID: c.st.newID(), Created: c.now, Modified: c.now}
	b.apply(br, true, c.caller.OrgUnitID)
	c.st.Broadcasts[br.ID] = br
	return map[string]int64{"broadcastId": br.ID}, nil
}

// updateBroadcast is PUT /v3/broadcast/{id} and patchBroadcast PATCH: only
// a draft or scheduled broadcast may change (B1, 409).
func updateBroadcast(c *call) (any, *apiError) { return c.editBroadcast(false) }
func patchBroadcast(c *call) (any, *apiError)  { return c.editBroadcast(true) }

func (c *call) editBroadcast(patch bool) (any, *apiError) {
	c.st.advanceBroadcasts(c.now)
	id, b, err := idAndBody(c, patch, c.decodeBroadcastBody)
	if err == nil {
		err = c.checkBroadcastRefs(b)
	}
	if err != nil {
		return nil, err
	}
	br, err := visible(c, c.st.Broadcasts, id, "Broadcast")
	if err != nil {
		return nil, err
	}
	if br.Status != broadcastDraft && br.Status != broadcastScheduled {
		return nil, errorf(http.StatusConflict, "Broadcast %d is %s and can no longer be edited", br.ID, br.Status)
	}
	b.apply(br, !patch, c.caller.OrgUnitID)
	br.Modified = c.now
	return br.view(), nil
}

// deleteBroadcast is DELETE /v3/broadcast/{id}: a hard delete, refused
// while sending or once sent (B2, 409).
func deleteBroadcast(c *call) (any, *apiError) {
	c.st.advanceBroadcasts(c.now)
	id, err := c.pathID("id")
	if err != nil {
		return nil, err
	}
	br, err := visible(c, c.st.Broadcasts, id, "Broadcast")
	if err != nil {
		return nil, err
	}
	if br.Status == broadcastSending || br.Status == broadcastSent {
		return nil, errorf(http.StatusConflict, "Broadcast %d is %s and cannot be deleted", br.ID, br.Status)
	}
	delete(c.st.Broadcasts, id)
	return map[string]int64{"broadcastId": id}, nil
}
