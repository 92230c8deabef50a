package convirza

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// broadcastJSON is the docs' example broadcast, as Get and the writes
// return it.
const broadcastJSON = `{"broadcast_id":1201,"org_unit_id":1001,"broadcast_name":"March promo",
	"message":"Spring sale starts Friday! Reply STOP to opt out.","phone_number_id":67890,
	"recipients":["+18015557654","+18015550123"],"recipient_count":2,"scheduled_at":"2026-03-06T15:00:00.000Z",
	"status":"scheduled","sent_at":null,"broadcast_created":"2026-03-01T09:00:00.000Z","broadcast_modified":"2026-03-01T09:00:00.000Z"}`

// future is a time that stays in the future while the tests run.
var future = time.Date(2099, 3, 6, 15, 0, 0, 0, time.UTC)

func TestBroadcastsListWire(t *testing.T) {
	page := assertSends(t, "GET", "/broadcast", url.Values{
		"limit": {"50"}, "offset": {"100"}, "org_unit_id": {"1001"}, "status": {"scheduled"},
	}, string(golden(t, "broadcasts/list.json")), "", func(c *Client) (*Page[Broadcast], error) {
		return c.Broadcasts.List(context.Background(), &ListBroadcastsParams{
			PageParams: PageParams{Limit: 50, Offset: 100}, OrgUnitID: 1001, Status: BroadcastScheduled,
		})
	})
	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	b := page.Items[0]
	assert.Equal(t, int64(1201), b.ID)
	assert.Equal(t, int64(1001), b.OrgUnitID)
	assert.Equal(t, "March promo", b.Name)
	assert.Equal(t, "Spring sale starts Friday! Reply STOP to opt out.", b.Message)
	assert.Equal(t, int64(67890), b.PhoneNumberID)
	assert.Equal(t, []string{"+18015557654", "+18015550123"}, b.Recipients)
	assert.Equal(t, 2, b.RecipientCount)
	require.NotNil(t, b.ScheduledAt)
	assert.True(t, time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC).Equal(*b.ScheduledAt))
	assert.Equal(t, BroadcastScheduled, b.Status)
	assert.Nil(t, b.SentAt)
	assert.True(t, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Equal(b.Created))
	assert.True(t, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Equal(b.Modified))
}

func TestBroadcastsListAcceptsSingularKey(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/broadcast", 200, envelopeJSON(
		`{"broadcast":[{"broadcast_id":7,"status":"queued","recipient_count":3}],"total":1}`))
	page, err := c.Broadcasts.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	b := page.Items[0]
	assert.Equal(t, int64(7), b.ID)
	assert.Equal(t, BroadcastStatus("queued"), b.Status, "unknown statuses are kept")
	assert.Nil(t, b.Recipients, "recipients may be left out of list items")
	assert.Equal(t, 3, b.RecipientCount)
}

func TestBroadcastsGetWire(t *testing.T) {
	b := assertGetWire(t, "/broadcast/%d", 1201, envelopeJSON(broadcastJSON), func(c *Client, id int64) (*Broadcast, error) {
		return c.Broadcasts.Get(context.Background(), id)
	})
	assert.True(t, b.Status.Editable())
}

func TestBroadcastsCreateWire(t *testing.T) {
	// A time in another zone is sent in UTC.
	at := future.In(time.FixedZone("MST", -7*3600))
	assertWriteWire(t, "POST", "/broadcast", string(golden(t, "broadcasts/create.json")),
		`{"broadcast_name":"March promo","message":"Spring sale starts Friday! Reply STOP to opt out.","phone_number_id":67890,
		  "recipients":["+18015557654","+18015550123"],"org_unit_id":1001,"scheduled_at":"2099-03-06T15:00:00Z"}`,
		1201, func(c *Client) (*Created, error) {
			return c.Broadcasts.Create(context.Background(), &CreateBroadcastParams{
				Name: "March promo", Message: "Spring sale starts Friday! Reply STOP to opt out.", PhoneNumberID: 67890,
				Recipients: []string{"+18015557654", "+18015550123"}, OrgUnitID: 1001, ScheduledAt: &at,
			})
		})
	assert.Equal(t, time.FixedZone("MST", -7*3600).String(), at.Location().String(), "the caller's time is not changed")
}

func TestBroadcastsCreateDraftLeavesScheduleOut(t *testing.T) {
	// broadcast_id, as a string, is read too.
	assertWriteWire(t, "POST", "/broadcast", envelopeJSON(`{"broadcast_id":"1202"}`),
		`{"broadcast_name":"Draft","message":"Hi","phone_number_id":1,"recipients":["18015557654"]}`, 1202, func(c *Client) (*Created, error) {
			return c.Broadcasts.Create(context.Background(), &CreateBroadcastParams{
				Name: "Draft", Message: "Hi", PhoneNumberID: 1, Recipients: []string{"18015557654"},
			})
		})
}

func TestBroadcastsCreateRefusesBadParamsBeforeIO(t *testing.T) {
	ok := CreateBroadcastParams{Name: "n", Message: "m", PhoneNumberID: 1, Recipients: []string{"+18015557654"}}
	cases := changed(ok, map[string]func(*CreateBroadcastParams){
		"no name":         func(p *CreateBroadcastParams) { p.Name = "" },
		"empty message":   func(p *CreateBroadcastParams) { p.Message = "" },
		"blank message":   func(p *CreateBroadcastParams) { p.Message = " \n" },
		"no number":       func(p *CreateBroadcastParams) { p.PhoneNumberID = 0 },
		"no recipients":   func(p *CreateBroadcastParams) { p.Recipients = nil },
		"empty list":      func(p *CreateBroadcastParams) { p.Recipients = []string{} },
		"blank recipient": func(p *CreateBroadcastParams) { p.Recipients = []string{"+18015557654", ""} },
	})
	cases["nil"] = nil
	assertRefusedBeforeIO(t, cases, func(c *Client, p *CreateBroadcastParams) error {
		_, err := c.Broadcasts.Create(context.Background(), p)
		return err
	})
}

func TestBroadcastsUpdateWire(t *testing.T) {
	assertWriteWire(t, "PUT", "/broadcast/1201", envelopeJSON(broadcastJSON),
		`{"broadcast_name":"March promo","message":"New text","phone_number_id":67890,"recipients":["+18015557654"]}`, 1201, func(c *Client) (*Broadcast, error) {
			return c.Broadcasts.Update(context.Background(), 1201, &UpdateBroadcastParams{
				Name: "March promo", Message: "New text", PhoneNumberID: 67890, Recipients: []string{"+18015557654"},
			})
		})

	assertRefusedBeforeIO(t, map[string]withID[UpdateBroadcastParams]{
		"id 0":          {0, &UpdateBroadcastParams{Name: "n", Message: "m", PhoneNumberID: 1, Recipients: []string{"1"}}},
		"empty message": {1201, &UpdateBroadcastParams{Name: "n", Message: "", PhoneNumberID: 1, Recipients: []string{"1"}}},
	}, func(c *Client, p withID[UpdateBroadcastParams]) error {
		_, err := c.Broadcasts.Update(context.Background(), p.id, p.p)
		return err
	})
}

func TestBroadcastsUpdateSentIsConflict(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "PUT", "/broadcast/1201", 409, `{"code":409,"message":"Broadcast is sent and can no longer be edited"}`)
	_, err := c.Broadcasts.Update(context.Background(), 1201, &UpdateBroadcastParams{Name: "n", Message: "m", PhoneNumberID: 1, Recipients: []string{"1"}})
	assert.ErrorIs(t, err, ErrConflict)
}

func TestBroadcastsPatchWire(t *testing.T) {
	// The docs' example: back to a draft.
	assertWriteWire(t, "PATCH", "/broadcast/1201", envelopeJSON(broadcastJSON),
		string(golden(t, "broadcasts/patch_request.json")), 1201, func(c *Client) (*Broadcast, error) {
			return c.Broadcasts.Patch(context.Background(), 1201, &PatchBroadcastParams{ScheduledAt: Null[time.Time]()})
		})

	at := future.In(time.FixedZone("CET", 3600))
	assertWriteWire(t, "PATCH", "/broadcast/1201", envelopeJSON(broadcastJSON),
		`{"message":"Hello","recipients":["+18015550123"],"scheduled_at":"2099-03-06T15:00:00Z"}`, 1201, func(c *Client) (*Broadcast, error) {
			return c.Broadcasts.Patch(context.Background(), 1201, &PatchBroadcastParams{
				ScheduledAt: Set(at), Recipients: Set([]string{"+18015550123"}), Message: Set("Hello"),
			})
		})
}

func TestBroadcastsPatchRefusesBadParamsBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[PatchBroadcastParams]{
		"nil":             {1, nil},
		"empty":           {1, &PatchBroadcastParams{}},
		"empty message":   {1, &PatchBroadcastParams{Message: Set("")}},
		"null message":    {1, &PatchBroadcastParams{Message: Null[string]()}},
		"no recipients":   {1, &PatchBroadcastParams{Recipients: Set([]string{})}},
		"null recipients": {1, &PatchBroadcastParams{Recipients: Null[[]string]()}},
		"id 0":            {0, &PatchBroadcastParams{Name: Set("x")}},
	}, func(c *Client, p withID[PatchBroadcastParams]) error {
		_, err := c.Broadcasts.Patch(context.Background(), p.id, p.p)
		return err
	})
}

func TestBroadcastsDeleteWire(t *testing.T) {
	assertDeleteWire(t, "/broadcast/%d", 1201, string(golden(t, "broadcasts/delete.json")), func(c *Client, id int64) error {
		return c.Broadcasts.Delete(context.Background(), id)
	})
}

func TestBroadcastsDeleteSendingIsConflict(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "DELETE", "/broadcast/1201", 409, `{"code":409,"message":"Broadcast is sending"}`)
	assert.ErrorIs(t, c.Broadcasts.Delete(context.Background(), 1201), ErrConflict)
}

func TestBroadcastStatusLifecycle(t *testing.T) {
	for s, want := range map[BroadcastStatus][2]bool{
		BroadcastDraft:     {true, true},
		BroadcastScheduled: {true, true},
		BroadcastSending:   {false, false},
		BroadcastSent:      {false, false},
		BroadcastFailed:    {false, true},
		"queued":           {false, false},
	} {
		assert.Equal(t, want[0], s.Editable(), "%s editable", s)
		assert.Equal(t, want[1], s.Deletable(), "%s deletable", s)
	}
}

func TestBroadcastsGolden(t *testing.T) {
	page := decodeGolden[broadcastList](t, goldenData(t, "broadcasts/list.json"))
	require.Len(t, page.Broadcasts, 1)

	assertGoldenIDs(t, 1201, "broadcasts/create.json", "broadcasts/delete.json")

	body := decodeGolden[CreateBroadcastParams](t, golden(t, "broadcasts/create_request.json"))
	require.NotNil(t, body.ScheduledAt)
	assert.Equal(t, 2026, body.ScheduledAt.Year())

	patch := golden(t, "broadcasts/patch_request.json")
	pb := decodeGolden[PatchBroadcastParams](t, patch)
	assert.True(t, pb.ScheduledAt.IsNull())
	assertEncodesAs(t, patch, &pb)
}

func TestBroadcastToleratesDrift(t *testing.T) {
	var b Broadcast
	require.NoError(t, jsonUnmarshal([]byte(`{"broadcast_id":"1201","recipients":"+18015557654","recipient_count":"1",
		"scheduled_at":"2026-03-06 15:00:00","sent_at":1772809200,"status":"cancelled","new":true}`), &b))
	assert.Equal(t, int64(1201), b.ID)
	assert.Equal(t, []string{"+18015557654"}, b.Recipients)
	assert.Equal(t, 1, b.RecipientCount)
	require.NotNil(t, b.ScheduledAt)
	assert.Equal(t, 15, b.ScheduledAt.Hour())
	require.NotNil(t, b.SentAt)
	assert.Equal(t, int64(1772809200), b.SentAt.Unix())
	assert.Equal(t, BroadcastStatus("cancelled"), b.Status)
	assert.Contains(t, string(b.Raw), `"new"`)
}
