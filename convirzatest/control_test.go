package convirzatest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ctl sends a request to a control path and checks its status.
func ctl(t testing.TB, s *Server, method, path string, body any, status int) reply {
	t.Helper()
	return send(t, method, s.AuthURL+path, "", body).want(t, status)
}

// jsonOf decodes a control reply's body into a new T.
func jsonOf[T any](t testing.TB, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return v
}

func TestControlIndexListsEveryPath(t *testing.T) {
	s := NewServer(t)
	r := ctl(t, s, "GET", "/_mock", nil, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	rows := jsonOf[[]controlHelp](t, r)
	seen := map[string]bool{}
	for _, row := range rows {
		if row.Help == "" {
			t.Errorf("%s %s has no help", row.Method, row.Path)
		}
		seen[row.Method+" "+row.Path] = true
	}
	for _, want := range []string{
		"GET /_mock", "POST /_mock/reset", "GET /_mock/faults", "POST /_mock/faults", "DELETE /_mock/faults",
		"GET /_mock/requests", "GET /_mock/requests/count", "DELETE /_mock/requests", "GET /_mock/clock",
		"POST /_mock/clock", "POST /_mock/tokens/expire", "GET /_mock/state", "PUT /_mock/state", "POST /_mock/calls",
		"GET /_mock/deliveries", "DELETE /_mock/deliveries", "POST /_mock/webhooks/{id}/test",
	} {
		if !seen[want] {
			t.Errorf("index lacks %s", want)
		}
	}
	ctl(t, s, "GET", "/_mock?verbose=1", nil, 400)
	r = ctl(t, s, "PATCH", "/_mock/clock", nil, 405)
	if got := r.header.Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow %q", got)
	}
	checkEnvelope(t, r)
	ctl(t, s, "GET", "/_mock/nowhere", nil, 404)
	if n := len(s.Requests()); n != 0 {
		t.Errorf("control requests were logged: %d", n)
	}
}

func TestControlResetGoesBackToTheStart(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	id := mkUser(t, s, tok, body("gone@acme.example", nil))
	ctl(t, s, "POST", "/_mock/faults", `{"path":"/v3/groups/*","status":503}`, 201)
	ctl(t, s, "POST", "/_mock/clock", `{"advance":"240h"}`, 200)

	r := ctl(t, s, "POST", "/_mock/reset", nil, 204)
	if len(r.body) != 0 {
		t.Errorf("204 with a body %q", r.body)
	}
	if got := ctl(t, s, "GET", "/_mock/faults", nil, 200); strings.TrimSpace(string(got.body)) != "[]" {
		t.Errorf("faults after reset: %s", got.body)
	}
	if got := jsonOf[map[string]int](t, ctl(t, s, "GET", "/_mock/requests/count", nil, 200)); got["count"] != 0 {
		t.Errorf("request log after reset: %v", got)
	}
	if d := time.Since(s.Now()); d < -time.Minute || d > time.Minute {
		t.Errorf("clock after reset is %v off", d)
	}
	// Tokens issued since the start are gone with the rest of the state.
	send(t, "GET", s.URL+"/auth/profile", tok, nil).want(t, 401)
	tok = token(t, s, AdminEmail)
	send(t, "GET", fmt.Sprintf("%s/users/%d", s.URL, id), tok, nil).want(t, 404)
	// The id counter went back too: the next user gets the same id.
	if again := mkUser(t, s, tok, body("again@acme.example", nil)); again != id {
		t.Errorf("id after reset %d, want %d", again, id)
	}
	ctl(t, s, "POST", "/_mock/reset", `{"hard":true}`, 400)
}

func TestResetReturnsToTheResetPoint(t *testing.T) {
	s := NewServer(t)
	if err := s.LoadSeed([]byte(`{"org_units":[{"id":3001,"name":"Initech"}]}`)); err != nil {
		t.Fatal(err)
	}
	mustInject(t, s.Fake, Fault{Path: "/v3/tags", Status: 502})
	if err := s.SetResetPoint(); err != nil {
		t.Fatal(err)
	}
	tok := token(t, s, AdminEmail)
	send(t, "DELETE", s.AuthURL+FaultsPath, "", nil).want(t, 204)
	mkUser(t, s, tok, body("later@acme.example", nil))

	s.Reset()
	if f := s.Faults(); len(f) != 1 || f[0].Status != 502 {
		t.Errorf("faults after reset %+v, want the start fault", f)
	}
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(snap), "Initech") || strings.Contains(string(snap), "later@acme.example") {
		t.Errorf("state after reset does not match the reset point")
	}
}

func TestControlRequestLog(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	mkUser(t, s, tok, body("log@acme.example", nil))
	send(t, "GET", s.URL+"/users/10001?fields=all", tok, nil).want(t, 200)
	send(t, "GET", s.URL+"/users/99999", tok, nil).want(t, 404)

	all := jsonOf[[]map[string]any](t, ctl(t, s, "GET", "/_mock/requests", nil, 200))
	if len(all) != 4 || all[0]["path"] != "/oauth/token" {
		t.Fatalf("log %v, want login, create, two gets", all)
	}
	create := all[1]
	if create["method"] != "POST" || create["path"] != "/v3/users" || create["status"] != 201.0 ||
		create["time"] != iso(clk.Now()) || create["query"] != "" {
		t.Errorf("create entry %v", create)
	}
	if b, _ := create["body"].(map[string]any); b["username"] != "log@acme.example" {
		t.Errorf("create body %v", create["body"])
	}
	if login, _ := all[0]["body"].(map[string]any); login["password"] != "<redacted>" {
		t.Errorf("login body %v", all[0]["body"])
	}
	if all[2]["query"] != "fields=all" || all[3]["status"] != 404.0 {
		t.Errorf("gets %v %v", all[2], all[3])
	}

	gets := jsonOf[[]map[string]any](t, ctl(t, s, "GET", "/_mock/requests?method=get&path=/v3/users/*", nil, 200))
	if len(gets) != 2 || gets[1]["path"] != "/v3/users/99999" {
		t.Errorf("filtered %v", gets)
	}
	if got := jsonOf[map[string]int](t, ctl(t, s, "GET", "/_mock/requests/count?method=POST&path=/v3/users", nil, 200)); got["count"] != 1 {
		t.Errorf("count %v", got)
	}
	if got := s.Requests(RequestFilter{Path: "/oauth/*"}, RequestFilter{Method: "POST", Path: "/v3/users"}); len(got) != 2 {
		t.Errorf("Requests with two filters: %d", len(got))
	}
	ctl(t, s, "GET", "/_mock/requests?path=[", nil, 400)
	ctl(t, s, "GET", "/_mock/requests?status=200", nil, 400)

	ctl(t, s, "DELETE", "/_mock/requests", nil, 204)
	if got := jsonOf[map[string]int](t, ctl(t, s, "GET", "/_mock/requests/count", nil, 200)); got["count"] != 0 {
		t.Errorf("count after DELETE %v", got)
	}
	if s.RequestCount("POST", "/v3/users") != 0 {
		t.Error("RequestCount survived DELETE /_mock/requests")
	}
}

func TestControlClockMovesExpiry(t *testing.T) {
	s := NewServer(t, WithAccessTokenTTL(time.Hour))
	tok := token(t, s, AdminEmail)
	before := jsonOf[clockReply](t, ctl(t, s, "GET", "/_mock/clock", nil, 200))
	t0, err := time.Parse(time.RFC3339, before.Now)
	if err != nil {
		t.Fatal(err)
	}
	moved := jsonOf[clockReply](t, ctl(t, s, "POST", "/_mock/clock", `{"advance":"36h"}`, 200))
	t1, _ := time.Parse(time.RFC3339, moved.Now)
	if d := t1.Sub(t0); d < 36*time.Hour || d > 36*time.Hour+time.Minute {
		t.Errorf("advanced by %v", d)
	}
	send(t, "GET", s.URL+"/auth/profile", tok, nil).want(t, 401) // the 1h token lapsed

	set := jsonOf[clockReply](t, ctl(t, s, "POST", "/_mock/clock", `{"set":"2026-03-01T00:00:00Z"}`, 200))
	if !strings.HasPrefix(set.Now, "2026-03-01T00:00:0") {
		t.Errorf("set answered %q", set.Now)
	}
	tok = token(t, s, AdminEmail)
	id := mkUser(t, s, tok, body("march@acme.example", nil))
	if got := getUserMap(t, s, tok, id)["user_created"].(string); !strings.HasPrefix(got, "2026-03-01T00:00:0") {
		t.Errorf("created at %s on a clock set to 2026-03-01", got)
	}
	for _, bad := range []string{`{}`, `{"advance":"1h","set":"2026-03-01T00:00:00Z"}`, `{"advance":"soon"}`,
		`{"set":"March"}`, `{"advance":"1h","by":"me"}`, ``} {
		ctl(t, s, "POST", "/_mock/clock", bad, 400)
	}
}

func TestControlExpireTokens(t *testing.T) {
	s := NewServer(t)
	p := tokens(t, s, AdminEmail, SeedPassword)
	ctl(t, s, "POST", "/_mock/tokens/expire", nil, 204)
	send(t, "GET", s.URL+"/auth/profile", p.AccessToken, nil).want(t, 401)
	r := send(t, "POST", s.AuthURL+"/oauth/refresh-token", "", map[string]string{"refresh_token": p.RefreshToken}).want(t, 200)
	fresh := jsonOf[tokenPair](t, r)
	send(t, "GET", s.URL+"/auth/profile", fresh.AccessToken, nil).want(t, 200)
	ctl(t, s, "POST", "/_mock/tokens/expire", `{"user":1}`, 400)
}

func TestControlStateRoundTrip(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	id := mkUser(t, s, tok, body("kept@acme.example", nil))
	snap := ctl(t, s, "GET", "/_mock/state", nil, 200)
	if !json.Valid(snap.body) || !strings.Contains(string(snap.body), "kept@acme.example") {
		t.Fatalf("snapshot %.200s", snap.body)
	}

	other := NewServer(t)
	ctl(t, other, "PUT", "/_mock/state", snap.body, 204)
	otherTok := token(t, other, AdminEmail)
	if got := getUserMap(t, other, otherTok, id)["email"]; got != "kept@acme.example" {
		t.Errorf("restored user's email %v", got)
	}
	// A bad snapshot changes nothing.
	bad := strings.Replace(string(snap.body), `"next_id"`, `"nxt_id"`, 1)
	ctl(t, other, "PUT", "/_mock/state", bad, 400)
	ctl(t, other, "PUT", "/_mock/state", `{"version":99}`, 400)
	getUserMap(t, other, otherTok, id)
}

func TestControlSimulateCall(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	r := ctl(t, s, "POST", "/_mock/calls",
		`{"provisioned_route_id":9001,"caller_id":"+18015557654","duration":"00:03:12","disposition":"ANSWERED"}`, 201)
	got := jsonOf[map[string]any](t, r)
	for k, v := range map[string]any{
		"org_unit_id": float64(AccountOrgUnitID), "provisioned_route_id": float64(AcmeRouteID), "caller_id": "+18015557654",
		"phone_number": "+19482013920", "ring_to": "+12125550101", "disposition": "ANSWERED", "duration": "00:03:12",
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	id := int64(got["call_id"].(float64))
	byID := getData[map[string]any](t, s, tok, fmt.Sprintf("/conversations/calls/%d", id))
	if byID["call_started"] != got["call_started"] || byID["duration"] != "00:03:12" {
		t.Errorf("Get Call By ID %v, POST answered %v", byID, got)
	}
	ids, _ := pageIDs(t, s, tok, "/conversations/calls?limit=200&caller_id=%2B18015557654", "calls", "call_id")
	if len(ids) != 1 || ids[0] != id {
		t.Errorf("calls list by caller %v, want [%d]", ids, id)
	}

	// By number, with defaults: a number with no route keeps its holder.
	r = ctl(t, s, "POST", "/_mock/calls", `{"phone_number":"+1 (212) 555-0141"}`, 201)
	sales := jsonOf[map[string]any](t, r)
	if sales["org_unit_id"] != float64(SalesOrgUnitID) || sales["provisioned_route_id"] != nil ||
		sales["caller_id"] != DefaultCallerID || sales["disposition"] != "ANSWERED" || sales["duration"] != "00:03:12" {
		t.Errorf("by number %v", sales)
	}
	for _, bad := range []string{`{}`, `{"provisioned_route_id":1}`, `{"phone_number":"8015550142"}`,
		`{"provisioned_route_id":9001,"disposition":"LOST"}`, `{"provisioned_route_id":9001,"duration":"3 minutes"}`,
		`{"provisioned_route_id":9001,"colour":"red"}`} {
		ctl(t, s, "POST", "/_mock/calls", bad, 400)
	}
}
