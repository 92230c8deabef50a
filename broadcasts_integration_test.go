package convirza_test

import (
	"context"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newClockedClient starts a fake on clk and returns a client logged in as
// the admin.
func newClockedClient(t *testing.T, clk *broadcastClock) *convirza.Client {
	t.Helper()
	srv := convirzatest.NewServer(t, convirzatest.WithClock(clk.Now))
	c, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword))
	require.NoError(t, err)
	return c
}

func TestBroadcastLifeAgainstFake(t *testing.T) {
	ctx := context.Background()
	clk := newBroadcastClock()
	c := newClockedClient(t, clk)

	at := clk.Now().Add(time.Hour)
	created, err := c.Broadcasts.Create(ctx, &convirza.CreateBroadcastParams{
		Name: "March promo", Message: "Spring sale starts Friday! Reply STOP to opt out.",
		PhoneNumberID: convirzatest.AcmeProvisionedNumberID, Recipients: []string{"+18015557654", "+18015550123"},
		ScheduledAt: &at,
	})
	require.NoError(t, err)

	b, err := c.Broadcasts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, convirza.BroadcastScheduled, b.Status)
	assert.Equal(t, "March promo", b.Name)
	assert.Equal(t, convirzatest.AccountOrgUnitID, b.OrgUnitID)
	assert.Equal(t, []string{"+18015557654", "+18015550123"}, b.Recipients)
	assert.Equal(t, 2, b.RecipientCount)
	require.NotNil(t, b.ScheduledAt)
	assert.True(t, at.Equal(*b.ScheduledAt))
	assert.Nil(t, b.SentAt)

	// Editable while scheduled.
	b, err = c.Broadcasts.Patch(ctx, created.ID, &convirza.PatchBroadcastParams{Message: convirza.Set("Sale starts Friday!")})
	require.NoError(t, err)
	assert.Equal(t, "Sale starts Friday!", b.Message)

	// Its time comes: sending. No edit, no delete.
	clk.Advance(time.Hour)
	b, err = c.Broadcasts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, convirza.BroadcastSending, b.Status)
	assert.False(t, b.Status.Editable())
	_, err = c.Broadcasts.Patch(ctx, created.ID, &convirza.PatchBroadcastParams{Name: convirza.Set("late")})
	require.ErrorIs(t, err, convirza.ErrConflict)
	require.ErrorIs(t, c.Broadcasts.Delete(ctx, created.ID), convirza.ErrConflict)

	// Sent.
	clk.Advance(convirzatest.BroadcastSendTime)
	b, err = c.Broadcasts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, convirza.BroadcastSent, b.Status)
	require.NotNil(t, b.SentAt)
	assert.True(t, at.Add(convirzatest.BroadcastSendTime).Equal(*b.SentAt))
	_, err = c.Broadcasts.Update(ctx, created.ID, &convirza.UpdateBroadcastParams{Name: "n", Message: "m",
		PhoneNumberID: convirzatest.AcmeProvisionedNumberID, Recipients: []string{"+18015557654"}})
	require.ErrorIs(t, err, convirza.ErrConflict)
	require.ErrorIs(t, c.Broadcasts.Delete(ctx, created.ID), convirza.ErrConflict)

	var sent []int64
	for b, err := range c.Broadcasts.All(ctx, &convirza.ListBroadcastsParams{Status: convirza.BroadcastSent, PageParams: convirza.PageParams{Limit: 1}}) {
		require.NoError(t, err)
		sent = append(sent, b.ID)
	}
	assert.Equal(t, []int64{convirzatest.SentBroadcastID, created.ID}, sent)
}

func TestBroadcastDraftAgainstFake(t *testing.T) {
	ctx := context.Background()
	clk := newBroadcastClock()
	c := newClockedClient(t, clk)

	params := &convirza.CreateBroadcastParams{
		Name: "Draft", Message: "Hello", PhoneNumberID: convirzatest.SalesReservedNumberID,
		Recipients: []string{"+18015557654"}, OrgUnitID: convirzatest.SalesOrgUnitID,
	}
	created, err := c.Broadcasts.Create(ctx, params)
	require.NoError(t, err)
	b, err := c.Broadcasts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, convirza.BroadcastDraft, b.Status)
	assert.Nil(t, b.ScheduledAt)

	// Scheduling and unscheduling by PATCH.
	b, err = c.Broadcasts.Patch(ctx, created.ID, &convirza.PatchBroadcastParams{ScheduledAt: convirza.Set(clk.Now().Add(24 * time.Hour))})
	require.NoError(t, err)
	assert.Equal(t, convirza.BroadcastScheduled, b.Status)
	b, err = c.Broadcasts.Patch(ctx, created.ID, &convirza.PatchBroadcastParams{ScheduledAt: convirza.Null[time.Time]()})
	require.NoError(t, err)
	assert.Equal(t, convirza.BroadcastDraft, b.Status)
	assert.Nil(t, b.ScheduledAt)

	// PUT replaces it.
	params.Recipients = []string{"+18015550001", "+18015550002", "+18015550003"}
	b, err = c.Broadcasts.Update(ctx, created.ID, params)
	require.NoError(t, err)
	assert.Equal(t, 3, b.RecipientCount)

	page, err := c.Broadcasts.List(ctx, &convirza.ListBroadcastsParams{OrgUnitID: convirzatest.SalesOrgUnitID, Status: convirza.BroadcastDraft})
	require.NoError(t, err)
	require.Equal(t, 1, page.Total)
	assert.Equal(t, created.ID, page.Items[0].ID)

	require.NoError(t, c.Broadcasts.Delete(ctx, created.ID))
	_, err = c.Broadcasts.Get(ctx, created.ID)
	require.ErrorIs(t, err, convirza.ErrNotFound)
}

func TestBroadcastFailsWhenItsNumberIsReleasedAgainstFake(t *testing.T) {
	ctx := context.Background()
	clk := newBroadcastClock()
	c := newClockedClient(t, clk)

	at := clk.Now().Add(time.Minute)
	created, err := c.Broadcasts.Create(ctx, &convirza.CreateBroadcastParams{Name: "n", Message: "m",
		PhoneNumberID: convirzatest.SalesReservedNumberID, Recipients: []string{"+18015557654"}, ScheduledAt: &at})
	require.NoError(t, err)
	require.NoError(t, c.PhoneNumbers.Release(ctx, convirzatest.SalesReservedNumberID))
	clk.Advance(time.Hour)
	b, err := c.Broadcasts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, convirza.BroadcastFailed, b.Status)
	assert.True(t, b.Status.Deletable())
	require.NoError(t, c.Broadcasts.Delete(ctx, created.ID))
}

func TestBroadcastsErrorsAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")

	_, err := c.Broadcasts.Create(ctx, &convirza.CreateBroadcastParams{Name: "n", Message: "m",
		PhoneNumberID: convirzatest.InventoryNumberID, Recipients: []string{"+18015557654"}})
	require.ErrorIs(t, err, convirza.ErrBadRequest, "a number the account does not hold")
	var apiErr *convirza.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Len(t, apiErr.Errors, 1)
	assert.Equal(t, "phone_number_id", apiErr.Errors[0].Field)

	require.ErrorIs(t, c.Broadcasts.Delete(ctx, convirzatest.SentBroadcastID), convirza.ErrConflict)
	_, err = c.Broadcasts.Get(ctx, convirzatest.OtherAccountBroadcastID)
	require.ErrorIs(t, err, convirza.ErrNotFound)

	ro, _ := newFakeClient(t, convirzatest.ReadOnlyEmail)
	_, err = ro.Broadcasts.List(ctx, nil)
	require.NoError(t, err)
	_, err = ro.Broadcasts.Create(ctx, &convirza.CreateBroadcastParams{Name: "n", Message: "m",
		PhoneNumberID: convirzatest.SupportTollFreeNumberID, Recipients: []string{"+18015557654"}})
	require.ErrorIs(t, err, convirza.ErrForbidden)
}
