package convirza

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// routeJSON is the docs' example route, as Get and the writes return it.
const routeJSON = `{"provisioned_route_id":9001,"org_unit_id":1001,"campaign_id":42,"route_name":"Spring promo - radio",
	"phone_number_id":67890,"phone_number":"9482013920","routing_type":"forward","ring_to":"+14255551234",
	"record_call":true,"whisper_prompt_id":null,"route_config":{},"status":"active",
	"route_created":"2026-01-20T12:34:56.789Z","route_modified":"2026-01-20T12:34:56.789Z"}`

func TestRoutesListWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/provisioned-routes", 200, string(golden(t, "routes/list.json")))

	page, err := c.Routes.List(context.Background(), &ListRoutesParams{
		PageParams: PageParams{Limit: 10, Offset: 20}, OrgUnitID: 1001, CampaignID: 42, Status: RouteActive,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/provisioned-routes", url.Values{
		"limit": {"10"}, "offset": {"20"}, "org_unit_id": {"1001"}, "campaign_id": {"42"}, "status": {"active"},
	}, "")
	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	r := page.Items[0]
	assert.Equal(t, int64(9001), r.ID)
	assert.Equal(t, int64(1001), r.OrgUnitID)
	require.NotNil(t, r.CampaignID)
	assert.Equal(t, int64(42), *r.CampaignID)
	assert.Equal(t, "Spring promo - radio", r.Name)
	assert.Equal(t, int64(67890), r.PhoneNumberID)
	assert.Equal(t, "9482013920", r.PhoneNumber)
	assert.Equal(t, RoutingForward, r.RoutingType)
	assert.Equal(t, "+14255551234", r.RingTo)
	assert.True(t, r.RecordCall)
	assert.Nil(t, r.WhisperPromptID)
	assert.JSONEq(t, `{}`, string(r.RouteConfig))
	assert.Equal(t, RouteActive, r.Status)
	want := time.Date(2026, 1, 20, 12, 34, 56, 789e6, time.UTC)
	assert.True(t, want.Equal(r.Created))
	assert.True(t, want.Equal(r.Modified))

	_, err = c.Routes.List(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/provisioned-routes", url.Values{"limit": {"100"}}, "")
}

func TestRoutesListAcceptsProvisionedRoutesKey(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/provisioned-routes", 200, envelopeJSON(`{"provisioned_routes":[`+routeJSON+`],"total":1}`))
	page, err := c.Routes.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, int64(9001), page.Items[0].ID)
}

func TestRoutesListRefusesBadPagingBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/provisioned-routes", 200, envelopeJSON(`{"routes":[],"total":0}`))
	for name, p := range map[string]*ListRoutesParams{
		"limit 201": {PageParams: PageParams{Limit: 201}},
		"offset -1": {PageParams: PageParams{Offset: -1}},
	} {
		_, err := c.Routes.List(context.Background(), p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	assert.Zero(t, rec.count())
}

func TestRoutesAllWalksEveryPage(t *testing.T) {
	c, mt := newWireClient(t)
	var offsets []string
	mt.RegisterRegexpResponder("GET", regexpFor(testBase+"/provisioned-routes"), func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		offsets = append(offsets, q.Get("offset"))
		assert.Equal(t, "inactive", q.Get("status"))
		body := map[string]string{
			"":  `{"routes":[{"provisioned_route_id":1},{"provisioned_route_id":2}],"total":3}`,
			"2": `{"routes":[{"provisioned_route_id":3}],"total":3}`,
		}[q.Get("offset")]
		return newJSONResponse(200, envelopeJSON(body)), nil
	})
	var ids []int64
	for r, err := range c.Routes.All(context.Background(), &ListRoutesParams{PageParams: PageParams{Limit: 2}, Status: RouteInactive}) {
		require.NoError(t, err)
		ids = append(ids, r.ID)
	}
	assert.Equal(t, []int64{1, 2, 3}, ids)
	assert.Equal(t, []string{"", "2"}, offsets)
}

func TestRoutesGetWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/provisioned-routes/9001", 200, envelopeJSON(routeJSON))
	r, err := c.Routes.Get(context.Background(), 9001)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/provisioned-routes/9001", nil, "")
	assert.Equal(t, int64(9001), r.ID)
	assert.Equal(t, "Spring promo - radio", r.Name)

	_, err = c.Routes.Get(context.Background(), 0)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestRoutesGetNotFound(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/provisioned-routes/5", 404, `{"code":404,"message":"Route not found"}`)
	_, err := c.Routes.Get(context.Background(), 5)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestRoutesCreateWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/provisioned-routes", 200, string(golden(t, "routes/create.json")))
	created, err := c.Routes.Create(context.Background(), &CreateRouteParams{
		Name: "Spring promo - radio", PhoneNumberID: 67890, RoutingType: RoutingForward,
		OrgUnitID: 1001, CampaignID: 42, RingTo: "+14255551234", RecordCall: true,
	})
	require.NoError(t, err)
	// The docs' example body exactly.
	assertWire(t, rec.last(t), "POST", "/provisioned-routes", nil, string(golden(t, "routes/create_request.json")))
	assert.Equal(t, int64(9001), created.ID)
	assert.Equal(t, 1, rec.count(), "a POST is not retried")
}

func TestRoutesCreateSendsConfigAndDefaults(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/provisioned-routes", 200, envelopeJSON(`{"routeId":9002}`))
	created, err := c.Routes.Create(context.Background(), &CreateRouteParams{
		Name: "Menu", PhoneNumberID: 12345, RoutingType: RoutingIVR, WhisperPromptID: 77,
		RouteConfig: json.RawMessage(`{"menu":[{"digit":"1","ring_to":"+18015550100"}]}`), Status: RouteInactive,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "POST", "/provisioned-routes", nil,
		`{"route_name":"Menu","phone_number_id":12345,"routing_type":"ivr","record_call":false,"whisper_prompt_id":77,
		  "route_config":{"menu":[{"digit":"1","ring_to":"+18015550100"}]},"status":"inactive"}`)
	assert.Equal(t, int64(9002), created.ID, "routeId is read too")
}

func TestRoutesCreateConflict(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "POST", "/provisioned-routes", 409, `{"code":409,"message":"Number already has a route"}`)
	_, err := c.Routes.Create(context.Background(), &CreateRouteParams{Name: "x", PhoneNumberID: 1, RoutingType: RoutingHangup})
	assert.ErrorIs(t, err, ErrConflict)
}

func TestRoutesCreateRefusesBadParamsBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/provisioned-routes", 200, envelopeJSON(`{"provisionedRouteId":1}`))
	ok := CreateRouteParams{Name: "r", PhoneNumberID: 1, RoutingType: RoutingForward, RingTo: "+18015550100"}
	for name, mutate := range map[string]func(*CreateRouteParams){
		"no name":                func(p *CreateRouteParams) { p.Name = "" },
		"no number":              func(p *CreateRouteParams) { p.PhoneNumberID = 0 },
		"no type":                func(p *CreateRouteParams) { p.RoutingType = "" },
		"forward without ring":   func(p *CreateRouteParams) { p.RingTo = " " },
		"Forward without ring":   func(p *CreateRouteParams) { p.RoutingType, p.RingTo = "Forward", "" },
		"config not an object":   func(p *CreateRouteParams) { p.RouteConfig = json.RawMessage(`[1]`) },
		"config not even JSON":   func(p *CreateRouteParams) { p.RouteConfig = json.RawMessage(`{`) },
		"negative number id":     func(p *CreateRouteParams) { p.PhoneNumberID = -3 },
		"blank name with spaces": func(p *CreateRouteParams) { p.Name = "  " },
	} {
		p := ok
		mutate(&p)
		_, err := c.Routes.Create(context.Background(), &p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	_, err := c.Routes.Create(context.Background(), nil)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Zero(t, rec.count())
}

func TestRoutesUpdateWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PUT", "/provisioned-routes/9001", 200, envelopeJSON(routeJSON))
	r, err := c.Routes.Update(context.Background(), 9001, &UpdateRouteParams{
		Name: "Spring promo - radio", PhoneNumberID: 67890, RoutingType: RoutingForward, RingTo: "+14255551234",
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PUT", "/provisioned-routes/9001", nil,
		`{"route_name":"Spring promo - radio","phone_number_id":67890,"routing_type":"forward","ring_to":"+14255551234","record_call":false}`)
	assert.Equal(t, int64(9001), r.ID)

	_, err = c.Routes.Update(context.Background(), 0, &UpdateRouteParams{Name: "x", PhoneNumberID: 1, RoutingType: RoutingHangup})
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = c.Routes.Update(context.Background(), 9001, &UpdateRouteParams{Name: "x", PhoneNumberID: 1, RoutingType: RoutingForward})
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestRoutesUpdateRefetchesWhenAnswerHasNoRecord(t *testing.T) {
	c, mt := newWireClient(t)
	put := respond(mt, "PUT", "/provisioned-routes/9001", 200, envelopeJSON(`{"provisionedRouteId":9001}`))
	get := respond(mt, "GET", "/provisioned-routes/9001", 200, envelopeJSON(routeJSON))
	r, err := c.Routes.Update(context.Background(), 9001, &UpdateRouteParams{Name: "x", PhoneNumberID: 1, RoutingType: RoutingHangup})
	require.NoError(t, err)
	assert.Equal(t, 1, put.count())
	assert.Equal(t, 1, get.count())
	assert.Equal(t, "Spring promo - radio", r.Name)
}

func TestRoutesPatchWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PATCH", "/provisioned-routes/9001", 200, envelopeJSON(routeJSON))

	// The docs' example body.
	_, err := c.Routes.Patch(context.Background(), 9001, &PatchRouteParams{
		RingTo: Set("+14255559876"), RecordCall: Set(false),
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PATCH", "/provisioned-routes/9001", nil, string(golden(t, "routes/patch_request.json")))

	// The three states: a value, null, left out.
	r, err := c.Routes.Patch(context.Background(), 9001, &PatchRouteParams{
		RoutingType:     Set(RoutingRoundRobin),
		CampaignID:      Null[int64](),
		WhisperPromptID: Null[int64](),
		RouteConfig:     Set(json.RawMessage(`{"agents": [1, 2]}`)),
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "PATCH", "/provisioned-routes/9001", nil,
		`{"routing_type":"round_robin","campaign_id":null,"whisper_prompt_id":null,"route_config":{"agents":[1,2]}}`)
	assert.Equal(t, int64(9001), r.ID)
	assert.Equal(t, 2, rec.count(), "a PATCH is not retried")
}

func TestRoutesPatchRefusesBadParamsBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "PATCH", "/provisioned-routes/1", 200, envelopeJSON(routeJSON))
	for name, p := range map[string]*PatchRouteParams{
		"nil":                   nil,
		"empty":                 {},
		"forward, ring_to null": {RoutingType: Set(RoutingForward), RingTo: Null[string]()},
		"forward, ring_to ''":   {RoutingType: Set(RoutingForward), RingTo: Set("")},
		"config not an object":  {RouteConfig: Set(json.RawMessage(`"x"`))},
	} {
		_, err := c.Routes.Patch(context.Background(), 1, p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	_, err := c.Routes.Patch(context.Background(), -1, &PatchRouteParams{Name: Set("x")})
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Zero(t, rec.count())

	// Forward alone is left to the server, which knows the current ring_to.
	_, err = c.Routes.Patch(context.Background(), 1, &PatchRouteParams{RoutingType: Set(RoutingForward)})
	require.NoError(t, err)
}

func TestRoutesDeleteWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "DELETE", "/provisioned-routes/9001", 200, string(golden(t, "routes/delete.json")))
	require.NoError(t, c.Routes.Delete(context.Background(), 9001))
	assertWire(t, rec.last(t), "DELETE", "/provisioned-routes/9001", nil, "")
	assert.ErrorIs(t, c.Routes.Delete(context.Background(), 0), ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestRoutingTypeIs(t *testing.T) {
	assert.True(t, RoutingType("Round robin").Is(RoutingRoundRobin))
	assert.True(t, RoutingType("round-robin").Is(RoutingRoundRobin))
	assert.True(t, RoutingType("IVR").Is(RoutingIVR))
	assert.True(t, RoutingType(" Forward ").Is(RoutingForward))
	assert.False(t, RoutingType("forward").Is(RoutingHangup))
	assert.False(t, RoutingType("roundrobin").Is(RoutingRoundRobin))
}

func TestRoutesGolden(t *testing.T) {
	list := goldenData(t, "routes/list.json")
	var page listData[Route]
	require.NoError(t, jsonUnmarshal(list, &page))
	require.Len(t, page.Routes, 1)
	assertKnownFields(t, list, listData[Route]{})
	assert.Contains(t, string(page.Routes[0].Raw), `"route_config": {}`)

	for _, name := range []string{"routes/create.json", "routes/delete.json"} {
		var c Created
		require.NoError(t, jsonUnmarshal(goldenData(t, name), &c))
		assert.Equal(t, int64(9001), c.ID, name)
	}

	req := golden(t, "routes/create_request.json")
	var body CreateRouteParams
	require.NoError(t, jsonUnmarshal(req, &body))
	assertKnownFields(t, req, body)
	assert.Equal(t, RoutingForward, body.RoutingType)

	patch := golden(t, "routes/patch_request.json")
	var pb PatchRouteParams
	require.NoError(t, jsonUnmarshal(patch, &pb))
	assertKnownFields(t, patch, pb)
	out, err := json.Marshal(&pb)
	require.NoError(t, err)
	assert.JSONEq(t, string(patch), string(out))
}

func TestRouteToleratesDrift(t *testing.T) {
	var r Route
	require.NoError(t, jsonUnmarshal([]byte(`{"provisioned_route_id":"9001","campaign_id":"42","routing_type":"Round robin",
		"record_call":"Yes","ring_to":null,"route_config":{"weights":[50,50]},"route_created":"2026-01-20 12:34:56","extra":1}`), &r))
	assert.Equal(t, int64(9001), r.ID)
	require.NotNil(t, r.CampaignID)
	assert.Equal(t, int64(42), *r.CampaignID)
	assert.True(t, r.RoutingType.Is(RoutingRoundRobin))
	assert.Equal(t, RoutingType("Round robin"), r.RoutingType, "kept as sent")
	assert.True(t, r.RecordCall)
	assert.Empty(t, r.RingTo)
	assert.JSONEq(t, `{"weights":[50,50]}`, string(r.RouteConfig))
	assert.Equal(t, 2026, r.Created.Year())
	assert.Contains(t, string(r.Raw), `"extra"`)
}
