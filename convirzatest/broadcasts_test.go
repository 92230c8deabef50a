package convirzatest

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// wireBroadcast is a Broadcast as the wire has it.
type wireBroadcast struct {
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

// broadcastBodyFor is a valid Create Broadcast body, with changes applied
// (a nil value deletes the member).
func broadcastBodyFor(changes map[string]any) map[string]any {
	b := map[string]any{"broadcast_name": "Promo", "message": "Sale on Friday. Reply STOP to opt out.",
		"phone_number_id": AcmeProvisionedNumberID, "recipients": []string{"+18015557654", "+18015550123"}}
	return withChanges(b, changes)
}

func mkBroadcast(t *testing.T, s *Server, tok string, b map[string]any) int64 {
	t.Helper()
	return createdID(t, send(t, "POST", s.URL+"/broadcast", tok, b), "broadcastId")
}

func getBroadcastWire(t *testing.T, s *Server, tok string, id int64) wireBroadcast {
	t.Helper()
	return getData[wireBroadcast](t, s, tok, fmt.Sprintf("/broadcast/%d", id))
}

func TestBroadcastLifecycle(t *testing.T) {
	clk := newClock() // 2026-01-20T12:00:00Z
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)

	id := mkBroadcast(t, s, tok, broadcastBodyFor(map[string]any{"scheduled_at": "2026-01-20T13:00:00Z"}))
	url := fmt.Sprintf("%s/broadcast/%d", s.URL, id)
	b := getBroadcastWire(t, s, tok, id)
	if b.Status != "scheduled" || b.ScheduledAt == nil || *b.ScheduledAt != "2026-01-20T13:00:00.000Z" || b.SentAt != nil ||
		b.RecipientCount != 2 || b.OrgUnitID != AccountOrgUnitID || b.Created != "2026-01-20T12:00:00.000Z" {
		t.Fatalf("scheduled broadcast %+v", b)
	}
	// Editable while scheduled (B1).
	b = dataOf[wireBroadcast](t, send(t, "PATCH", url, tok, map[string]any{"message": "New text"}).want(t, http.StatusOK))
	if b.Message != "New text" || b.Status != "scheduled" {
		t.Errorf("patched %+v", b)
	}

	// The clock reaches scheduled_at: sending. No edit, no delete.
	clk.Advance(time.Hour)
	if b = getBroadcastWire(t, s, tok, id); b.Status != "sending" || b.SentAt != nil {
		t.Fatalf("at scheduled_at: %+v", b)
	}
	r := send(t, "PATCH", url, tok, map[string]any{"message": "Too late"}).want(t, http.StatusConflict)
	checkEnvelope(t, r)
	if r.env.Message != fmt.Sprintf("Broadcast %d is sending and can no longer be edited", id) {
		t.Errorf("message %q", r.env.Message)
	}
	send(t, "DELETE", url, tok, nil).want(t, http.StatusConflict)

	// BroadcastSendTime later: sent, with sent_at. Still no edit or delete.
	clk.Advance(BroadcastSendTime)
	if b = getBroadcastWire(t, s, tok, id); b.Status != "sent" || b.SentAt == nil || *b.SentAt != "2026-01-20T13:01:00.000Z" ||
		b.Modified != *b.SentAt || b.Message != "New text" {
		t.Fatalf("after sending: %+v", b)
	}
	send(t, "PUT", url, tok, broadcastBodyFor(nil)).want(t, http.StatusConflict)
	send(t, "DELETE", url, tok, nil).want(t, http.StatusConflict)
	if ids, _ := listBroadcastIDs(t, s, tok, "status=sent"); !slices.Equal(ids, []int64{SentBroadcastID, id}) {
		t.Errorf("sent broadcasts %v", ids)
	}
}

func TestBroadcastLifecycleAppliesToLists(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	id := mkBroadcast(t, s, tok, broadcastBodyFor(map[string]any{"scheduled_at": "2026-01-20T12:00:00.001Z"}))
	clk.Advance(2 * BroadcastSendTime)
	// The list is the first read after the time passed.
	if ids, total := listBroadcastIDs(t, s, tok, "status=sent"); !slices.Contains(ids, id) || total != 2 {
		t.Errorf("sent: %v (%d)", ids, total)
	}
}

func TestBroadcastDraftScheduleAndDelete(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, StandardEmail) // Standard writes broadcasts too

	id := mkBroadcast(t, s, tok, broadcastBodyFor(map[string]any{"phone_number_id": SalesReservedNumberID}))
	url := fmt.Sprintf("%s/broadcast/%d", s.URL, id)
	b := getBroadcastWire(t, s, tok, id)
	if b.Status != "draft" || b.ScheduledAt != nil || b.OrgUnitID != SalesOrgUnitID {
		t.Fatalf("draft %+v", b)
	}
	// A draft stays a draft whatever the clock says.
	clk.Advance(24 * time.Hour)
	if b = getBroadcastWire(t, s, tok, id); b.Status != "draft" {
		t.Fatalf("a draft moved on: %+v", b)
	}
	b = dataOf[wireBroadcast](t, send(t, "PATCH", url, tok, map[string]any{"scheduled_at": "2026-02-01T09:00:00.000Z"}).want(t, http.StatusOK))
	if b.Status != "scheduled" || *b.ScheduledAt != "2026-02-01T09:00:00.000Z" || b.Modified != "2026-01-21T12:00:00.000Z" {
		t.Errorf("scheduled %+v", b)
	}
	// The docs' example: null makes it a draft again.
	b = dataOf[wireBroadcast](t, send(t, "PATCH", url, tok, `{ "scheduled_at": null }`).want(t, http.StatusOK))
	if b.Status != "draft" || b.ScheduledAt != nil {
		t.Errorf("back to draft %+v", b)
	}
	// PUT replaces everything; scheduled_at left out means draft.
	b = dataOf[wireBroadcast](t, send(t, "PUT", url, tok, broadcastBodyFor(map[string]any{"phone_number_id": SalesReservedNumberID,
		"broadcast_name": "Renamed", "recipients": []string{"+18015550000"}})).want(t, http.StatusOK))
	if b.Name != "Renamed" || b.RecipientCount != 1 || b.Status != "draft" {
		t.Errorf("replaced %+v", b)
	}
	r := send(t, "DELETE", url, tok, nil).want(t, http.StatusOK)
	var d map[string]int64
	r.data(t, &d)
	if d["broadcastId"] != id {
		t.Errorf("delete reply %s", r.env.Data)
	}
	send(t, "GET", url, tok, nil).want(t, http.StatusNotFound)
}

func TestBroadcastFailsWithoutItsNumber(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	id := mkBroadcast(t, s, tok, broadcastBodyFor(map[string]any{"phone_number_id": SalesReservedNumberID,
		"scheduled_at": "2026-01-20T12:30:00Z"}))
	send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, SalesReservedNumberID), tok, nil).want(t, http.StatusOK)
	clk.Advance(time.Hour)
	if b := getBroadcastWire(t, s, tok, id); b.Status != "failed" || b.SentAt != nil {
		t.Fatalf("broadcast without its number: %+v", b)
	}
	url := fmt.Sprintf("%s/broadcast/%d", s.URL, id)
	send(t, "PATCH", url, tok, map[string]any{"message": "retry"}).want(t, http.StatusConflict)
	send(t, "DELETE", url, tok, nil).want(t, http.StatusOK) // failed may be deleted
}

func TestBroadcastInvalid(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	for name, c := range map[string]struct {
		body  any
		field string
	}{
		"not an object":         {`"x"`, "body"},
		"no name":               {broadcastBodyFor(map[string]any{"broadcast_name": nil}), "broadcast_name"},
		"empty message (B4)":    {broadcastBodyFor(map[string]any{"message": ""}), "message"},
		"no message (B4)":       {broadcastBodyFor(map[string]any{"message": nil}), "message"},
		"no recipients (B4)":    {broadcastBodyFor(map[string]any{"recipients": nil}), "recipients"},
		"empty recipients (B4)": {broadcastBodyFor(map[string]any{"recipients": []string{}}), "recipients"},
		"blank recipient":       {broadcastBodyFor(map[string]any{"recipients": []string{"+1801", " "}}), "recipients"},
		"recipients not list":   {broadcastBodyFor(map[string]any{"recipients": 5}), "recipients"},
		"past schedule (B3)":    {broadcastBodyFor(map[string]any{"scheduled_at": "2026-01-20T11:59:59Z"}), "scheduled_at"},
		"schedule now (B3)":     {broadcastBodyFor(map[string]any{"scheduled_at": "2026-01-20T12:00:00Z"}), "scheduled_at"},
		"schedule not a time":   {broadcastBodyFor(map[string]any{"scheduled_at": "next friday"}), "scheduled_at"},
		"no number":             {broadcastBodyFor(map[string]any{"phone_number_id": nil}), "phone_number_id"},
		"number not held":       {broadcastBodyFor(map[string]any{"phone_number_id": InventoryNumberID}), "phone_number_id"},
		"Globex number":         {broadcastBodyFor(map[string]any{"phone_number_id": OtherAccountNumberID}), "phone_number_id"},
		"org unit outside":      {broadcastBodyFor(map[string]any{"org_unit_id": OtherAccountOrgUnitID}), "org_unit_id"},
	} {
		t.Run(name, func(t *testing.T) { send(t, "POST", s.URL+"/broadcast", tok, c.body).wantField(t, c.field) })
	}

	id := mkBroadcast(t, s, tok, broadcastBodyFor(nil))
	url := fmt.Sprintf("%s/broadcast/%d", s.URL, id)
	for name, c := range map[string]struct {
		body  any
		field string
	}{
		"empty":           {map[string]any{}, "body"},
		"null message":    {map[string]any{"message": nil}, "message"},
		"null recipients": {map[string]any{"recipients": nil}, "recipients"},
		"null name":       {map[string]any{"broadcast_name": nil}, "broadcast_name"},
		"past schedule":   {map[string]any{"scheduled_at": "2025-12-31T00:00:00Z"}, "scheduled_at"},
	} {
		t.Run("patch "+name, func(t *testing.T) { send(t, "PATCH", url, tok, c.body).wantField(t, c.field) })
	}
	send(t, "PUT", url, tok, map[string]any{"message": "only"}).wantField(t, "broadcast_name")
	send(t, "PATCH", s.URL+"/broadcast/0", tok, map[string]any{"message": "x"}).wantField(t, "id")
	send(t, "PATCH", s.URL+"/broadcast/424242", tok, map[string]any{"message": "x"}).want(t, http.StatusNotFound)
	if b := getBroadcastWire(t, s, tok, id); b.Status != "draft" || b.Message != "Sale on Friday. Reply STOP to opt out." {
		t.Errorf("refused writes changed the broadcast: %+v", b)
	}
}

// listBroadcastIDs lists broadcasts with the query.
func listBroadcastIDs(t *testing.T, s *Server, tok, query string) ([]int64, int) {
	t.Helper()
	return pageIDs(t, s, tok, "/broadcast?"+query, "broadcasts", "broadcast_id")
}

func TestBroadcastsSeedScopeAndRoles(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	b := getBroadcastWire(t, s, admin, SentBroadcastID)
	if b.Status != "sent" || b.SentAt == nil || b.RecipientCount != 3 || len(b.Recipients) != 3 {
		t.Errorf("seeded broadcast %+v", b)
	}
	url := fmt.Sprintf("%s/broadcast/%d", s.URL, SentBroadcastID)
	send(t, "DELETE", url, admin, nil).want(t, http.StatusConflict) // B2
	send(t, "PATCH", url, admin, map[string]any{"message": "x"}).want(t, http.StatusConflict)

	if ids, total := listBroadcastIDs(t, s, admin, ""); !slices.Equal(ids, []int64{SentBroadcastID}) || total != 1 {
		t.Errorf("Acme broadcasts %v (%d)", ids, total)
	}
	for query, field := range map[string]string{"status=queued": "status", "limit=500": "limit", "offset=x": "offset"} {
		send(t, "GET", s.URL+"/broadcast?"+query, admin, nil).wantField(t, field)
	}
	send(t, "GET", s.URL+"/broadcast?org_unit_id=2001", admin, nil).want(t, http.StatusForbidden)
	other := fmt.Sprintf("%s/broadcast/%d", s.URL, OtherAccountBroadcastID)
	send(t, "GET", other, admin, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", other, admin, nil).want(t, http.StatusNotFound)

	// Standard sees its own hierarchy; ReadOnly reads only (S3).
	std := token(t, s, StandardEmail)
	if ids, _ := listBroadcastIDs(t, s, std, ""); len(ids) != 0 {
		t.Errorf("Standard sees %v", ids)
	}
	send(t, "GET", url, std, nil).want(t, http.StatusNotFound)
	ro := token(t, s, ReadOnlyEmail)
	listBroadcastIDs(t, s, ro, "")
	send(t, "POST", s.URL+"/broadcast", ro, broadcastBodyFor(map[string]any{"phone_number_id": SupportTollFreeNumberID})).want(t, http.StatusForbidden)
	send(t, "PUT", url, ro, broadcastBodyFor(nil)).want(t, http.StatusForbidden)
	send(t, "PATCH", url, ro, map[string]any{"message": "x"}).want(t, http.StatusForbidden)
	send(t, "DELETE", url, ro, nil).want(t, http.StatusForbidden)
	// ReadOnly's 403 comes before the 400 of a bad body.
	send(t, "POST", s.URL+"/broadcast", ro, map[string]any{}).want(t, http.StatusForbidden)
}
