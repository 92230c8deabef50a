package convirzatest

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// agentDocBody is the documented Create Agent example body.
func agentDocBody() map[string]any {
	return map[string]any{
		"agent_name":   "After-hours receptionist",
		"org_unit_id":  AccountOrgUnitID,
		"greeting":     "Thanks for calling Acme Corporation. How can I help?",
		"instructions": "Collect the caller's name, number and reason for calling.",
		"language":     "en-US",
		"transfer_to":  "+14255551234",
	}
}

// mkAgent creates an agent and returns its id.
func mkAgent(t testing.TB, s *Server, tok string, b map[string]any) int64 {
	t.Helper()
	return createdID(t, send(t, "POST", s.URL+"/ai-voice-agents", tok, b), "agentId")
}

func agentURL(s *Server, id int64) string { return fmt.Sprintf("%s/ai-voice-agents/%d", s.URL, id) }

// getAgentMap reads an agent in its wire form.
func getAgentMap(t testing.TB, s *Server, tok string, id int64) map[string]any {
	t.Helper()
	return getData[map[string]any](t, s, tok, fmt.Sprintf("/ai-voice-agents/%d", id))
}

// listAgentIDs lists agents with the query and returns their ids and total.
func listAgentIDs(t testing.TB, s *Server, tok, query string) ([]int64, int) {
	t.Helper()
	return pageIDs(t, s, tok, "/ai-voice-agents?"+query, "agents", "agent_id")
}

func TestAIVoiceAgentCreateAndGet(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	admin := token(t, s, AdminEmail)

	id := mkAgent(t, s, admin, agentDocBody())
	got := getAgentMap(t, s, admin, id)
	want := map[string]any{
		"agent_id": float64(id), "org_unit_id": float64(AccountOrgUnitID), "agent_name": "After-hours receptionist",
		"greeting":     "Thanks for calling Acme Corporation. How can I help?",
		"instructions": "Collect the caller's name, number and reason for calling.",
		"voice":        "female-1", "language": "en-US", "transfer_to": "+14255551234", "status": "active",
		"agent_created": "2026-01-20T12:00:00.000Z", "agent_modified": "2026-01-20T12:00:00.000Z",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("agent %v\nwant  %v", got, want)
	}

	// Only the name is required; the rest takes defaults, the org unit the
	// caller's.
	std := token(t, s, StandardEmail)
	id2 := mkAgent(t, s, std, map[string]any{"agent_name": "Night desk"})
	got = getAgentMap(t, s, std, id2)
	for k, v := range map[string]any{"org_unit_id": float64(SalesOrgUnitID), "voice": "female-1", "language": "en-US",
		"status": "active", "greeting": nil, "instructions": nil, "transfer_to": nil} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestAIVoiceAgentValidation(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	for _, tc := range []struct {
		field  string
		change map[string]any
	}{
		{"agent_name", map[string]any{"agent_name": nil}},
		{"agent_name", map[string]any{"agent_name": "  "}},
		{"agent_name", map[string]any{"agent_name": 7}},
		{"status", map[string]any{"status": "paused"}},
		{"org_unit_id", map[string]any{"org_unit_id": OtherAccountOrgUnitID}},
		{"org_unit_id", map[string]any{"org_unit_id": 9999}},
		{"org_unit_id", map[string]any{"org_unit_id": "1001"}},
		{"transfer_to", map[string]any{"transfer_to": 14255551234}},
		{"language", map[string]any{"language": ""}},
	} {
		b := agentDocBody()
		for k, v := range tc.change {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		r := send(t, "POST", s.URL+"/ai-voice-agents", admin, b)
		r.wantField(t, tc.field)
		checkEnvelope(t, r)
	}
	send(t, "POST", s.URL+"/ai-voice-agents", admin, "").wantField(t, "body")
	send(t, "POST", s.URL+"/ai-voice-agents", admin, "[]").wantField(t, "body")
	if _, total := listAgentIDs(t, s, admin, ""); total != 0 {
		t.Errorf("a refused create made an agent: %d", total)
	}
}

func TestAIVoiceAgentUpdateReplaces(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	admin := token(t, s, AdminEmail)
	id := mkAgent(t, s, admin, agentDocBody())
	clk.Advance(time.Hour)

	r := send(t, "PUT", agentURL(s, id), admin, map[string]any{"agent_name": "Renamed", "voice": "male-2", "status": "inactive"}).want(t, 200)
	var got map[string]any
	r.data(t, &got)
	for k, v := range map[string]any{"agent_name": "Renamed", "voice": "male-2", "status": "inactive",
		"greeting": nil, "instructions": nil, "transfer_to": nil, "language": "en-US",
		"org_unit_id":   float64(AccountOrgUnitID), // kept when not sent
		"agent_created": "2026-01-20T12:00:00.000Z", "agent_modified": "2026-01-20T13:00:00.000Z"} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if fmt.Sprint(getAgentMap(t, s, admin, id)) != fmt.Sprint(got) {
		t.Error("PUT answered something other than the stored agent")
	}

	send(t, "PUT", agentURL(s, id), admin, map[string]any{"voice": "x"}).wantField(t, "agent_name")
	send(t, "PUT", agentURL(s, 999999), admin, map[string]any{"agent_name": "x"}).want(t, 404)
	send(t, "PUT", agentURL(s, 999999), admin, map[string]any{}).want(t, 400) // the body comes before the id
	send(t, "PUT", s.URL+"/ai-voice-agents/x", admin, map[string]any{"agent_name": "x"}).wantField(t, "id")
}

func TestAIVoiceAgentPatch(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	id := mkAgent(t, s, admin, agentDocBody())

	r := send(t, "PATCH", agentURL(s, id), admin, `{"status":"inactive","transfer_to":null,"greeting":""}`).want(t, 200)
	var got map[string]any
	r.data(t, &got)
	for k, v := range map[string]any{"status": "inactive", "transfer_to": nil, "greeting": "",
		"agent_name": "After-hours receptionist", "instructions": "Collect the caller's name, number and reason for calling."} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	r = send(t, "PATCH", agentURL(s, id), admin, `{"org_unit_id":1003}`).want(t, 200)
	r.data(t, &got)
	if got["org_unit_id"] != float64(SupportOrgUnitID) || got["status"] != "inactive" {
		t.Errorf("after moving: %v", got)
	}

	for body, field := range map[string]string{
		`{}`:                   "body",
		`{"unknown":1}`:        "body",
		`{"agent_name":null}`:  "agent_name",
		`{"agent_name":""}`:    "agent_name",
		`{"status":null}`:      "status",
		`{"status":"deleted"}`: "status",
		`{"org_unit_id":null}`: "org_unit_id",
		`{"org_unit_id":2001}`: "org_unit_id",
	} {
		send(t, "PATCH", agentURL(s, id), admin, body).wantField(t, field)
	}
	send(t, "PATCH", agentURL(s, 999999), admin, `{"status":"active"}`).want(t, 404)
}

func TestAIVoiceAgentDelete(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	id := mkAgent(t, s, admin, agentDocBody())
	r := send(t, "DELETE", agentURL(s, id), admin, nil).want(t, 200)
	checkEnvelope(t, r)
	var d map[string]int64
	r.data(t, &d)
	if d["agentId"] != id {
		t.Errorf("data %s", r.env.Data)
	}
	send(t, "GET", agentURL(s, id), admin, nil).want(t, 404)
	send(t, "DELETE", agentURL(s, id), admin, nil).want(t, 404)
	send(t, "PATCH", agentURL(s, id), admin, `{"status":"active"}`).want(t, 404)
	if _, total := listAgentIDs(t, s, admin, ""); total != 0 {
		t.Errorf("total %d after delete", total)
	}
}

func TestAIVoiceAgentRolesAndScope(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	std := token(t, s, StandardEmail)
	ro := token(t, s, ReadOnlyEmail)
	root := mkAgent(t, s, admin, agentDocBody())
	support := mkAgent(t, s, admin, map[string]any{"agent_name": "Support bot", "org_unit_id": SupportOrgUnitID})

	// Standard writes in its own scope (Sales).
	sales := mkAgent(t, s, std, map[string]any{"agent_name": "Sales bot"})
	send(t, "PATCH", agentURL(s, sales), std, `{"voice":"male-1"}`).want(t, 200)
	send(t, "PUT", agentURL(s, sales), std, map[string]any{"agent_name": "Sales bot 2"}).want(t, 200)
	send(t, "PATCH", agentURL(s, root), std, `{"voice":"male-1"}`).want(t, 404) // above its scope
	send(t, "POST", s.URL+"/ai-voice-agents", std, map[string]any{"agent_name": "x", "org_unit_id": AccountOrgUnitID}).wantField(t, "org_unit_id")

	// ReadOnly reads its scope and writes nothing.
	if got := getAgentMap(t, s, ro, support); got["agent_name"] != "Support bot" {
		t.Errorf("read-only get: %v", got)
	}
	send(t, "GET", agentURL(s, root), ro, nil).want(t, 404)
	send(t, "POST", s.URL+"/ai-voice-agents", ro, map[string]any{"agent_name": "x"}).want(t, 403)
	send(t, "POST", s.URL+"/ai-voice-agents", ro, map[string]any{}).want(t, 403) // the role comes before the body
	send(t, "PUT", agentURL(s, support), ro, map[string]any{"agent_name": "x"}).want(t, 403)
	send(t, "PATCH", agentURL(s, support), ro, `{"voice":"x"}`).want(t, 403)
	send(t, "DELETE", agentURL(s, support), ro, nil).want(t, 403)
	send(t, "GET", agentURL(s, support), "", nil).want(t, http.StatusUnauthorized)

	// Another account sees none of them.
	globex := token(t, s, OtherAccountAdminEmail)
	send(t, "GET", agentURL(s, root), globex, nil).want(t, 404)
	if ids, _ := listAgentIDs(t, s, globex, ""); len(ids) != 0 {
		t.Errorf("globex sees %v", ids)
	}

	send(t, "DELETE", agentURL(s, sales), std, nil).want(t, 200)
}

func TestAIVoiceAgentListFiltersAndPaging(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	var ids []int64
	for i, ou := range []int64{AccountOrgUnitID, SalesOrgUnitID, EastCoastSalesOrgUnitID, SupportOrgUnitID} {
		status := "active"
		if i%2 == 1 {
			status = "inactive"
		}
		ids = append(ids, mkAgent(t, s, admin, map[string]any{"agent_name": fmt.Sprint("A", i), "org_unit_id": ou, "status": status}))
	}
	check := func(query string, want []int64, wantTotal int) {
		t.Helper()
		got, total := listAgentIDs(t, s, admin, query)
		if !slices.Equal(got, want) || total != wantTotal {
			t.Errorf("%s: %v %d, want %v %d", query, got, total, want, wantTotal)
		}
	}
	check("", ids, 4)
	check("status=inactive", []int64{ids[1], ids[3]}, 2)
	check("org_unit_id=1002", ids[1:3], 2)
	check("org_unit_id=1002&status=active", ids[2:3], 1)
	check("limit=1&offset=3", ids[3:], 4)
	check("offset=4", []int64{}, 4)
	send(t, "GET", s.URL+"/ai-voice-agents?status=on", admin, nil).wantField(t, "status")
	send(t, "GET", s.URL+"/ai-voice-agents?limit=0", admin, nil).wantField(t, "limit")
	send(t, "GET", s.URL+"/ai-voice-agents?offset=-1", admin, nil).wantField(t, "offset")
	send(t, "GET", s.URL+"/ai-voice-agents?org_unit_id=2001", admin, nil).want(t, 403)
}
