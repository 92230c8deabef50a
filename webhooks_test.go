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

func TestWebhooksListWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/webhooks", 200, string(golden(t, "webhooks/list.json")))

	page, err := c.Webhooks.List(context.Background(), &ListWebhooksParams{
		PageParams: PageParams{Limit: 50, Offset: 100}, OrgUnitID: 1001, Status: WebhookActive,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/webhooks", url.Values{
		"limit": {"50"}, "offset": {"100"}, "org_unit_id": {"1001"}, "status": {"active"},
	}, "")
	assert.Equal(t, 1, page.Total)
	assert.Equal(t, 50, page.Limit)
	assert.Equal(t, 100, page.Offset)
	require.Len(t, page.Items, 1)
	w := page.Items[0]
	assert.Equal(t, int64(301), w.ID)
	assert.Equal(t, int64(1001), w.OrgUnitID)
	assert.Equal(t, "CRM post-call feed", w.Name)
	assert.Equal(t, "https://crm.example.com/hooks/convirza", w.URL)
	assert.Equal(t, TriggerPostCall, w.Trigger)
	assert.Equal(t, StaticParams{{FieldName: "source", StaticValue: "convirza"}}, w.StaticParams)
	assert.Equal(t, WebhookActive, w.Status)
	want := time.Date(2026, 1, 20, 12, 34, 56, 789e6, time.UTC)
	assert.Equal(t, want, w.Created)
	assert.Equal(t, want, w.Modified)
	assert.Contains(t, string(w.Raw), `"trigger": "post_call"`)

	_, err = c.Webhooks.List(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/webhooks", url.Values{"limit": {"100"}}, "")
}

func TestWebhooksListRefusesBadInputBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/webhooks", 200, envelopeJSON(`{"webhooks":[],"total":0}`))
	for name, p := range map[string]*ListWebhooksParams{
		"limit 201":   {PageParams: PageParams{Limit: 201}},
		"limit -1":    {PageParams: PageParams{Limit: -1}},
		"offset -1":   {PageParams: PageParams{Offset: -1}},
		"org unit -1": {OrgUnitID: -1},
	} {
		_, err := c.Webhooks.List(context.Background(), p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	assert.Zero(t, rec.count())
}

func TestWebhooksAllWalksEveryPage(t *testing.T) {
	c, mt := newWireClient(t)
	var offsets []string
	mt.RegisterRegexpResponder("GET", regexpFor(testBase+"/webhooks"), func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		offsets = append(offsets, q.Get("offset"))
		assert.Equal(t, "2", q.Get("limit"))
		assert.Equal(t, "inactive", q.Get("status"))
		body := map[string]string{
			"":  `{"webhooks":[{"webhook_id":1},{"webhook_id":2}],"total":3}`,
			"2": `{"webhooks":[{"webhook_id":3}],"total":3}`,
		}[q.Get("offset")]
		return newJSONResponse(200, envelopeJSON(body)), nil
	})
	params := &ListWebhooksParams{PageParams: PageParams{Limit: 2}, Status: WebhookInactive}
	var got []int64
	for w, err := range c.Webhooks.All(context.Background(), params) {
		require.NoError(t, err)
		got = append(got, w.ID)
	}
	assert.Equal(t, []int64{1, 2, 3}, got)
	assert.Equal(t, []string{"", "2"}, offsets)
	assert.Zero(t, params.Offset, "the caller's params are not changed")
}

func TestWebhooksAllStopsOnError(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/webhooks", 403, `{"code":403,"message":"Admin only"}`)
	n := 0
	for _, err := range c.Webhooks.All(context.Background(), nil) {
		n++
		assert.ErrorIs(t, err, ErrForbidden)
	}
	assert.Equal(t, 1, n)
}

const webhookJSON = `{"webhook_id":301,"org_unit_id":1001,"webhook_name":"CRM post-call feed",
	"webhook_url":"https://crm.example.com/hooks/convirza","trigger":"post_call",
	"static_params":[{"field_name":"source","static_value":"convirza"}],"status":"active",
	"webhook_created":"2026-01-20T12:34:56.789Z","webhook_modified":"2026-01-20T12:34:56.789Z"}`

func TestWebhooksGetWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/webhooks/301", 200, envelopeJSON(webhookJSON))
	w, err := c.Webhooks.Get(context.Background(), 301)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/webhooks/301", nil, "")
	assert.Equal(t, int64(301), w.ID)
	assert.Equal(t, "CRM post-call feed", w.Name)

	_, err = c.Webhooks.Get(context.Background(), -1)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestWebhooksGetNotFound(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/webhooks/9", 404, `{"code":404,"message":"Webhook not found"}`)
	_, err := c.Webhooks.Get(context.Background(), 9)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, 1, rec.count())
}

func TestWebhooksCreateWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/webhooks", 200, string(golden(t, "webhooks/create.json")))
	created, err := c.Webhooks.Create(context.Background(), &CreateWebhookParams{
		Name: "CRM post-call feed", URL: "https://crm.example.com/hooks/convirza", OrgUnitID: 1001,
		Trigger: TriggerPostCall, StaticParams: []StaticParam{{FieldName: "source", StaticValue: "convirza"}},
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "POST", "/webhooks", nil, string(golden(t, "webhooks/create_request.json")))
	assert.Equal(t, int64(301), created.ID)

	_, err = c.Webhooks.Create(context.Background(), &CreateWebhookParams{
		Name: "Min", URL: "http://127.0.0.1:8080/hook", Status: WebhookInactive, Trigger: TriggerPreCall})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "POST", "/webhooks", nil,
		`{"webhook_name":"Min","webhook_url":"http://127.0.0.1:8080/hook","trigger":"pre_call","status":"inactive"}`)
	assert.Equal(t, 2, rec.count(), "a POST is not retried")
}

func TestWebhooksCreateValidatesBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/webhooks", 200, envelopeJSON(`{"webhookId":1}`))
	for name, p := range map[string]*CreateWebhookParams{
		"nil":           nil,
		"no name":       {URL: "https://a.example/h"},
		"blank name":    {Name: " \t", URL: "https://a.example/h"},
		"no url":        {Name: "x"},
		"relative url":  {Name: "x", URL: "/hooks/convirza"},
		"no scheme":     {Name: "x", URL: "crm.example.com/hooks"},
		"ftp url":       {Name: "x", URL: "ftp://crm.example.com/hooks"},
		"no host":       {Name: "x", URL: "https:///hooks"},
		"mailto":        {Name: "x", URL: "mailto:a@b.c"},
		"unparseable":   {Name: "x", URL: "https://a b.example/%zz"},
		"org unit -1":   {Name: "x", URL: "https://a.example/h", OrgUnitID: -1},
		"javascript":    {Name: "x", URL: "javascript:alert(1)"},
		"scheme only":   {Name: "x", URL: "https:"},
		"spaces inside": {Name: "x", URL: "   "},
	} {
		_, err := c.Webhooks.Create(context.Background(), p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	assert.Zero(t, rec.count())

	// Either scheme, in any case, is an absolute http(s) URL.
	for _, u := range []string{"HTTPS://crm.example.com/x", "http://localhost:9000"} {
		_, err := c.Webhooks.Create(context.Background(), &CreateWebhookParams{Name: "x", URL: u})
		assert.NoError(t, err, u)
	}
	assert.Equal(t, 2, rec.count())
}

func TestWebhooksUpdateWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PUT", "/webhooks/301", 200, envelopeJSON(webhookJSON))
	w, err := c.Webhooks.Update(context.Background(), 301, &UpdateWebhookParams{
		Name: "CRM post-call feed", URL: "https://crm.example.com/hooks/convirza", OrgUnitID: 1001,
		Trigger: TriggerPostCall, StaticParams: []StaticParam{{FieldName: "source", StaticValue: "convirza"}},
		Status: WebhookActive,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PUT", "/webhooks/301", nil,
		`{"webhook_name":"CRM post-call feed","webhook_url":"https://crm.example.com/hooks/convirza","org_unit_id":1001,
		"trigger":"post_call","static_params":[{"field_name":"source","static_value":"convirza"}],"status":"active"}`)
	assert.Equal(t, int64(301), w.ID)
	assert.Equal(t, 1, rec.count())
}

func TestWebhooksUpdateRefetchesWhenAnswerIsNull(t *testing.T) {
	c, mt := newWireClient(t)
	put := respond(mt, "PUT", "/webhooks/301", 200, envelopeJSON(`null`))
	get := respond(mt, "GET", "/webhooks/301", 200, envelopeJSON(webhookJSON))
	w, err := c.Webhooks.Update(context.Background(), 301, &UpdateWebhookParams{Name: "n", URL: "https://x.example"})
	require.NoError(t, err)
	assert.Equal(t, 1, put.count())
	assert.Equal(t, 1, get.count())
	assert.Equal(t, int64(301), w.ID)
}

func TestWebhooksUpdateValidatesBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PUT", "/webhooks/5", 200, envelopeJSON(webhookJSON))
	_, err := c.Webhooks.Update(context.Background(), 0, &UpdateWebhookParams{Name: "x", URL: "https://a.example"})
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = c.Webhooks.Update(context.Background(), 5, nil)
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = c.Webhooks.Update(context.Background(), 5, &UpdateWebhookParams{Name: "x", URL: "example.com"})
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = c.Webhooks.Update(context.Background(), 5, &UpdateWebhookParams{URL: "https://a.example"})
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Zero(t, rec.count())
}

func TestWebhooksPatchThreeStates(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PATCH", "/webhooks/301", 200, envelopeJSON(webhookJSON))
	_, err := c.Webhooks.Patch(context.Background(), 301, &PatchWebhookParams{Status: Set(WebhookInactive)})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PATCH", "/webhooks/301", nil, string(golden(t, "webhooks/patch_request.json")))

	w, err := c.Webhooks.Patch(context.Background(), 301, &PatchWebhookParams{
		URL:          Set("https://new.example/h"),
		StaticParams: Set([]StaticParam{}), // an empty list clears every parameter
		OrgUnitID:    Null[int64](),
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PATCH", "/webhooks/301", nil,
		`{"webhook_url":"https://new.example/h","static_params":[],"org_unit_id":null}`)
	assert.Equal(t, int64(301), w.ID)
	assert.Equal(t, 2, rec.count(), "a PATCH is not retried")
}

func TestWebhooksPatchValidatesBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PATCH", "/webhooks/5", 200, envelopeJSON(webhookJSON))
	for name, tc := range map[string]struct {
		id int64
		p  *PatchWebhookParams
	}{
		"id 0":       {0, &PatchWebhookParams{Name: Set("x")}},
		"nil":        {5, nil},
		"empty":      {5, &PatchWebhookParams{}},
		"null name":  {5, &PatchWebhookParams{Name: Null[string]()}},
		"blank name": {5, &PatchWebhookParams{Name: Set("")}},
		"null url":   {5, &PatchWebhookParams{URL: Null[string]()}},
		"bad url":    {5, &PatchWebhookParams{URL: Set("ws://a.example/socket")}},
	} {
		_, err := c.Webhooks.Patch(context.Background(), tc.id, tc.p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	assert.Zero(t, rec.count())
}

func TestWebhooksDeleteWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "DELETE", "/webhooks/301", 200, string(golden(t, "webhooks/delete.json")))
	require.NoError(t, c.Webhooks.Delete(context.Background(), 301))
	assertWire(t, rec.last(t), "DELETE", "/webhooks/301", nil, "")

	assert.ErrorIs(t, c.Webhooks.Delete(context.Background(), 0), ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestWebhooksGolden(t *testing.T) {
	list := goldenData(t, "webhooks/list.json")
	var page listData[Webhook]
	require.NoError(t, json.Unmarshal(list, &page))
	require.Len(t, page.Webhooks, 1)
	assert.Equal(t, 1, page.Total)
	assertKnownFields(t, list, listData[Webhook]{})

	for _, name := range []string{"webhooks/create.json", "webhooks/delete.json"} {
		var c Created
		require.NoError(t, json.Unmarshal(goldenData(t, name), &c))
		assert.Equal(t, int64(301), c.ID, name)
	}

	var create CreateWebhookParams
	require.NoError(t, json.Unmarshal(golden(t, "webhooks/create_request.json"), &create))
	assertKnownFields(t, golden(t, "webhooks/create_request.json"), create)
	assert.Equal(t, "CRM post-call feed", create.Name)
	assert.Equal(t, []StaticParam{{FieldName: "source", StaticValue: "convirza"}}, create.StaticParams)

	var patch PatchWebhookParams
	require.NoError(t, json.Unmarshal(golden(t, "webhooks/patch_request.json"), &patch))
	assertKnownFields(t, golden(t, "webhooks/patch_request.json"), patch)
	st, ok := patch.Status.Get()
	assert.True(t, ok)
	assert.Equal(t, WebhookInactive, st)
}

func TestWebhookToleratesQuirks(t *testing.T) {
	for name, tc := range map[string]struct {
		json string
		want Webhook
	}{
		"hyphenated trigger, map params, active boolean": {
			`{"webhook_id":"7","trigger":"pre-call","static_params":{"b":"2","a":1},"active":false}`,
			Webhook{ID: 7, Trigger: TriggerPreCall, Status: WebhookInactive,
				StaticParams: StaticParams{{FieldName: "a", StaticValue: "1"}, {FieldName: "b", StaticValue: "2"}}},
		},
		"status as a boolean": {
			`{"webhook_id":8,"status":true,"static_params":null}`,
			Webhook{ID: 8, Status: WebhookActive},
		},
		"status string wins over active": {
			`{"webhook_id":9,"status":"paused","active":true}`,
			Webhook{ID: 9, Status: "paused"},
		},
		"values kept exactly, numbers as text": {
			`{"webhook_id":10,"static_params":[{"field_name":"k","static_value":"  spaced  "},{"field_name":"n","static_value":42}]}`,
			Webhook{ID: 10, StaticParams: StaticParams{{FieldName: "k", StaticValue: "  spaced  "}, {FieldName: "n", StaticValue: "42"}}},
		},
		"odd static params decode as none": {
			`{"webhook_id":11,"static_params":"none","trigger":"post_call"}`,
			Webhook{ID: 11, Trigger: TriggerPostCall},
		},
	} {
		var w Webhook
		require.NoError(t, json.Unmarshal([]byte(tc.json), &w), name)
		tc.want.Raw = w.Raw
		assert.Equal(t, tc.want, w, name)
		assert.JSONEq(t, tc.json, string(w.Raw), name)
	}
}

func TestWebhooksCreateAcceptsEveryIDKey(t *testing.T) {
	for _, data := range []string{`{"webhookId":301}`, `{"webhook_id":301}`, `{"id":301}`} {
		c, mt := newWireClient(t)
		respond(mt, "POST", "/webhooks", 200, envelopeJSON(data))
		created, err := c.Webhooks.Create(context.Background(), &CreateWebhookParams{Name: "N", URL: "https://a.example"})
		require.NoError(t, err, data)
		assert.Equal(t, int64(301), created.ID, data)
	}
}
