package convirzatest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// body returns a valid Create User body for email, with changes applied
// (a nil value deletes the member).
func body(email string, changes map[string]any) map[string]any {
	b := map[string]any{"username": email, "first_name": "Pat", "last_name": "Lee", "ct_user_ou_id": SalesOrgUnitID, "role": "Standard"}
	return withChanges(b, changes)
}

// mkUser creates a user and returns its id.
func mkUser(t testing.TB, s *Server, tok string, b map[string]any) int64 {
	t.Helper()
	return createdID(t, send(t, "POST", s.URL+"/users", tok, b), "userId")
}

// getUserMap reads a user as a generic map, so tests see the wire form.
func getUserMap(t testing.TB, s *Server, tok string, id int64) map[string]any {
	t.Helper()
	return getData[map[string]any](t, s, tok, fmt.Sprintf("/users/%d", id))
}

// listIDs lists users with the query and returns their ids and the total.
func listIDs(t testing.TB, s *Server, tok, query string) ([]int64, int) {
	t.Helper()
	return pageIDs(t, s, tok, "/users/list?"+query, "users", "ct_user_id")
}

var listFields = []string{"first_name", "last_name", "email", "user_ext_id", "ct_user_id", "status", "agent_ring_to",
	"agent_id", "group", "group_org_unit_id", "group_external_id", "account", "account_org_unit_id",
	"account_external_id", "parent_group", "parent_group_org_unit_id", "parent_group_external_id", "role",
	"access_audio", "group_access", "report_access", "assign_scorecard", "user_created"}

var detailFields = append(slices.Clone(listFields), "ct_user_ou_id", "role_id", "timezone", "agent_code", "score_call", "aliases")

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func TestUsersRoles(t *testing.T) {
	s := NewServer(t)
	routes := []struct{ method, path string }{
		{"GET", "/users/list"}, {"GET", "/users/10001"}, {"POST", "/users"},
		{"PUT", "/users/10001"}, {"PATCH", "/users/10001"}, {"DELETE", "/users/10001"},
	}
	for _, email := range []string{StandardEmail, ReadOnlyEmail} {
		tok := token(t, s, email)
		for _, rt := range routes {
			// 403 comes before 400: the body is invalid too.
			r := send(t, rt.method, s.URL+rt.path, tok, `{}`).want(t, http.StatusForbidden)
			checkEnvelope(t, r)
			if r.env.Message != "this operation requires the Admin role" {
				t.Errorf("%s %s: message %q", rt.method, rt.path, r.env.Message)
			}
		}
	}
	for _, rt := range routes {
		send(t, rt.method, s.URL+rt.path, "", `{}`).want(t, http.StatusUnauthorized) // 401 before 403
	}
	if got := s.RequestCount("DELETE", "/v3/users/10001"); got != 3 {
		t.Errorf("RequestCount = %d, want 3", got)
	}
	getUserMap(t, s, token(t, s, AdminEmail), AdminUserID) // nothing was deleted
}

func TestListUsersDefault(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	ids, total := listIDs(t, s, tok, "")
	if want := []int64{ReadOnlyUserID, StandardUserID, AdminUserID}; !slices.Equal(ids, want) || total != 3 {
		t.Errorf("ids %v total %d, want %v 3 (newest first, Globex left out)", ids, total, want)
	}

	r := send(t, "GET", s.URL+"/users/list", tok, nil).want(t, 200)
	checkEnvelope(t, r)
	var d struct{ Users []map[string]any }
	r.data(t, &d)
	for _, u := range d.Users {
		if got := keys(u); !slices.Equal(got, slices.Sorted(slices.Values(listFields))) {
			t.Errorf("list item keys %v", got)
		}
	}
	sam := d.Users[1]
	for k, v := range map[string]any{
		"first_name": "Sam", "email": StandardEmail, "ct_user_id": 10002.0, "status": "active",
		"group": "Sales Division", "group_org_unit_id": 1002.0, "group_external_id": "ORG-1002",
		"account": "Acme Corporation", "account_org_unit_id": 1001.0, "account_external_id": "ACC-1001",
		"parent_group": "Acme Corporation", "parent_group_org_unit_id": 1001.0, "parent_group_external_id": "ACC-1001",
		"role": "Standard User", "access_audio": "Yes", "agent_id": "AGT-002", "user_created": "2025-03-01T10:00:00.000Z",
	} {
		if sam[k] != v {
			t.Errorf("%s = %#v, want %#v", k, sam[k], v)
		}
	}
	riley, dana := d.Users[0], d.Users[2]
	if riley["role"] != "Read Only User" || riley["access_audio"] != "No" {
		t.Errorf("read-only user: %v %v", riley["role"], riley["access_audio"])
	}
	if dana["role"] != "Admin User" || dana["parent_group"] != nil || dana["parent_group_org_unit_id"] != nil {
		t.Errorf("admin at the root: %v %v %v", dana["role"], dana["parent_group"], dana["parent_group_org_unit_id"])
	}
}

func TestListUsersFilters(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	east := mkUser(t, s, tok, body("east@acme.example", map[string]any{"ct_user_ou_id": EastCoastSalesOrgUnitID, "first_name": "Eve", "last_name": "Samson"}))
	inactive := mkUser(t, s, tok, body("idle@acme.example", map[string]any{"user_status": "inactive", "role_id": 3, "role": nil}))
	gone := mkUser(t, s, tok, body("gone@acme.example", nil))
	send(t, "DELETE", fmt.Sprintf("%s/users/%d", s.URL, gone), tok, nil).want(t, 200)

	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{inactive, east, ReadOnlyUserID, StandardUserID, AdminUserID}},
		{"org_unit_id=1002", []int64{inactive, east, StandardUserID}},
		{"org_unit_id=1004", []int64{east}},
		{"org_unit_id=1001&user_status=deleted", []int64{gone}},
		{"user_status=inactive", []int64{inactive}},
		{"user_status=active&org_unit_id=1002", []int64{east, StandardUserID}},
		{"name=SAM", []int64{east, StandardUserID}}, // Eve Samson, Sam Ortega
		{"name=sam%20ort", []int64{StandardUserID}},
		{"email=ACME.example&role_id=1", []int64{AdminUserID}},
		{"email=riley", []int64{ReadOnlyUserID}},
		{"role_id=3", []int64{inactive, ReadOnlyUserID}},
		{"role_id=2&name=nobody", []int64{}},
		{"sort_by=name&sort_order=asc", []int64{AdminUserID, east, inactive, ReadOnlyUserID, StandardUserID}},
		{"sort_by=email&sort_order=desc", []int64{StandardUserID, ReadOnlyUserID, inactive, east, AdminUserID}},
		{"sort_order=asc", []int64{AdminUserID, StandardUserID, ReadOnlyUserID, east, inactive}},
		{"limit=2", []int64{inactive, east}},
		{"limit=2&offset=2", []int64{ReadOnlyUserID, StandardUserID}},
		{"limit=2&offset=4", []int64{AdminUserID}},
		{"offset=5", []int64{}},
		{"offset=99999999999", []int64{}},
		{"limit=200&offset=0&limit=1", []int64{inactive, east, ReadOnlyUserID, StandardUserID, AdminUserID}}, // the first value counts
		{"limit=&offset=", []int64{inactive, east, ReadOnlyUserID, StandardUserID, AdminUserID}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			ids, total := listIDs(t, s, tok, tc.query)
			if !slices.Equal(ids, tc.want) {
				t.Errorf("ids %v, want %v", ids, tc.want)
			}
			if strings.Contains(tc.query, "limit=2") || strings.HasPrefix(tc.query, "offset") {
				if total != 5 {
					t.Errorf("total %d, want 5", total)
				}
			} else if total != len(tc.want) {
				t.Errorf("total %d, want %d", total, len(tc.want))
			}
		})
	}
}

func TestListUsersStableSort(t *testing.T) {
	s := NewServer(t, WithClock(newClock().Now)) // a frozen clock: equal created times
	tok := token(t, s, AdminEmail)
	var made []int64
	for i := range 6 {
		made = append(made, mkUser(t, s, tok, body(fmt.Sprintf("twin%d@acme.example", i), map[string]any{"first_name": "Twin", "last_name": "Same", "ct_user_ou_id": SupportOrgUnitID})))
	}
	asc, _ := listIDs(t, s, tok, "org_unit_id=1003&name=twin&sort_by=name&sort_order=asc")
	if !slices.Equal(asc, made) {
		t.Errorf("asc %v, want %v", asc, made)
	}
	desc, _ := listIDs(t, s, tok, "org_unit_id=1003&name=twin")
	if !slices.Equal(desc, reversed(made)) {
		t.Errorf("desc %v, want %v", desc, reversed(made))
	}
	// Pages never overlap or skip.
	var paged []int64
	for off := 0; off < 6; off += 4 {
		ids, _ := listIDs(t, s, tok, fmt.Sprintf("org_unit_id=1003&name=twin&limit=4&offset=%d", off))
		paged = append(paged, ids...)
	}
	if !slices.Equal(paged, desc) {
		t.Errorf("paged %v, want %v", paged, desc)
	}
}

func reversed(s []int64) []int64 {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func TestListUsersBadParams(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=201", "limit"}, {"limit=abc", "limit"}, {"limit=1.5", "limit"},
		{"offset=-1", "offset"}, {"offset=x", "offset"},
		{"role_id=0", "role_id"}, {"role_id=4", "role_id"}, {"role_id=admin", "role_id"},
		{"user_status=gone", "user_status"}, {"user_status=Active", "user_status"},
		{"sort_by=age", "sort_by"}, {"sort_by=created_on&sort_order=up", "sort_order"},
		{"org_unit_id=abc", "org_unit_id"}, {"org_unit_id=0", "org_unit_id"},
		{"org_unit_id=2001&limit=0", "limit"}, // 400 before 403
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := send(t, "GET", s.URL+"/users/list?"+tc.query, tok, nil)
			r.wantField(t, tc.field)
			checkEnvelope(t, r)
			if r.env.Message != "Validation failed" {
				t.Errorf("message %q", r.env.Message)
			}
		})
	}
	r := send(t, "GET", s.URL+"/users/list?limit=0&offset=-1&sort_by=x", tok, nil)
	if len(r.env.Errors) != 3 {
		t.Errorf("errors %+v, want one per bad parameter", r.env.Errors)
	}
	for _, q := range []string{"org_unit_id=2001", "org_unit_id=9999"} {
		r := send(t, "GET", s.URL+"/users/list?"+q, tok, nil).want(t, http.StatusForbidden)
		checkEnvelope(t, r)
	}
}

func TestGetUser(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	u := getUserMap(t, s, tok, StandardUserID)
	if got := keys(u); !slices.Equal(got, slices.Sorted(slices.Values(detailFields))) {
		t.Errorf("keys %v", got)
	}
	for k, v := range map[string]any{
		"ct_user_ou_id": 1002.0, "role_id": 2.0, "timezone": "America/New_York", "agent_code": 2.0,
		"score_call": true, "aliases": nil, "user_ext_id": "EXT-002", "agent_ring_to": "+12125550102",
	} {
		if u[k] != v {
			t.Errorf("%s = %#v, want %#v", k, u[k], v)
		}
	}

	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/users/99999", 404},
		{fmt.Sprintf("/users/%d", OtherAccountAdminUserID), 404}, // outside scope (S1)
		{fmt.Sprintf("/users/%d", AccountOrgUnitID), 404},        // an org unit id is not a user id
		{"/users/abc", 400},
		{"/users/0", 400},
		{"/users/-5", 400},
		{"/users/99999999999999999999", 400},
	} {
		r := send(t, "GET", s.URL+tc.path, tok, nil).want(t, tc.status)
		checkEnvelope(t, r)
		if tc.status == 404 && r.env.Message != "User not found" {
			t.Errorf("%s: message %q", tc.path, r.env.Message)
		}
		if tc.status == 400 {
			r.wantField(t, "id")
		}
	}
}

func TestCreateUser(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)

	r := send(t, "POST", s.URL+"/users", tok, body("new.hire@acme.example", map[string]any{"ct_user_ou_id": SupportOrgUnitID})).want(t, http.StatusCreated)
	if r.env.Code != http.StatusOK {
		t.Errorf("envelope code %d, want 200 as in the docs' 201 example", r.env.Code)
	}
	checkEnvelope(t, r)
	if string(r.env.Data) != `{"userId":10005}` {
		t.Errorf("data %s", r.env.Data)
	}
	u := getUserMap(t, s, tok, 10005)
	for k, v := range map[string]any{
		"email": "new.hire@acme.example", "first_name": "Pat", "last_name": "Lee", "status": "active",
		"role": "Standard User", "role_id": 2.0, "timezone": "America/Chicago", // U3: the org unit's
		"aliases": nil, "user_ext_id": nil, "agent_ring_to": nil, "agent_code": nil, "score_call": nil,
		"access_audio": "No", "group": "Support Division", "user_created": iso(clk.Now()),
	} {
		if u[k] != v {
			t.Errorf("%s = %#v, want %#v", k, u[k], v)
		}
	}
	// The new user logs in with the temporary password.
	tokens(t, s, "NEW.HIRE@acme.example", TemporaryPassword)

	// The documented example body, at an org unit of the caller's tree.
	doc := `{"username":"admin@example.com","first_name":"Admin","last_name":"User","ct_user_ou_id":1001,"role":"Admin","user_ext_id":"EXT-ADMIN-001","user_status":"active","aliases":null,"timezone":"America/New_York","agent_ring_to":"+1234567890","agent_code":10,"score_call":true,"access_audio":true}`
	id := mkUser(t, s, tok, jsonMap(t, doc))
	u = getUserMap(t, s, tok, id)
	for k, v := range map[string]any{
		"role": "Admin User", "role_id": 1.0, "user_ext_id": "EXT-ADMIN-001", "agent_ring_to": "+1234567890",
		"agent_code": 10.0, "score_call": true, "access_audio": "Yes", "parent_group": nil, "account": "Acme Corporation",
	} {
		if u[k] != v {
			t.Errorf("%s = %#v, want %#v", k, u[k], v)
		}
	}

	for _, tc := range []struct {
		name    string
		changes map[string]any
		want    map[string]any
	}{
		{"role_id", map[string]any{"role": nil, "role_id": 3}, map[string]any{"role_id": 3.0, "role": "Read Only User"}},
		{"role and role_id agree", map[string]any{"role_id": 2}, map[string]any{"role_id": 2.0}},
		{"alias string", map[string]any{"aliases": "Patty"}, map[string]any{"aliases": []any{"Patty"}}},
		{"alias array", map[string]any{"aliases": []string{"P", "PL"}}, map[string]any{"aliases": []any{"P", "PL"}}},
		{"alias empty", map[string]any{"aliases": []string{}}, map[string]any{"aliases": []any{}}},
		{"inactive", map[string]any{"user_status": "inactive"}, map[string]any{"status": "inactive"}},
		{"timezone", map[string]any{"timezone": "Europe/Paris"}, map[string]any{"timezone": "Europe/Paris"}},
		{"grandchild", map[string]any{"ct_user_ou_id": EastCoastSalesOrgUnitID}, map[string]any{"parent_group": "Sales Division"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := mkUser(t, s, tok, body(strings.ReplaceAll(tc.name, " ", ".")+"@acme.example", tc.changes))
			u := getUserMap(t, s, tok, id)
			for k, v := range tc.want {
				if fmt.Sprint(u[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %#v, want %#v", k, u[k], v)
				}
			}
		})
	}
}

func jsonMap(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCreateUserInvalid(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"no body", nil, "body"},
		{"not json", "{", "body"},
		{"array", `[1]`, "body"},
		{"null", `null`, "body"},
		{"missing username", body("", map[string]any{"username": nil}), "username"},
		{"missing first_name", body("a@acme.example", map[string]any{"first_name": nil}), "first_name"},
		{"missing last_name", body("a@acme.example", map[string]any{"last_name": nil}), "last_name"},
		{"missing ct_user_ou_id", body("a@acme.example", map[string]any{"ct_user_ou_id": nil}), "ct_user_ou_id"},
		{"null first_name", `{"username":"a@acme.example","first_name":null,"last_name":"L","ct_user_ou_id":1002,"role":"Admin"}`, "first_name"},
		{"null ct_user_ou_id", `{"username":"a@acme.example","first_name":"F","last_name":"L","ct_user_ou_id":null,"role":"Admin"}`, "ct_user_ou_id"},
		{"blank last_name", body("a@acme.example", map[string]any{"last_name": "  "}), "last_name"},
		{"missing role", body("a@acme.example", map[string]any{"role": nil}), "role"},
		{"null role", body("a@acme.example", map[string]any{"role": nil, "role_id": nil}), "role"},
		{"bad role", body("a@acme.example", map[string]any{"role": "Owner"}), "role"},
		{"role label", body("a@acme.example", map[string]any{"role": "Admin User"}), "role"},
		{"bad role_id", body("a@acme.example", map[string]any{"role": nil, "role_id": 4}), "role_id"},
		{"role mismatch", body("a@acme.example", map[string]any{"role": "Admin", "role_id": 3}), "role_id"},
		{"role not a string", body("a@acme.example", map[string]any{"role": 1}), "role"},
		{"username not an email", body("not-an-email", nil), "username"},
		{"username with a name", body("Pat <pat@acme.example>", nil), "username"},
		{"first_name number", body("a@acme.example", map[string]any{"first_name": 5}), "first_name"},
		{"ct_user_ou_id string", body("a@acme.example", map[string]any{"ct_user_ou_id": "1002"}), "ct_user_ou_id"},
		{"ct_user_ou_id float", `{"username":"a@acme.example","first_name":"F","last_name":"L","ct_user_ou_id":1002.5,"role":"Admin"}`, "ct_user_ou_id"},
		{"ct_user_ou_id huge", `{"username":"a@acme.example","first_name":"F","last_name":"L","ct_user_ou_id":1e400,"role":"Admin"}`, "ct_user_ou_id"},
		{"ct_user_ou_id unknown", body("a@acme.example", map[string]any{"ct_user_ou_id": 9999}), "ct_user_ou_id"},
		{"user_status deleted", body("a@acme.example", map[string]any{"user_status": "deleted"}), "user_status"},
		{"user_status bad", body("a@acme.example", map[string]any{"user_status": "on"}), "user_status"},
		{"access_audio string", body("a@acme.example", map[string]any{"access_audio": "Yes"}), "access_audio"},
		{"score_call number", body("a@acme.example", map[string]any{"score_call": 1}), "score_call"},
		{"agent_code float", body("a@acme.example", map[string]any{"agent_code": 1.5}), "agent_code"},
		{"aliases numbers", body("a@acme.example", map[string]any{"aliases": []int{1}}), "aliases"},
		{"aliases object", body("a@acme.example", map[string]any{"aliases": map[string]int{}}), "aliases"},
		{"timezone empty", body("a@acme.example", map[string]any{"timezone": ""}), "timezone"},
		{"user_ext_id number", body("a@acme.example", map[string]any{"user_ext_id": 7}), "user_ext_id"},
		{"duplicate email and bad field", body(AdminEmail, map[string]any{"role": "x"}), "role"}, // 400 before 409
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, "POST", s.URL+"/users", tok, tc.body)
			r.wantField(t, tc.field)
			checkEnvelope(t, r)
		})
	}
	r := send(t, "POST", s.URL+"/users", tok, `{}`)
	var fields []string
	for _, e := range r.env.Errors {
		fields = append(fields, e.Field)
	}
	if want := []string{"username", "first_name", "last_name", "ct_user_ou_id", "role"}; !slices.Equal(fields, want) {
		t.Errorf("fields %v, want %v", fields, want)
	}
	if ids, _ := listIDs(t, s, tok, "limit=200"); len(ids) != 3 {
		t.Errorf("a refused create left a user behind: %v", ids)
	}
}

func TestCreateUserScopeAndConflicts(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)

	r := send(t, "POST", s.URL+"/users", tok, body("x@acme.example", map[string]any{"ct_user_ou_id": OtherAccountOrgUnitID})).want(t, http.StatusForbidden)
	checkEnvelope(t, r)

	gone := mkUser(t, s, tok, body("gone@acme.example", nil))
	send(t, "DELETE", fmt.Sprintf("%s/users/%d", s.URL, gone), tok, nil).want(t, 200)
	for _, email := range []string{AdminEmail, strings.ToUpper(StandardEmail), OtherAccountAdminEmail, "Gone@Acme.example"} {
		r := send(t, "POST", s.URL+"/users", tok, body(email, nil)).want(t, http.StatusConflict)
		checkEnvelope(t, r)
		if !strings.Contains(r.env.Message, "email") || !strings.Contains(r.env.Message, "already exists") {
			t.Errorf("%s: message %q", email, r.env.Message)
		}
	}
}

func TestCreateUserConcurrent(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Go(func() {
			r := send(t, "POST", s.URL+"/users", tok, body("race@acme.example", nil))
			statuses[i] = r.status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[201] != 1 || count[409] != 49 {
		t.Errorf("statuses %v, want one 201 and 49 409", count)
	}
	if got := s.RequestCount("POST", "/v3/users"); got != 50 {
		t.Errorf("RequestCount %d", got)
	}
}

func TestUpdateUser(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	id := mkUser(t, s, tok, body("pat@acme.example", map[string]any{
		"user_ext_id": "E1", "aliases": []string{"P"}, "agent_ring_to": "+15550000", "agent_code": 4,
		"score_call": true, "access_audio": true, "user_status": "inactive", "timezone": "Europe/Paris",
	}))
	url := fmt.Sprintf("%s/users/%d", s.URL, id)

	// Full replacement: members left out fall back to their defaults.
	r := send(t, "PUT", url, tok, body("PAT@acme.example", map[string]any{"ct_user_ou_id": SupportOrgUnitID, "role": "ReadOnly", "last_name": "Lopez"})).want(t, 200)
	checkEnvelope(t, r)
	var u map[string]any
	r.data(t, &u)
	for k, v := range map[string]any{
		"email": "PAT@acme.example", "last_name": "Lopez", "role_id": 3.0, "ct_user_ou_id": 1003.0, "group": "Support Division",
		"user_ext_id": nil, "aliases": nil, "agent_ring_to": nil, "agent_code": nil, "score_call": nil,
		"access_audio": "No", "status": "active", "timezone": "America/Chicago",
	} {
		if u[k] != v {
			t.Errorf("%s = %#v, want %#v", k, u[k], v)
		}
	}
	if !slices.Equal(keys(u), slices.Sorted(slices.Values(detailFields))) {
		t.Errorf("keys %v", keys(u))
	}
	if got := getUserMap(t, s, tok, id); fmt.Sprint(got) != fmt.Sprint(u) {
		t.Errorf("GET after PUT differs:\n%v\n%v", got, u)
	}

	for _, tc := range []struct {
		name   string
		url    string
		body   any
		status int
		field  string
	}{
		{"email of another user", url, body(StandardEmail, nil), 409, ""},
		{"missing field", url, body("pat@acme.example", map[string]any{"first_name": nil}), 400, "first_name"},
		{"missing field, unknown id", s.URL + "/users/99999", `{}`, 400, "username"}, // 400 before 404
		{"bad id", s.URL + "/users/x", body("pat@acme.example", nil), 400, "id"},
		{"unknown id", s.URL + "/users/99999", body("pat@acme.example", nil), 404, ""},
		{"outside scope", fmt.Sprintf("%s/users/%d", s.URL, OtherAccountAdminUserID), body("pat@acme.example", nil), 404, ""},
		{"org unit outside scope", url, body("pat@acme.example", map[string]any{"ct_user_ou_id": OtherAccountOrgUnitID}), 403, ""},
		{"org unit unknown", url, body("pat@acme.example", map[string]any{"ct_user_ou_id": 4242}), 400, "ct_user_ou_id"},
		{"org unit unknown, unknown id", s.URL + "/users/99999", body("pat@acme.example", map[string]any{"ct_user_ou_id": 4242}), 400, "ct_user_ou_id"},
		{"status deleted", url, body("pat@acme.example", map[string]any{"user_status": "deleted"}), 400, "user_status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, "PUT", tc.url, tok, tc.body)
			checkEnvelope(t, r)
			if tc.field != "" {
				r.wantField(t, tc.field)
			} else {
				r.want(t, tc.status)
			}
		})
	}

	send(t, "DELETE", url, tok, nil).want(t, 200)
	r = send(t, "PUT", url, tok, body("pat@acme.example", nil)).want(t, http.StatusConflict)
	checkEnvelope(t, r)
}

func TestPatchUser(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	full := body("pat@acme.example", map[string]any{
		"user_ext_id": "E1", "aliases": []string{"P"}, "agent_ring_to": "+15550000", "agent_code": 4,
		"score_call": true, "access_audio": true, "timezone": "Europe/Paris",
	})
	id := mkUser(t, s, tok, full)
	url := fmt.Sprintf("%s/users/%d", s.URL, id)
	before := getUserMap(t, s, tok, id)

	for _, tc := range []struct {
		name string
		body string
		want map[string]any // the members that change; every other one must not
	}{
		{"ring to", `{"agent_ring_to":"+14255559876","access_audio":false}`, map[string]any{"agent_ring_to": "+14255559876", "access_audio": "No"}},
		{"null clears", `{"user_ext_id":null,"aliases":null,"agent_ring_to":null,"agent_code":null,"score_call":null}`,
			map[string]any{"user_ext_id": nil, "aliases": nil, "agent_ring_to": nil, "agent_code": nil, "score_call": nil}},
		{"values again", `{"user_ext_id":"E2","aliases":"Solo","agent_code":7,"score_call":false}`,
			map[string]any{"user_ext_id": "E2", "aliases": []any{"Solo"}, "agent_code": 7.0, "score_call": false}},
		{"status", `{"user_status":"inactive"}`, map[string]any{"status": "inactive"}},
		{"role by id", `{"role_id":1}`, map[string]any{"role_id": 1.0, "role": "Admin User"}},
		{"role by name", `{"role":"ReadOnly"}`, map[string]any{"role_id": 3.0, "role": "Read Only User"}},
		{"move keeps timezone", `{"ct_user_ou_id":1004}`, map[string]any{"ct_user_ou_id": 1004.0, "group_org_unit_id": 1004.0, "group": "East Coast Sales", "group_external_id": "ORG-1004", "parent_group": "Sales Division", "parent_group_org_unit_id": 1002.0, "parent_group_external_id": "ORG-1002"}},
		{"own email, other case", `{"username":"Pat@Acme.example","first_name":"Patricia"}`, map[string]any{"email": "Pat@Acme.example", "first_name": "Patricia"}},
		{"unknown member beside a known one", `{"nickname":"x","timezone":"UTC"}`, map[string]any{"timezone": "UTC"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, "PATCH", url, tok, tc.body).want(t, 200)
			checkEnvelope(t, r)
			var after map[string]any
			r.data(t, &after)
			for k, v := range after {
				want, changed := tc.want[k]
				if !changed {
					want = before[k]
				}
				if fmt.Sprint(v) != fmt.Sprint(want) {
					t.Errorf("%s = %#v, want %#v", k, v, want)
				}
			}
			before = after
		})
	}

	for _, tc := range []struct{ name, body, field string }{
		{"empty", `{}`, "body"},
		{"only unknown members", `{"nickname":"x"}`, "body"},
		{"null first_name", `{"first_name":null}`, "first_name"},
		{"null username", `{"username":null}`, "username"},
		{"empty last_name", `{"last_name":""}`, "last_name"},
		{"null ct_user_ou_id", `{"ct_user_ou_id":null}`, "ct_user_ou_id"},
		{"null role", `{"role":null}`, "role"},
		{"null role_id", `{"role_id":null}`, "role"},
		{"null status", `{"user_status":null}`, "user_status"},
		{"null access_audio", `{"access_audio":null}`, "access_audio"},
		{"null timezone", `{"timezone":null}`, "timezone"},
		{"deleted", `{"user_status":"deleted"}`, "user_status"},
		{"bad role", `{"role":"Root"}`, "role"},
		{"bad email", `{"username":"x"}`, "username"},
		{"not an object", `"x"`, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, "PATCH", url, tok, tc.body)
			r.wantField(t, tc.field)
			checkEnvelope(t, r)
		})
	}
	if got := getUserMap(t, s, tok, id); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Errorf("a refused PATCH changed the user:\n%v\n%v", got, before)
	}

	send(t, "PATCH", url, tok, `{"username":"`+ReadOnlyEmail+`"}`).want(t, http.StatusConflict)
	send(t, "PATCH", url, tok, `{"ct_user_ou_id":2001}`).want(t, http.StatusForbidden)
	send(t, "PATCH", url, tok, `{"ct_user_ou_id":5}`).wantField(t, "ct_user_ou_id")
	send(t, "PATCH", s.URL+"/users/99999", tok, `{"first_name":"X"}`).want(t, http.StatusNotFound)
	send(t, "PATCH", s.URL+"/users/99999", tok, `{}`).wantField(t, "body")
	send(t, "DELETE", url, tok, nil).want(t, 200)
	send(t, "PATCH", url, tok, `{"user_status":"active"}`).want(t, http.StatusConflict)
}

func TestDeleteUser(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	id := mkUser(t, s, tok, body("bye@acme.example", nil))
	url := fmt.Sprintf("%s/users/%d", s.URL, id)

	for range 2 { // deleting again answers 200 and changes nothing (U6)
		r := send(t, "DELETE", url, tok, nil).want(t, 200)
		checkEnvelope(t, r)
		if string(r.env.Data) != fmt.Sprintf(`{"userId":%d}`, id) {
			t.Errorf("data %s", r.env.Data)
		}
		if u := getUserMap(t, s, tok, id); u["status"] != "deleted" {
			t.Errorf("status %v", u["status"])
		}
	}
	if ids, _ := listIDs(t, s, tok, ""); slices.Contains(ids, id) {
		t.Error("deleted user listed without user_status=deleted")
	}
	send(t, "DELETE", s.URL+"/users/99999", tok, nil).want(t, 404)
	send(t, "DELETE", fmt.Sprintf("%s/users/%d", s.URL, OtherAccountAdminUserID), tok, nil).want(t, 404)
	send(t, "DELETE", s.URL+"/users/abc", tok, nil).wantField(t, "id")
	send(t, "POST", s.AuthURL+"/oauth/token", "", map[string]string{"email": "bye@acme.example", "password": TemporaryPassword}).want(t, 401)
}

// TestScopeOfSubUnitAdmin checks the hierarchy rules from an Admin who sits
// below the account root.
func TestScopeOfSubUnitAdmin(t *testing.T) {
	s := NewServer(t)
	root := token(t, s, AdminEmail)
	mkUser(t, s, root, body("sales.admin@acme.example", map[string]any{"role": "Admin"}))
	tok := tokens(t, s, "sales.admin@acme.example", TemporaryPassword).AccessToken
	east := mkUser(t, s, tok, body("east@acme.example", map[string]any{"ct_user_ou_id": EastCoastSalesOrgUnitID}))

	ids, total := listIDs(t, s, tok, "")
	if total != 3 || !slices.Contains(ids, east) || !slices.Contains(ids, StandardUserID) || slices.Contains(ids, AdminUserID) {
		t.Errorf("sales admin sees %v", ids)
	}
	send(t, "GET", s.URL+"/users/list?org_unit_id=1001", tok, nil).want(t, http.StatusForbidden)
	send(t, "GET", s.URL+"/users/list?org_unit_id=1003", tok, nil).want(t, http.StatusForbidden)
	send(t, "GET", fmt.Sprintf("%s/users/%d", s.URL, ReadOnlyUserID), tok, nil).want(t, http.StatusNotFound)
	send(t, "GET", fmt.Sprintf("%s/users/%d", s.URL, AdminUserID), tok, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", fmt.Sprintf("%s/users/%d", s.URL, AdminUserID), tok, nil).want(t, http.StatusNotFound)
	send(t, "POST", s.URL+"/users", tok, body("x@acme.example", map[string]any{"ct_user_ou_id": SupportOrgUnitID})).want(t, http.StatusForbidden)
	send(t, "POST", s.URL+"/users", tok, body("x@acme.example", map[string]any{"ct_user_ou_id": AccountOrgUnitID})).want(t, http.StatusForbidden)
	send(t, "PATCH", fmt.Sprintf("%s/users/%d", s.URL, east), tok, `{"ct_user_ou_id":1003}`).want(t, http.StatusForbidden)

	// The Globex admin sees only Globex.
	other := token(t, s, OtherAccountAdminEmail)
	if ids, _ := listIDs(t, s, other, ""); !slices.Equal(ids, []int64{OtherAccountAdminUserID}) {
		t.Errorf("globex admin sees %v", ids)
	}
	send(t, "GET", fmt.Sprintf("%s/users/%d", s.URL, AdminUserID), other, nil).want(t, http.StatusNotFound)
}
