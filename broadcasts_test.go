package convirza

import (
	"context"
	"encoding/json"
	"net/http"
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
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/broadcast", 200, string(golden(t, "broadcasts/list.json")))

	page, err := c.Broadcasts.List(context.Background(), &ListBroadcastsParams{
		PageParams: PageParams{Limit: 50, Offset: 100}, OrgUnitID: 1001, Status: BroadcastScheduled,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/broadcast", url.Values{
		"limit": {"50"}, "offset": {"100"}, "org_unit_id": {"1001"}, "status": {"scheduled"},
	}, "")
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

	_, err = c.Broadcasts.List(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/broadcast", url.Values{"limit": {"100"}}, "")
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

func TestBroadcastsListRefusesBadPagingBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/broadcast", 200, envelopeJSON(`{"broadcasts":[],"total":0}`))
	for name, p := range map[string]*ListBroadcastsParams{
		"limit 201": {PageParams: PageParams{Limit: 201}},
		"offset -1": {PageParams: PageParams{Offset: -1}},
	} {
		_, err := c.Broadcasts.List(context.Background(), p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	assert.Zero(t, rec.count())
}

func TestBroadcastsAllWalksEveryPage(t *testing.T) {
	c, mt := newWireClient(t)
	var offsets []string
	mt.RegisterRegexpResponder("GET", regexpFor(testBase+"/broadcast"), func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		offsets = append(offsets, q.Get("offset"))
		assert.Equal(t, "sent", q.Get("status"))
		body := map[string]string{
			"":  `{"broadcasts":[{"broadcast_id":1}],"total":2}`,
			"1": `{"broadcasts":[{"broadcast_id":2}],"total":2}`,
		}[q.Get("offset")]
		return newJSONResponse(200, envelopeJSON(body)), nil
	})
	var ids []int64
	for b, err := range c.Broadcasts.All(context.Background(), &ListBroadcastsParams{PageParams: PageParams{Limit: 1}, Status: BroadcastSent}) {
		require.NoError(t, err)
		ids = append(ids, b.ID)
	}
	assert.Equal(t, []int64{1, 2}, ids)
	assert.Equal(t, []string{"", "1"}, offsets)
}

func TestBroadcastsGetWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/broadcast/1201", 200, envelopeJSON(broadcastJSON))
	b, err := c.Broadcasts.Get(context.Background(), 1201)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/broadcast/1201", nil, "")
	assert.Equal(t, int64(1201), b.ID)
	assert.True(t, b.Status.Editable())

	_, err = c.Broadcasts.Get(context.Background(), 0)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestBroadcastsCreateWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/broadcast", 200, string(golden(t, "broadcasts/create.json")))
	// A time in another zone is sent in UTC.
	at := future.In(time.FixedZone("MST", -7*3600))
	created, err := c.Broadcasts.Create(context.Background(), &CreateBroadcastParams{
		Name: "March promo", Message: "Spring sale starts Friday! Reply STOP to opt out.", PhoneNumberID: 67890,
		Recipients: []string{"+18015557654", "+18015550123"}, OrgUnitID: 1001, ScheduledAt: &at,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "POST", "/broadcast", nil,
		`{"broadcast_name":"March promo","message":"Spring sale starts Friday! Reply STOP to opt out.","phone_number_id":67890,
		  "recipients":["+18015557654","+18015550123"],"org_unit_id":1001,"scheduled_at":"2099-03-06T15:00:00Z"}`)
	assert.Equal(t, int64(1201), created.ID)
	assert.Equal(t, time.FixedZone("MST", -7*3600).String(), at.Location().String(), "the caller's time is not changed")
	assert.Equal(t, 1, rec.count(), "a POST is not retried")
}

func TestBroadcastsCreateDraftLeavesScheduleOut(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/broadcast", 200, envelopeJSON(`{"broadcast_id":"1202"}`))
	created, err := c.Broadcasts.Create(context.Background(), &CreateBroadcastParams{
		Name: "Draft", Message: "Hi", PhoneNumberID: 1, Recipients: []string{"18015557654"},
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "POST", "/broadcast", nil,
		`{"broadcast_name":"Draft","message":"Hi","phone_number_id":1,"recipients":["18015557654"]}`)
	assert.Equal(t, int64(1202), created.ID, "broadcast_id is read too")
}

func TestBroadcastsCreateRefusesBadParamsBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/broadcast", 200, envelopeJSON(`{"broadcastId":1}`))
	past := time.Now().Add(-time.Minute)
	ok := CreateBroadcastParams{Name: "n", Message: "m", PhoneNumberID: 1, Recipients: []string{"+18015557654"}}
	for name, mutate := range map[string]func(*CreateBroadcastParams){
		"no name":         func(p *CreateBroadcastParams) { p.Name = "" },
		"empty message":   func(p *CreateBroadcastParams) { p.Message = "" },
		"blank message":   func(p *CreateBroadcastParams) { p.Message = " \n" },
		"no number":       func(p *CreateBroadcastParams) { p.PhoneNumberID = 0 },
		"no recipients":   func(p *CreateBroadcastParams) { p.Recipients = nil },
		"empty list":      func(p *CreateBroadcastParams) { p.Recipients = []string{} },
		"blank recipient": func(p *CreateBroadcastParams) { p.Recipients = []string{"+18015557654", ""} },
		"past schedule":   func(p *CreateBroadcastParams) { p.ScheduledAt = &past },
	} {
		p := ok
		mutate(&p)
		_, err := c.Broadcasts.Create(context.Background(), &p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	_, err := c.Broadcasts.Create(context.Background(), nil)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Zero(t, rec.count())
}

func TestBroadcastsUpdateWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PUT", "/broadcast/1201", 200, envelopeJSON(broadcastJSON))
	b, err := c.Broadcasts.Update(context.Background(), 1201, &UpdateBroadcastParams{
		Name: "March promo", Message: "New text", PhoneNumberID: 67890, Recipients: []string{"+18015557654"},
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PUT", "/broadcast/1201", nil,
		`{"broadcast_name":"March promo","message":"New text","phone_number_id":67890,"recipients":["+18015557654"]}`)
	assert.Equal(t, int64(1201), b.ID)

	_, err = c.Broadcasts.Update(context.Background(), 0, &UpdateBroadcastParams{Name: "n", Message: "m", PhoneNumberID: 1, Recipients: []string{"1"}})
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = c.Broadcasts.Update(context.Background(), 1201, &UpdateBroadcastParams{Name: "n", Message: "", PhoneNumberID: 1, Recipients: []string{"1"}})
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestBroadcastsUpdateSentIsConflict(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "PUT", "/broadcast/1201", 409, `{"code":409,"message":"Broadcast is sent and can no longer be edited"}`)
	_, err := c.Broadcasts.Update(context.Background(), 1201, &UpdateBroadcastParams{Name: "n", Message: "m", PhoneNumberID: 1, Recipients: []string{"1"}})
	assert.ErrorIs(t, err, ErrConflict)
}

func TestBroadcastsPatchWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PATCH", "/broadcast/1201", 200, envelopeJSON(broadcastJSON))

	// The docs' example: back to a draft.
	_, err := c.Broadcasts.Patch(context.Background(), 1201, &PatchBroadcastParams{ScheduledAt: Null[time.Time]()})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PATCH", "/broadcast/1201", nil, string(golden(t, "broadcasts/patch_request.json")))

	at := future.In(time.FixedZone("CET", 3600))
	b, err := c.Broadcasts.Patch(context.Background(), 1201, &PatchBroadcastParams{
		ScheduledAt: Set(at), Recipients: Set([]string{"+18015550123"}), Message: Set("Hello"),
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PATCH", "/broadcast/1201", nil,
		`{"message":"Hello","recipients":["+18015550123"],"scheduled_at":"2099-03-06T15:00:00Z"}`)
	assert.Equal(t, int64(1201), b.ID)
	assert.Equal(t, 2, rec.count(), "a PATCH is not retried")
}

func TestBroadcastsPatchRefusesBadParamsBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PATCH", "/broadcast/1", 200, envelopeJSON(broadcastJSON))
	for name, p := range map[string]*PatchBroadcastParams{
		"nil":             nil,
		"empty":           {},
		"empty message":   {Message: Set("")},
		"null message":    {Message: Null[string]()},
		"no recipients":   {Recipients: Set([]string{})},
		"null recipients": {Recipients: Null[[]string]()},
		"past schedule":   {ScheduledAt: Set(time.Now().Add(-time.Second))},
	} {
		_, err := c.Broadcasts.Patch(context.Background(), 1, p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	_, err := c.Broadcasts.Patch(context.Background(), 0, &PatchBroadcastParams{Name: Set("x")})
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Zero(t, rec.count())
}

func TestBroadcastsDeleteWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "DELETE", "/broadcast/1201", 200, string(golden(t, "broadcasts/delete.json")))
	require.NoError(t, c.Broadcasts.Delete(context.Background(), 1201))
	assertWire(t, rec.last(t), "DELETE", "/broadcast/1201", nil, "")
	assert.ErrorIs(t, c.Broadcasts.Delete(context.Background(), -1), ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
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
	list := goldenData(t, "broadcasts/list.json")
	var page listData[Broadcast]
	require.NoError(t, jsonUnmarshal(list, &page))
	require.Len(t, page.Broadcasts, 1)
	assertKnownFields(t, list, listData[Broadcast]{})

	for _, name := range []string{"broadcasts/create.json", "broadcasts/delete.json"} {
		var c Created
		require.NoError(t, jsonUnmarshal(goldenData(t, name), &c))
		assert.Equal(t, int64(1201), c.ID, name)
	}

	req := golden(t, "broadcasts/create_request.json")
	var body CreateBroadcastParams
	require.NoError(t, jsonUnmarshal(req, &body))
	assertKnownFields(t, req, body)
	require.NotNil(t, body.ScheduledAt)
	assert.Equal(t, 2026, body.ScheduledAt.Year())

	patch := golden(t, "broadcasts/patch_request.json")
	var pb PatchBroadcastParams
	require.NoError(t, jsonUnmarshal(patch, &pb))
	assertKnownFields(t, patch, pb)
	assert.True(t, pb.ScheduledAt.IsNull())
	out, err := json.Marshal(&pb)
	require.NoError(t, err)
	assert.JSONEq(t, string(patch), string(out))
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
