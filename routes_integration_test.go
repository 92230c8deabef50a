package convirza_test

import (
	"context"
	"encoding/json"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRouteLifeAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")

	created, err := c.Routes.Create(ctx, &convirza.CreateRouteParams{
		Name: "Spring promo - radio", PhoneNumberID: convirzatest.SalesReservedNumberID, RoutingType: convirza.RoutingForward,
		CampaignID: 42, RingTo: "+14255551234", RecordCall: true,
	})
	require.NoError(t, err)

	r, err := c.Routes.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created.ID, r.ID)
	assert.Equal(t, "Spring promo - radio", r.Name)
	assert.Equal(t, convirzatest.SalesOrgUnitID, r.OrgUnitID, "the number's org unit by default")
	assert.Equal(t, convirzatest.SalesReservedNumberID, r.PhoneNumberID)
	assert.Equal(t, "2125550141", r.PhoneNumber)
	assert.Equal(t, convirza.RoutingForward, r.RoutingType)
	assert.Equal(t, "+14255551234", r.RingTo)
	assert.True(t, r.RecordCall)
	require.NotNil(t, r.CampaignID)
	assert.Equal(t, int64(42), *r.CampaignID)
	assert.Nil(t, r.WhisperPromptID)
	assert.JSONEq(t, `{}`, string(r.RouteConfig))
	assert.Equal(t, convirza.RouteActive, r.Status)
	assert.False(t, r.Created.IsZero())

	// One route per number.
	_, err = c.Routes.Create(ctx, &convirza.CreateRouteParams{
		Name: "Twice", PhoneNumberID: convirzatest.SalesReservedNumberID, RoutingType: convirza.RoutingHangup})
	require.ErrorIs(t, err, convirza.ErrConflict)

	// PATCH: a value, a null, a replaced config; the rest is unchanged.
	r, err = c.Routes.Patch(ctx, created.ID, &convirza.PatchRouteParams{
		RingTo:      convirza.Set("+14255559876"),
		CampaignID:  convirza.Null[int64](),
		RouteConfig: convirza.Set(json.RawMessage(`{"whisper":"Radio caller"}`)),
	})
	require.NoError(t, err)
	assert.Equal(t, "+14255559876", r.RingTo)
	assert.Nil(t, r.CampaignID)
	assert.JSONEq(t, `{"whisper":"Radio caller"}`, string(r.RouteConfig))
	assert.True(t, r.RecordCall)
	// The server knows the route is forward: clearing ring_to is refused.
	_, err = c.Routes.Patch(ctx, created.ID, &convirza.PatchRouteParams{RingTo: convirza.Null[string]()})
	require.ErrorIs(t, err, convirza.ErrBadRequest)

	// PUT moves the route to another reserved number.
	r, err = c.Routes.Update(ctx, created.ID, &convirza.UpdateRouteParams{
		Name: "Spring promo - TV", PhoneNumberID: convirzatest.SupportTollFreeNumberID, RoutingType: "Round robin",
		RouteConfig: json.RawMessage(`{"agents":[10002,10003]}`), Status: convirza.RouteInactive,
	})
	require.NoError(t, err)
	assert.Equal(t, convirzatest.SupportTollFreeNumberID, r.PhoneNumberID)
	assert.True(t, r.RoutingType.Is(convirza.RoutingRoundRobin))
	assert.Equal(t, convirza.RouteInactive, r.Status)
	assert.Empty(t, r.RingTo)
	assert.False(t, r.RecordCall, "left out of a PUT: back to the default")
	assigned, err := c.PhoneNumbers.Assigned(ctx, &convirza.ListAssignedNumbersParams{OrgUnitID: convirzatest.SalesOrgUnitID})
	require.NoError(t, err)
	require.Len(t, assigned.Items, 1)
	assert.Equal(t, convirza.NumberReserved, assigned.Items[0].Status, "the old number is reserved again")

	// Lists and filters.
	page, err := c.Routes.List(ctx, &convirza.ListRoutesParams{Status: convirza.RouteInactive})
	require.NoError(t, err)
	require.Equal(t, 1, page.Total)
	assert.Equal(t, created.ID, page.Items[0].ID)
	var ids []int64
	for rt, err := range c.Routes.All(ctx, &convirza.ListRoutesParams{PageParams: convirza.PageParams{Limit: 1}}) {
		require.NoError(t, err)
		ids = append(ids, rt.ID)
	}
	assert.Equal(t, []int64{convirzatest.AcmeRouteID, created.ID}, ids)

	// Delete: gone, and its number is reserved, not released.
	require.NoError(t, c.Routes.Delete(ctx, created.ID))
	_, err = c.Routes.Get(ctx, created.ID)
	require.ErrorIs(t, err, convirza.ErrNotFound)
	require.NoError(t, c.PhoneNumbers.Release(ctx, convirzatest.SupportTollFreeNumberID))
}

func TestRoutesErrorsAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")

	for name, p := range map[string]*convirza.CreateRouteParams{
		"unknown routing type":  {Name: "x", PhoneNumberID: convirzatest.SalesReservedNumberID, RoutingType: "teleport"},
		"number not reserved":   {Name: "x", PhoneNumberID: convirzatest.InventoryNumberID, RoutingType: convirza.RoutingHangup},
		"another account's":     {Name: "x", PhoneNumberID: convirzatest.OtherAccountNumberID, RoutingType: convirza.RoutingHangup},
		"org unit out of scope": {Name: "x", PhoneNumberID: convirzatest.SalesReservedNumberID, RoutingType: convirza.RoutingHangup, OrgUnitID: convirzatest.OtherAccountOrgUnitID},
	} {
		_, err := c.Routes.Create(ctx, p)
		assert.ErrorIs(t, err, convirza.ErrBadRequest, name)
	}
	_, err := c.Routes.Create(ctx, &convirza.CreateRouteParams{Name: "x", PhoneNumberID: convirzatest.AcmeProvisionedNumberID, RoutingType: convirza.RoutingHangup})
	assert.ErrorIs(t, err, convirza.ErrConflict, "the number already has a route")
	_, err = c.Routes.Get(ctx, convirzatest.OtherAccountRouteID)
	assert.ErrorIs(t, err, convirza.ErrNotFound)
	_, err = c.Routes.List(ctx, &convirza.ListRoutesParams{OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrForbidden)

	ro, _ := newFakeClient(t, convirzatest.ReadOnlyEmail)
	_, err = ro.Routes.List(ctx, nil)
	require.NoError(t, err)
	_, err = ro.Routes.Create(ctx, &convirza.CreateRouteParams{Name: "x", PhoneNumberID: convirzatest.SupportTollFreeNumberID, RoutingType: convirza.RoutingVoicemail})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
	_, err = ro.Routes.Patch(ctx, convirzatest.AcmeRouteID, &convirza.PatchRouteParams{Name: convirza.Set("x")})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
	assert.ErrorIs(t, ro.Routes.Delete(ctx, convirzatest.AcmeRouteID), convirza.ErrForbidden)
}
