package convirza_test

import (
	"context"
	"fmt"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newFakeClient starts a fake and returns a client logged in as email.
func newFakeClient(t *testing.T, email string) (*convirza.Client, *convirzatest.Server) {
	t.Helper()
	srv := convirzatest.NewServer(t)
	password := srv.AdminPassword
	if email == "" {
		email = srv.AdminEmail
	}
	c, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(email, password))
	require.NoError(t, err)
	return c, srv
}

func TestUsersLifeAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv := newFakeClient(t, "")

	params := &convirza.CreateUserParams{
		Email: "grace.hopper@example.com", FirstName: "Grace", LastName: "Hopper",
		OrgUnitID: convirzatest.EastCoastSalesOrgUnitID, Role: convirza.RoleStandard,
		ExtID: "EXT-1", AgentRingTo: "+15551230000", AgentCode: convirza.Set(12), AccessAudio: convirza.Set(true),
	}
	created, err := c.Users.Create(ctx, params)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/token"), "one login")

	u, err := c.Users.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "grace.hopper@example.com", u.Email)
	assert.Equal(t, convirza.UserActive, u.Status)
	assert.Equal(t, convirzatest.EastCoastSalesOrgUnitID, u.OrgUnitID)
	assert.Equal(t, convirza.RoleIDStandard, u.RoleID)
	assert.Equal(t, "EXT-1", u.ExtID)
	assert.Equal(t, 12, u.AgentCode)
	assert.True(t, bool(u.AccessAudio))
	assert.Equal(t, "America/New_York", u.Timezone, "the org unit's timezone by default")
	assert.Equal(t, "Acme Corporation", u.Account)

	// Duplicate email, ignoring case.
	dup := *params
	dup.Email = "GRACE.HOPPER@example.com"
	_, err = c.Users.Create(ctx, &dup)
	require.ErrorIs(t, err, convirza.ErrDuplicateEmail)
	require.ErrorIs(t, err, convirza.ErrConflict)
	var apiErr *convirza.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.RequestID, 36, "a UUID request id")

	// A role the server does not know, and an org unit outside the hierarchy.
	bad := *params
	bad.Email, bad.Role = "x@example.com", "Boss"
	_, err = c.Users.Create(ctx, &bad)
	assert.ErrorIs(t, err, convirza.ErrBadRequest)
	bad.Role, bad.OrgUnitID = convirza.RoleStandard, convirzatest.OtherAccountOrgUnitID
	_, err = c.Users.Create(ctx, &bad)
	assert.ErrorIs(t, err, convirza.ErrForbidden)

	// PATCH: a value, a null, and the rest untouched.
	patched, err := c.Users.Patch(ctx, created.ID, &convirza.PatchUserParams{
		FirstName: convirza.Set("Amazing Grace"), ExtID: convirza.Null[string]()})
	require.NoError(t, err)
	assert.Equal(t, "Amazing Grace", patched.FirstName)
	assert.Empty(t, patched.ExtID)
	assert.Equal(t, "Hopper", patched.LastName)
	assert.Equal(t, "+15551230000", patched.AgentRingTo)

	// PUT replaces the whole user; another user's email is a duplicate.
	replaced, err := c.Users.Update(ctx, created.ID, &convirza.UpdateUserParams{
		Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper",
		OrgUnitID: convirzatest.SalesOrgUnitID, Role: convirza.RoleReadOnly})
	require.NoError(t, err)
	assert.Equal(t, convirza.RoleIDReadOnly, replaced.RoleID)
	assert.Empty(t, replaced.AgentRingTo, "left out of a PUT: back to the default")
	_, err = c.Users.Update(ctx, created.ID, &convirza.UpdateUserParams{
		Email: srv.AdminEmail, FirstName: "G", LastName: "H", OrgUnitID: convirzatest.SalesOrgUnitID, Role: convirza.RoleReadOnly})
	assert.ErrorIs(t, err, convirza.ErrDuplicateEmail)

	// Soft delete: still readable, listed only with user_status=deleted.
	require.NoError(t, c.Users.Delete(ctx, created.ID))
	require.NoError(t, c.Users.Delete(ctx, created.ID), "deleting again succeeds")
	gone, err := c.Users.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, convirza.UserDeleted, gone.Status)
	assert.NotContains(t, userIDs(t, c, nil), created.ID)
	assert.Equal(t, []int64{created.ID}, userIDs(t, c, &convirza.ListUsersParams{Status: convirza.UserDeleted}))

	_, err = c.Users.Get(ctx, 999999)
	assert.ErrorIs(t, err, convirza.ErrNotFound)
}

func TestUsersFiltersSortingAndPagingAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")
	for i := range 7 {
		_, err := c.Users.Create(ctx, &convirza.CreateUserParams{
			Email: fmt.Sprintf("agent%d@example.com", i), FirstName: "Agent", LastName: fmt.Sprint(i),
			OrgUnitID: convirzatest.SupportOrgUnitID, Role: convirza.RoleStandard})
		require.NoError(t, err)
	}
	page, err := c.Users.List(ctx, &convirza.ListUsersParams{PageParams: convirza.PageParams{Limit: 3, Offset: 3},
		Email: "AGENT", SortBy: convirza.SortByEmail, Order: convirza.Ascending})
	require.NoError(t, err)
	assert.Equal(t, 7, page.Total)
	require.Len(t, page.Items, 3)
	assert.Equal(t, "agent3@example.com", page.Items[0].Email)
	assert.True(t, page.HasMore())

	// Scope: the Support Division and below.
	ids := userIDs(t, c, &convirza.ListUsersParams{OrgUnitID: convirzatest.SupportOrgUnitID, RoleID: convirza.RoleIDStandard})
	assert.Len(t, ids, 7)
	_, err = c.Users.List(ctx, &convirza.ListUsersParams{OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrForbidden)

	// All walks pages of 2 and sees every match once.
	var n int
	for u, err := range c.Users.All(ctx, &convirza.ListUsersParams{PageParams: convirza.PageParams{Limit: 2}, Name: "agent"}) {
		require.NoError(t, err)
		assert.Equal(t, "Agent", u.FirstName)
		n++
	}
	assert.Equal(t, 7, n)
}

func TestUsersRolesAndTokensAgainstFake(t *testing.T) {
	ctx := context.Background()
	standard, _ := newFakeClient(t, convirzatest.StandardEmail)
	_, err := standard.Users.List(ctx, nil)
	assert.ErrorIs(t, err, convirza.ErrForbidden, "Users are Admin only")

	c, srv := newFakeClient(t, "")
	_, err = c.Users.Get(ctx, convirzatest.AdminUserID)
	require.NoError(t, err)
	srv.ExpireAccessTokens()
	_, err = c.Users.Get(ctx, convirzatest.AdminUserID)
	require.NoError(t, err, "a 401 is followed by one refresh and one retry")
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/refresh-token"))
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/token"))
}

func userIDs(t *testing.T, c *convirza.Client, p *convirza.ListUsersParams) []int64 {
	t.Helper()
	var ids []int64
	for u, err := range c.Users.All(context.Background(), p) {
		require.NoError(t, err)
		ids = append(ids, u.ID)
	}
	return ids
}
