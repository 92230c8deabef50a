package convirza_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTagsLifeAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv, clk := convosFakeClient(t, convirzatest.StandardEmail)

	created, err := c.Tags.Create(ctx, &convirza.CreateTagParams{Name: "Hot lead"})
	require.NoError(t, err)
	page, err := c.Tags.List(ctx, &convirza.ListTagsParams{Name: "hot"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	tag := page.Items[0]
	assert.Equal(t, created.ID, tag.ID)
	assert.Equal(t, "Hot lead", tag.Name)
	assert.Equal(t, convirzatest.SalesOrgUnitID, tag.OrgUnitID, "the caller's org unit by default")
	assert.Equal(t, clk.Now().Truncate(time.Millisecond), tag.Created)

	// T1: unique within the org unit, so a second one is a conflict, but
	// the same name below it is not.
	_, err = c.Tags.Create(ctx, &convirza.CreateTagParams{Name: "hot lead"})
	require.ErrorIs(t, err, convirza.ErrConflict)
	other, err := c.Tags.Create(ctx, &convirza.CreateTagParams{Name: "Hot lead", OrgUnitID: convirzatest.EastCoastSalesOrgUnitID})
	require.NoError(t, err)

	renamed, err := c.Tags.Update(ctx, created.ID, &convirza.UpdateTagParams{Name: "Warm lead"})
	require.NoError(t, err)
	assert.Equal(t, "Warm lead", renamed.Name)
	assert.Equal(t, convirzatest.SalesOrgUnitID, renamed.OrgUnitID)
	_, err = c.Tags.Update(ctx, created.ID, &convirza.UpdateTagParams{Name: "Spam"})
	assert.ErrorIs(t, err, convirza.ErrConflict, "Spam is a sibling's name")

	// T2 is checked before any request; the fake checks it too.
	before := srv.RequestCount("POST", "/v3/tag")
	_, err = c.Tags.Create(ctx, &convirza.CreateTagParams{Name: strings.Repeat("x", 101)})
	assert.ErrorIs(t, err, convirza.ErrInvalidParams)
	assert.Equal(t, before, srv.RequestCount("POST", "/v3/tag"))
	_, err = c.Tags.Create(ctx, &convirza.CreateTagParams{Name: "x", OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrBadRequest)

	var names []string
	for tag, err := range c.Tags.All(ctx, &convirza.ListTagsParams{PageParams: convirza.PageParams{Limit: 1}}) {
		require.NoError(t, err)
		names = append(names, tag.Name)
	}
	assert.Equal(t, []string{"Hot lead", "Spam", "Warm lead", "Wrong number"}, names)

	require.NoError(t, c.Tags.Delete(ctx, created.ID))
	require.NoError(t, c.Tags.Delete(ctx, other.ID))
	assert.ErrorIs(t, c.Tags.Delete(ctx, created.ID), convirza.ErrNotFound)
	_, err = c.Tags.Update(ctx, convirzatest.OtherAccountTagID, &convirza.UpdateTagParams{Name: "x"})
	assert.ErrorIs(t, err, convirza.ErrNotFound, "out of scope")

	// ReadOnly users read tags but cannot write them.
	ro, _, _ := convosFakeClient(t, convirzatest.ReadOnlyEmail)
	_, err = ro.Tags.Create(ctx, &convirza.CreateTagParams{Name: "Nope"})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
	roPage, err := ro.Tags.List(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, roPage.Total, "Support Division has one tag")
}

func TestReferenceListsAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv, _ := convosFakeClient(t, convirzatest.ReadOnlyEmail)

	ads, err := c.AdSources.List(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, ads)
	assert.Equal(t, convirza.AdSource{ID: 3, Name: "Google Ads", Raw: ads[2].Raw}, ads[2])
	inds, err := c.Industries.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Technology", inds[0].Name)
	assert.Equal(t, int64(10), inds[0].ID)

	// Many goroutines share one cache: one request per time to live.
	cache := convirza.NewReferenceCache(c.Industries.List, time.Hour)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			list, err := cache.Get(ctx)
			assert.NoError(t, err)
			assert.Len(t, list, len(inds))
		})
	}
	wg.Wait()
	assert.Equal(t, 2, srv.RequestCount("GET", "/v3/industry"), "one List above, one for the cache")
	cache.Invalidate()
	_, err = cache.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.RequestCount("GET", "/v3/industry"))
}
