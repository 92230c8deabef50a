package convirza

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdSourcesListWire(t *testing.T) {
	list := assertSends(t, "GET", "/ad-source", nil, string(golden(t, "misc/ad_sources.json")), "", func(c *Client) ([]AdSource, error) {
		return c.AdSources.List(context.Background())
	})
	require.Len(t, list, 2)
	assert.Equal(t, int64(3), list[0].ID)
	assert.Equal(t, "Google Ads", list[0].Name)
	assert.Equal(t, int64(7), list[1].ID)
	assert.Equal(t, "Radio", list[1].Name)
}

func TestIndustriesListWire(t *testing.T) {
	list := assertSends(t, "GET", "/industry", nil, string(golden(t, "misc/industries.json")), "", func(c *Client) ([]Industry, error) {
		return c.Industries.List(context.Background())
	})
	require.Len(t, list, 2)
	assert.Equal(t, int64(10), list[0].ID)
	assert.Equal(t, "Technology", list[0].Name)
	assert.Equal(t, "Automotive", list[1].Name)
}

// Reference lists may come as a bare array, and items with plain id and name.
func TestReferenceListsTolerateShapes(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/industry", 200, envelopeJSON(`[{"id":"10","name":"Technology"},{"industry_id":12,"industry_name":"Automotive","extra":1}]`))
	respond(mt, "GET", "/ad-source", 200, envelopeJSON(`{"ad_sources":[],"total":0}`))

	ind, err := c.Industries.List(context.Background())
	require.NoError(t, err)
	require.Len(t, ind, 2)
	assert.Equal(t, int64(10), ind[0].ID)
	assert.Equal(t, "Technology", ind[0].Name)
	assert.Equal(t, int64(12), ind[1].ID)
	assert.Contains(t, string(ind[1].Raw), `"extra":1`)

	ads, err := c.AdSources.List(context.Background())
	require.NoError(t, err)
	assert.NotNil(t, ads)
	assert.Empty(t, ads)
}

func TestTagsListWire(t *testing.T) {
	page := assertSends(t, "GET", "/tag", url.Values{
		"limit": {"10"}, "offset": {"20"}, "org_unit_id": {"1001"}, "tag_name": {"lead"}}, string(golden(t, "misc/tags_list.json")), "", func(c *Client) (*Page[Tag], error) {
		return c.Tags.List(context.Background(), &ListTagsParams{
			PageParams: PageParams{Limit: 10, Offset: 20}, OrgUnitID: 1001, Name: "lead"})
	})
	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	tag := page.Items[0]
	assert.Equal(t, int64(11), tag.ID)
	assert.Equal(t, "Qualified lead", tag.Name)
	assert.Equal(t, int64(1001), tag.OrgUnitID)
	assert.Equal(t, time.Date(2026, 1, 20, 12, 34, 56, 789e6, time.UTC), tag.Created)
}

func TestTagsListRefusesBadInputBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]*ListTagsParams{"org unit -1": {OrgUnitID: -1}}, func(c *Client, p *ListTagsParams) error {
		_, err := c.Tags.List(context.Background(), p)
		return err
	})
}

func TestTagsCreateWire(t *testing.T) {
	assertWriteWire(t, "POST", "/tag", string(golden(t, "misc/tag_create.json")),
		string(golden(t, "misc/tag_create_request.json")), 11, func(c *Client) (*Created, error) {
			return c.Tags.Create(context.Background(), &CreateTagParams{Name: "Qualified lead", OrgUnitID: 1001})
		})

	// Without an org unit the server picks the caller's.
	assertWriteWire(t, "POST", "/tag", string(golden(t, "misc/tag_create.json")), `{"tag_name":"Spam"}`, 11, func(c *Client) (*Created, error) {
		return c.Tags.Create(context.Background(), &CreateTagParams{Name: "Spam"})
	})
}

func TestTagsCreateConflict(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/tag", 409, `{"code":409,"message":"Tag \"Spam\" already exists in this org unit"}`)
	_, err := c.Tags.Create(context.Background(), &CreateTagParams{Name: "Spam"})
	assert.ErrorIs(t, err, ErrConflict)
	assert.NotErrorIs(t, err, ErrDuplicateEmail)
	assert.Equal(t, 1, rec.count(), "a POST is not retried")
}

func TestTagsWritesRefuseBadInputBeforeIO(t *testing.T) {
	long := strings.Repeat("x", MaxTagName+1)
	assertRefusedBeforeIO(t, map[string]*CreateTagParams{
		"nil":         nil,
		"empty":       {},
		"blank":       {Name: "  "},
		"101 chars":   {Name: long},
		"org unit -1": {Name: "ok", OrgUnitID: -1},
	}, func(c *Client, p *CreateTagParams) error {
		_, err := c.Tags.Create(context.Background(), p)
		return err
	})
	assertRefusedBeforeIO(t, map[string]withID[UpdateTagParams]{
		"nil":       {1, nil},
		"empty":     {1, &UpdateTagParams{}},
		"101 chars": {1, &UpdateTagParams{Name: long}},
		"id 0":      {0, &UpdateTagParams{Name: "ok"}},
	}, func(c *Client, p withID[UpdateTagParams]) error {
		_, err := c.Tags.Update(context.Background(), p.id, p.p)
		return err
	})

	// 100 characters, counted as characters, is allowed.
	c, mt := newWireClient(t)
	respond(mt, "POST", "/tag", 200, envelopeJSON(`{"tagId":1}`))
	_, err := c.Tags.Create(context.Background(), &CreateTagParams{Name: strings.Repeat("ü", MaxTagName)})
	require.NoError(t, err)
}

func TestTagsUpdateWire(t *testing.T) {
	tag := assertWriteWire(t, "PUT", "/tag/11", envelopeJSON(
		`{"tag_id":11,"tag_name":"Sales qualified lead","org_unit_id":1001,"tag_created":"2026-01-20T12:34:56.789Z"}`),
		string(golden(t, "misc/tag_update_request.json")), 11, func(c *Client) (*Tag, error) {
			return c.Tags.Update(context.Background(), 11, &UpdateTagParams{Name: "Sales qualified lead"})
		})
	assert.Equal(t, "Sales qualified lead", tag.Name)
	assert.Equal(t, int64(1001), tag.OrgUnitID)
}

// When the API answers an update with less than the tag, there is no Get
// Tag to read it from: the result holds the id and the name sent.
func TestTagsUpdateShortAnswer(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PUT", "/tag/11", 200, envelopeJSON(`null`))
	_, err := c.Tags.Update(context.Background(), 11, &UpdateTagParams{Name: "Renamed"})
	require.ErrorIs(t, err, ErrInvalidResponse, "data null is no tag")
	assert.Equal(t, 1, rec.count())
	for _, data := range []string{`{"tagId":11}`} {
		rec := respond(mt, "PUT", "/tag/11", 200, envelopeJSON(data))
		tag, err := c.Tags.Update(context.Background(), 11, &UpdateTagParams{Name: "Renamed"})
		require.NoError(t, err, data)
		assert.Equal(t, int64(11), tag.ID, data)
		assert.Equal(t, "Renamed", tag.Name, data)
		assert.Equal(t, 1, rec.count(), "no second request for %s", data)
	}
}

func TestTagsUpdateConflictAndNotFound(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "PUT", "/tag/11", 409, `{"code":409,"message":"duplicate"}`)
	respond(mt, "PUT", "/tag/12", 404, `{"code":404,"message":"Tag not found"}`)
	_, err := c.Tags.Update(context.Background(), 11, &UpdateTagParams{Name: "x"})
	assert.ErrorIs(t, err, ErrConflict)
	_, err = c.Tags.Update(context.Background(), 12, &UpdateTagParams{Name: "x"})
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestTagsDeleteWire(t *testing.T) {
	assertDeleteWire(t, "/tag/%d", 11, string(golden(t, "misc/tag_delete.json")), func(c *Client, id int64) error {
		return c.Tags.Delete(context.Background(), id)
	})
}

func TestMiscGolden(t *testing.T) {
	ads := goldenData(t, "misc/ad_sources.json")
	a := decodeGolden[adSourceList](t, ads)
	require.Len(t, a.AdSources, 2)
	assertKnownFields(t, ads, adSourceList{})

	ind := goldenData(t, "misc/industries.json")
	i := decodeGolden[industryList](t, ind)
	require.Len(t, i.Industries, 2)
	assertKnownFields(t, ind, industryList{})

	tl := decodeGolden[tagList](t, goldenData(t, "misc/tags_list.json"))
	require.Len(t, tl.Tags, 1)
	assert.JSONEq(t, `{"tag_id":11,"tag_name":"Qualified lead","org_unit_id":1001,"tag_created":"2026-01-20T12:34:56.789Z"}`,
		string(tl.Tags[0].Raw), "Raw keeps the object whole")

	assertGoldenIDs(t, 11, "misc/tag_create.json", "misc/tag_delete.json")
	decodeGolden[CreateTagParams](t, golden(t, "misc/tag_create_request.json"))
	decodeGolden[UpdateTagParams](t, golden(t, "misc/tag_update_request.json"))
}

// Many goroutines sharing one cache cause one fetch per time to live.
func TestReferenceCacheOneFetchPerTTL(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/ad-source", 200, string(golden(t, "misc/ad_sources.json")))
	clock := NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cache := NewReferenceCache(c.AdSources.List, time.Hour)
	cache.now = clock.Now

	burst := func() {
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				list, err := cache.Get(context.Background())
				assert.NoError(t, err)
				if assert.Len(t, list, 2) {
					assert.Equal(t, "Google Ads", list[0].Name)
				}
				list[0] = AdSource{} // each caller owns its slice
			})
		}
		wg.Wait()
	}
	burst()
	assert.Equal(t, 1, rec.count(), "one fetch for the first burst")
	clock.Advance(59 * time.Minute)
	burst()
	assert.Equal(t, 1, rec.count(), "still fresh")
	clock.Advance(time.Minute)
	burst()
	assert.Equal(t, 2, rec.count(), "one fetch once the TTL is over")

	cache.Invalidate()
	burst()
	assert.Equal(t, 3, rec.count(), "one fetch after Invalidate")
}

// Callers that arrive while a fetch is running wait for it instead of
// fetching too.
func TestReferenceCacheSharesAFetchInProgress(t *testing.T) {
	var fetches atomic.Int32
	release := make(chan struct{})
	cache := NewReferenceCache(func(context.Context, ...RequestOption) ([]Industry, error) {
		fetches.Add(1)
		<-release
		return []Industry{{ID: 10, Name: "Technology"}}, nil
	}, time.Minute)

	var wg sync.WaitGroup
	results := make(chan []Industry, 32)
	for range 32 {
		wg.Go(func() {
			list, err := cache.Get(context.Background())
			assert.NoError(t, err)
			results <- list
		})
	}
	// Let every goroutine reach the cache before the fetch ends.
	require.Eventually(t, func() bool { return fetches.Load() == 1 }, time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(results)
	for list := range results {
		assert.Equal(t, []Industry{{ID: 10, Name: "Technology"}}, list)
	}
	assert.Equal(t, int32(1), fetches.Load())
}

func TestReferenceCacheDoesNotKeepErrors(t *testing.T) {
	var fetches atomic.Int32
	boom := errors.New("boom")
	cache := NewReferenceCache(func(context.Context, ...RequestOption) ([]AdSource, error) {
		if fetches.Add(1) == 1 {
			return nil, boom
		}
		return []AdSource{{ID: 3}}, nil
	}, time.Minute)
	_, err := cache.Get(context.Background())
	assert.ErrorIs(t, err, boom)
	list, err := cache.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []AdSource{{ID: 3}}, list)
	_, _ = cache.Get(context.Background())
	assert.Equal(t, int32(2), fetches.Load())
}

// A waiter is not failed by the fetching caller's cancelled context: it
// fetches with its own. And a waiter whose own context ends stops waiting.
func TestReferenceCacheContexts(t *testing.T) {
	started := make(chan struct{}, 2)
	var fetches atomic.Int32
	cache := NewReferenceCache(func(ctx context.Context, _ ...RequestOption) ([]AdSource, error) {
		if fetches.Add(1) == 1 {
			started <- struct{}{}
			<-ctx.Done()
			return nil, fmt.Errorf("wrapped: %w", ctx.Err())
		}
		return []AdSource{{ID: 7}}, nil
	}, time.Minute)

	first, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error)
	go func() {
		_, err := cache.Get(first)
		firstDone <- err
	}()
	<-started

	short, cancelShort := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancelShort()
	_, err := cache.Get(short)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a waiter's own deadline ends its wait")

	second := make(chan []AdSource)
	go func() {
		list, err := cache.Get(context.Background())
		assert.NoError(t, err)
		second <- list
	}()
	time.Sleep(10 * time.Millisecond) // let the second caller wait on the first fetch
	cancel()
	assert.ErrorIs(t, <-firstDone, context.Canceled)
	assert.Equal(t, []AdSource{{ID: 7}}, <-second)
	assert.Equal(t, int32(2), fetches.Load())
}

func TestReferenceCacheReleasesWaitersWhenFetchPanics(t *testing.T) {
	cache := NewReferenceCache(func(context.Context, ...RequestOption) ([]Tag, error) {
		panic("bad fetch")
	}, time.Minute)
	assert.PanicsWithValue(t, "bad fetch", func() { _, _ = cache.Get(context.Background()) })
	cache.flight.mu.Lock()
	defer cache.flight.mu.Unlock()
	assert.Nil(t, cache.flight.cur, "no flight left behind")
}

func TestReferenceCacheWithoutTTLFetchesEveryTime(t *testing.T) {
	var fetches atomic.Int32
	cache := NewReferenceCache(func(context.Context, ...RequestOption) ([]Tag, error) {
		fetches.Add(1)
		return nil, nil
	}, 0)
	for range 3 {
		_, err := cache.Get(context.Background())
		require.NoError(t, err)
	}
	assert.Equal(t, int32(3), fetches.Load())
}

func TestReferenceListsErrors(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/ad-source", 403, `{"code":403,"message":"nope"}`)
	respond(mt, "GET", "/industry", 200, envelopeJSON(`"not a list"`))
	_, err := c.AdSources.List(context.Background())
	assert.ErrorIs(t, err, ErrForbidden)
	_, err = c.Industries.List(context.Background())
	assert.ErrorIs(t, err, ErrInvalidResponse)

	// A cache hands the error back and keeps nothing.
	cache := NewReferenceCache(c.AdSources.List, time.Hour)
	_, err = cache.Get(context.Background())
	assert.ErrorIs(t, err, ErrForbidden)
}
