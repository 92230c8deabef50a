package convirza

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallsListWire(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	page := assertSends(t, "GET", "/conversations/calls", url.Values{
		"limit": {"50"}, "offset": {"100"},
		"start": {"2026-01-01T00:00:00Z"}, "end": {"2026-02-01T00:00:00Z"},
		"call_id": {"555001"}, "org_unit_id": {"1001"}, "campaign_id": {"42"}, "provisioned_route_id": {"9001"},
		"disposition": {"ANSWERED,NO ANSWER"},
		"caller_id":   {"+15551234567"}, "phone_number": {"+19482013920"}, "ring_to": {"+14255551234"},
		"include": {"tags,recordings"},
	}, string(golden(t, "conversations/calls_list.json")), "", func(c *Client) (*Page[Call], error) {
		return c.Calls.List(context.Background(), &ListCallsParams{
			PageParams: PageParams{Limit: 50, Offset: 100},
			Start:      start, End: start.Add(MaxCallsWindow),
			CallID: 555001, OrgUnitID: 1001, CampaignID: 42, ProvisionedRouteID: 9001,
			Dispositions: []Disposition{DispositionAnswered, DispositionNoAnswer},
			CallerID:     "+15551234567", PhoneNumber: "+19482013920", RingTo: "+14255551234",
			Include: []CallInclude{IncludeTags, IncludeRecordings},
		})
	})

	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	call := page.Items[0]
	assert.Equal(t, int64(555001), call.ID)
	assert.Equal(t, int64(1001), call.OrgUnitID)
	assert.Equal(t, int64(42), call.CampaignID)
	assert.Equal(t, int64(9001), call.ProvisionedRouteID)
	assert.Equal(t, "+15551234567", call.CallerID)
	assert.Equal(t, "+19482013920", call.PhoneNumber)
	assert.Equal(t, "+14255551234", call.RingTo)
	assert.Equal(t, DispositionAnswered, call.Disposition)
	assert.Equal(t, Duration(3*time.Minute+21*time.Second), call.Duration)
	assert.Equal(t, time.Date(2026, 1, 20, 12, 30, 0, 0, time.UTC), call.Started)
	require.Len(t, call.Tags, 1)
	assert.Equal(t, int64(11), call.Tags[0].ID)
	assert.Equal(t, "Qualified lead", call.Tags[0].Name)
	require.NotNil(t, call.Recording)
	assert.Equal(t, "https://recordings.example.com/555001.mp3?signature=abc", call.Recording.URL)
	assert.True(t, time.Unix(1769517296, 0).Equal(call.Recording.ExpiresAt.Time))
	assert.False(t, call.Recording.Expired(time.Unix(1769517295, 0)))
	assert.True(t, call.Recording.Expired(time.Unix(1769517296, 0)))
	assert.Nil(t, call.Comments, "not asked for")
	assert.Contains(t, string(call.Raw), `"call_started": "2026-01-20T12:30:00.000Z"`)
}

func TestCallsListSendsOnlyWhatIsSet(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/conversations/calls", 200, envelopeJSON(`{"calls":[],"total":0}`))
	start := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second).In(time.FixedZone("EST", -5*3600))

	// Only start: the window ends now; empty lists mean no filter.
	page, err := c.Calls.List(context.Background(), &ListCallsParams{
		PageParams: PageParams{Limit: 1}, Start: start,
		Dispositions: []Disposition{}, Include: []CallInclude{},
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/conversations/calls",
		url.Values{"limit": {"1"}, "start": {start.UTC().Format(time.RFC3339)}}, "")
	assert.NotNil(t, page.Items)
	assert.Empty(t, page.Items)

	// Only end: likewise; a window that starts long ago is not refused here.
	_, err = c.Calls.List(context.Background(), &ListCallsParams{PageParams: PageParams{Limit: 200}, End: start})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/conversations/calls",
		url.Values{"limit": {"200"}, "end": {start.UTC().Format(time.RFC3339)}}, "")
}

func TestCallsListRefusesBadInputBeforeIO(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := PageParams{Limit: 10}
	assertRefusedBeforeIO(t, map[string]*ListCallsParams{
		"window 31 days + 1s":  {PageParams: lim, Start: start, End: start.Add(MaxCallsWindow + time.Second)},
		"end equals start":     {PageParams: lim, Start: start, End: start},
		"end before start":     {PageParams: lim, Start: start, End: start.Add(-time.Minute)},
		"unknown disposition":  {PageParams: lim, Dispositions: []Disposition{"NO_ANSWER"}},
		"unknown include":      {PageParams: lim, Include: []CallInclude{IncludeTags, "recording"}},
		"negative org unit id": {PageParams: lim, OrgUnitID: -1},
		"negative call id":     {PageParams: lim, CallID: -3},
	}, func(c *Client, p *ListCallsParams) error {
		_, err := c.Calls.List(context.Background(), p)
		return err
	})

	// The boundaries themselves are accepted.
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/conversations/calls", 200, envelopeJSON(`{"calls":[],"total":0}`))
	_, err := c.Calls.List(context.Background(), &ListCallsParams{PageParams: lim, Start: start, End: start.Add(MaxCallsWindow)})
	require.NoError(t, err)
	_, err = c.Calls.List(context.Background(), &ListCallsParams{PageParams: lim, Start: start, End: start.Add(time.Nanosecond)})
	require.NoError(t, err)
	assert.Equal(t, 2, rec.count())
}

func TestCallsListAcceptsSingularKey(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/conversations/calls", 200, envelopeJSON(`{"call":[{"call_id":"7","duration":"01:00:01"}],"total":1}`))
	page, err := c.Calls.List(context.Background(), &ListCallsParams{PageParams: PageParams{Limit: 1}, CallID: 7})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, int64(7), page.Items[0].ID)
	assert.Equal(t, Duration(time.Hour+time.Second), page.Items[0].Duration)
}

func TestCallsListForbiddenOrgUnit(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/conversations/calls", 403,
		`{"code":403,"message":"org_unit_id is outside your hierarchy","request_id":"r-403"}`)
	_, err := c.Calls.List(context.Background(), &ListCallsParams{PageParams: PageParams{Limit: 5}, OrgUnitID: 2001})
	assert.ErrorIs(t, err, ErrForbidden)
	assert.Equal(t, 1, rec.count(), "a 403 is not retried")
}

func TestCallsGetWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/conversations/calls/555001", 200, envelopeJSON(`{
		"call_id": 555001, "org_unit_id": 1001, "campaign_id": null, "provisioned_route_id": null,
		"caller_id": "+15551234567", "phone_number": "+19482013920", "ring_to": null,
		"disposition": "VOICEMAIL", "duration": "00:00:42", "call_started": "2026-01-20T12:30:00.000Z",
		"comments": [{"comment": "Call back Monday", "ct_user_id": 10001, "comment_created": "2026-01-20T12:40:00.000Z"}],
		"custom_sources": {"utm_source": "google", "utm_campaign": "spring"},
		"call_flow": {"type": "ivr", "steps": [1, 2]},
		"recording_details": null,
		"transcription": "Hello, I'd like a quote."}`))
	call, err := c.Calls.Get(context.Background(), 555001, &GetCallParams{
		Include: []CallInclude{IncludeComments, IncludeCustomSources, IncludeCallFlow, IncludeRecordings, IncludeTranscription},
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/conversations/calls/555001",
		url.Values{"include": {"comments,custom_sources,call_flow,recordings,transcription"}}, "")
	assert.Equal(t, int64(555001), call.ID)
	assert.Zero(t, call.CampaignID)
	assert.Empty(t, call.RingTo)
	assert.Equal(t, DispositionVoicemail, call.Disposition)
	assert.Equal(t, Duration(42*time.Second), call.Duration)
	require.Len(t, call.Comments, 1)
	assert.Equal(t, "Call back Monday", call.Comments[0].Comment)
	assert.Equal(t, int64(10001), call.Comments[0].UserID)
	assert.Equal(t, time.Date(2026, 1, 20, 12, 40, 0, 0, time.UTC), call.Comments[0].Created)
	assert.Equal(t, map[string]string{"utm_source": "google", "utm_campaign": "spring"}, call.CustomSources)
	assert.JSONEq(t, `{"type":"ivr","steps":[1,2]}`, string(call.CallFlow))
	assert.Nil(t, call.Recording, "no recording")
	assert.Equal(t, "Hello, I'd like a quote.", call.Transcription)

	// nil params: no query at all.
	_, err = c.Calls.Get(context.Background(), 555001, nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/conversations/calls/555001", nil, "")
}

func TestCallsGetRefusesBadInputBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[GetCallParams]{
		"id 0":              {0, nil},
		"unknown expansion": {1, &GetCallParams{Include: []CallInclude{"everything"}}},
	}, func(c *Client, p withID[GetCallParams]) error {
		_, err := c.Calls.Get(context.Background(), p.id, p.p)
		return err
	})
}

// A 410 from any call is ErrGone, with the server's message.
func TestCallsGoneIsErrGone(t *testing.T) {
	c, mt := newWireClient(t)
	const msg = "Recording URL has expired. Please re-fetch the call to get a fresh link."
	rec := respond(mt, "GET", "/conversations/calls/9", 410, `{"code":410,"message":"`+msg+`","request_id":"r-410"}`)
	_, err := c.Calls.Get(context.Background(), 9, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrGone)
	assert.NotErrorIs(t, err, ErrNotFound)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, http.StatusGone, apiErr.StatusCode)
	assert.Equal(t, msg, apiErr.Message)
	assert.Equal(t, 1, rec.count(), "a 410 is not retried")
}

const testRecordingURL = "https://recordings.example.com/555001.mp3"

func TestCallsOpenRecording(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", testRecordingURL, 200, "ID3-audio-bytes")
	body, err := c.Calls.OpenRecording(context.Background(), &Recording{URL: testRecordingURL + "?signature=abc"})
	require.NoError(t, err)
	audio, err := io.ReadAll(body)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	assert.Equal(t, "ID3-audio-bytes", string(audio))

	got := rec.last(t)
	assert.Equal(t, "GET", got.Method)
	assert.Equal(t, "/555001.mp3", got.Path)
	assert.Equal(t, url.Values{"signature": {"abc"}}, got.Query, "the signed query is sent as given")
	assert.Empty(t, got.Header.Get("Authorization"), "the signed link carries its own authorisation")
	assert.Equal(t, "*/*", got.Header.Get("Accept"))
}

func TestCallsOpenRecordingExpired(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", testRecordingURL, 410,
		`{"code":410,"message":"Recording URL has expired. Please re-fetch the call to get a fresh link."}`)
	body, err := c.Calls.OpenRecording(context.Background(), &Recording{URL: testRecordingURL + "?signature=secret-sig"})
	assert.Nil(t, body)
	assert.ErrorIs(t, err, ErrGone)
	assert.Contains(t, err.Error(), "GET /555001.mp3: 410 Gone")
	assert.NotContains(t, err.Error(), "secret-sig", "the signature stays out of errors")
}

func TestCallsOpenRecordingRefusesBadLinksBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]*Recording{
		"nil":         nil,
		"empty":       {},
		"relative":    {URL: "/1.mp3"},
		"plain http":  {URL: "http://recordings.example.com/1.mp3"},
		"other":       {URL: "ftp://recordings.example.com/1.mp3"},
		"unparseable": {URL: "https://%zz"},
	}, func(c *Client, r *Recording) error {
		_, err := c.Calls.OpenRecording(context.Background(), r)
		return err
	})
}

func TestCallToleratesDrift(t *testing.T) {
	var call Call
	require.NoError(t, jsonUnmarshal([]byte(`{"call_id":"555001","org_unit_id":"1001","duration":201,
		"call_started":"2026-01-20 12:30:00","recording_details":{"url":"u","expires_at":"1769517296"},
		"tags":[{"id":4,"name":"Hot"}],"brand_new":true}`), &call))
	assert.Equal(t, int64(555001), call.ID)
	assert.Equal(t, int64(1001), call.OrgUnitID)
	assert.Equal(t, Duration(201*time.Second), call.Duration)
	assert.Equal(t, 2026, call.Started.Year())
	require.NotNil(t, call.Recording)
	assert.Equal(t, int64(1769517296), call.Recording.ExpiresAt.Unix())
	require.Len(t, call.Tags, 1)
	assert.Equal(t, Tag{ID: 4, Name: "Hot", Raw: call.Tags[0].Raw}, call.Tags[0])
	assert.Contains(t, string(call.Raw), "brand_new")

	for _, d := range []string{`null`, `""`} {
		var c Call
		require.NoError(t, jsonUnmarshal([]byte(`{"call_id":1,"duration":`+d+`}`), &c))
		assert.Zero(t, c.Duration, d)
	}
}

func TestSMSListWire(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	page := assertSends(t, "GET", "/conversations/sms", url.Values{
		"limit": {"20"}, "offset": {"40"}, "type": {"close"}, "search": {"801 555"}, "order": {"asc"},
		"start": {"2026-03-01T00:00:00Z"}, "end": {"2026-05-01T00:00:00Z"},
	}, string(golden(t, "conversations/sms_list.json")), "", func(c *Client) (*Page[SMSConversation], error) {
		return c.SMS.List(context.Background(), &ListSMSParams{
			PageParams: PageParams{Limit: 20, Offset: 40},
			Type:       SMSClosed, Search: "801 555", Order: Ascending,
			Start: start, End: start.AddDate(0, 2, 0),
		})
	})

	assert.Equal(t, 42, page.Total)
	require.Len(t, page.Items, 1)
	m := page.Items[0]
	assert.Equal(t, int64(987654), m.ID)
	assert.Equal(t, "18015557654", m.PhoneNumber)
	assert.Equal(t, Duration(3*time.Minute+21*time.Second), m.FirstResponseTime)
	assert.Equal(t, Duration(4*time.Minute+15*time.Second), m.AvgResponseTime)
	assert.Equal(t, SMSIncoming, m.Direction)
	assert.Equal(t, time.Date(2026, 3, 5, 10, 30, 0, 0, time.UTC), m.Started)
	assert.Equal(t, time.Date(2026, 3, 5, 10, 35, 0, 0, time.UTC), m.Updated)
	assert.Equal(t, "18015551234", m.Source)
	assert.Equal(t, "John Doe", m.SourceName)
	assert.Equal(t, ConversationUnread, m.Status)
	assert.Equal(t, int64(501), m.UserID)
	assert.True(t, m.Pin)
	assert.Equal(t, "Can you call me back?", m.Message)
	assert.Equal(t, 2, m.UnreadCount)
	assert.Equal(t, "John Doe", m.Agent)
	assert.Equal(t, time.Date(2026, 3, 5, 11, 0, 0, 0, time.UTC), m.ClosedAt)
}

// The longest search allowed is counted in characters, not bytes. (The
// default limit, 7, is checked in paging_test.go.)
func TestSMSListLongestSearch(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/conversations/sms", 200, envelopeJSON(`{"total":0,"conversation":[]}`))
	search := strings.Repeat("é", MaxSMSSearch)
	_, err := c.SMS.List(context.Background(), &ListSMSParams{Search: search})
	require.NoError(t, err)
	assert.Equal(t, search, rec.last(t).Query.Get("search"))
}

func TestSMSListRefusesBadInputBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]*ListSMSParams{
		"search 256":  {Search: strings.Repeat("a", MaxSMSSearch+1)},
		"type closed": {Type: "closed"},
		"order up":    {Order: "up"},
	}, func(c *Client, p *ListSMSParams) error {
		_, err := c.SMS.List(context.Background(), p)
		return err
	})
}

func TestSMSToleratesNulls(t *testing.T) {
	var m SMSConversation
	require.NoError(t, jsonUnmarshal([]byte(`{"conversation_id":"5","first_response_time":null,
		"avg_response_time":"","ct_user_id":null,"agent":null,"closed_at":null,"source_name":null,"pin":"true"}`), &m))
	assert.Equal(t, int64(5), m.ID)
	assert.Zero(t, m.FirstResponseTime)
	assert.Zero(t, m.AvgResponseTime)
	assert.Zero(t, m.UserID)
	assert.True(t, m.ClosedAt.IsZero())
	assert.True(t, m.Pin)
}

func TestConversationsGolden(t *testing.T) {
	cp := decodeGolden[callList](t, goldenData(t, "conversations/calls_list.json"))
	require.Len(t, cp.Calls, 1)

	sp := decodeGolden[smsList](t, goldenData(t, "conversations/sms_list.json"))
	require.Len(t, sp.Conversations, 1)
	assert.Equal(t, 42, sp.Total)
}

// TestCallsAllWalksLongWindows asks All for 75 days of calls from a server
// that counts both window edges in (the API does not say which it counts),
// and checks the windows sent and that every call comes once.
func TestCallsAllWalksLongWindows(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(75 * 24 * time.Hour)
	// A call every 6 hours, the first at start, one exactly on each edge
	// between windows, and one at end itself (outside the span).
	var started []time.Time
	for at := start; !at.After(end); at = at.Add(6 * time.Hour) {
		started = append(started, at)
	}
	c, mt := newWireClient(t)
	rec := respondWith(mt, "GET", "/conversations/calls", func(r wireRequest) (int, string) {
		from, _ := time.Parse(time.RFC3339, r.Query.Get("start"))
		to, _ := time.Parse(time.RFC3339, r.Query.Get("end"))
		var in []string
		for i, at := range started {
			if !at.Before(from) && !at.After(to) { // both edges included
				in = append(in, fmt.Sprintf(`{"call_id":%d,"call_started":%q}`, i+1, at.Format(time.RFC3339)))
			}
		}
		var limit, offset int
		fmt.Sscan(r.Query.Get("limit"), &limit)
		fmt.Sscan(r.Query.Get("offset"), &offset)
		page := in[min(offset, len(in)):min(offset+limit, len(in))]
		return 200, envelopeJSON(fmt.Sprintf(`{"calls":[%s],"total":%d}`, strings.Join(page, ","), len(in)))
	})

	var ids []int64
	for call, err := range c.Calls.All(context.Background(), &ListCallsParams{
		PageParams: PageParams{Limit: 50}, Start: start, End: end,
	}) {
		require.NoError(t, err)
		ids = append(ids, call.ID)
	}

	// Every call of [start, end) once: the one at end is the next span's.
	want := make([]int64, len(started)-1)
	for i := range want {
		want[i] = int64(i + 1)
	}
	assert.ElementsMatch(t, want, ids)
	assert.Len(t, ids, 300)

	// Three windows, oldest first, each edge shared, none over 31 days,
	// each paged with offsets from 0.
	type window struct{ start, end string }
	var windows []window
	for _, r := range rec.requests() {
		assert.Equal(t, "50", r.Query.Get("limit"))
		w := window{r.Query.Get("start"), r.Query.Get("end")}
		if r.Query.Get("offset") == "" {
			windows = append(windows, w)
		}
	}
	day := func(d int) string { return start.Add(time.Duration(d) * 24 * time.Hour).Format(time.RFC3339) }
	assert.Equal(t, []window{{day(0), day(31)}, {day(31), day(62)}, {day(62), day(75)}}, windows)
	// 125, 125 and 53 calls a window (both edges in): 3+3+2 pages.
	assert.Equal(t, 8, rec.count())
}

func TestSplitCallsWindow(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	day := 24 * time.Hour

	w := SplitCallsWindow(start, start.Add(MaxCallsWindow))
	assert.Equal(t, []CallsWindow{{start, start.Add(MaxCallsWindow)}}, w, "31 days is one window")

	w = SplitCallsWindow(start, start.Add(MaxCallsWindow+time.Second))
	require.Len(t, w, 2)
	assert.Equal(t, CallsWindow{start.Add(MaxCallsWindow), start.Add(MaxCallsWindow + time.Second)}, w[1])

	// Sub-second times widen to whole seconds: nothing of the span is lost.
	w = SplitCallsWindow(start.Add(300*time.Millisecond), start.Add(day+700*time.Millisecond))
	assert.Equal(t, []CallsWindow{{start, start.Add(day + time.Second)}}, w)

	// A zero end is now.
	w = SplitCallsWindow(time.Now().Add(-40*day), time.Time{})
	require.Len(t, w, 2)
	assert.WithinDuration(t, time.Now(), w[1].End, 2*time.Second)

	assert.Empty(t, SplitCallsWindow(start, start))
	assert.Empty(t, SplitCallsWindow(start, start.Add(-time.Hour)))
}

func TestCallsAllRefusesBadWindowsBeforeIO(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, p := range map[string]*ListCallsParams{
		"no limit":         {Start: start, End: start.Add(90 * 24 * time.Hour)},
		"end before start": {PageParams: PageParams{Limit: 10}, Start: start, End: start.Add(-time.Hour)},
		"end equals start": {PageParams: PageParams{Limit: 10}, Start: start, End: start},
		"bad disposition":  {PageParams: PageParams{Limit: 10}, Start: start, End: start.Add(90 * 24 * time.Hour), Dispositions: []Disposition{"MISSED"}},
	} {
		t.Run(name, func(t *testing.T) {
			c, mt := newWireClient(t)
			rec := respond(mt, "GET", "/conversations/calls", 200, envelopeJSON(`{"calls":[],"total":0}`))
			n := 0
			for _, err := range c.Calls.All(context.Background(), p) {
				n++
				assert.ErrorIs(t, err, ErrInvalidParams)
			}
			assert.Equal(t, 1, n, "one error, then the loop ends")
			assert.Equal(t, 0, rec.count())
		})
	}
}

// TestCallsAllMatchesListWindowByWindow compares All over 70 days of the
// fake's history with List called on each window of SplitCallsWindow.
func TestCallsAllMatchesListWindowByWindow(t *testing.T) {
	srv := convirzatest.NewServer(t)
	now := srv.Fake.Now()
	var calls []string
	for i := range 150 {
		at := now.Add(-time.Duration(i) * 11 * time.Hour).Truncate(time.Second)
		calls = append(calls, fmt.Sprintf(`{"id":%d,"org_unit_id":%d,"caller_id":"+18015550100","phone_number":"+19482013920","disposition":"ANSWERED","seconds":60,"started":%q}`,
			900000+i, convirzatest.AccountOrgUnitID, at.Format(time.RFC3339)))
	}
	require.NoError(t, srv.Fake.LoadSeed([]byte(`{"calls":[`+strings.Join(calls, ",")+`]}`)))
	c := fakeClientAs(t, srv, convirzatest.AdminEmail)
	ctx := context.Background()
	start := now.Add(-70 * 24 * time.Hour)

	var all []int64
	for call, err := range c.Calls.All(ctx, &ListCallsParams{PageParams: PageParams{Limit: 37}, Start: start}) {
		require.NoError(t, err)
		all = append(all, call.ID)
	}
	var byWindow []int64
	windows := SplitCallsWindow(start, time.Time{})
	require.Len(t, windows, 3)
	for _, w := range windows {
		page, err := c.Calls.List(ctx, &ListCallsParams{PageParams: PageParams{Limit: 200}, Start: w.Start, End: w.End})
		require.NoError(t, err)
		require.False(t, page.HasMore())
		for _, call := range page.Items {
			byWindow = append(byWindow, call.ID)
		}
	}
	assert.Equal(t, byWindow, all, "the same calls in the same order")
	assert.GreaterOrEqual(t, len(all), 150, "every call loaded, and the built-in seed's")
}
