package convirzatest

import (
	"cmp"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// webhooksAPI are the operations of this area; router.go lists every area.
var webhooksAPI = []route{
	{pattern: "GET /v3/webhooks", access: adminOnly, handle: listWebhooks},
	{pattern: "GET /v3/webhooks/{id}", access: adminOnly, handle: getWebhook},
	{pattern: "POST /v3/webhooks", access: adminOnly, handle: createWebhook},
	{pattern: "PUT /v3/webhooks/{id}", access: adminOnly, handle: updateWebhook},
	{pattern: "PATCH /v3/webhooks/{id}", access: adminOnly, handle: patchWebhook},
	{pattern: "DELETE /v3/webhooks/{id}", access: adminOnly, handle: deleteWebhook},
}

// Webhook triggers.
const (
	triggerPostCall = "post_call"
	triggerPreCall  = "pre_call"
)

// webhook is a webhook record (api/webhooks.md). Deletes are hard: the
// record leaves the map.
type webhook struct {
	ID           int64         `json:"id"`
	OrgUnitID    int64         `json:"org_unit_id"`
	Name         string        `json:"name"`
	URL          string        `json:"url"`
	Trigger      string        `json:"trigger"` // post_call or pre_call
	StaticParams []staticParam `json:"static_params"`
	Status       string        `json:"status"` // active or inactive
	Created      time.Time     `json:"created"`
	Modified     time.Time     `json:"modified"`
}

func (w *webhook) owner() int64 { return w.OrgUnitID }

// staticParam is a name and value sent with every delivery; the same in
// state and on the wire.
type staticParam struct {
	FieldName   string `json:"field_name"`
	StaticValue string `json:"static_value"`
}

// webhookItem is the Webhook object on the wire.
type webhookItem struct {
	WebhookID    int64         `json:"webhook_id"`
	OrgUnitID    int64         `json:"org_unit_id"`
	WebhookName  string        `json:"webhook_name"`
	WebhookURL   string        `json:"webhook_url"`
	Trigger      string        `json:"trigger"`
	StaticParams []staticParam `json:"static_params"`
	Status       string        `json:"status"`
	Created      string        `json:"webhook_created"`
	Modified     string        `json:"webhook_modified"`
}

func webhookJSON(w *webhook) webhookItem {
	params := w.StaticParams
	if params == nil {
		params = []staticParam{}
	}
	return webhookItem{
		WebhookID: w.ID, OrgUnitID: w.OrgUnitID, WebhookName: w.Name, WebhookURL: w.URL, Trigger: w.Trigger,
		StaticParams: params, Status: w.Status, Created: iso(w.Created), Modified: iso(w.Modified),
	}
}

// visibleWebhook returns the webhook with that id, or the 404 for it: a
// webhook whose org unit the caller cannot see is not found (S1).
func (c *call) visibleWebhook(id int64) (*webhook, *apiError) {
	w := c.st.Webhooks[id]
	if w == nil || !c.seesOrgUnit(w.OrgUnitID) {
		return nil, notFound("Webhook")
	}
	return w, nil
}

// listWebhooks is GET /v3/webhooks: the webhooks of org_unit_id and of the
// units below it, in id order. A filter naming a unit out of scope is a
// 403, like List Users.
func listWebhooks(c *call) (any, *apiError) {
	q := c.query()
	ouID := c.orgUnitFilter(q)
	status := q.enum("status", "", statusActive, statusInactive)
	limit, offset := q.paging(100)
	if err := c.listScope(q, ouID); err != nil {
		return nil, err
	}
	found := under(c.st, c.st.Webhooks, ouID, func(w *webhook) bool {
		return c.st.orgUnit(w.OrgUnitID) != nil && (status == "" || w.Status == status)
	})
	byID := func(a, b *webhook) int { return cmp.Compare(a.ID, b.ID) }
	return listReply("webhooks", found, byID, limit, offset, webhookJSON), nil
}

// getWebhook is GET /v3/webhooks/{id}.
func getWebhook(c *call) (any, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		return nil, err
	}
	w, err := c.visibleWebhook(id)
	if err != nil {
		return nil, err
	}
	return webhookJSON(w), nil
}

// webhookBody is a decoded Create, Update or Patch Webhook body.
type webhookBody struct {
	name, url, trigger, status field[string]
	orgUnitID                  field[int64]
	params                     field[[]staticParam]
}

// webhookFields are the members webhookBody knows; PATCH needs at least one
// (X1).
var webhookFields = []string{"webhook_name", "webhook_url", "org_unit_id", "trigger", "static_params", "status"}

// decodeWebhookBody validates a webhook body (the 400 step), the org unit
// included (S7). With patch false (create, PUT) webhook_name and webhook_url
// are required; with patch true null is refused on every member, none being
// nullable. In create and PUT, null counts as absent.
func (c *call) decodeWebhookBody(patch bool) (webhookBody, *apiError) {
	var b webhookBody
	o, err := c.object()
	if err != nil {
		return b, err
	}
	b.name = textMember(o, "webhook_name", true, patch)
	if b.url = textMember(o, "webhook_url", true, patch); b.url.set && !absoluteHTTPURL(b.url.v) {
		o.fail("webhook_url", "must be an absolute http or https URL")
	}
	b.orgUnitID = c.orgUnitMember(o, patch)
	if b.trigger = member(o, "trigger", false, patch, o.str); b.trigger.set && b.trigger.v != triggerPostCall && b.trigger.v != triggerPreCall {
		o.fail("trigger", "must be post_call or pre_call")
	}
	b.params = member(o, "static_params", false, patch, o.staticParams)
	b.status = statusMember(o, "status", patch)
	if patch {
		o.requireChange(webhookFields)
	}
	return b, o.err()
}

// absoluteHTTPURL reports whether s is an absolute http or https URL with a
// host: the only kind of endpoint a delivery can reach.
func absoluteHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && (strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https"))
}

// staticParams reads static_params: an array of {field_name, static_value},
// both strings, the name not empty.
func (o *object) staticParams(name string) ([]staticParam, bool) {
	var raw []map[string]json.RawMessage
	if !o.value(name, &raw, "must be an array of {field_name, static_value}") {
		return nil, false
	}
	params := []staticParam{}
	for _, m := range raw {
		var p staticParam
		errName := json.Unmarshal(m["field_name"], &p.FieldName)
		errValue := json.Unmarshal(m["static_value"], &p.StaticValue)
		if m == nil || errName != nil || errValue != nil || strings.TrimSpace(p.FieldName) == "" {
			o.fail(name, "each entry needs a non-empty field_name and a string static_value")
			return nil, false
		}
		params = append(params, p)
	}
	return params, true
}

// apply writes the body onto w. With full set (create, PUT) the members that
// were not sent take their defaults; otherwise (PATCH) they stay unchanged.
// A PUT without org_unit_id keeps the webhook where it is.
func (b webhookBody) apply(w *webhook, full bool, now time.Time) {
	setValue(&w.Name, b.name, full, w.Name)
	setValue(&w.URL, b.url, full, w.URL)
	setValue(&w.Trigger, b.trigger, full, triggerPostCall)
	setValue(&w.Status, b.status, full, statusActive)
	if b.orgUnitID.set {
		w.OrgUnitID = b.orgUnitID.v
	}
	setValue(&w.StaticParams, b.params, full, []staticParam{})
	w.Modified = now
}

// createWebhook is POST /v3/webhooks. The org unit defaults to the caller's.
func createWebhook(c *call) (any, *apiError) {
	b, err := c.decodeWebhookBody(false)
	if err != nil {
		return nil, err
	}
	w := &webhook{ID: c.st.newID(), OrgUnitID: c.caller.OrgUnitID, Created: c.now}
	b.apply(w, true, c.now)
	c.st.Webhooks[w.ID] = w
	return map[string]int64{"webhookId": w.ID}, nil
}

// updateWebhook is PUT /v3/webhooks/{id} and patchWebhook PATCH
// /v3/webhooks/{id}: the body is checked first (400), then the webhook (404).
func updateWebhook(c *call) (any, *apiError) { return c.editWebhook(false) }
func patchWebhook(c *call) (any, *apiError)  { return c.editWebhook(true) }

func (c *call) editWebhook(patch bool) (any, *apiError) {
	id, b, err := idAndBody(c, patch, c.decodeWebhookBody)
	if err != nil {
		return nil, err
	}
	w, err := c.visibleWebhook(id)
	if err != nil {
		return nil, err
	}
	b.apply(w, !patch, c.now)
	return webhookJSON(w), nil
}

// deleteWebhook is DELETE /v3/webhooks/{id}: a hard delete, after which the
// webhook is not found.
func deleteWebhook(c *call) (any, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		return nil, err
	}
	if _, err := c.visibleWebhook(id); err != nil {
		return nil, err
	}
	delete(c.st.Webhooks, id)
	return map[string]int64{"webhookId": id}, nil
}
