package convirza_test

import (
	"context"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhooksLifeAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv := newFakeClient(t, "")

	created, err := c.Webhooks.Create(ctx, &convirza.CreateWebhookParams{
		Name: "CRM post-call feed", URL: "https://crm.example.com/hooks/convirza",
		OrgUnitID:    convirzatest.SalesOrgUnitID,
		StaticParams: []convirza.StaticParam{{FieldName: "source", StaticValue: "convirza"}},
	})
	require.NoError(t, err)
	id := created.ID

	w, err := c.Webhooks.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "CRM post-call feed", w.Name)
	assert.Equal(t, "https://crm.example.com/hooks/convirza", w.URL)
	assert.Equal(t, convirzatest.SalesOrgUnitID, w.OrgUnitID)
	assert.Equal(t, convirza.TriggerPostCall, w.Trigger, "the default trigger")
	assert.Equal(t, convirza.WebhookActive, w.Status)
	assert.Equal(t, convirza.StaticParams{{FieldName: "source", StaticValue: "convirza"}}, w.StaticParams)
	assert.False(t, w.Created.IsZero())

	// Bad input never leaves the process.
	for _, bad := range []*convirza.CreateWebhookParams{
		{Name: "x", URL: "crm.example.com/hook"},
		{Name: "x", URL: "ftp://crm.example.com/hook"},
		{Name: " ", URL: "https://crm.example.com/hook"},
	} {
		_, err := c.Webhooks.Create(ctx, bad)
		assert.ErrorIs(t, err, convirza.ErrInvalidParams)
	}
	assert.Equal(t, 1, srv.RequestCount("POST", "/v3/webhooks"))

	// The server's own checks: an org unit outside the hierarchy, a trigger
	// it does not know.
	_, err = c.Webhooks.Create(ctx, &convirza.CreateWebhookParams{Name: "x", URL: "https://a.example",
		OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrBadRequest)
	_, err = c.Webhooks.Create(ctx, &convirza.CreateWebhookParams{Name: "x", URL: "https://a.example", Trigger: "mid_call"})
	var apiErr *convirza.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, []convirza.FieldError{{Field: "trigger", Message: "must be post_call or pre_call"}}, apiErr.Errors)

	// PATCH: static_params replaces the whole list; the rest stays.
	patched, err := c.Webhooks.Patch(ctx, id, &convirza.PatchWebhookParams{
		Trigger:      convirza.Set(convirza.TriggerPreCall),
		StaticParams: convirza.Set([]convirza.StaticParam{{FieldName: "campaign", StaticValue: "spring"}}),
	})
	require.NoError(t, err)
	assert.Equal(t, convirza.TriggerPreCall, patched.Trigger)
	assert.Equal(t, convirza.StaticParams{{FieldName: "campaign", StaticValue: "spring"}}, patched.StaticParams)
	assert.Equal(t, "CRM post-call feed", patched.Name)
	_, err = c.Webhooks.Patch(ctx, id, &convirza.PatchWebhookParams{OrgUnitID: convirza.Null[int64]()})
	assert.ErrorIs(t, err, convirza.ErrBadRequest, "the org unit cannot be cleared")

	// PUT replaces the whole webhook; what is left out goes back to its
	// default.
	replaced, err := c.Webhooks.Update(ctx, id, &convirza.UpdateWebhookParams{
		Name: "Feed v2", URL: "http://127.0.0.1:8080/hook", Status: convirza.WebhookInactive})
	require.NoError(t, err)
	assert.Equal(t, "Feed v2", replaced.Name)
	assert.Equal(t, convirza.TriggerPostCall, replaced.Trigger)
	assert.Empty(t, replaced.StaticParams)
	assert.Equal(t, convirza.WebhookInactive, replaced.Status)
	assert.Equal(t, convirzatest.SalesOrgUnitID, replaced.OrgUnitID, "the org unit stays")

	// Delete is for good.
	require.NoError(t, c.Webhooks.Delete(ctx, id))
	_, err = c.Webhooks.Get(ctx, id)
	assert.ErrorIs(t, err, convirza.ErrNotFound)
	assert.ErrorIs(t, c.Webhooks.Delete(ctx, id), convirza.ErrNotFound)
	_, err = c.Webhooks.Patch(ctx, id, &convirza.PatchWebhookParams{Name: convirza.Set("x")})
	assert.ErrorIs(t, err, convirza.ErrNotFound)
	page, err := c.Webhooks.List(ctx, nil)
	require.NoError(t, err)
	assert.Zero(t, page.Total)
	assert.Empty(t, page.Items)
}

func TestWebhooksListingAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")
	units := []int64{convirzatest.AccountOrgUnitID, convirzatest.SalesOrgUnitID, convirzatest.EastCoastSalesOrgUnitID,
		convirzatest.SupportOrgUnitID, convirzatest.SalesOrgUnitID}
	for i, ou := range units {
		status := convirza.WebhookActive
		if i == 4 {
			status = convirza.WebhookInactive
		}
		_, err := c.Webhooks.Create(ctx, &convirza.CreateWebhookParams{Name: "hook", URL: "https://a.example/h",
			OrgUnitID: ou, Status: status})
		require.NoError(t, err)
	}
	page, err := c.Webhooks.List(ctx, &convirza.ListWebhooksParams{PageParams: convirza.PageParams{Limit: 2}})
	require.NoError(t, err)
	assert.Equal(t, 5, page.Total)
	assert.Len(t, page.Items, 2)

	// Sales and the units below it; active only.
	var got []int64
	for w, err := range c.Webhooks.All(ctx, &convirza.ListWebhooksParams{PageParams: convirza.PageParams{Limit: 1},
		OrgUnitID: convirzatest.SalesOrgUnitID, Status: convirza.WebhookActive}) {
		require.NoError(t, err)
		got = append(got, w.OrgUnitID)
	}
	assert.Equal(t, []int64{convirzatest.SalesOrgUnitID, convirzatest.EastCoastSalesOrgUnitID}, got)

	_, err = c.Webhooks.List(ctx, &convirza.ListWebhooksParams{OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
}

func TestWebhooksRolesAgainstFake(t *testing.T) {
	ctx := context.Background()
	for _, email := range []string{convirzatest.StandardEmail, convirzatest.ReadOnlyEmail} {
		c, _ := newFakeClient(t, email)
		_, err := c.Webhooks.List(ctx, nil)
		assert.ErrorIs(t, err, convirza.ErrForbidden, "Webhooks are Admin only")
		_, err = c.Webhooks.Create(ctx, &convirza.CreateWebhookParams{Name: "x", URL: "https://a.example"})
		assert.ErrorIs(t, err, convirza.ErrForbidden)
	}
}
