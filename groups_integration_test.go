package convirza_test

import (
	"context"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupsLifeAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv := newFakeClient(t, "")

	created, err := c.Groups.Create(ctx, &convirza.CreateGroupParams{
		Name: "Inside Sales", ExtID: "ORG-IS", ParentID: convirzatest.SalesOrgUnitID, BillingID: 7,
		Address: "1 Main St", City: "Albany", State: "NY", Zip: "12207", PhoneNumber: "+1-518-555-0100", IndustryID: 10,
	})
	require.NoError(t, err)
	id := created.ID

	g, err := c.Groups.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Inside Sales", g.Name)
	assert.Equal(t, "ORG-IS", g.ExtID)
	assert.Equal(t, convirzatest.SalesOrgUnitID, g.ParentID)
	assert.Equal(t, convirzatest.AccountOrgUnitID, g.TopOUID, "derived from the parent")
	assert.Equal(t, convirza.GroupActive, g.Status)
	assert.Equal(t, "12207", g.Zip)
	assert.Equal(t, "Technology", g.IndustryName)
	assert.Equal(t, "America/New_York", g.Timezone, "the parent's timezone by default")
	assert.False(t, g.Created.IsZero())

	children, err := c.Groups.ListChildren(ctx, &convirza.ListGroupsParams{OrgUnitID: convirzatest.SalesOrgUnitID})
	require.NoError(t, err)
	assert.Equal(t, []int64{convirzatest.EastCoastSalesOrgUnitID, id}, groupIDsOf(children.Items))

	ids, err := c.Groups.Hierarchy(ctx, convirzatest.SalesOrgUnitID)
	require.NoError(t, err)
	assert.Equal(t, []int64{convirzatest.SalesOrgUnitID, convirzatest.EastCoastSalesOrgUnitID, id}, ids)

	// G1: a sibling's name, ignoring case, is a conflict; G2: the parent
	// must be in scope and active.
	_, err = c.Groups.Create(ctx, &convirza.CreateGroupParams{Name: "inside sales", ParentID: convirzatest.SalesOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrConflict)
	assert.NotErrorIs(t, err, convirza.ErrDuplicateEmail)
	_, err = c.Groups.Create(ctx, &convirza.CreateGroupParams{Name: "X", ParentID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrBadRequest)
	var apiErr *convirza.APIError
	require.ErrorAs(t, err, &apiErr)
	require.NotEmpty(t, apiErr.Errors)
	assert.Equal(t, "org_unit_parent_id", apiErr.Errors[0].Field)

	// PATCH: a value, a null, the rest untouched; an inactive parent then
	// takes no new children.
	patched, err := c.Groups.Patch(ctx, id, &convirza.PatchGroupParams{
		Status: convirza.Set(convirza.GroupInactive), ExtID: convirza.Null[string]()})
	require.NoError(t, err)
	assert.Equal(t, convirza.GroupInactive, patched.Status)
	assert.Empty(t, patched.ExtID)
	assert.Equal(t, "Albany", patched.City)
	_, err = c.Groups.Create(ctx, &convirza.CreateGroupParams{Name: "Y", ParentID: id})
	assert.ErrorIs(t, err, convirza.ErrBadRequest)

	// PUT moves it under Support and resets what is left out.
	moved, err := c.Groups.Update(ctx, id, &convirza.UpdateGroupParams{
		Name: "Inside Support", ParentID: convirzatest.SupportOrgUnitID})
	require.NoError(t, err)
	assert.Equal(t, convirzatest.SupportOrgUnitID, moved.ParentID)
	assert.Equal(t, convirza.GroupActive, moved.Status)
	assert.Empty(t, moved.City)
	assert.Equal(t, "America/Chicago", moved.Timezone)

	// The tree follows, nested.
	roots, err := c.Groups.Tree(ctx, nil)
	require.NoError(t, err)
	require.Len(t, roots, 1)
	assert.Equal(t, []string{"Sales Division", "Support Division"}, nodeNames(roots[0].Children))
	support := roots[0].Children[1]
	require.Len(t, support.Children, 1)
	assert.Equal(t, id, support.Children[0].ID)
	assert.Equal(t, "1.2.1", support.Children[0].Code)
	assert.Equal(t, 3, support.Children[0].Level)
	assert.Equal(t, convirzatest.SupportOrgUnitID, support.Children[0].ParentID)

	// G9 and G10: no group goes under its own descendant; the root stays.
	_, err = c.Groups.Patch(ctx, convirzatest.SalesOrgUnitID, &convirza.PatchGroupParams{
		ParentID: convirza.Set(convirzatest.EastCoastSalesOrgUnitID)})
	assert.ErrorIs(t, err, convirza.ErrBadRequest)
	_, err = c.Groups.Patch(ctx, convirzatest.AccountOrgUnitID, &convirza.PatchGroupParams{
		ParentID: convirza.Set(convirzatest.SupportOrgUnitID)})
	assert.ErrorIs(t, err, convirza.ErrBadRequest)
	before := srv.RequestCount("PATCH", "/v3/groups/1002")
	_, err = c.Groups.Patch(ctx, convirzatest.SalesOrgUnitID, &convirza.PatchGroupParams{
		ParentID: convirza.Set(convirzatest.SalesOrgUnitID)})
	assert.ErrorIs(t, err, convirza.ErrInvalidParams, "under itself: refused before any I/O")
	assert.Equal(t, before, srv.RequestCount("PATCH", "/v3/groups/1002"))

	// G8 and G10: the root, a group with children, a group with users.
	for _, busy := range []int64{convirzatest.AccountOrgUnitID, convirzatest.SupportOrgUnitID, convirzatest.EastCoastSalesOrgUnitID} {
		if busy == convirzatest.EastCoastSalesOrgUnitID {
			_, err := c.Users.Create(ctx, &convirza.CreateUserParams{Email: "east@example.com", FirstName: "E", LastName: "C",
				OrgUnitID: busy, Role: convirza.RoleStandard})
			require.NoError(t, err)
		}
		assert.ErrorIs(t, c.Groups.Delete(ctx, busy), convirza.ErrConflict, busy)
	}

	// Delete: gone from every read (G11).
	require.NoError(t, c.Groups.Delete(ctx, id))
	_, err = c.Groups.Get(ctx, id)
	assert.ErrorIs(t, err, convirza.ErrNotFound)
	assert.ErrorIs(t, c.Groups.Delete(ctx, id), convirza.ErrNotFound)
	var all []int64
	for g, err := range c.Groups.All(ctx, nil) {
		require.NoError(t, err)
		all = append(all, g.ID)
	}
	assert.Equal(t, []int64{1001, 1002, 1004, 1003}, all)
	ids, err = c.Groups.Hierarchy(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, all, ids)
}

func TestGroupsPagingAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")
	for _, name := range []string{"North", "South", "East", "West", "Central"} {
		_, err := c.Groups.Create(ctx, &convirza.CreateGroupParams{Name: name, ParentID: convirzatest.SupportOrgUnitID})
		require.NoError(t, err)
	}
	page, err := c.Groups.ListChildren(ctx, &convirza.ListGroupsParams{
		PageParams: convirza.PageParams{Limit: 2, Offset: 2}, OrgUnitID: convirzatest.SupportOrgUnitID})
	require.NoError(t, err)
	assert.Equal(t, 5, page.Total)
	assert.Equal(t, []string{"East", "West"}, groupNames(page.Items))
	assert.True(t, page.HasMore())

	var names []string
	for g, err := range c.Groups.AllChildren(ctx, &convirza.ListGroupsParams{
		PageParams: convirza.PageParams{Limit: 2}, OrgUnitID: convirzatest.SupportOrgUnitID, Name: "th"}) {
		require.NoError(t, err)
		names = append(names, g.Name)
	}
	assert.Equal(t, []string{"North", "South"}, names)

	subtree, err := c.Groups.List(ctx, &convirza.ListGroupsParams{OrgUnitID: convirzatest.SupportOrgUnitID, Status: convirza.GroupActive})
	require.NoError(t, err)
	assert.Equal(t, 6, subtree.Total, "Support and its five children")

	_, err = c.Groups.List(ctx, &convirza.ListGroupsParams{OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
}

// An org unit outside the caller's scope is a 401 on Get Org Unit
// Hierarchy: the SDK refreshes once, tries once more, and surfaces
// ErrUnauthorized; the session stays usable.
func TestGroupsOutOfScopeIsUnauthorizedAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv := newFakeClient(t, "")

	_, err := c.Groups.Hierarchy(ctx, convirzatest.OtherAccountOrgUnitID)
	require.ErrorIs(t, err, convirza.ErrUnauthorized)
	assert.Equal(t, 2, srv.RequestCount("GET", "/v3/groups/org-list/2001"))
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/refresh-token"))
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/token"))

	_, err = c.Groups.ListChildren(ctx, &convirza.ListGroupsParams{OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrUnauthorized)

	ids, err := c.Groups.Hierarchy(ctx, 0)
	require.NoError(t, err, "the session still works")
	assert.Equal(t, convirzatest.AccountOrgUnitID, ids[0])
	assert.Equal(t, 1, srv.RequestCount("GET", "/v3/groups/org-list/"))
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/token"), "no new login")
}

func TestGroupsTreeInactiveAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")
	_, err := c.Groups.Patch(ctx, convirzatest.SalesOrgUnitID, &convirza.PatchGroupParams{Status: convirza.Set(convirza.GroupInactive)})
	require.NoError(t, err)

	roots, err := c.Groups.Tree(ctx, nil)
	require.NoError(t, err)
	require.Len(t, roots, 1)
	assert.Equal(t, []string{"Support Division"}, nodeNames(roots[0].Children))

	roots, err = c.Groups.Tree(ctx, &convirza.GroupTreeParams{IncludeInactive: true})
	require.NoError(t, err)
	require.Len(t, roots, 1)
	assert.Equal(t, []string{"Sales Division", "Support Division"}, nodeNames(roots[0].Children))
	assert.Equal(t, []string{"East Coast Sales"}, nodeNames(roots[0].Children[0].Children))
}

func TestGroupsRolesAgainstFake(t *testing.T) {
	ctx := context.Background()
	for _, email := range []string{convirzatest.StandardEmail, convirzatest.ReadOnlyEmail} {
		c, _ := newFakeClient(t, email)
		_, err := c.Groups.Tree(ctx, nil)
		assert.ErrorIs(t, err, convirza.ErrForbidden, "Groups are Admin only")
		_, err = c.Groups.Create(ctx, &convirza.CreateGroupParams{Name: "X", ParentID: convirzatest.SalesOrgUnitID})
		assert.ErrorIs(t, err, convirza.ErrForbidden)
	}
}

func groupIDsOf(groups []convirza.Group) []int64 {
	ids := []int64{}
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	return ids
}

func groupNames(groups []convirza.Group) []string {
	names := []string{}
	for _, g := range groups {
		names = append(names, g.Name)
	}
	return names
}

func nodeNames(nodes []*convirza.TreeNode) []string {
	names := []string{}
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	return names
}
