package convirzatest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// groupBodyFor returns a valid Create Group body under parent, with changes
// applied (a nil value deletes the member).
func groupBodyFor(name string, parent int64, changes map[string]any) map[string]any {
	return withChanges(map[string]any{"org_unit_name": name, "org_unit_parent_id": parent}, changes)
}

// mkGroup creates a group and returns its id.
func mkGroup(t testing.TB, s *Server, tok string, b map[string]any) int64 {
	t.Helper()
	return createdID(t, send(t, "POST", s.URL+"/groups", tok, b), "orgUnitId")
}

// getGroupMap reads a group as a generic map, so tests see the wire form.
func getGroupMap(t testing.TB, s *Server, tok string, id int64) map[string]any {
	t.Helper()
	return getData[map[string]any](t, s, tok, fmt.Sprintf("/groups/%d", id))
}

// groupIDs lists groups at path ("/groups" or "/groups/list") with the query
// and returns their ids and the total.
func groupIDs(t testing.TB, s *Server, tok, path, query string) ([]int64, int) {
	t.Helper()
	return pageIDs(t, s, tok, path+"?"+query, "groups", "org_unit_id")
}

type flatNode struct {
	ID    int64  `json:"org_unit_id"`
	Text  string `json:"text"`
	Code  string `json:"code"`
	Level int    `json:"group_level"`
}

func treeOf(t testing.TB, s *Server, tok, query string) []flatNode {
	t.Helper()
	r := send(t, "GET", s.URL+"/groups/tree?"+query, tok, nil).want(t, http.StatusOK)
	var d struct {
		Groups []flatNode `json:"groups"`
	}
	r.data(t, &d)
	if d.Groups == nil {
		t.Fatalf("tree without groups: %s", r.env.Data)
	}
	return d.Groups
}

func hierarchy(t testing.TB, s *Server, tok, id string) []int64 {
	t.Helper()
	r := send(t, "GET", s.URL+"/groups/org-list/"+id, tok, nil).want(t, http.StatusOK)
	var d struct {
		OrgUnits []int64 `json:"orgUnits"`
	}
	r.data(t, &d)
	return d.OrgUnits
}

var groupItemFields = []string{"address", "billing_id", "city", "industry_id", "industry_name", "org_unit_created",
	"org_unit_ext_id", "org_unit_id", "org_unit_modified", "org_unit_name", "org_unit_parent_id", "org_unit_status",
	"phone_number", "state", "timezone", "top_ou_id", "zip"}

func TestGroupsRoles(t *testing.T) {
	s := NewServer(t)
	routes := []struct{ method, path string }{
		{"GET", "/groups/list"}, {"GET", "/groups/tree"}, {"GET", "/groups/1002"}, {"GET", "/groups"},
		{"GET", "/groups/org-list/"}, {"GET", "/groups/org-list/1001"}, {"POST", "/groups"},
		{"PUT", "/groups/1004"}, {"PATCH", "/groups/1004"}, {"DELETE", "/groups/1004"},
	}
	for _, email := range []string{StandardEmail, ReadOnlyEmail} {
		tok := token(t, s, email)
		for _, rt := range routes {
			r := send(t, rt.method, s.URL+rt.path, tok, `{}`).want(t, http.StatusForbidden)
			checkEnvelope(t, r)
		}
	}
	for _, rt := range routes {
		send(t, rt.method, s.URL+rt.path, "", `{}`).want(t, http.StatusUnauthorized)
	}
	getGroupMap(t, s, token(t, s, AdminEmail), EastCoastSalesOrgUnitID) // nothing was deleted
}

func TestListChildGroups(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)

	ids, total := groupIDs(t, s, tok, "/groups/list", "")
	if !slices.Equal(ids, []int64{SalesOrgUnitID, SupportOrgUnitID}) || total != 2 {
		t.Errorf("children of the account: %v %d", ids, total)
	}
	if ids, _ := groupIDs(t, s, tok, "/groups/list", "org_unit_id=1002"); !slices.Equal(ids, []int64{EastCoastSalesOrgUnitID}) {
		t.Errorf("children of sales: %v (direct children only)", ids)
	}
	if ids, total := groupIDs(t, s, tok, "/groups/list", "org_unit_id=1004"); len(ids) != 0 || total != 0 {
		t.Errorf("children of a leaf: %v %d", ids, total)
	}
	if ids, _ := groupIDs(t, s, tok, "/groups/list", "group_name=SUPP"); !slices.Equal(ids, []int64{SupportOrgUnitID}) {
		t.Errorf("name filter: %v", ids)
	}
	if ids, total := groupIDs(t, s, tok, "/groups/list", "limit=1&offset=1"); !slices.Equal(ids, []int64{SupportOrgUnitID}) || total != 2 {
		t.Errorf("second page: %v %d", ids, total)
	}
	if ids, total := groupIDs(t, s, tok, "/groups/list", "offset=5"); len(ids) != 0 || total != 2 {
		t.Errorf("past the end: %v %d", ids, total)
	}
	send(t, "PATCH", s.URL+"/groups/1003", tok, `{"org_unit_status":"inactive"}`).want(t, http.StatusOK)
	if ids, _ := groupIDs(t, s, tok, "/groups/list", "status=active"); !slices.Equal(ids, []int64{SalesOrgUnitID}) {
		t.Errorf("active only: %v", ids)
	}
	if ids, _ := groupIDs(t, s, tok, "/groups/list", "status=inactive"); !slices.Equal(ids, []int64{SupportOrgUnitID}) {
		t.Errorf("inactive only: %v", ids)
	}

	r := send(t, "GET", s.URL+"/groups/list?org_unit_id=1001&group_name=sales", tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	var d struct{ Groups []map[string]any }
	r.data(t, &d)
	if len(d.Groups) != 1 {
		t.Fatalf("groups %v", d.Groups)
	}
	if got := keys(d.Groups[0]); !slices.Equal(got, groupItemFields) {
		t.Errorf("item keys %v", got)
	}
	for k, v := range map[string]any{
		"org_unit_id": 1002.0, "org_unit_ext_id": "ORG-1002", "org_unit_name": "Sales Division",
		"org_unit_parent_id": 1001.0, "top_ou_id": 1001.0, "org_unit_status": "active", "billing_id": 5002.0,
		"zip": "10001", "phone_number": "+1-212-555-0110", "industry_id": 10.0, "industry_name": "Technology",
		"timezone": "America/New_York", "org_unit_created": "2025-01-15T10:30:00.000Z",
		"org_unit_modified": "2026-02-20T14:20:00.000Z",
	} {
		if d.Groups[0][k] != v {
			t.Errorf("%s = %#v, want %#v", k, d.Groups[0][k], v)
		}
	}

	// A unit out of scope, or unknown, is a 401 here (assumed by analogy
	// with Get Org Unit Hierarchy).
	for _, q := range []string{"org_unit_id=2001", "org_unit_id=99999"} {
		r := send(t, "GET", s.URL+"/groups/list?"+q, tok, nil).want(t, http.StatusUnauthorized)
		checkEnvelope(t, r)
	}
	for q, field := range map[string]string{
		"limit=0": "limit", "limit=201": "limit", "offset=-1": "offset", "status=deleted": "status",
		"org_unit_id=abc": "org_unit_id", "org_unit_id=0": "org_unit_id",
	} {
		send(t, "GET", s.URL+"/groups/list?"+q, tok, nil).wantField(t, field)
	}
}

func TestListGroups(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	tree := []int64{AccountOrgUnitID, SalesOrgUnitID, EastCoastSalesOrgUnitID, SupportOrgUnitID}
	if ids, total := groupIDs(t, s, tok, "/groups", ""); !slices.Equal(ids, tree) || total != 4 {
		t.Errorf("whole account: %v %d, want %v in tree order (Globex left out)", ids, total, tree)
	}
	if ids, _ := groupIDs(t, s, tok, "/groups", "org_unit_id=1002"); !slices.Equal(ids, []int64{SalesOrgUnitID, EastCoastSalesOrgUnitID}) {
		t.Errorf("subtree of sales: %v", ids)
	}
	if ids, total := groupIDs(t, s, tok, "/groups", "group_name=sales&limit=1"); !slices.Equal(ids, []int64{SalesOrgUnitID}) || total != 2 {
		t.Errorf("filtered page: %v %d", ids, total)
	}
	send(t, "GET", s.URL+"/groups?org_unit_id=2001", tok, nil).want(t, http.StatusForbidden)
	send(t, "GET", s.URL+"/groups?org_unit_id=99999", tok, nil).want(t, http.StatusForbidden)
	send(t, "GET", s.URL+"/groups?status=x", tok, nil).wantField(t, "status")
}

func TestGroupTree(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	want := []flatNode{
		{1001, "Acme Corporation", "1", 1}, {1002, "Sales Division", "1.1", 2},
		{1004, "East Coast Sales", "1.1.1", 3}, {1003, "Support Division", "1.2", 2},
	}
	if got := treeOf(t, s, tok, ""); !slices.Equal(got, want) {
		t.Errorf("tree %+v", got)
	}
	r := send(t, "GET", s.URL+"/groups/tree", tok, nil)
	checkEnvelope(t, r)
	var d struct{ Groups []map[string]any }
	r.data(t, &d)
	if got := keys(d.Groups[0]); !slices.Equal(got, []string{"code", "group_level", "org_unit_id", "text"}) {
		t.Errorf("node keys %v", got)
	}

	// An inactive group is left out with everything below it, and the
	// codes stay dense.
	send(t, "PATCH", s.URL+"/groups/1002", tok, `{"org_unit_status":"inactive"}`).want(t, http.StatusOK)
	if got := treeOf(t, s, tok, "active=true"); !slices.Equal(got, []flatNode{{1001, "Acme Corporation", "1", 1}, {1003, "Support Division", "1.1", 2}}) {
		t.Errorf("active tree %+v", got)
	}
	if got := treeOf(t, s, tok, "active=false"); !slices.Equal(got, want) {
		t.Errorf("tree with inactive groups %+v", got)
	}
	send(t, "GET", s.URL+"/groups/tree?active=maybe", tok, nil).wantField(t, "active")
}

func TestOrgUnitHierarchy(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	all := []int64{AccountOrgUnitID, SalesOrgUnitID, EastCoastSalesOrgUnitID, SupportOrgUnitID}
	if got := hierarchy(t, s, tok, ""); !slices.Equal(got, all) {
		t.Errorf("own unit: %v", got)
	}
	if got := hierarchy(t, s, tok, "1001"); !slices.Equal(got, all) {
		t.Errorf("1001: %v", got)
	}
	if got := hierarchy(t, s, tok, "1002"); !slices.Equal(got, []int64{SalesOrgUnitID, EastCoastSalesOrgUnitID}) {
		t.Errorf("1002: %v (requested first)", got)
	}
	if got := hierarchy(t, s, tok, "1004"); !slices.Equal(got, []int64{EastCoastSalesOrgUnitID}) {
		t.Errorf("leaf: %v", got)
	}
	// Inactive units are part of the hierarchy.
	send(t, "PATCH", s.URL+"/groups/1004", tok, `{"org_unit_status":"inactive"}`).want(t, http.StatusOK)
	if got := hierarchy(t, s, tok, "1002"); !slices.Equal(got, []int64{SalesOrgUnitID, EastCoastSalesOrgUnitID}) {
		t.Errorf("with an inactive unit: %v", got)
	}
	// Out of scope, or unknown: 401 (S5), with the error envelope.
	for _, id := range []string{"2001", "99999"} {
		r := send(t, "GET", s.URL+"/groups/org-list/"+id, tok, nil).want(t, http.StatusUnauthorized)
		checkEnvelope(t, r)
		if r.env.Message != "org unit "+id+" is outside your scope" {
			t.Errorf("message %q", r.env.Message)
		}
	}
	send(t, "GET", s.URL+"/groups/org-list/abc", tok, nil).wantField(t, "id")
	// The 401 is about scope: the token still works.
	hierarchy(t, s, tok, "")
}

func TestGetGroup(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	m := getGroupMap(t, s, tok, AccountOrgUnitID)
	if got := keys(m); !slices.Equal(got, groupItemFields) {
		t.Errorf("keys %v", got)
	}
	if m["org_unit_parent_id"] != nil || m["top_ou_id"] != 1001.0 || m["org_unit_name"] != "Acme Corporation" {
		t.Errorf("root %v", m)
	}
	m = getGroupMap(t, s, tok, SupportOrgUnitID)
	if m["timezone"] != "America/Chicago" || m["org_unit_parent_id"] != 1001.0 {
		t.Errorf("support %v", m)
	}
	for _, id := range []string{"2001", "99999", "10001"} { // another account, unknown, a user's id
		r := send(t, "GET", s.URL+"/groups/"+id, tok, nil).want(t, http.StatusNotFound)
		if r.env.Message != "Group not found" {
			t.Errorf("message %q", r.env.Message)
		}
	}
	send(t, "GET", s.URL+"/groups/abc", tok, nil).wantField(t, "id")
	send(t, "GET", s.URL+"/groups/0", tok, nil).wantField(t, "id")
}

func TestCreateGroup(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	// The docs' example, with a parent and account that exist here, and an
	// org_unit_id that the server ignores (G3).
	id := mkGroup(t, s, tok, map[string]any{
		"org_unit_name": "New Sales Division", "org_unit_ext_id": "ORG-2001", "org_unit_parent_id": 1002,
		"top_ou_id": 1001, "billing_id": 1, "address": "123 Business Street", "city": "New York", "state": "NY",
		"zip": "10001", "phone_number": "+1234567890", "industry_id": 5, "org_unit_id": 42,
	})
	if id == 42 || id < 10005 {
		t.Errorf("id %d: the server assigns ids", id)
	}
	m := getGroupMap(t, s, tok, id)
	for k, v := range map[string]any{
		"org_unit_id": float64(id), "org_unit_name": "New Sales Division", "org_unit_ext_id": "ORG-2001",
		"org_unit_parent_id": 1002.0, "top_ou_id": 1001.0, "org_unit_status": "active", "billing_id": 1.0,
		"address": "123 Business Street", "zip": "10001", "phone_number": "+1234567890", "industry_id": 5.0,
		"industry_name": nil, "timezone": "America/New_York", "org_unit_created": "2026-01-20T12:00:00.000Z",
		"org_unit_modified": "2026-01-20T12:00:00.000Z",
	} {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if ids, _ := groupIDs(t, s, tok, "/groups/list", "org_unit_id=1002"); !slices.Equal(ids, []int64{EastCoastSalesOrgUnitID, id}) {
		t.Errorf("children of sales %v", ids)
	}

	// The smallest body: the timezone is the parent's (G4), the account is
	// derived from the parent, and the optional fields are null.
	minimal := mkGroup(t, s, tok, groupBodyFor("Tier 2", SupportOrgUnitID, nil))
	m = getGroupMap(t, s, tok, minimal)
	if m["timezone"] != "America/Chicago" || m["top_ou_id"] != 1001.0 || m["org_unit_ext_id"] != nil || m["zip"] != nil {
		t.Errorf("defaults %v", m)
	}
	if got := hierarchy(t, s, tok, "1003"); !slices.Equal(got, []int64{SupportOrgUnitID, minimal}) {
		t.Errorf("hierarchy %v", got)
	}
	tz := mkGroup(t, s, tok, groupBodyFor("Pacific", SalesOrgUnitID, map[string]any{"timezone": "America/Los_Angeles", "org_unit_status": "inactive"}))
	if m := getGroupMap(t, s, tok, tz); m["timezone"] != "America/Los_Angeles" || m["org_unit_status"] != "inactive" {
		t.Errorf("explicit values %v", m)
	}
}

func TestCreateGroupInvalid(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for name, tc := range map[string]struct {
		body  any
		field string
	}{
		"no body":          {"", "body"},
		"array":            {`[]`, "body"},
		"no name":          {groupBodyFor("", 1002, map[string]any{"org_unit_name": nil}), "org_unit_name"},
		"blank name":       {groupBodyFor("  ", 1002, nil), "org_unit_name"},
		"null name":        {`{"org_unit_name":null,"org_unit_parent_id":1002}`, "org_unit_name"},
		"name not string":  {groupBodyFor("x", 1002, map[string]any{"org_unit_name": 7}), "org_unit_name"},
		"no parent":        {groupBodyFor("x", 0, map[string]any{"org_unit_parent_id": nil}), "org_unit_parent_id"},
		"null parent":      {`{"org_unit_name":"x","org_unit_parent_id":null}`, "org_unit_parent_id"},
		"parent 0":         {groupBodyFor("x", 0, nil), "org_unit_parent_id"},
		"parent string":    {groupBodyFor("x", 0, map[string]any{"org_unit_parent_id": "1002"}), "org_unit_parent_id"},
		"bad status":       {groupBodyFor("x", 1002, map[string]any{"org_unit_status": "deleted"}), "org_unit_status"},
		"empty timezone":   {groupBodyFor("x", 1002, map[string]any{"timezone": ""}), "timezone"},
		"billing string":   {groupBodyFor("x", 1002, map[string]any{"billing_id": "1"}), "billing_id"},
		"industry 0":       {groupBodyFor("x", 1002, map[string]any{"industry_id": 0}), "industry_id"},
		"zip number":       {groupBodyFor("x", 1002, map[string]any{"zip": 10001}), "zip"},
		"unknown parent":   {groupBodyFor("x", 99999, nil), "org_unit_parent_id"},
		"other account":    {groupBodyFor("x", OtherAccountOrgUnitID, nil), "org_unit_parent_id"},
		"a user's id":      {groupBodyFor("x", AdminUserID, nil), "org_unit_parent_id"},
		"another top":      {groupBodyFor("x", 1002, map[string]any{"top_ou_id": 2001}), "top_ou_id"},
		"top not a number": {groupBodyFor("x", 1002, map[string]any{"top_ou_id": "1001"}), "top_ou_id"},
	} {
		t.Run(name, func(t *testing.T) {
			r := send(t, "POST", s.URL+"/groups", tok, tc.body)
			r.wantField(t, tc.field)
			checkEnvelope(t, r)
			if r.env.Message != "Validation failed" {
				t.Errorf("message %q", r.env.Message)
			}
		})
	}
	// The parent must be active (G2).
	send(t, "PATCH", s.URL+"/groups/1003", tok, `{"org_unit_status":"inactive"}`).want(t, http.StatusOK)
	send(t, "POST", s.URL+"/groups", tok, groupBodyFor("x", SupportOrgUnitID, nil)).wantField(t, "org_unit_parent_id")
	if ids, total := groupIDs(t, s, tok, "/groups", ""); total != 4 {
		t.Errorf("nothing created: %v", ids)
	}
}

func TestGroupSiblingNames(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for _, name := range []string{"Sales Division", "sales division", " SALES DIVISION "} {
		r := send(t, "POST", s.URL+"/groups", tok, groupBodyFor(name, AccountOrgUnitID, nil)).want(t, http.StatusConflict)
		checkEnvelope(t, r)
	}
	// The same name under another parent is fine.
	dup := mkGroup(t, s, tok, groupBodyFor("Sales Division", SupportOrgUnitID, nil))

	// Renaming or moving into a clash is a conflict too; keeping one's own
	// name is not.
	send(t, "PATCH", s.URL+"/groups/1003", tok, `{"org_unit_name":"sales division"}`).want(t, http.StatusConflict)
	send(t, "PATCH", fmt.Sprintf("%s/groups/%d", s.URL, dup), tok, `{"org_unit_parent_id":1001}`).want(t, http.StatusConflict)
	send(t, "PUT", s.URL+"/groups/1003", tok, groupBodyFor("Sales Division", AccountOrgUnitID, nil)).want(t, http.StatusConflict)
	send(t, "PATCH", s.URL+"/groups/1002", tok, `{"org_unit_name":"Sales Division","city":"Boston"}`).want(t, http.StatusOK)
	if m := getGroupMap(t, s, tok, SupportOrgUnitID); m["org_unit_name"] != "Support Division" {
		t.Errorf("support renamed: %v", m["org_unit_name"])
	}
	if m := getGroupMap(t, s, tok, dup); m["org_unit_parent_id"] != 1003.0 {
		t.Errorf("dup moved: %v", m["org_unit_parent_id"])
	}
}

func TestUpdateGroup(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)
	clk.Advance(time.Minute)
	// Full replacement: East Coast Sales moves under Support; what is not
	// sent falls back to its default.
	r := send(t, "PUT", s.URL+"/groups/1004", tok, groupBodyFor("East Coast Support", SupportOrgUnitID,
		map[string]any{"city": "Boston", "org_unit_ext_id": "ORG-1004"})).want(t, http.StatusOK)
	var m map[string]any
	r.data(t, &m)
	for k, v := range map[string]any{
		"org_unit_id": 1004.0, "org_unit_name": "East Coast Support", "org_unit_parent_id": 1003.0, "city": "Boston",
		"org_unit_ext_id": "ORG-1004", "zip": nil, "billing_id": nil, "industry_id": nil, "industry_name": nil,
		"timezone": "America/Chicago", "org_unit_status": "active", "top_ou_id": 1001.0,
		"org_unit_created": "2025-01-15T10:30:00.000Z", "org_unit_modified": "2026-01-20T12:01:00.000Z",
	} {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if got := getGroupMap(t, s, tok, 1004); fmt.Sprint(got) != fmt.Sprint(m) {
		t.Errorf("get after put %v", got)
	}
	if got := hierarchy(t, s, tok, "1003"); !slices.Equal(got, []int64{SupportOrgUnitID, EastCoastSalesOrgUnitID}) {
		t.Errorf("support's hierarchy %v", got)
	}
	if got := hierarchy(t, s, tok, "1002"); !slices.Equal(got, []int64{SalesOrgUnitID}) {
		t.Errorf("sales's hierarchy %v", got)
	}
	// PUT needs the name and the parent; 400 comes before 404.
	send(t, "PUT", s.URL+"/groups/1004", tok, `{"org_unit_name":"x"}`).wantField(t, "org_unit_parent_id")
	send(t, "PUT", s.URL+"/groups/99999", tok, `{"org_unit_name":"x"}`).wantField(t, "org_unit_parent_id")
	send(t, "PUT", s.URL+"/groups/99999", tok, groupBodyFor("x", 1001, nil)).want(t, http.StatusNotFound)
	send(t, "PUT", s.URL+"/groups/2001", tok, groupBodyFor("x", 1001, nil)).want(t, http.StatusNotFound)
}

func TestGroupMoveRules(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for name, tc := range map[string]struct {
		method, path string
		body         any
	}{
		"under itself":         {"PATCH", "/groups/1002", `{"org_unit_parent_id":1002}`},
		"under its descendant": {"PATCH", "/groups/1002", `{"org_unit_parent_id":1004}`},
		"PUT under descendant": {"PUT", "/groups/1002", groupBodyFor("Sales Division", 1004, nil)},
		"root under a child":   {"PATCH", "/groups/1001", `{"org_unit_parent_id":1003}`},
		"root by PUT":          {"PUT", "/groups/1001", groupBodyFor("Acme", 1002, nil)},
		"root null parent":     {"PATCH", "/groups/1001", `{"org_unit_parent_id":null}`},
		"top of another group": {"PATCH", "/groups/1002", `{"top_ou_id":2001}`},
	} {
		t.Run(name, func(t *testing.T) {
			r := send(t, tc.method, s.URL+tc.path, tok, tc.body).want(t, http.StatusBadRequest)
			checkEnvelope(t, r)
		})
	}
	if got := hierarchy(t, s, tok, ""); !slices.Equal(got, []int64{1001, 1002, 1004, 1003}) {
		t.Errorf("the tree changed: %v", got)
	}
	// The root can be edited in place.
	r := send(t, "PATCH", s.URL+"/groups/1001", tok, `{"org_unit_name":"Acme Inc.","top_ou_id":1001}`).want(t, http.StatusOK)
	var m map[string]any
	r.data(t, &m)
	if m["org_unit_name"] != "Acme Inc." || m["org_unit_parent_id"] != nil {
		t.Errorf("root %v", m)
	}
}

func TestPatchGroup(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	r := send(t, "PATCH", s.URL+"/groups/1004", tok,
		`{"org_unit_ext_id":null,"zip":"02109","org_unit_status":"inactive","industry_id":12}`).want(t, http.StatusOK)
	var m map[string]any
	r.data(t, &m)
	for k, v := range map[string]any{
		"org_unit_ext_id": nil, "zip": "02109", "org_unit_status": "inactive", "industry_id": 12.0,
		"industry_name": "Automotive", "city": "Boston", "org_unit_name": "East Coast Sales", "org_unit_parent_id": 1002.0,
	} {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	for body, field := range map[string]string{
		`{}`:                           "body",
		`{"unknown":1}`:                "body",
		`{"org_unit_name":null}`:       "org_unit_name",
		`{"org_unit_name":""}`:         "org_unit_name",
		`{"org_unit_parent_id":null}`:  "org_unit_parent_id",
		`{"org_unit_status":null}`:     "org_unit_status",
		`{"timezone":null}`:            "timezone",
		`{"org_unit_parent_id":99999}`: "org_unit_parent_id",
		`{"billing_id":-1}`:            "billing_id",
	} {
		send(t, "PATCH", s.URL+"/groups/1004", tok, body).wantField(t, field)
		send(t, "PATCH", s.URL+"/groups/99999", tok, body).wantField(t, field) // 400 before 404
	}
	send(t, "PATCH", s.URL+"/groups/99999", tok, `{"city":"x"}`).want(t, http.StatusNotFound)
	send(t, "PATCH", s.URL+"/groups/abc", tok, `{"city":"x"}`).wantField(t, "id")
}

func TestDeleteGroup(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)

	r := send(t, "DELETE", s.URL+"/groups/1001", tok, nil).want(t, http.StatusConflict)
	if r.env.Message != "the account root cannot be deleted" {
		t.Errorf("root: %q", r.env.Message)
	}
	r = send(t, "DELETE", s.URL+"/groups/1002", tok, nil).want(t, http.StatusConflict) // East Coast Sales is below it
	if r.env.Message != "group 1002 still has child groups" {
		t.Errorf("children: %q", r.env.Message)
	}
	r = send(t, "DELETE", s.URL+"/groups/1003", tok, nil).want(t, http.StatusConflict) // Riley Chen works there
	if r.env.Message != "group 1003 still has users" {
		t.Errorf("users: %q", r.env.Message)
	}
	// An inactive user still counts; a deleted one does not.
	send(t, "PATCH", fmt.Sprintf("%s/users/%d", s.URL, ReadOnlyUserID), tok, `{"user_status":"inactive"}`).want(t, http.StatusOK)
	send(t, "DELETE", s.URL+"/groups/1003", tok, nil).want(t, http.StatusConflict)
	send(t, "DELETE", fmt.Sprintf("%s/users/%d", s.URL, ReadOnlyUserID), tok, nil).want(t, http.StatusOK)

	r = send(t, "DELETE", s.URL+"/groups/1003", tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	var d map[string]int64
	r.data(t, &d)
	if d["orgUnitId"] != SupportOrgUnitID || len(d) != 1 {
		t.Errorf("delete reply %v", d)
	}

	// Gone from every read (G11).
	send(t, "GET", s.URL+"/groups/1003", tok, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", s.URL+"/groups/1003", tok, nil).want(t, http.StatusNotFound)
	send(t, "PATCH", s.URL+"/groups/1003", tok, `{"city":"x"}`).want(t, http.StatusNotFound)
	if ids, _ := groupIDs(t, s, tok, "/groups/list", ""); !slices.Equal(ids, []int64{SalesOrgUnitID}) {
		t.Errorf("children %v", ids)
	}
	if ids, total := groupIDs(t, s, tok, "/groups", ""); total != 3 || slices.Contains(ids, SupportOrgUnitID) {
		t.Errorf("subtree %v", ids)
	}
	for _, n := range treeOf(t, s, tok, "active=false") {
		if n.ID == SupportOrgUnitID {
			t.Errorf("tree still shows it")
		}
	}
	if got := hierarchy(t, s, tok, ""); slices.Contains(got, SupportOrgUnitID) {
		t.Errorf("hierarchy %v", got)
	}
	send(t, "GET", s.URL+"/groups/org-list/1003", tok, nil).want(t, http.StatusUnauthorized)
	send(t, "GET", s.URL+"/groups/list?org_unit_id=1003", tok, nil).want(t, http.StatusUnauthorized)
	send(t, "POST", s.URL+"/groups", tok, groupBodyFor("x", SupportOrgUnitID, nil)).wantField(t, "org_unit_parent_id")
	// Its name is free again, and the deleted user still reads fine.
	mkGroup(t, s, tok, groupBodyFor("Support Division", AccountOrgUnitID, nil))
	getUserMap(t, s, tok, ReadOnlyUserID)

	// A leaf with no users goes at once; its parent can follow.
	send(t, "DELETE", s.URL+"/groups/1004", tok, nil).want(t, http.StatusOK)
	send(t, "DELETE", fmt.Sprintf("%s/users/%d", s.URL, StandardUserID), tok, nil).want(t, http.StatusOK)
	send(t, "DELETE", s.URL+"/groups/1002", tok, nil).want(t, http.StatusOK)
	send(t, "DELETE", s.URL+"/groups/2001", tok, nil).want(t, http.StatusNotFound) // another account
	send(t, "DELETE", s.URL+"/groups/x", tok, nil).wantField(t, "id")
}

func TestGroupsOfSubUnitAdmin(t *testing.T) {
	s := NewServer(t)
	root := token(t, s, AdminEmail)
	mkUser(t, s, root, body("sales.admin@acme.example", map[string]any{"role": "Admin"}))
	tok := tokens(t, s, "sales.admin@acme.example", TemporaryPassword).AccessToken

	if ids, _ := groupIDs(t, s, tok, "/groups/list", ""); !slices.Equal(ids, []int64{EastCoastSalesOrgUnitID}) {
		t.Errorf("children %v", ids)
	}
	if ids, _ := groupIDs(t, s, tok, "/groups", ""); !slices.Equal(ids, []int64{SalesOrgUnitID, EastCoastSalesOrgUnitID}) {
		t.Errorf("subtree %v", ids)
	}
	if got := treeOf(t, s, tok, ""); !slices.Equal(got, []flatNode{{1002, "Sales Division", "1", 1}, {1004, "East Coast Sales", "1.1", 2}}) {
		t.Errorf("tree %+v", got)
	}
	if got := hierarchy(t, s, tok, ""); !slices.Equal(got, []int64{SalesOrgUnitID, EastCoastSalesOrgUnitID}) {
		t.Errorf("hierarchy %v", got)
	}
	send(t, "GET", s.URL+"/groups/org-list/1001", tok, nil).want(t, http.StatusUnauthorized)
	send(t, "GET", s.URL+"/groups/list?org_unit_id=1001", tok, nil).want(t, http.StatusUnauthorized)
	send(t, "GET", s.URL+"/groups?org_unit_id=1001", tok, nil).want(t, http.StatusForbidden)
	send(t, "GET", s.URL+"/groups/1003", tok, nil).want(t, http.StatusNotFound)
	send(t, "GET", s.URL+"/groups/1001", tok, nil).want(t, http.StatusNotFound)
	send(t, "POST", s.URL+"/groups", tok, groupBodyFor("x", SupportOrgUnitID, nil)).wantField(t, "org_unit_parent_id")
	// Its own unit cannot go under a descendant, nor anywhere it cannot see.
	send(t, "PATCH", s.URL+"/groups/1002", tok, `{"org_unit_parent_id":1004}`).want(t, http.StatusBadRequest)
	send(t, "PATCH", s.URL+"/groups/1004", tok, `{"org_unit_parent_id":1003}`).wantField(t, "org_unit_parent_id")
	mkGroup(t, s, tok, groupBodyFor("Inside Sales", SalesOrgUnitID, nil))
}

// FuzzGroupsAndWebhooks sends arbitrary group and webhook requests with an
// Admin token: whatever the input, the fake answers with a well-formed
// envelope, never a 5xx, and its org tree stays a tree.
func FuzzGroupsAndWebhooks(f *testing.F) {
	ff := newFuzzFake(f)
	for _, seed := range []struct {
		method      uint8
		path, query string
		body        string
	}{
		{0, "/v3/groups/list", "org_unit_id=1002&limit=1", ""},
		{0, "/v3/groups/tree", "active=false", ""},
		{0, "/v3/groups/org-list/", "", ""},
		{0, "/v3/groups/org-list/1002", "", ""},
		{0, "/v3/groups", "group_name=s&status=active", ""},
		{1, "/v3/groups", "", `{"org_unit_name":"F","org_unit_parent_id":1004,"top_ou_id":1001,"zip":"1"}`},
		{2, "/v3/groups/1004", "", `{"org_unit_name":"E","org_unit_parent_id":1003,"timezone":"UTC"}`},
		{3, "/v3/groups/1002", "", `{"org_unit_parent_id":1004}`},
		{3, "/v3/groups/1001", "", `{"org_unit_ext_id":null,"industry_id":12}`},
		{4, "/v3/groups/1004", "", ""},
		{1, "/v3/webhooks", "", `{"webhook_name":"h","webhook_url":"https://a.example","static_params":[{"field_name":"a","static_value":"b"}]}`},
		{3, "/v3/webhooks/10005", "", `{"trigger":"pre_call","org_unit_id":1004}`},
		{0, "/v3/webhooks", "org_unit_id=1002", ""},
	} {
		f.Add(seed.method, seed.path, seed.query, []byte(seed.body))
	}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	f.Fuzz(func(t *testing.T, m uint8, path, query string, body []byte) {
		req := fuzzRequest(methods, m, path, query, body, ff.token)
		rec := httptest.NewRecorder()
		ff.ServeHTTP(rec, req)
		checkReply(t, req, rec)
		ff.mu.Lock()
		defer ff.mu.Unlock()
		if err := ff.st.check(); err != nil {
			t.Fatalf("%s %q %s: state: %v", req.Method, path, body, err)
		}
	})
}
