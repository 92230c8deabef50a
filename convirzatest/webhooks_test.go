package convirzatest

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// hookBody returns a valid Create Webhook body, with changes applied (a nil
// value deletes the member).
func hookBody(name string, changes map[string]any) map[string]any {
	return withChanges(map[string]any{"webhook_name": name, "webhook_url": "https://crm.example.com/hooks/convirza"}, changes)
}

func mkHook(t testing.TB, s *Server, tok string, b map[string]any) int64 {
	t.Helper()
	return createdID(t, send(t, "POST", s.URL+"/webhooks", tok, b), "webhookId")
}

func getHook(t testing.TB, s *Server, tok string, id int64) map[string]any {
	t.Helper()
	return getData[map[string]any](t, s, tok, fmt.Sprintf("/webhooks/%d", id))
}

func hookIDs(t testing.TB, s *Server, tok, query string) ([]int64, int) {
	t.Helper()
	return pageIDs(t, s, tok, "/webhooks?"+query, "webhooks", "webhook_id")
}

var webhookItemFields = []string{"org_unit_id", "static_params", "status", "trigger", "webhook_created", "webhook_id",
	"webhook_modified", "webhook_name", "webhook_url"}

func TestWebhooksRoles(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	id := mkHook(t, s, admin, hookBody("feed", nil))
	path := fmt.Sprintf("/webhooks/%d", id)
	routes := []struct{ method, path string }{
		{"GET", "/webhooks"}, {"GET", path}, {"POST", "/webhooks"}, {"PUT", path}, {"PATCH", path}, {"DELETE", path},
	}
	for _, email := range []string{StandardEmail, ReadOnlyEmail} {
		tok := token(t, s, email)
		for _, rt := range routes {
			checkEnvelope(t, send(t, rt.method, s.URL+rt.path, tok, `{}`).want(t, http.StatusForbidden))
		}
	}
	for _, rt := range routes {
		send(t, rt.method, s.URL+rt.path, "", `{}`).want(t, http.StatusUnauthorized)
	}
	getHook(t, s, admin, id) // nothing was deleted
}

func TestCreateWebhook(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	// The example body of api/webhooks.md.
	id := mkHook(t, s, tok, map[string]any{
		"webhook_name": "CRM post-call feed", "webhook_url": "https://crm.example.com/hooks/convirza",
		"org_unit_id": 1001, "trigger": "post_call",
		"static_params": []map[string]string{{"field_name": "source", "static_value": "convirza"}},
	})
	if id < 10005 {
		t.Errorf("id %d", id)
	}
	r := send(t, "GET", fmt.Sprintf("%s/webhooks/%d", s.URL, id), tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	var m map[string]any
	r.data(t, &m)
	if got := keys(m); !slices.Equal(got, webhookItemFields) {
		t.Errorf("keys %v", got)
	}
	for k, v := range map[string]any{
		"webhook_id": float64(id), "org_unit_id": 1001.0, "webhook_name": "CRM post-call feed",
		"webhook_url": "https://crm.example.com/hooks/convirza", "trigger": "post_call", "status": "active",
		"webhook_created": "2026-01-20T12:00:00.000Z", "webhook_modified": "2026-01-20T12:00:00.000Z",
	} {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if fmt.Sprint(m["static_params"]) != "[map[field_name:source static_value:convirza]]" {
		t.Errorf("static_params %v", m["static_params"])
	}

	// Defaults: the caller's org unit, post_call, active, no parameters.
	minimal := mkHook(t, s, tok, hookBody("min", map[string]any{"webhook_url": "http://127.0.0.1:9/x"}))
	m = getHook(t, s, tok, minimal)
	if m["org_unit_id"] != 1001.0 || m["trigger"] != "post_call" || m["status"] != "active" || fmt.Sprint(m["static_params"]) != "[]" {
		t.Errorf("defaults %v", m)
	}
	pre := mkHook(t, s, tok, hookBody("pre", map[string]any{"trigger": "pre_call", "status": "inactive", "org_unit_id": 1004, "static_params": []any{}}))
	m = getHook(t, s, tok, pre)
	if m["org_unit_id"] != 1004.0 || m["trigger"] != "pre_call" || m["status"] != "inactive" {
		t.Errorf("explicit %v", m)
	}
}

func TestCreateWebhookInvalid(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for name, tc := range map[string]struct {
		body  any
		field string
	}{
		"no body":         {"", "body"},
		"no name":         {hookBody("", map[string]any{"webhook_name": nil}), "webhook_name"},
		"blank name":      {hookBody(" ", nil), "webhook_name"},
		"null name":       {`{"webhook_name":null,"webhook_url":"https://a.example"}`, "webhook_name"},
		"no url":          {hookBody("x", map[string]any{"webhook_url": nil}), "webhook_url"},
		"relative url":    {hookBody("x", map[string]any{"webhook_url": "/hooks"}), "webhook_url"},
		"no scheme":       {hookBody("x", map[string]any{"webhook_url": "crm.example.com/hooks"}), "webhook_url"},
		"ftp url":         {hookBody("x", map[string]any{"webhook_url": "ftp://crm.example.com/hooks"}), "webhook_url"},
		"no host":         {hookBody("x", map[string]any{"webhook_url": "https:///hooks"}), "webhook_url"},
		"url not string":  {hookBody("x", map[string]any{"webhook_url": 5}), "webhook_url"},
		"bad trigger":     {hookBody("x", map[string]any{"trigger": "post-call"}), "trigger"},
		"bad status":      {hookBody("x", map[string]any{"status": "paused"}), "status"},
		"params object":   {hookBody("x", map[string]any{"static_params": map[string]string{"a": "b"}}), "static_params"},
		"param no name":   {hookBody("x", map[string]any{"static_params": []any{map[string]any{"static_value": "b"}}}), "static_params"},
		"param number":    {hookBody("x", map[string]any{"static_params": []any{map[string]any{"field_name": "a", "static_value": 1}}}), "static_params"},
		"param null":      {hookBody("x", map[string]any{"static_params": []any{nil}}), "static_params"},
		"unknown unit":    {hookBody("x", map[string]any{"org_unit_id": 99999}), "org_unit_id"},
		"other account":   {hookBody("x", map[string]any{"org_unit_id": 2001}), "org_unit_id"},
		"unit not number": {hookBody("x", map[string]any{"org_unit_id": "1001"}), "org_unit_id"},
	} {
		t.Run(name, func(t *testing.T) {
			r := send(t, "POST", s.URL+"/webhooks", tok, tc.body)
			r.wantField(t, tc.field)
			checkEnvelope(t, r)
		})
	}
	if ids, total := hookIDs(t, s, tok, ""); total != 0 {
		t.Errorf("created %v", ids)
	}
}

func TestListWebhooks(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	acme := mkHook(t, s, tok, hookBody("acme", nil))
	sales := mkHook(t, s, tok, hookBody("sales", map[string]any{"org_unit_id": 1002, "status": "inactive"}))
	east := mkHook(t, s, tok, hookBody("east", map[string]any{"org_unit_id": 1004}))
	support := mkHook(t, s, tok, hookBody("support", map[string]any{"org_unit_id": 1003}))

	if ids, total := hookIDs(t, s, tok, ""); !slices.Equal(ids, []int64{acme, sales, east, support}) || total != 4 {
		t.Errorf("all %v %d", ids, total)
	}
	if ids, _ := hookIDs(t, s, tok, "org_unit_id=1002"); !slices.Equal(ids, []int64{sales, east}) {
		t.Errorf("sales and below %v", ids)
	}
	if ids, _ := hookIDs(t, s, tok, "status=active"); !slices.Equal(ids, []int64{acme, east, support}) {
		t.Errorf("active %v", ids)
	}
	if ids, total := hookIDs(t, s, tok, "limit=2&offset=2"); !slices.Equal(ids, []int64{east, support}) || total != 4 {
		t.Errorf("page %v %d", ids, total)
	}
	send(t, "GET", s.URL+"/webhooks?org_unit_id=2001", tok, nil).want(t, http.StatusForbidden)
	for q, field := range map[string]string{"limit=0": "limit", "limit=201": "limit", "offset=-1": "offset", "status=on": "status"} {
		send(t, "GET", s.URL+"/webhooks?"+q, tok, nil).wantField(t, field)
	}

	// The Globex admin sees none of them.
	other := token(t, s, OtherAccountAdminEmail)
	if ids, total := hookIDs(t, s, other, ""); len(ids) != 0 || total != 0 {
		t.Errorf("globex sees %v", ids)
	}
	send(t, "GET", fmt.Sprintf("%s/webhooks/%d", s.URL, acme), other, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", fmt.Sprintf("%s/webhooks/%d", s.URL, acme), other, nil).want(t, http.StatusNotFound)
}

func TestUpdateWebhook(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	id := mkHook(t, s, tok, hookBody("feed", map[string]any{"org_unit_id": 1002, "trigger": "pre_call", "status": "inactive",
		"static_params": []any{map[string]any{"field_name": "a", "static_value": "1"}}}))
	clk.Advance(time.Minute)
	path := fmt.Sprintf("%s/webhooks/%d", s.URL, id)

	// PUT replaces: what is not sent falls back to its default, but the
	// webhook stays in its org unit.
	r := send(t, "PUT", path, tok, hookBody("renamed", map[string]any{"webhook_url": "https://new.example/h"})).want(t, http.StatusOK)
	var m map[string]any
	r.data(t, &m)
	for k, v := range map[string]any{
		"webhook_id": float64(id), "webhook_name": "renamed", "webhook_url": "https://new.example/h", "org_unit_id": 1002.0,
		"trigger": "post_call", "status": "active", "webhook_created": "2026-01-20T12:00:00.000Z",
		"webhook_modified": "2026-01-20T12:01:00.000Z",
	} {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if fmt.Sprint(m["static_params"]) != "[]" {
		t.Errorf("static_params %v", m["static_params"])
	}
	if got := getHook(t, s, tok, id); fmt.Sprint(got) != fmt.Sprint(m) {
		t.Errorf("get after put %v", got)
	}
	send(t, "PUT", path, tok, hookBody("x", map[string]any{"org_unit_id": 1003})).want(t, http.StatusOK)
	if m := getHook(t, s, tok, id); m["org_unit_id"] != 1003.0 {
		t.Errorf("moved %v", m["org_unit_id"])
	}

	// 400 before 404.
	send(t, "PUT", path, tok, `{"webhook_name":"x"}`).wantField(t, "webhook_url")
	send(t, "PUT", s.URL+"/webhooks/99999", tok, `{"webhook_name":"x"}`).wantField(t, "webhook_url")
	send(t, "PUT", s.URL+"/webhooks/99999", tok, hookBody("x", nil)).want(t, http.StatusNotFound)
	send(t, "PUT", s.URL+"/webhooks/1001", tok, hookBody("x", nil)).want(t, http.StatusNotFound) // a group's id
}

func TestPatchWebhook(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	id := mkHook(t, s, tok, hookBody("feed", map[string]any{"static_params": []any{map[string]any{"field_name": "a", "static_value": "1"}}}))
	path := fmt.Sprintf("%s/webhooks/%d", s.URL, id)

	r := send(t, "PATCH", path, tok, `{"status":"inactive"}`).want(t, http.StatusOK)
	var m map[string]any
	r.data(t, &m)
	if m["status"] != "inactive" || m["webhook_name"] != "feed" || fmt.Sprint(m["static_params"]) != "[map[field_name:a static_value:1]]" {
		t.Errorf("after status patch %v", m)
	}
	// static_params replaces the whole list.
	r = send(t, "PATCH", path, tok, `{"static_params":[{"field_name":"b","static_value":""}],"trigger":"pre_call"}`).want(t, http.StatusOK)
	r.data(t, &m)
	if fmt.Sprint(m["static_params"]) != "[map[field_name:b static_value:]]" || m["trigger"] != "pre_call" || m["status"] != "inactive" {
		t.Errorf("after params patch %v", m)
	}
	for body, field := range map[string]string{
		`{}`:                          "body",
		`{"nope":1}`:                  "body",
		`{"webhook_name":null}`:       "webhook_name",
		`{"webhook_name":""}`:         "webhook_name",
		`{"webhook_url":null}`:        "webhook_url",
		`{"webhook_url":"mailto:x"}`:  "webhook_url",
		`{"static_params":null}`:      "static_params",
		`{"org_unit_id":null}`:        "org_unit_id",
		`{"trigger":null}`:            "trigger",
		`{"status":null}`:             "status",
		`{"org_unit_id":2001}`:        "org_unit_id",
		`{"static_params":[{"a":1}]}`: "static_params",
	} {
		send(t, "PATCH", path, tok, body).wantField(t, field)
		send(t, "PATCH", s.URL+"/webhooks/99999", tok, body).wantField(t, field)
	}
	send(t, "PATCH", s.URL+"/webhooks/99999", tok, `{"status":"active"}`).want(t, http.StatusNotFound)
	send(t, "PATCH", s.URL+"/webhooks/x", tok, `{"status":"active"}`).wantField(t, "id")
	if m := getHook(t, s, tok, id); m["webhook_url"] != "https://crm.example.com/hooks/convirza" {
		t.Errorf("url changed: %v", m["webhook_url"])
	}
}

func TestDeleteWebhook(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	keep := mkHook(t, s, tok, hookBody("keep", nil))
	id := mkHook(t, s, tok, hookBody("gone", nil))
	path := fmt.Sprintf("%s/webhooks/%d", s.URL, id)

	r := send(t, "DELETE", path, tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	var d map[string]int64
	r.data(t, &d)
	if d["webhookId"] != id || len(d) != 1 {
		t.Errorf("delete reply %v", d)
	}
	send(t, "GET", path, tok, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", path, tok, nil).want(t, http.StatusNotFound)
	send(t, "PATCH", path, tok, `{"status":"active"}`).want(t, http.StatusNotFound)
	if ids, total := hookIDs(t, s, tok, ""); !slices.Equal(ids, []int64{keep}) || total != 1 {
		t.Errorf("list %v %d", ids, total)
	}
	send(t, "DELETE", s.URL+"/webhooks/0", tok, nil).wantField(t, "id")
}

func TestWebhooksGoWithTheirGroup(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	g := mkGroup(t, s, tok, groupBodyFor("Temp", SalesOrgUnitID, nil))
	hook := mkHook(t, s, tok, hookBody("temp", map[string]any{"org_unit_id": g}))
	other := mkHook(t, s, tok, hookBody("sales", map[string]any{"org_unit_id": SalesOrgUnitID}))
	send(t, "DELETE", fmt.Sprintf("%s/groups/%d", s.URL, g), tok, nil).want(t, http.StatusOK)
	send(t, "GET", fmt.Sprintf("%s/webhooks/%d", s.URL, hook), tok, nil).want(t, http.StatusNotFound)
	if ids, _ := hookIDs(t, s, tok, ""); !slices.Equal(ids, []int64{other}) {
		t.Errorf("list %v", ids)
	}
	send(t, "POST", s.URL+"/webhooks", tok, hookBody("x", map[string]any{"org_unit_id": g})).wantField(t, "org_unit_id")
}

func TestWebhooksOfSubUnitAdmin(t *testing.T) {
	s := NewServer(t)
	root := token(t, s, AdminEmail)
	top := mkHook(t, s, root, hookBody("top", nil))
	mkUser(t, s, root, body("sales.admin@acme.example", map[string]any{"role": "Admin"}))
	tok := tokens(t, s, "sales.admin@acme.example", TemporaryPassword).AccessToken

	own := mkHook(t, s, tok, hookBody("own", nil))
	if m := getHook(t, s, tok, own); m["org_unit_id"] != float64(SalesOrgUnitID) {
		t.Errorf("default org unit %v", m["org_unit_id"])
	}
	if ids, _ := hookIDs(t, s, tok, ""); !slices.Equal(ids, []int64{own}) {
		t.Errorf("sales admin sees %v", ids)
	}
	send(t, "GET", fmt.Sprintf("%s/webhooks/%d", s.URL, top), tok, nil).want(t, http.StatusNotFound)
	send(t, "GET", s.URL+"/webhooks?org_unit_id=1001", tok, nil).want(t, http.StatusForbidden)
	send(t, "POST", s.URL+"/webhooks", tok, hookBody("x", map[string]any{"org_unit_id": 1003})).wantField(t, "org_unit_id")
	if ids, _ := hookIDs(t, s, root, ""); !slices.Equal(ids, []int64{top, own}) {
		t.Errorf("account admin sees %v", ids)
	}
}

func TestSnapshotKeepsWebhooks(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	id := mkHook(t, s, tok, hookBody("kept", map[string]any{"static_params": []any{map[string]any{"field_name": "a", "static_value": "1"}}}))
	before := getHook(t, s, tok, id)
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	send(t, "DELETE", fmt.Sprintf("%s/webhooks/%d", s.URL, id), tok, nil).want(t, http.StatusOK)
	if err := s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if after := getHook(t, s, tok, id); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("restored %v, want %v", after, before)
	}
}
