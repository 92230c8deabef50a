package convirza_test

import (
	"context"
	"net/http"
	"testing"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAIVoiceAgentsLifeAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, _ := newFakeClient(t, "")

	created, err := c.AIVoiceAgents.Create(ctx, &convirza.CreateAIVoiceAgentParams{
		Name: "After-hours receptionist", OrgUnitID: convirzatest.SalesOrgUnitID,
		Greeting:     "Thanks for calling Acme Corporation. How can I help?",
		Instructions: "Collect the caller's name, number and reason for calling.",
		TransferTo:   "+14255551234",
	})
	require.NoError(t, err)

	a, err := c.AIVoiceAgents.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created.ID, a.ID)
	assert.Equal(t, "After-hours receptionist", a.Name)
	assert.Equal(t, convirzatest.SalesOrgUnitID, a.OrgUnitID)
	assert.Equal(t, "en-US", a.Language, "the default language")
	assert.NotEmpty(t, a.Voice, "the server's default voice")
	assert.Equal(t, "+14255551234", a.TransferTo)
	assert.Equal(t, convirza.AIVoiceAgentActive, a.Status)
	assert.False(t, a.Created.IsZero())

	second, err := c.AIVoiceAgents.Create(ctx, &convirza.CreateAIVoiceAgentParams{
		Name: "Support line", OrgUnitID: convirzatest.SupportOrgUnitID, Status: convirza.AIVoiceAgentInactive})
	require.NoError(t, err)

	var ids []int64
	for a, err := range c.AIVoiceAgents.All(ctx, &convirza.ListAIVoiceAgentsParams{PageParams: convirza.PageParams{Limit: 1}}) {
		require.NoError(t, err)
		ids = append(ids, a.ID)
	}
	assert.Equal(t, []int64{created.ID, second.ID}, ids)
	page, err := c.AIVoiceAgents.List(ctx, &convirza.ListAIVoiceAgentsParams{Status: convirza.AIVoiceAgentInactive})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, second.ID, page.Items[0].ID)
	page, err = c.AIVoiceAgents.List(ctx, &convirza.ListAIVoiceAgentsParams{OrgUnitID: convirzatest.SalesOrgUnitID})
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total)

	// PUT replaces: what is not sent goes back to its default.
	a, err = c.AIVoiceAgents.Update(ctx, created.ID, &convirza.UpdateAIVoiceAgentParams{
		Name: "Night desk", Voice: "male-2", Language: "es-US"})
	require.NoError(t, err)
	assert.Equal(t, "Night desk", a.Name)
	assert.Equal(t, "male-2", a.Voice)
	assert.Equal(t, "es-US", a.Language)
	assert.Empty(t, a.Greeting)
	assert.Empty(t, a.TransferTo)

	// PATCH: a value, a null and the rest untouched.
	a, err = c.AIVoiceAgents.Patch(ctx, created.ID, &convirza.PatchAIVoiceAgentParams{
		TransferTo: convirza.Set("+1-212-555-0100"), Status: convirza.Set(convirza.AIVoiceAgentInactive)})
	require.NoError(t, err)
	assert.Equal(t, "+1-212-555-0100", a.TransferTo, "sent and kept as written")
	a, err = c.AIVoiceAgents.Patch(ctx, created.ID, &convirza.PatchAIVoiceAgentParams{TransferTo: convirza.Null[string]()})
	require.NoError(t, err)
	assert.Empty(t, a.TransferTo)
	assert.Equal(t, convirza.AIVoiceAgentInactive, a.Status)
	assert.Equal(t, "Night desk", a.Name)
	assert.Contains(t, string(a.Raw), `"transfer_to":null`)

	require.NoError(t, c.AIVoiceAgents.Delete(ctx, created.ID))
	_, err = c.AIVoiceAgents.Get(ctx, created.ID)
	assert.ErrorIs(t, err, convirza.ErrNotFound, "deleted for good")
	assert.ErrorIs(t, c.AIVoiceAgents.Delete(ctx, created.ID), convirza.ErrNotFound)
}

func TestAIVoiceAgentsTypedErrorsAgainstFake(t *testing.T) {
	ctx := context.Background()
	admin, srv := newFakeClient(t, "")

	// Rules the server checks: the status enum, the org unit's scope.
	_, err := admin.AIVoiceAgents.Create(ctx, &convirza.CreateAIVoiceAgentParams{Name: "A", Status: "paused"})
	var apiErr *convirza.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "status", apiErr.Errors[0].Field)
	_, err = admin.AIVoiceAgents.Create(ctx, &convirza.CreateAIVoiceAgentParams{Name: "A", OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	require.ErrorIs(t, err, convirza.ErrBadRequest)
	_, err = admin.AIVoiceAgents.List(ctx, &convirza.ListAIVoiceAgentsParams{OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
	_, err = admin.AIVoiceAgents.Get(ctx, 999999)
	assert.ErrorIs(t, err, convirza.ErrNotFound)

	support, err := admin.AIVoiceAgents.Create(ctx, &convirza.CreateAIVoiceAgentParams{Name: "Support", OrgUnitID: convirzatest.SupportOrgUnitID})
	require.NoError(t, err)

	// Standard writes, within its scope.
	std := fakeClientAs(t, srv, convirzatest.StandardEmail)
	own, err := std.AIVoiceAgents.Create(ctx, &convirza.CreateAIVoiceAgentParams{Name: "Sales"})
	require.NoError(t, err)
	_, err = std.AIVoiceAgents.Patch(ctx, own.ID, &convirza.PatchAIVoiceAgentParams{Voice: convirza.Set("male-1")})
	assert.NoError(t, err)

	// ReadOnly reads and writes nothing.
	ro := fakeClientAs(t, srv, convirzatest.ReadOnlyEmail)
	_, err = ro.AIVoiceAgents.Create(ctx, &convirza.CreateAIVoiceAgentParams{Name: "X"})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
	_, err = ro.AIVoiceAgents.Get(ctx, support.ID)
	assert.NoError(t, err)
	assert.ErrorIs(t, ro.AIVoiceAgents.Delete(ctx, support.ID), convirza.ErrForbidden)
	_, err = ro.AIVoiceAgents.Get(ctx, own.ID)
	assert.ErrorIs(t, err, convirza.ErrNotFound, "Sales lies outside the Support user's scope")
}

// fakeClientAs returns a client of srv logged in as a seeded user.
func fakeClientAs(t *testing.T, srv *convirzatest.Server, email string) *convirza.Client {
	t.Helper()
	c, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(email, convirzatest.SeedPassword))
	require.NoError(t, err)
	return c
}
