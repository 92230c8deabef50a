package convirza

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhooksListWire(t *testing.T) {
	page := assertSends(t, "GET", "/webhooks", url.Values{
		"limit": {"50"}, "offset": {"100"}, "org_unit_id": {"1001"}, "status": {"active"},
	}, string(golden(t, "webhooks/list.json")), "", func(c *Client) (*Page[Webhook], error) {
		return c.Webhooks.List(context.Background(), &ListWebhooksParams{
			PageParams: PageParams{Limit: 50, Offset: 100}, OrgUnitID: 1001, Status: WebhookActive,
		})
	})
	assert.Equal(t, 1, page.Total)
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
}

func TestWebhooksListRefusesBadInputBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]*ListWebhooksParams{"org unit -1": {OrgUnitID: -1}}, func(c *Client, p *ListWebhooksParams) error {
		_, err := c.Webhooks.List(context.Background(), p)
		return err
	})
}

const webhookJSON = `{"webhook_id":301,"org_unit_id":1001,"webhook_name":"CRM post-call feed",
	"webhook_url":"https://crm.example.com/hooks/convirza","trigger":"post_call",
	"static_params":[{"field_name":"source","static_value":"convirza"}],"status":"active",
	"webhook_created":"2026-01-20T12:34:56.789Z","webhook_modified":"2026-01-20T12:34:56.789Z"}`

func TestWebhooksGetWire(t *testing.T) {
	w := assertGetWire(t, "/webhooks/%d", 301, envelopeJSON(webhookJSON), func(c *Client, id int64) (*Webhook, error) {
		return c.Webhooks.Get(context.Background(), id)
	})
	assert.Equal(t, "CRM post-call feed", w.Name)
}

func TestWebhooksCreateWire(t *testing.T) {
	assertWriteWire(t, "POST", "/webhooks", string(golden(t, "webhooks/create.json")),
		string(golden(t, "webhooks/create_request.json")), 301, func(c *Client) (*Created, error) {
			return c.Webhooks.Create(context.Background(), &CreateWebhookParams{
				Name: "CRM post-call feed", URL: "https://crm.example.com/hooks/convirza", OrgUnitID: 1001,
				Trigger: TriggerPostCall, StaticParams: []StaticParam{{FieldName: "source", StaticValue: "convirza"}},
			})
		})

	assertWriteWire(t, "POST", "/webhooks", string(golden(t, "webhooks/create.json")),
		`{"webhook_name":"Min","webhook_url":"http://127.0.0.1:8080/hook","trigger":"pre_call","status":"inactive"}`, 301, func(c *Client) (*Created, error) {
			return c.Webhooks.Create(context.Background(), &CreateWebhookParams{
				Name: "Min", URL: "http://127.0.0.1:8080/hook", Status: WebhookInactive, Trigger: TriggerPreCall})
		})
}

func TestWebhooksCreateValidatesBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]*CreateWebhookParams{
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
	}, func(c *Client, p *CreateWebhookParams) error {
		_, err := c.Webhooks.Create(context.Background(), p)
		return err
	})

	// Either scheme, in any case, is an absolute http(s) URL.
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/webhooks", 200, envelopeJSON(`{"webhookId":1}`))
	for _, u := range []string{"HTTPS://crm.example.com/x", "http://localhost:9000"} {
		_, err := c.Webhooks.Create(context.Background(), &CreateWebhookParams{Name: "x", URL: u})
		assert.NoError(t, err, u)
	}
	assert.Equal(t, 2, rec.count())
}

func TestWebhooksUpdateWire(t *testing.T) {
	assertWriteWire(t, "PUT", "/webhooks/301", envelopeJSON(webhookJSON),
		`{"webhook_name":"CRM post-call feed","webhook_url":"https://crm.example.com/hooks/convirza","org_unit_id":1001,
		"trigger":"post_call","static_params":[{"field_name":"source","static_value":"convirza"}],"status":"active"}`,
		301, func(c *Client) (*Webhook, error) {
			return c.Webhooks.Update(context.Background(), 301, &UpdateWebhookParams{
				Name: "CRM post-call feed", URL: "https://crm.example.com/hooks/convirza", OrgUnitID: 1001,
				Trigger: TriggerPostCall, StaticParams: []StaticParam{{FieldName: "source", StaticValue: "convirza"}},
				Status: WebhookActive,
			})
		})
}

func TestWebhooksUpdateRefetchesWhenAnswerHasNoRecord(t *testing.T) {
	assertUpdateRefetches(t, "/webhooks/%d", 301, `{"webhookId":301}`, envelopeJSON(webhookJSON), func(c *Client, id int64) (*Webhook, error) {
		return c.Webhooks.Update(context.Background(), id, &UpdateWebhookParams{Name: "n", URL: "https://x.example"})
	})
}

func TestWebhooksUpdateValidatesBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[UpdateWebhookParams]{
		"id 0":    {0, &UpdateWebhookParams{Name: "x", URL: "https://a.example"}},
		"nil":     {5, nil},
		"bad url": {5, &UpdateWebhookParams{Name: "x", URL: "example.com"}},
		"no name": {5, &UpdateWebhookParams{URL: "https://a.example"}},
	}, func(c *Client, p withID[UpdateWebhookParams]) error {
		_, err := c.Webhooks.Update(context.Background(), p.id, p.p)
		return err
	})
}

func TestWebhooksPatchThreeStates(t *testing.T) {
	assertWriteWire(t, "PATCH", "/webhooks/301", envelopeJSON(webhookJSON),
		string(golden(t, "webhooks/patch_request.json")), 301, func(c *Client) (*Webhook, error) {
			return c.Webhooks.Patch(context.Background(), 301, &PatchWebhookParams{Status: Set(WebhookInactive)})
		})

	assertWriteWire(t, "PATCH", "/webhooks/301", envelopeJSON(webhookJSON),
		`{"webhook_url":"https://new.example/h","static_params":[],"org_unit_id":null}`, 301, func(c *Client) (*Webhook, error) {
			return c.Webhooks.Patch(context.Background(), 301, &PatchWebhookParams{
				URL:          Set("https://new.example/h"),
				StaticParams: Set([]StaticParam{}), // an empty list clears every parameter
				OrgUnitID:    Null[int64](),
			})
		})
}

func TestWebhooksPatchValidatesBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[PatchWebhookParams]{
		"id 0":       {0, &PatchWebhookParams{Name: Set("x")}},
		"nil":        {5, nil},
		"empty":      {5, &PatchWebhookParams{}},
		"null name":  {5, &PatchWebhookParams{Name: Null[string]()}},
		"blank name": {5, &PatchWebhookParams{Name: Set("")}},
		"null url":   {5, &PatchWebhookParams{URL: Null[string]()}},
		"bad url":    {5, &PatchWebhookParams{URL: Set("ws://a.example/socket")}},
	}, func(c *Client, p withID[PatchWebhookParams]) error {
		_, err := c.Webhooks.Patch(context.Background(), p.id, p.p)
		return err
	})
}

func TestWebhooksDeleteWire(t *testing.T) {
	assertDeleteWire(t, "/webhooks/%d", 301, string(golden(t, "webhooks/delete.json")), func(c *Client, id int64) error {
		return c.Webhooks.Delete(context.Background(), id)
	})
}

func TestWebhooksGolden(t *testing.T) {
	page := decodeGolden[webhookList](t, goldenData(t, "webhooks/list.json"))
	require.Len(t, page.Webhooks, 1)
	assert.Equal(t, 1, page.Total)

	assertGoldenIDs(t, 301, "webhooks/create.json", "webhooks/delete.json")

	create := decodeGolden[CreateWebhookParams](t, golden(t, "webhooks/create_request.json"))
	assert.Equal(t, "CRM post-call feed", create.Name)
	assert.Equal(t, []StaticParam{{FieldName: "source", StaticValue: "convirza"}}, create.StaticParams)

	patch := decodeGolden[PatchWebhookParams](t, golden(t, "webhooks/patch_request.json"))
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
