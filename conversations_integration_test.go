package convirza_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallsAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv, clk := newClockedClient(t, "")
	now := clk.Now()

	// The default window: the last 7 days, newest first, every page.
	page, err := c.Calls.List(ctx, &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: 5}})
	require.NoError(t, err)
	assert.Equal(t, convirzatest.SeedCallsLastWeek-2, page.Total)
	assert.Len(t, page.Items, 5)
	var calls []convirza.Call
	for call, err := range c.Calls.All(ctx, &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: 5}}) {
		require.NoError(t, err)
		calls = append(calls, call)
	}
	require.Len(t, calls, page.Total)
	for i, call := range calls {
		assert.True(t, call.Started.After(now.Add(-7*24*time.Hour)) && call.Started.Before(now), "call %d at %s", call.ID, call.Started)
		assert.NotEqual(t, convirzatest.OtherAccountOrgUnitID, call.OrgUnitID)
		assert.NotEmpty(t, call.Disposition)
		if i > 0 {
			assert.False(t, call.Started.After(calls[i-1].Started), "newest first")
		}
		if call.Disposition == convirza.DispositionAnswered {
			assert.Positive(t, call.Duration, "an answered call lasts")
		}
		assert.Nil(t, call.Recording, "not asked for")
	}

	// A 31-day window with filters: sub-units included, dispositions kept.
	month := &convirza.ListCallsParams{
		PageParams: convirza.PageParams{Limit: 200},
		Start:      now.Add(-convirza.MaxCallsWindow), End: now,
		OrgUnitID:    convirzatest.SalesOrgUnitID,
		Dispositions: []convirza.Disposition{convirza.DispositionAnswered, convirza.DispositionNoAnswer},
		Include:      []convirza.CallInclude{convirza.IncludeTags, convirza.IncludeComments, convirza.IncludeCustomSources},
	}
	filtered, err := c.Calls.List(ctx, month)
	require.NoError(t, err)
	require.NotEmpty(t, filtered.Items)
	var tagged int
	for _, call := range filtered.Items {
		assert.Contains(t, []int64{convirzatest.SalesOrgUnitID, convirzatest.EastCoastSalesOrgUnitID}, call.OrgUnitID)
		assert.Contains(t, month.Dispositions, call.Disposition)
		for _, tag := range call.Tags {
			assert.Contains(t, []string{"Qualified lead", "Follow up"}, tag.Name)
			tagged++
		}
	}
	assert.Positive(t, tagged, "some calls carry tags")

	// Single-record mode, then Get, of a call older than the default window.
	old := convirzatest.FirstSeedCallID + 40
	one, err := c.Calls.List(ctx, &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: 1}, CallID: old})
	require.NoError(t, err)
	require.Len(t, one.Items, 1)
	got, err := c.Calls.Get(ctx, old, &convirza.GetCallParams{Include: []convirza.CallInclude{convirza.IncludeCallFlow}})
	require.NoError(t, err)
	assert.Equal(t, one.Items[0].ID, got.ID)
	assert.Equal(t, one.Items[0].Started, got.Started)
	assert.Equal(t, one.Items[0].Duration, got.Duration)
	assert.Contains(t, string(got.CallFlow), "routing_type")

	// The rules: refused before I/O, or by the fake.
	before := srv.RequestCount("GET", "/v3/conversations/calls")
	_, err = c.Calls.List(ctx, &convirza.ListCallsParams{})
	assert.ErrorIs(t, err, convirza.ErrInvalidParams, "limit is required")
	_, err = c.Calls.List(ctx, &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: 5},
		Start: now.Add(-32 * 24 * time.Hour), End: now})
	assert.ErrorIs(t, err, convirza.ErrInvalidParams, "window over 31 days")
	assert.Equal(t, before, srv.RequestCount("GET", "/v3/conversations/calls"), "no request sent")

	_, err = c.Calls.List(ctx, &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: 5}, OrgUnitID: convirzatest.OtherAccountOrgUnitID})
	assert.ErrorIs(t, err, convirza.ErrForbidden)
	_, err = c.Calls.List(ctx, &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: 5}, Start: time.Now().Add(-40 * 24 * time.Hour)})
	assert.ErrorIs(t, err, convirza.ErrInvalidParams, "only start: the window ends now, 40 days later")
	assert.Equal(t, before+1, srv.RequestCount("GET", "/v3/conversations/calls"), "no request sent but the forbidden one")
	_, err = c.Calls.Get(ctx, convirzatest.FirstSeedCallID+6, nil) // Globex's
	assert.ErrorIs(t, err, convirza.ErrNotFound)
}

func TestCallRecordingAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv, clk := newClockedClient(t, "")
	page, err := c.Calls.List(ctx, &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: 50},
		Include: []convirza.CallInclude{convirza.IncludeRecordings}})
	require.NoError(t, err)
	i := slices.IndexFunc(page.Items, func(c convirza.Call) bool { return c.Recording != nil })
	require.GreaterOrEqual(t, i, 0, "a recorded call")
	call := page.Items[i]
	assert.Equal(t, clk.Now().Add(7*24*time.Hour).Unix(), call.Recording.ExpiresAt.Unix())
	assert.False(t, call.Recording.Expired(clk.Now()))

	body, err := c.Calls.OpenRecording(ctx, call.Recording)
	require.NoError(t, err)
	audio, err := io.ReadAll(body)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	assert.Equal(t, convirzatest.RecordingAudio(call.ID), audio)
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/recordings/") {
			assert.False(t, r.HasBearer, "the signed link is fetched without the token")
		}
	}

	// Seven days later the link is gone; the call gives a fresh one. The
	// access token has expired meanwhile too: the client refreshes it.
	clk.Advance(7 * 24 * time.Hour)
	assert.True(t, call.Recording.Expired(clk.Now()))
	_, err = c.Calls.OpenRecording(ctx, call.Recording)
	require.ErrorIs(t, err, convirza.ErrGone)
	var apiErr *convirza.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, convirzatest.RecordingExpiredMessage, apiErr.Message)
	assert.NotContains(t, err.Error(), "signature", "the link's signature stays out of errors")

	fresh, err := c.Calls.Get(ctx, call.ID, &convirza.GetCallParams{Include: []convirza.CallInclude{convirza.IncludeRecordings}})
	require.NoError(t, err)
	require.NotNil(t, fresh.Recording)
	assert.NotEqual(t, call.Recording.URL, fresh.Recording.URL)
	body, err = c.Calls.OpenRecording(ctx, fresh.Recording)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/refresh-token"), "one refresh after the 401")
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/token"), "one login")
}

func TestSMSAgainstFake(t *testing.T) {
	ctx := context.Background()
	c, srv, _ := newClockedClient(t, convirzatest.StandardEmail)

	first, err := c.SMS.List(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, 7, first.Limit)
	var open []convirza.SMSConversation
	for m, err := range c.SMS.All(ctx, nil) {
		require.NoError(t, err)
		open = append(open, m)
	}
	require.Len(t, open, first.Total)
	assert.Greater(t, first.Total, 7, "more than one page")
	assert.Equal(t, (first.Total+6)/7, srv.RequestCount("GET", "/v3/conversations/sms")-1, "All fetched 7 per page")
	for i, m := range open {
		assert.True(t, m.ClosedAt.IsZero(), "allOpen")
		assert.Len(t, m.PhoneNumber, 11)
		assert.Contains(t, []convirza.SMSDirection{convirza.SMSIncoming, convirza.SMSOutgoing}, m.Direction)
		if i > 0 {
			assert.False(t, m.Updated.After(open[i-1].Updated), "most recent first")
		}
	}

	mine, err := c.SMS.List(ctx, &convirza.ListSMSParams{Type: convirza.SMSAssignedToYou, Order: convirza.Ascending})
	require.NoError(t, err)
	require.NotEmpty(t, mine.Items)
	for _, m := range mine.Items {
		assert.Equal(t, convirzatest.StandardUserID, m.UserID)
		assert.Equal(t, "Sam Ortega", m.Agent)
		assert.Positive(t, m.FirstResponseTime)
	}
	closed, err := c.SMS.List(ctx, &convirza.ListSMSParams{Type: convirza.SMSClosed, PageParams: convirza.PageParams{Limit: 200}})
	require.NoError(t, err)
	require.NotEmpty(t, closed.Items)
	for _, m := range closed.Items {
		assert.False(t, m.ClosedAt.IsZero())
	}

	name := open[0].SourceName
	found, err := c.SMS.List(ctx, &convirza.ListSMSParams{Search: strings.ToUpper(name[:5])})
	require.NoError(t, err)
	assert.Positive(t, found.Total)

	_, err = c.SMS.List(ctx, &convirza.ListSMSParams{Search: strings.Repeat("x", 256)})
	assert.ErrorIs(t, err, convirza.ErrInvalidParams)
}
