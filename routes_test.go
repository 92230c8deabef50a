package convirza

import (
	"context"
	"encoding/json"
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
	page := assertSends(t, "GET", "/provisioned-routes", url.Values{
		"limit": {"10"}, "offset": {"20"}, "org_unit_id": {"1001"}, "campaign_id": {"42"}, "status": {"active"},
	}, string(golden(t, "routes/list.json")), "", func(c *Client) (*Page[Route], error) {
		return c.Routes.List(context.Background(), &ListRoutesParams{
			PageParams: PageParams{Limit: 10, Offset: 20}, OrgUnitID: 1001, CampaignID: 42, Status: RouteActive,
		})
	})
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
}

func TestRoutesListAcceptsProvisionedRoutesKey(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/provisioned-routes", 200, envelopeJSON(`{"provisioned_routes":[`+routeJSON+`],"total":1}`))
	page, err := c.Routes.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, int64(9001), page.Items[0].ID)
}

func TestRoutesGetWire(t *testing.T) {
	r := assertGetWire(t, "/provisioned-routes/%d", 9001, envelopeJSON(routeJSON), func(c *Client, id int64) (*Route, error) {
		return c.Routes.Get(context.Background(), id)
	})
	assert.Equal(t, "Spring promo - radio", r.Name)
}

func TestRoutesCreateWire(t *testing.T) {
	// The docs' example body exactly.
	assertWriteWire(t, "POST", "/provisioned-routes", string(golden(t, "routes/create.json")),
		string(golden(t, "routes/create_request.json")), 9001, func(c *Client) (*Created, error) {
			return c.Routes.Create(context.Background(), &CreateRouteParams{
				Name: "Spring promo - radio", PhoneNumberID: 67890, RoutingType: RoutingForward,
				OrgUnitID: 1001, CampaignID: 42, RingTo: "+14255551234", RecordCall: true,
			})
		})
}

func TestRoutesCreateSendsConfigAndDefaults(t *testing.T) {
	// routeId is read too.
	assertWriteWire(t, "POST", "/provisioned-routes", envelopeJSON(`{"routeId":9002}`),
		`{"route_name":"Menu","phone_number_id":12345,"routing_type":"ivr","record_call":false,"whisper_prompt_id":77,
		  "route_config":{"menu":[{"digit":"1","ring_to":"+18015550100"}]},"status":"inactive"}`, 9002, func(c *Client) (*Created, error) {
			return c.Routes.Create(context.Background(), &CreateRouteParams{
				Name: "Menu", PhoneNumberID: 12345, RoutingType: RoutingIVR, WhisperPromptID: 77,
				RouteConfig: json.RawMessage(`{"menu":[{"digit":"1","ring_to":"+18015550100"}]}`), Status: RouteInactive,
			})
		})
}

func TestRoutesCreateConflict(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "POST", "/provisioned-routes", 409, `{"code":409,"message":"Number already has a route"}`)
	_, err := c.Routes.Create(context.Background(), &CreateRouteParams{Name: "x", PhoneNumberID: 1, RoutingType: RoutingHangup})
	assert.ErrorIs(t, err, ErrConflict)
}

func TestRoutesCreateRefusesBadParamsBeforeIO(t *testing.T) {
	ok := CreateRouteParams{Name: "r", PhoneNumberID: 1, RoutingType: RoutingForward, RingTo: "+18015550100"}
	cases := changed(ok, map[string]func(*CreateRouteParams){
		"no name":                func(p *CreateRouteParams) { p.Name = "" },
		"no number":              func(p *CreateRouteParams) { p.PhoneNumberID = 0 },
		"no type":                func(p *CreateRouteParams) { p.RoutingType = "" },
		"forward without ring":   func(p *CreateRouteParams) { p.RingTo = " " },
		"Forward without ring":   func(p *CreateRouteParams) { p.RoutingType, p.RingTo = "Forward", "" },
		"config not an object":   func(p *CreateRouteParams) { p.RouteConfig = json.RawMessage(`[1]`) },
		"config not even JSON":   func(p *CreateRouteParams) { p.RouteConfig = json.RawMessage(`{`) },
		"negative number id":     func(p *CreateRouteParams) { p.PhoneNumberID = -3 },
		"blank name with spaces": func(p *CreateRouteParams) { p.Name = "  " },
	})
	cases["nil"] = nil
	assertRefusedBeforeIO(t, cases, func(c *Client, p *CreateRouteParams) error {
		_, err := c.Routes.Create(context.Background(), p)
		return err
	})
}

func TestRoutesUpdateWire(t *testing.T) {
	assertWriteWire(t, "PUT", "/provisioned-routes/9001", envelopeJSON(routeJSON),
		`{"route_name":"Spring promo - radio","phone_number_id":67890,"routing_type":"forward","ring_to":"+14255551234","record_call":false}`,
		9001, func(c *Client) (*Route, error) {
			return c.Routes.Update(context.Background(), 9001, &UpdateRouteParams{
				Name: "Spring promo - radio", PhoneNumberID: 67890, RoutingType: RoutingForward, RingTo: "+14255551234",
			})
		})

	assertRefusedBeforeIO(t, map[string]withID[UpdateRouteParams]{
		"id 0":                 {0, &UpdateRouteParams{Name: "x", PhoneNumberID: 1, RoutingType: RoutingHangup}},
		"forward without ring": {9001, &UpdateRouteParams{Name: "x", PhoneNumberID: 1, RoutingType: RoutingForward}},
	}, func(c *Client, p withID[UpdateRouteParams]) error {
		_, err := c.Routes.Update(context.Background(), p.id, p.p)
		return err
	})
}

func TestRoutesUpdateRefetchesWhenAnswerHasNoRecord(t *testing.T) {
	assertUpdateRefetches(t, "/provisioned-routes/%d", 9001, `{"provisionedRouteId":9001}`, envelopeJSON(routeJSON), func(c *Client, id int64) (*Route, error) {
		return c.Routes.Update(context.Background(), id, &UpdateRouteParams{Name: "x", PhoneNumberID: 1, RoutingType: RoutingHangup})
	})
}

func TestRoutesPatchWire(t *testing.T) {
	// The docs' example body.
	assertWriteWire(t, "PATCH", "/provisioned-routes/9001", envelopeJSON(routeJSON),
		string(golden(t, "routes/patch_request.json")), 9001, func(c *Client) (*Route, error) {
			return c.Routes.Patch(context.Background(), 9001, &PatchRouteParams{RingTo: Set("+14255559876"), RecordCall: Set(false)})
		})

	// The three states: a value, null, left out.
	assertWriteWire(t, "PATCH", "/provisioned-routes/9001", envelopeJSON(routeJSON),
		`{"routing_type":"round_robin","campaign_id":null,"whisper_prompt_id":null,"route_config":{"agents":[1,2]}}`, 9001, func(c *Client) (*Route, error) {
			return c.Routes.Patch(context.Background(), 9001, &PatchRouteParams{
				RoutingType:     Set(RoutingRoundRobin),
				CampaignID:      Null[int64](),
				WhisperPromptID: Null[int64](),
				RouteConfig:     Set(json.RawMessage(`{"agents": [1, 2]}`)),
			})
		})
}

func TestRoutesPatchRefusesBadParamsBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[PatchRouteParams]{
		"nil":                   {1, nil},
		"empty":                 {1, &PatchRouteParams{}},
		"forward, ring_to null": {1, &PatchRouteParams{RoutingType: Set(RoutingForward), RingTo: Null[string]()}},
		"forward, ring_to ''":   {1, &PatchRouteParams{RoutingType: Set(RoutingForward), RingTo: Set("")}},
		"config not an object":  {1, &PatchRouteParams{RouteConfig: Set(json.RawMessage(`"x"`))}},
		"id -1":                 {-1, &PatchRouteParams{Name: Set("x")}},
	}, func(c *Client, p withID[PatchRouteParams]) error {
		_, err := c.Routes.Patch(context.Background(), p.id, p.p)
		return err
	})

	// Forward alone is left to the server, which knows the current ring_to.
	c, mt := newWireClient(t)
	respond(mt, "PATCH", "/provisioned-routes/1", 200, envelopeJSON(routeJSON))
	_, err := c.Routes.Patch(context.Background(), 1, &PatchRouteParams{RoutingType: Set(RoutingForward)})
	require.NoError(t, err)
}

func TestRoutesDeleteWire(t *testing.T) {
	assertDeleteWire(t, "/provisioned-routes/%d", 9001, string(golden(t, "routes/delete.json")), func(c *Client, id int64) error {
		return c.Routes.Delete(context.Background(), id)
	})
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
	page := decodeGolden[routeList](t, goldenData(t, "routes/list.json"))
	require.Len(t, page.Routes, 1)
	assert.Contains(t, string(page.Routes[0].Raw), `"route_config": {}`)

	assertGoldenIDs(t, 9001, "routes/create.json", "routes/delete.json")

	body := decodeGolden[CreateRouteParams](t, golden(t, "routes/create_request.json"))
	assert.Equal(t, RoutingForward, body.RoutingType)

	patch := golden(t, "routes/patch_request.json")
	pb := decodeGolden[PatchRouteParams](t, patch)
	assertEncodesAs(t, patch, &pb)
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
