package convirza

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Paths of the Webhooks operations. Only the list and create paths are
// documented; the alternative list path "/webhooks/list" would go here.
const (
	webhooksPath = "/webhooks"
	webhookPath  = "/webhooks/%v"
)

// WebhooksService manages webhooks: URLs that Convirza calls with call data
// when a call starts or ends. A webhook belongs to an org unit and is
// inherited by its sub-groups. Admin only.
type WebhooksService struct{ c *Client }

// WebhookTrigger is when a webhook fires. Unknown values are kept as sent,
// with "-" read as "_".
type WebhookTrigger string

// The webhook triggers.
const (
	// TriggerPostCall fires when a call completes (the default).
	TriggerPostCall WebhookTrigger = "post_call"
	// TriggerPreCall fires when a call starts.
	TriggerPreCall WebhookTrigger = "pre_call"
)

// UnmarshalJSON reads the hyphenated spelling ("post-call") as the
// underscored one.
func (t *WebhookTrigger) UnmarshalJSON(b []byte) error {
	*t = WebhookTrigger(strings.ReplaceAll(scalarText(b), "-", "_"))
	return nil
}

// WebhookStatus is a webhook's status. Unknown values are kept as sent.
type WebhookStatus string

// The webhook statuses.
const (
	WebhookActive   WebhookStatus = "active"
	WebhookInactive WebhookStatus = "inactive"
)

// UnmarshalJSON reads a string as sent, and a boolean as active (true) or
// inactive (false).
func (s *WebhookStatus) UnmarshalJSON(b []byte) error {
	switch text := scalarText(b); text {
	case "true":
		*s = WebhookActive
	case "false":
		*s = WebhookInactive
	default:
		*s = WebhookStatus(text)
	}
	return nil
}

// StaticParam is a name and value sent with every delivery of a webhook.
type StaticParam struct {
	FieldName   string `json:"field_name"`
	StaticValue string `json:"static_value"`
}

// StaticParams are a webhook's static parameters. They decode from a list
// of {field_name, static_value} and from an object mapping names to values
// (sorted by name).
type StaticParams []StaticParam

// UnmarshalJSON accepts both forms, with values of any scalar type;
// anything else decodes as none.
func (p *StaticParams) UnmarshalJSON(b []byte) error {
	var list []map[string]json.RawMessage
	if json.Unmarshal(b, &list) == nil {
		if list == nil {
			*p = nil
			return nil
		}
		out := make(StaticParams, 0, len(list))
		for _, it := range list {
			out = append(out, StaticParam{FieldName: rawText(it["field_name"]), StaticValue: rawText(it["static_value"])})
		}
		*p = out
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		*p = nil
		return nil
	}
	out := make(StaticParams, 0, len(obj))
	for k, v := range obj {
		out = append(out, StaticParam{FieldName: k, StaticValue: rawText(v)})
	}
	slices.SortFunc(out, func(a, b StaticParam) int { return strings.Compare(a.FieldName, b.FieldName) })
	*p = out
	return nil
}

// rawText is a JSON string exactly as sent, or the literal of another
// scalar.
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return scalarText(raw)
}

// Webhook is a webhook as Get, List, Update and Patch return it.
type Webhook struct {
	ID int64 `json:"webhook_id"`
	// OrgUnitID is the owning group; its sub-groups inherit the webhook.
	OrgUnitID int64  `json:"org_unit_id"`
	Name      string `json:"webhook_name"`
	// URL is the endpoint the deliveries go to.
	URL          string         `json:"webhook_url"`
	Trigger      WebhookTrigger `json:"trigger"`
	StaticParams StaticParams   `json:"static_params"`
	// Status is also read from an "active" boolean.
	Status   WebhookStatus `json:"status"`
	Created  time.Time     `json:"webhook_created"`
	Modified time.Time     `json:"webhook_modified"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (w *Webhook) UnmarshalJSON(b []byte) error {
	type alias Webhook
	if err := decodeModel(b, (*alias)(w), &w.Raw); err != nil {
		return err
	}
	if w.Status == "" {
		var alt struct {
			Active *Bool `json:"active"`
		}
		if json.Unmarshal(b, &alt) == nil && alt.Active != nil {
			w.Status = WebhookInactive
			if *alt.Active {
				w.Status = WebhookActive
			}
		}
	}
	return nil
}

func (w *Webhook) hasID() bool { return w.ID != 0 }

// ListWebhooksParams filters List. The zero value lists the webhooks of the
// caller's org unit and its sub-groups.
type ListWebhooksParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the
	// caller's).
	OrgUnitID int64         `url:"org_unit_id,omitempty"`
	Status    WebhookStatus `url:"status,omitempty"`
}

// List returns one page of webhooks (100 by default).
//
// Convirza API: GET /webhooks
func (s *WebhooksService) List(ctx context.Context, params *ListWebhooksParams, opts ...RequestOption) (*Page[Webhook], error) {
	var p ListWebhooksParams
	if params != nil {
		p = *params
	}
	if p.OrgUnitID < 0 {
		return nil, invalidf("org unit id must be positive, got %d", p.OrgUnitID)
	}
	return listPage[Webhook, webhookList](ctx, s.c, webhooksPath, &p, 100, opts)
}

// All returns every webhook that params matches, fetching pages as the loop
// goes. It stops at the first error, which it yields.
func (s *WebhooksService) All(ctx context.Context, params *ListWebhooksParams, opts ...RequestOption) iter.Seq2[Webhook, error] {
	return all(ctx, params, func(ctx context.Context, p *ListWebhooksParams) (*Page[Webhook], error) {
		return s.List(ctx, p, opts...)
	})
}

// Get returns a webhook.
//
// Convirza API: GET /webhooks/{id}
func (s *WebhooksService) Get(ctx context.Context, id int64, opts ...RequestOption) (*Webhook, error) {
	return getByID[Webhook](ctx, s.c, "webhook", webhookPath, id, opts)
}

// CreateWebhookParams is a new webhook. Name and URL are required.
type CreateWebhookParams struct {
	Name string `json:"webhook_name"`
	// URL is the endpoint: an absolute http:// or https:// URL.
	URL string `json:"webhook_url"`
	// OrgUnitID is the owning group, in the caller's scope (default: the
	// caller's org unit).
	OrgUnitID int64 `json:"org_unit_id,omitempty"`
	// Trigger defaults to TriggerPostCall.
	Trigger WebhookTrigger `json:"trigger,omitempty"`
	// StaticParams are sent with every delivery (default: none).
	StaticParams []StaticParam `json:"static_params,omitempty"`
	// Status defaults to WebhookActive.
	Status WebhookStatus `json:"status,omitempty"`
}

// UpdateWebhookParams is the full replacement of a webhook: the fields of
// CreateWebhookParams, with the same required ones. Fields left out fall
// back to their defaults.
type UpdateWebhookParams = CreateWebhookParams

func (p *CreateWebhookParams) validate() error {
	if p == nil {
		return invalidf("webhook params are required")
	}
	if err := checkWebhookName(p.Name); err != nil {
		return err
	}
	if p.OrgUnitID < 0 {
		return invalidf("org unit id must be positive, got %d", p.OrgUnitID)
	}
	return checkWebhookURL(p.URL)
}

func checkWebhookName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalidf("webhook needs a Name")
	}
	return nil
}

// checkWebhookURL refuses an endpoint that Convirza could not call: one
// that is not an absolute http or https URL with a host.
func checkWebhookURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || !(strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "http")) {
		return invalidf("webhook URL must be an absolute http or https URL, got %q", raw)
	}
	return nil
}

// Create creates a webhook and returns its id.
//
// Convirza API: POST /webhooks
func (s *WebhooksService) Create(ctx context.Context, params *CreateWebhookParams, opts ...RequestOption) (*Created, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return create(ctx, s.c, &request{method: http.MethodPost, path: webhooksPath, body: params}, opts)
}

// Update replaces a webhook and returns it.
//
// Convirza API: PUT /webhooks/{id}
func (s *WebhooksService) Update(ctx context.Context, id int64, params *UpdateWebhookParams, opts ...RequestOption) (*Webhook, error) {
	if err := requireID("webhook", id); err != nil {
		return nil, err
	}
	if err := params.validate(); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPut, path: pathf(webhookPath, id), body: params}
	return update(ctx, s.c, r, (*Webhook).hasID, opts)
}

// PatchWebhookParams changes some fields of a webhook: each field is left
// out (the zero value), set with Set, or cleared with Null. StaticParams,
// when set, replaces the whole list. Name and URL cannot be cleared.
type PatchWebhookParams struct {
	Name         Optional[string]         `json:"webhook_name,omitzero"`
	URL          Optional[string]         `json:"webhook_url,omitzero"`
	OrgUnitID    Optional[int64]          `json:"org_unit_id,omitzero"`
	Trigger      Optional[WebhookTrigger] `json:"trigger,omitzero"`
	StaticParams Optional[[]StaticParam]  `json:"static_params,omitzero"`
	Status       Optional[WebhookStatus]  `json:"status,omitzero"`
}

func (p *PatchWebhookParams) validate() error {
	if p.Name.IsNull() {
		return invalidf("a webhook name cannot be cleared")
	}
	if name, ok := p.Name.Get(); ok {
		if err := checkWebhookName(name); err != nil {
			return err
		}
	}
	if p.URL.IsNull() {
		return invalidf("a webhook URL cannot be cleared")
	}
	if u, ok := p.URL.Get(); ok {
		return checkWebhookURL(u)
	}
	return nil
}

// Patch changes the fields of a webhook that params sets, and returns the
// webhook.
//
// Convirza API: PATCH /webhooks/{id}
func (s *WebhooksService) Patch(ctx context.Context, id int64, params *PatchWebhookParams, opts ...RequestOption) (*Webhook, error) {
	if err := requireID("webhook", id); err != nil {
		return nil, err
	}
	if err := requirePatch(params); err != nil {
		return nil, err
	}
	if err := params.validate(); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPatch, path: pathf(webhookPath, id), body: params}
	return update(ctx, s.c, r, (*Webhook).hasID, opts)
}

// Delete deletes a webhook for good: afterwards Get finds nothing.
//
// Convirza API: DELETE /webhooks/{id}
func (s *WebhooksService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "webhook", webhookPath, id, opts)
}

// webhookList is the data of a list of Webhook records: the items under "webhooks".
type webhookList struct {
	Webhooks []Webhook `json:"webhooks"`
	Total    int       `json:"total"`
}

func (l *webhookList) page() ([]Webhook, int) { return l.Webhooks, l.Total }
