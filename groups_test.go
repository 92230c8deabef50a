package convirza

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupsListChildrenWire(t *testing.T) {
	page := assertSends(t, "GET", "/groups/list", url.Values{
		"limit": {"10"}, "offset": {"20"}, "org_unit_id": {"1001"}, "group_name": {"sales"}, "status": {"active"},
	}, string(golden(t, "groups/list_children.json")), "", func(c *Client) (*Page[Group], error) {
		return c.Groups.ListChildren(context.Background(), &ListGroupsParams{
			PageParams: PageParams{Limit: 10, Offset: 20},
			OrgUnitID:  1001, Name: "sales", Status: GroupActive,
		})
	})
	assert.Equal(t, 3, page.Total)
	require.Len(t, page.Items, 1)
	g := page.Items[0]
	assert.Equal(t, int64(1002), g.ID)
	assert.Equal(t, "ORG-1002", g.ExtID)
	assert.Equal(t, "Sales Division", g.Name)
	assert.Equal(t, int64(1001), g.ParentID)
	assert.Equal(t, int64(1001), g.TopOUID)
	assert.Equal(t, GroupActive, g.Status)
	assert.Equal(t, int64(5001), g.BillingID)
	assert.Equal(t, "123 Main St", g.Address)
	assert.Equal(t, "New York", g.City)
	assert.Equal(t, "NY", g.State)
	assert.Equal(t, "10001", g.Zip)
	assert.Equal(t, "+1-212-555-0100", g.PhoneNumber)
	assert.Equal(t, int64(10), g.IndustryID)
	assert.Equal(t, "Technology", g.IndustryName)
	assert.Empty(t, g.Timezone)
	assert.Equal(t, time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC), g.Created)
	assert.Equal(t, time.Date(2026, 2, 20, 14, 20, 0, 0, time.UTC), g.Modified)
	assert.Contains(t, string(g.Raw), `"industry_name": "Technology"`)
}

func TestGroupsListWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/groups", 200, envelopeJSON(
		`{"groups":[{"org_unit_id":1001,"org_unit_name":"HQ","org_unit_parent_id":null,"top_ou_id":1001},
		{"org_unit_id":1002,"org_unit_name":"Sales","org_unit_parent_id":1001,"top_ou_id":1001}],"total":2}`))
	page, err := c.Groups.List(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/groups", url.Values{"limit": {"100"}}, "")
	require.Len(t, page.Items, 2)
	assert.Equal(t, int64(0), page.Items[0].ParentID, "null on the root")
	assert.Equal(t, int64(1001), page.Items[1].ParentID)
	assert.Equal(t, 2, page.Total)

	_, err = c.Groups.List(context.Background(), &ListGroupsParams{OrgUnitID: 1002, Status: GroupInactive, Name: "a b"})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/groups", url.Values{
		"limit": {"100"}, "org_unit_id": {"1002"}, "status": {"inactive"}, "group_name": {"a b"},
	}, "")
}

func TestGroupsListsRefuseBadInputBeforeIO(t *testing.T) {
	bad := map[string]*ListGroupsParams{"org unit -1": {OrgUnitID: -1}}
	assertRefusedBeforeIO(t, bad, func(c *Client, p *ListGroupsParams) error {
		_, err := c.Groups.ListChildren(context.Background(), p)
		return err
	})
	assertRefusedBeforeIO(t, bad, func(c *Client, p *ListGroupsParams) error {
		_, err := c.Groups.List(context.Background(), p)
		return err
	})
}

func TestGroupsGetWire(t *testing.T) {
	g := assertGetWire(t, "/groups/%d", 1002, string(golden(t, "groups/get.json")), func(c *Client, id int64) (*Group, error) {
		return c.Groups.Get(context.Background(), id)
	})
	assert.Equal(t, "America/New_York", g.Timezone)
	assert.Equal(t, "Sales Division", g.Name)
}

func TestGroupsTreeWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/groups/tree", 200, string(golden(t, "groups/tree.json")))

	roots, err := c.Groups.Tree(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/groups/tree", nil, "")
	assertDocsTree(t, roots)

	_, err = c.Groups.Tree(context.Background(), &GroupTreeParams{IncludeInactive: true})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/groups/tree", url.Values{"active": {"false"}}, "")

	_, err = c.Groups.Tree(context.Background(), &GroupTreeParams{})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/groups/tree", nil, "")
}

// assertDocsTree checks the tree of the docs' flat example:
// 1001 > 1002 > 1003.
func assertDocsTree(t *testing.T, roots []*TreeNode) {
	t.Helper()
	nodes, parent := roots, int64(0)
	for i, want := range []struct {
		id         int64
		name, code string
	}{{1001, "Corporate Headquarters", "1"}, {1002, "Sales Division", "1.1"}, {1003, "East Coast Sales", "1.1.1"}} {
		require.Len(t, nodes, 1, want.name)
		n := nodes[0]
		assert.Equal(t, want.id, n.ID)
		assert.Equal(t, want.name, n.Name)
		assert.Equal(t, want.code, n.Code)
		assert.Equal(t, i+1, n.Level)
		assert.Equal(t, parent, n.ParentID, "%s: the parent is filled from the tree", want.name)
		nodes, parent = n.Children, n.ID
	}
	assert.Empty(t, nodes)
}

func TestGroupsTreeNestedForm(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/groups/tree", 200, envelopeJSON(`{"groups":[
		{"org_unit_id":1001,"org_unit_name":"Corporate Headquarters","org_unit_parent_id":null,"coded_level":"1",
		 "children":[{"org_unit_id":1002,"org_unit_name":"Sales Division","parent_org_unit_id":1001,"coded_level":"1.1",
		   "children":[{"org_unit_id":1003,"org_unit_name":"East Coast Sales","org_unit_parent_id":"1002","coded_level":"1.1.1","children":[]}]}]}]}`))
	roots, err := c.Groups.Tree(context.Background(), nil)
	require.NoError(t, err)
	assertDocsTree(t, roots)
}

func TestBuildTreeFromDocsFlatExample(t *testing.T) {
	var data groupTreeData
	require.NoError(t, json.Unmarshal(goldenData(t, "groups/tree.json"), &data))
	require.Len(t, data.Groups, 3)
	before, _ := json.Marshal(data.Groups)

	roots := BuildTree(data.Groups)
	assertDocsTree(t, roots)

	after, _ := json.Marshal(data.Groups)
	assert.JSONEq(t, string(before), string(after), "the input is not changed")
	for _, n := range data.Groups {
		assert.Empty(t, n.Children)
	}
}

func TestBuildTreeFallbacks(t *testing.T) {
	t.Run("siblings keep their order", func(t *testing.T) {
		roots := BuildTree([]TreeNode{
			{ID: 1, Code: "1"}, {ID: 2, Code: "1.1"}, {ID: 3, Code: "1.2"}, {ID: 4, Code: "1.1.1"}, {ID: 5, Code: "2"},
		})
		require.Len(t, roots, 2)
		assert.Equal(t, []int64{1, 5}, nodeIDs(roots))
		assert.Equal(t, []int64{2, 3}, nodeIDs(roots[0].Children))
		assert.Equal(t, []int64{4}, nodeIDs(roots[0].Children[0].Children))
		assert.Equal(t, 3, roots[0].Children[0].Children[0].Level)
		assert.Equal(t, 1, roots[1].Level)
	})
	t.Run("by parent id without codes", func(t *testing.T) {
		roots := BuildTree([]TreeNode{{ID: 10}, {ID: 11, ParentID: 10}, {ID: 12, ParentID: 11}, {ID: 13, ParentID: 10}})
		require.Len(t, roots, 1)
		assert.Equal(t, []int64{11, 13}, nodeIDs(roots[0].Children))
		assert.Equal(t, []int64{12}, nodeIDs(roots[0].Children[0].Children))
		assert.Equal(t, 3, roots[0].Children[0].Children[0].Level)
	})
	t.Run("by level without codes or parents", func(t *testing.T) {
		roots := BuildTree([]TreeNode{
			{ID: 1, Level: 1}, {ID: 2, Level: 2}, {ID: 3, Level: 3}, {ID: 4, Level: 2}, {ID: 5, Level: 1}, {ID: 6, Level: 2},
		})
		assert.Equal(t, []int64{1, 5}, nodeIDs(roots))
		assert.Equal(t, []int64{2, 4}, nodeIDs(roots[0].Children))
		assert.Equal(t, []int64{3}, nodeIDs(roots[0].Children[0].Children))
		assert.Equal(t, []int64{6}, nodeIDs(roots[1].Children))
		assert.Equal(t, int64(5), roots[1].Children[0].ParentID)
	})
	t.Run("a missing parent makes a root, not a wrong child", func(t *testing.T) {
		// 1.2 is not listed (inactive): 1.2.1 must not land under 1.1.
		roots := BuildTree([]TreeNode{{ID: 1, Code: "1", Level: 1}, {ID: 2, Code: "1.1", Level: 2}, {ID: 4, Code: "1.2.1", Level: 3}})
		assert.Equal(t, []int64{1, 4}, nodeIDs(roots))
		assert.Empty(t, roots[0].Children[0].Children)
		assert.Equal(t, 3, roots[1].Level, "a level sent is kept")
	})
	t.Run("a parent listed after its child is not used", func(t *testing.T) {
		roots := BuildTree([]TreeNode{{ID: 2, ParentID: 1}, {ID: 1, ParentID: 2}})
		assert.Equal(t, []int64{2}, nodeIDs(roots))
		assert.Equal(t, []int64{1}, nodeIDs(roots[0].Children))
	})
	t.Run("empty", func(t *testing.T) {
		assert.Empty(t, BuildTree(nil))
	})
}

func nodeIDs(nodes []*TreeNode) []int64 {
	out := []int64{}
	for _, n := range nodes {
		out = append(out, n.ID)
	}
	return out
}

func TestGroupsHierarchyWire(t *testing.T) {
	c, mt := newWireClient(t)
	byID := respond(mt, "GET", "/groups/org-list/1001", 200, string(golden(t, "groups/org_list.json")))
	ids, err := c.Groups.Hierarchy(context.Background(), 1001)
	require.NoError(t, err)
	assertWire(t, byID.last(t), "GET", "/groups/org-list/1001", nil, "")
	assert.Equal(t, []int64{1001, 1002, 1003, 2001, 2002, 2003, 2004}, ids)

	own := respond(mt, "GET", "/groups/org-list/", 200, envelopeJSON(`{"orgUnits":["1001",1002]}`))
	ids, err = c.Groups.Hierarchy(context.Background(), 0)
	require.NoError(t, err)
	assertWire(t, own.last(t), "GET", "/groups/org-list/", nil, "")
	assert.Equal(t, []int64{1001, 1002}, ids, "ids as strings decode too")

	_, err = c.Groups.Hierarchy(context.Background(), -1)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, byID.count())
	assert.Equal(t, 1, own.count())
}

func TestGroupsHierarchyEmpty(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/groups/org-list/7", 200, envelopeJSON(`{}`))
	ids, err := c.Groups.Hierarchy(context.Background(), 7)
	require.NoError(t, err)
	assert.NotNil(t, ids)
	assert.Empty(t, ids)
}

// An org unit out of scope is a 401 on this endpoint: the pipeline
// refreshes the token once, tries again, and then surfaces the 401.
func TestGroupsHierarchyOutOfScopeAfterOneRefresh(t *testing.T) {
	mt := httpmock.NewMockTransport()
	c, err := NewClient(WithBaseURL(testBase), WithAuthBaseURL(testAuthBase),
		WithCredentials("admin@example.com", "pw"), WithHTTPClient(&http.Client{Transport: mt}), WithRetryBackoff(0, 0))
	require.NoError(t, err)
	exp := time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)
	pair := func(n string) string {
		return `{"access_token":"at-` + n + `","refresh_token":"rt-` + n + `","token_type":"Bearer","expires_in":"` +
			exp + `","refresh_expires_in":"` + exp + `"}`
	}
	login := respond(mt, "POST", testAuthBase+"/oauth/token", 200, pair("1"))
	refresh := respond(mt, "POST", testAuthBase+"/oauth/refresh-token", 200, pair("2"))
	rec := respond(mt, "GET", "/groups/org-list/9999", 401,
		`{"code":401,"message":"Org unit outside your scope","request_id":"r-401"}`)

	_, err = c.Groups.Hierarchy(context.Background(), 9999)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnauthorized)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Org unit outside your scope", apiErr.Message)
	assert.Equal(t, "r-401", apiErr.RequestID)

	assert.Equal(t, 1, login.count())
	assert.Equal(t, 1, refresh.count(), "exactly one refresh")
	assert.JSONEq(t, `{"refresh_token":"rt-1"}`, string(refresh.last(t).Body))
	require.Equal(t, 2, rec.count(), "one try, then one more with the new token")
	assert.Equal(t, "Bearer at-1", rec.reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "Bearer at-2", rec.reqs[1].Header.Get("Authorization"))
}

func TestGroupsCreateWire(t *testing.T) {
	// Exactly the docs' example body.
	assertWriteWire(t, "POST", "/groups", string(golden(t, "groups/create.json")),
		string(golden(t, "groups/create_request.json")), 2001, func(c *Client) (*Created, error) {
			return c.Groups.Create(context.Background(), &CreateGroupParams{
				Name: "New Sales Division", ExtID: "ORG-2001", ParentID: 1000, TopOUID: 1, BillingID: 1,
				Address: "123 Business Street", City: "New York", State: "NY", Zip: "10001",
				PhoneNumber: "+1234567890", IndustryID: 5,
			})
		})

	assertWriteWire(t, "POST", "/groups", string(golden(t, "groups/create.json")),
		`{"org_unit_name":"Min","org_unit_parent_id":1001}`, 2001, func(c *Client) (*Created, error) {
			return c.Groups.Create(context.Background(), &CreateGroupParams{Name: "Min", ParentID: 1001})
		})
}

func TestGroupsCreateConflictAndBadParent(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/groups", 409, `{"code":409,"message":"A sibling group already has this name","request_id":"r-409"}`)
	_, err := c.Groups.Create(context.Background(), &CreateGroupParams{Name: "Sales", ParentID: 1001})
	assert.ErrorIs(t, err, ErrConflict)
	assert.NotErrorIs(t, err, ErrDuplicateEmail)
	assert.Equal(t, 1, rec.count(), "a POST is not retried")

	c, mt = newWireClient(t)
	respond(mt, "POST", "/groups", 400, `{"code":400,"message":"Validation failed","errors":[{"field":"org_unit_parent_id","message":"parent is inactive"}]}`)
	_, err = c.Groups.Create(context.Background(), &CreateGroupParams{Name: "Sales", ParentID: 1001})
	assert.ErrorIs(t, err, ErrBadRequest)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, []FieldError{{Field: "org_unit_parent_id", Message: "parent is inactive"}}, apiErr.Errors)
}

func TestGroupsCreateValidatesBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]*CreateGroupParams{
		"nil":         nil,
		"no name":     {ParentID: 1},
		"blank name":  {Name: "  ", ParentID: 1},
		"no parent":   {Name: "x"},
		"parent -1":   {Name: "x", ParentID: -1},
		"nothing set": {},
	}, func(c *Client, p *CreateGroupParams) error {
		_, err := c.Groups.Create(context.Background(), p)
		return err
	})
}

func TestGroupsUpdateWire(t *testing.T) {
	assertWriteWire(t, "PUT", "/groups/1002", string(golden(t, "groups/get.json")),
		string(golden(t, "groups/update_request.json")), 1002, func(c *Client) (*Group, error) {
			return c.Groups.Update(context.Background(), 1002, &UpdateGroupParams{
				Name: "Sales Division East", ExtID: "ORG-1002", ParentID: 1001, Address: "123 Main St",
				City: "New York", State: "NY", Zip: "10001", PhoneNumber: "+1-212-555-0100", IndustryID: 10,
				Timezone: "America/New_York", Status: GroupActive,
			})
		})
}

func TestGroupsUpdateRefetchesWhenAnswerHasNoRecord(t *testing.T) {
	assertUpdateRefetches(t, "/groups/%d", 1002, `{"orgUnitId":1002}`, string(golden(t, "groups/get.json")), func(c *Client, id int64) (*Group, error) {
		return c.Groups.Update(context.Background(), id, &UpdateGroupParams{Name: "S", ParentID: 1001})
	})
}

func TestGroupsUpdateValidatesBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[UpdateGroupParams]{
		"id 0":         {0, &UpdateGroupParams{Name: "x", ParentID: 1}},
		"nil":          {5, nil},
		"no name":      {5, &UpdateGroupParams{ParentID: 1}},
		"no parent":    {5, &UpdateGroupParams{Name: "x"}},
		"under itself": {5, &UpdateGroupParams{Name: "x", ParentID: 5}},
	}, func(c *Client, p withID[UpdateGroupParams]) error {
		_, err := c.Groups.Update(context.Background(), p.id, p.p)
		return err
	})
}

func TestGroupsPatchThreeStates(t *testing.T) {
	assertWriteWire(t, "PATCH", "/groups/1002", string(golden(t, "groups/get.json")),
		string(golden(t, "groups/patch_request.json")), 1002, func(c *Client) (*Group, error) {
			return c.Groups.Patch(context.Background(), 1002, &PatchGroupParams{Status: Set(GroupInactive)})
		})

	assertWriteWire(t, "PATCH", "/groups/1002", string(golden(t, "groups/get.json")),
		`{"org_unit_name":"Sales","industry_id":0,"org_unit_ext_id":null,"org_unit_parent_id":1001}`, 1002, func(c *Client) (*Group, error) {
			return c.Groups.Patch(context.Background(), 1002, &PatchGroupParams{
				Name:       Set("Sales"),  // a value
				IndustryID: Set(int64(0)), // a zero value is still sent
				ExtID:      Null[string](),
				ParentID:   Set(int64(1001)),
			})
		})
}

func TestGroupsPatchValidatesBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[PatchGroupParams]{
		"id 0":         {0, &PatchGroupParams{Name: Set("x")}},
		"nil":          {5, nil},
		"empty":        {5, &PatchGroupParams{}},
		"null name":    {5, &PatchGroupParams{Name: Null[string]()}},
		"blank name":   {5, &PatchGroupParams{Name: Set(" ")}},
		"null parent":  {5, &PatchGroupParams{ParentID: Null[int64]()}},
		"parent 0":     {5, &PatchGroupParams{ParentID: Set(int64(0))}},
		"under itself": {5, &PatchGroupParams{ParentID: Set(int64(5))}},
	}, func(c *Client, p withID[PatchGroupParams]) error {
		_, err := c.Groups.Patch(context.Background(), p.id, p.p)
		return err
	})
}

func TestGroupsDeleteWire(t *testing.T) {
	assertDeleteWire(t, "/groups/%d", 2001, string(golden(t, "groups/delete.json")), func(c *Client, id int64) error {
		return c.Groups.Delete(context.Background(), id)
	})
}

func TestGroupsDeleteConflict(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "DELETE", "/groups/1002", 409, `{"code":409,"message":"Group still has child groups"}`)
	err := c.Groups.Delete(context.Background(), 1002)
	assert.ErrorIs(t, err, ErrConflict)
	assert.Equal(t, 1, rec.count(), "a 409 is not retried")
}

func TestGroupsGolden(t *testing.T) {
	page := decodeGolden[groupList](t, goldenData(t, "groups/list_children.json"))
	require.Len(t, page.Groups, 1)
	assert.Equal(t, 3, page.Total)

	get := goldenData(t, "groups/get.json")
	g := decodeGolden[Group](t, get)
	assert.JSONEq(t, string(get), string(g.Raw), "Raw keeps the object whole")

	td := decodeGolden[groupTreeData](t, goldenData(t, "groups/tree.json"))
	require.Len(t, td.Groups, 3)
	assert.Equal(t, 3, td.Groups[2].Level)

	hd := decodeGolden[groupHierarchyData](t, goldenData(t, "groups/org_list.json"))
	assert.Len(t, hd.OrgUnits, 7)
	assert.Equal(t, int64(1001), hd.OrgUnits[0])

	assertGoldenIDs(t, 2001, "groups/create.json", "groups/delete.json")

	create := decodeGolden[CreateGroupParams](t, golden(t, "groups/create_request.json"))
	assert.Equal(t, int64(1000), create.ParentID)

	upd := decodeGolden[UpdateGroupParams](t, golden(t, "groups/update_request.json"))
	assert.Equal(t, GroupActive, upd.Status)

	patch := decodeGolden[PatchGroupParams](t, golden(t, "groups/patch_request.json"))
	st, ok := patch.Status.Get()
	assert.True(t, ok)
	assert.Equal(t, GroupInactive, st)
}

func TestGroupToleratesDrift(t *testing.T) {
	var g Group
	require.NoError(t, json.Unmarshal([]byte(`{"org_unit_id":"1002","parent_org_unit_id":"1001","top_ou_id":1001.0,
		"zip":10001,"industry_id":"10","org_unit_status":"archived","org_unit_created":"2025-01-15 10:30:00","brand_new":[1]}`), &g))
	assert.Equal(t, int64(1002), g.ID)
	assert.Equal(t, int64(1001), g.ParentID, "the page text's spelling")
	assert.Equal(t, int64(1001), g.TopOUID)
	assert.Equal(t, "10001", g.Zip)
	assert.Equal(t, int64(10), g.IndustryID)
	assert.Equal(t, GroupStatus("archived"), g.Status, "unknown statuses are kept")
	assert.Equal(t, 2025, g.Created.Year())
	assert.Contains(t, string(g.Raw), "brand_new")

	var n TreeNode
	require.NoError(t, json.Unmarshal([]byte(`{"org_unit_id":"7","text":"A","code":1,"group_level":"2"}`), &n))
	assert.Equal(t, TreeNode{ID: 7, Name: "A", Code: "1", Level: 2, Raw: n.Raw}, n)
}

func TestGroupsTreeError(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/groups/tree", 403, `{"code":403,"message":"Admin only"}`)
	roots, err := c.Groups.Tree(context.Background(), nil)
	assert.ErrorIs(t, err, ErrForbidden)
	assert.Nil(t, roots)
}
