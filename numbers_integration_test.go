package convirza_test

import (
	"context"
	"slices"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// numberIDs collects the ids that an All iterator yields.
func numberIDs(t *testing.T, seq func(func(convirza.PhoneNumber, error) bool)) []int64 {
	t.Helper()
	ids := []int64{}
	for n, err := range seq {
		require.NoError(t, err)
		ids = append(ids, n.ID)
	}
	return ids
}

// TestSearchReserveRouteReleaseAgainstFake is a number's whole life:
// search, reserve (a carrier number, number_id null), provision with a
// route, and back: delete the route, release the number.
func TestSearchReserveRouteReleaseAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")

	found, err := c.PhoneNumbers.Available(ctx, &convirza.SearchNumbersParams{Match: "801*"})
	require.NoError(t, err)
	require.Len(t, found, 4)
	i := slices.IndexFunc(found, convirza.AvailableNumber.IsCarrier)
	require.GreaterOrEqual(t, i, 0, "carrier numbers are offered")
	carrier := found[i]
	assert.Equal(t, convirzatest.CarrierNumber, carrier.Number)
	assert.Equal(t, convirzatest.SourceCarrier, carrier.Source)

	num, err := c.PhoneNumbers.Reserve(ctx, carrier.ReserveParams(convirzatest.SalesOrgUnitID))
	require.NoError(t, err)
	assert.Equal(t, int64(10005), num.ID, "a carrier number gets an id when reserved")
	assert.Equal(t, convirzatest.CarrierNumber, num.Number)
	assert.Equal(t, convirza.NumberReserved, num.Status)
	assert.Equal(t, convirzatest.SalesOrgUnitID, num.OrgUnitID)
	assert.Equal(t, convirza.NumberLocal, num.Type)
	assert.Nil(t, num.RouteID)

	// Gone from the search; reserving it again is a conflict.
	again, err := c.PhoneNumbers.Available(ctx, &convirza.SearchNumbersParams{Match: "801*"})
	require.NoError(t, err)
	assert.Len(t, again, 3)
	_, err = c.PhoneNumbers.Reserve(ctx, carrier.ReserveParams(convirzatest.SalesOrgUnitID))
	require.ErrorIs(t, err, convirza.ErrConflict)

	// Provision it.
	route, err := c.Routes.Create(ctx, &convirza.CreateRouteParams{
		Name: "Billboard I-15", PhoneNumberID: num.ID, RoutingType: convirza.RoutingForward, RingTo: "+18015550100",
	})
	require.NoError(t, err)
	prov, err := c.PhoneNumbers.Provisioned(ctx, &convirza.ListProvisionedNumbersParams{OrgUnitID: convirzatest.SalesOrgUnitID})
	require.NoError(t, err)
	require.Len(t, prov.Items, 1)
	assert.Equal(t, num.ID, prov.Items[0].ID)
	assert.Equal(t, convirza.NumberProvisioned, prov.Items[0].Status)
	require.NotNil(t, prov.Items[0].RouteID)
	assert.Equal(t, route.ID, *prov.Items[0].RouteID)

	// A provisioned number cannot be released; without its route it can.
	err = c.PhoneNumbers.Release(ctx, num.ID)
	require.ErrorIs(t, err, convirza.ErrConflict)
	require.NoError(t, c.Routes.Delete(ctx, route.ID))
	assigned, err := c.PhoneNumbers.Assigned(ctx, &convirza.ListAssignedNumbersParams{OrgUnitID: convirzatest.SalesOrgUnitID})
	require.NoError(t, err)
	require.Equal(t, 2, assigned.Total)
	held := assigned.Items[slices.IndexFunc(assigned.Items, func(n convirza.PhoneNumber) bool { return n.ID == num.ID })]
	assert.Equal(t, convirza.NumberReserved, held.Status, "deleting the route keeps the number reserved")

	require.NoError(t, c.PhoneNumbers.Release(ctx, num.ID))
	require.ErrorIs(t, c.PhoneNumbers.Release(ctx, num.ID), convirza.ErrNotFound)
	assert.NotContains(t, numberIDs(t, c.PhoneNumbers.AllAssigned(ctx, nil)), num.ID)

	// Released, it is offered again, now from inventory with its id.
	back, err := c.PhoneNumbers.Available(ctx, &convirza.SearchNumbersParams{State: "UT", RateCenter: "Salt Lake City"})
	require.NoError(t, err)
	j := slices.IndexFunc(back, func(n convirza.AvailableNumber) bool { return n.Number == convirzatest.CarrierNumber })
	require.GreaterOrEqual(t, j, 0)
	require.NotNil(t, back[j].NumberID)
	assert.Equal(t, num.ID, *back[j].NumberID)
}

func TestReserveInventoryNumberAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, convirzatest.StandardEmail) // Standard may reserve numbers

	found, err := c.PhoneNumbers.Available(ctx, &convirza.SearchNumbersParams{State: "UT", Limit: 1})
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.False(t, found[0].IsCarrier())
	num, err := c.PhoneNumbers.Reserve(ctx, found[0].ReserveParams(convirzatest.EastCoastSalesOrgUnitID))
	require.NoError(t, err)
	assert.Equal(t, convirzatest.InventoryNumberID, num.ID, "an inventory number keeps its id")

	// Standard's hierarchy is Sales: it sees that number and Sales' own.
	assert.Equal(t, []int64{convirzatest.InventoryNumberID, convirzatest.SalesReservedNumberID},
		numberIDs(t, c.PhoneNumbers.AllAssigned(ctx, &convirza.ListAssignedNumbersParams{PageParams: convirza.PageParams{Limit: 1}})))

	// An org unit above the caller's is refused by the server.
	others, err := c.PhoneNumbers.Available(ctx, &convirza.SearchNumbersParams{Match: "212"})
	require.NoError(t, err)
	_, err = c.PhoneNumbers.Reserve(ctx, others[0].ReserveParams(convirzatest.AccountOrgUnitID))
	require.ErrorIs(t, err, convirza.ErrBadRequest)
	var apiErr *convirza.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Len(t, apiErr.Errors, 1)
	assert.Equal(t, "org_unit_id", apiErr.Errors[0].Field)

	// A number of another hierarchy is not found.
	require.ErrorIs(t, c.PhoneNumbers.Release(ctx, convirzatest.AcmeProvisionedNumberID), convirza.ErrNotFound)
}

func TestNumbersErrorsAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")

	// What the SDK cannot know is checked by the server.
	_, err := c.PhoneNumbers.Available(ctx, &convirza.SearchNumbersParams{Type: "mobile"})
	require.ErrorIs(t, err, convirza.ErrBadRequest)
	_, err = c.PhoneNumbers.Reserve(ctx, &convirza.ReserveNumberParams{Number: "9995550100", Source: convirzatest.SourceCarrier,
		OrgUnitID: convirzatest.AccountOrgUnitID})
	require.ErrorIs(t, err, convirza.ErrBadRequest, "not offered by any carrier")
	_, err = c.PhoneNumbers.Assigned(ctx, &convirza.ListAssignedNumbersParams{OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	require.ErrorIs(t, err, convirza.ErrForbidden)

	tollfree, err := c.PhoneNumbers.Assigned(ctx, &convirza.ListAssignedNumbersParams{Type: convirza.NumberTollFree})
	require.NoError(t, err)
	require.Len(t, tollfree.Items, 1)
	assert.Equal(t, convirza.NumberTollFree, tollfree.Items[0].Type)

	// ReadOnly reads but cannot reserve or release.
	ro, _ := newFakeClient(t, convirzatest.ReadOnlyEmail)
	found, err := ro.PhoneNumbers.Available(ctx, nil)
	require.NoError(t, err)
	_, err = ro.PhoneNumbers.Reserve(ctx, found[0].ReserveParams(convirzatest.SupportOrgUnitID))
	require.ErrorIs(t, err, convirza.ErrForbidden)
	require.ErrorIs(t, ro.PhoneNumbers.Release(ctx, convirzatest.SupportTollFreeNumberID), convirza.ErrForbidden)
}
