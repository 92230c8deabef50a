package convirza

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strings"
	"time"
)

// Paths of the Provisioned Routes operations.
const (
	routesPath = "/provisioned-routes"
	routePath  = "/provisioned-routes/%v"
)

// RoutesService manages provisioned routes: the call routing attached to a
// reserved tracking number. Creating a route provisions its number;
// deleting it returns the number to "reserved" (it is not released).
// Admin and Standard users may write; ReadOnly users only read.
type RoutesService struct{ c *Client }

// RoutingType is how a route handles a call. The set is open: the server
// may send display forms ("Round robin", "IVR") or types added later, which
// are kept as sent; compare with Is.
type RoutingType string

// The routing types of Convirza's product docs, in the spelling the SDK
// sends.
const (
	RoutingForward      RoutingType = "forward"
	RoutingIVR          RoutingType = "ivr"
	RoutingGeoroute     RoutingType = "georoute"
	RoutingSimultaneous RoutingType = "simultaneous"
	RoutingPercentage   RoutingType = "percentage"
	RoutingHangup       RoutingType = "hangup"
	RoutingSchedule     RoutingType = "schedule"
	RoutingVoicemail    RoutingType = "voicemail"
	RoutingOutbound     RoutingType = "outbound"
	RoutingRoundRobin   RoutingType = "round_robin"
)

// Is reports whether t and u name the same routing type, ignoring case and
// reading spaces and hyphens as underscores, so that the display form
// "Round robin" is RoutingRoundRobin.
func (t RoutingType) Is(u RoutingType) bool { return t.canonical() == u.canonical() }

func (t RoutingType) canonical() string {
	return strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(string(t))))
}

// RouteStatus is whether a route takes calls. Unknown values are kept as
// sent.
type RouteStatus string

// The route statuses.
const (
	RouteActive   RouteStatus = "active"
	RouteInactive RouteStatus = "inactive"
)

// Route is a provisioned route.
type Route struct {
	ID        int64 `json:"provisioned_route_id"`
	OrgUnitID int64 `json:"org_unit_id"`
	// CampaignID is nil when the route belongs to no campaign.
	CampaignID *int64 `json:"campaign_id"`
	Name       string `json:"route_name"`
	// PhoneNumberID is the number the route uses (PhoneNumber.ID).
	PhoneNumberID int64 `json:"phone_number_id"`
	// PhoneNumber is a read-only copy of the number, as the API writes it.
	PhoneNumber string      `json:"phone_number"`
	RoutingType RoutingType `json:"routing_type"`
	// RingTo is the destination of a forward route ("" when null).
	RingTo     string `json:"ring_to"`
	RecordCall bool   `json:"record_call"`
	// WhisperPromptID is a media prompt of type whisper, or nil.
	WhisperPromptID *int64 `json:"whisper_prompt_id"`
	// RouteConfig holds the settings of the routing type (IVR menu,
	// schedule, percentages, geo rules), whose shape the API leaves open:
	// it is kept as raw JSON.
	RouteConfig json.RawMessage `json:"route_config"`
	Status      RouteStatus     `json:"status"`
	Created     time.Time       `json:"route_created"`
	Modified    time.Time       `json:"route_modified"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (r *Route) UnmarshalJSON(b []byte) error {
	type alias Route
	return decodeModel(b, (*alias)(r), &r.Raw)
}

func (r *Route) hasID() bool { return r.ID != 0 }

// ListRoutesParams filters List. The zero value lists the routes of the
// caller's org unit and of every unit below it.
type ListRoutesParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the caller's).
	OrgUnitID  int64       `url:"org_unit_id,omitempty"`
	CampaignID int64       `url:"campaign_id,omitempty"`
	Status     RouteStatus `url:"status,omitempty"`
}

// List returns one page of routes (100 by default).
//
// Convirza API: GET /provisioned-routes
func (s *RoutesService) List(ctx context.Context, params *ListRoutesParams, opts ...RequestOption) (*Page[Route], error) {
	return listPage[Route, routeList](ctx, s.c, routesPath, params, 100, opts)
}

// All returns every route that params matches, fetching pages as the loop
// goes. It stops at the first error, which it yields.
func (s *RoutesService) All(ctx context.Context, params *ListRoutesParams, opts ...RequestOption) iter.Seq2[Route, error] {
	return all(ctx, params, func(ctx context.Context, p *ListRoutesParams) (*Page[Route], error) {
		return s.List(ctx, p, opts...)
	})
}

// Get returns a route.
//
// Convirza API: GET /provisioned-routes/{id}
func (s *RoutesService) Get(ctx context.Context, id int64, opts ...RequestOption) (*Route, error) {
	return getByID[Route](ctx, s.c, "route", routePath, id, opts)
}

// CreateRouteParams is a new route. Name, PhoneNumberID and RoutingType are
// required, and a forward route needs RingTo.
type CreateRouteParams struct {
	Name string `json:"route_name"`
	// PhoneNumberID is a reserved number (PhoneNumber.ID) held by the
	// caller's hierarchy and used by no other route.
	PhoneNumberID int64       `json:"phone_number_id"`
	RoutingType   RoutingType `json:"routing_type"`
	// OrgUnitID defaults to the number's org unit.
	OrgUnitID  int64 `json:"org_unit_id,omitempty"`
	CampaignID int64 `json:"campaign_id,omitempty"`
	// RingTo is the destination number, required by RoutingForward.
	RingTo     string `json:"ring_to,omitempty"`
	RecordCall bool   `json:"record_call"`
	// WhisperPromptID is a media prompt of type whisper.
	WhisperPromptID int64 `json:"whisper_prompt_id,omitempty"`
	// RouteConfig is the routing type's settings, a JSON object sent as is.
	RouteConfig json.RawMessage `json:"route_config,omitempty"`
	// Status defaults to RouteActive.
	Status RouteStatus `json:"status,omitempty"`
}

// UpdateRouteParams is the full replacement of a route: the fields of
// CreateRouteParams, with the same required ones. A new PhoneNumberID moves
// the route to that number, and the old one returns to "reserved".
type UpdateRouteParams = CreateRouteParams

func (p *CreateRouteParams) validate() error {
	if p == nil {
		return invalidf("route params are required")
	}
	var missing []string
	if strings.TrimSpace(p.Name) == "" {
		missing = append(missing, "Name")
	}
	if p.PhoneNumberID <= 0 {
		missing = append(missing, "PhoneNumberID")
	}
	if strings.TrimSpace(string(p.RoutingType)) == "" {
		missing = append(missing, "RoutingType")
	}
	if p.RoutingType.Is(RoutingForward) && strings.TrimSpace(p.RingTo) == "" {
		missing = append(missing, "RingTo (a forward route)")
	}
	if len(missing) > 0 {
		return invalidf("route needs %s", strings.Join(missing, ", "))
	}
	return checkRouteConfig(p.RouteConfig)
}

// checkRouteConfig refuses settings that are not a JSON object (or null).
func checkRouteConfig(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return invalidf("route config must be a JSON object: %v", err)
	}
	return nil
}

// Create provisions a reserved number with a route and returns the route's
// id; the number becomes "provisioned". A number that already has a route
// is an error matching ErrConflict.
//
// Convirza API: POST /provisioned-routes
func (s *RoutesService) Create(ctx context.Context, params *CreateRouteParams, opts ...RequestOption) (*Created, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return create(ctx, s.c, &request{method: http.MethodPost, path: routesPath, body: params}, opts)
}

// Update replaces a route and returns it.
//
// Convirza API: PUT /provisioned-routes/{id}
func (s *RoutesService) Update(ctx context.Context, id int64, params *UpdateRouteParams, opts ...RequestOption) (*Route, error) {
	if err := requireID("route", id); err != nil {
		return nil, err
	}
	if err := params.validate(); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPut, path: pathf(routePath, id), body: params}
	return update(ctx, s.c, r, (*Route).hasID, opts)
}

// PatchRouteParams changes some fields of a route: each field is left out
// (the zero value), set with Set, or cleared with Null. RouteConfig, when
// set, replaces the whole object.
type PatchRouteParams struct {
	Name            Optional[string]          `json:"route_name,omitzero"`
	PhoneNumberID   Optional[int64]           `json:"phone_number_id,omitzero"`
	RoutingType     Optional[RoutingType]     `json:"routing_type,omitzero"`
	OrgUnitID       Optional[int64]           `json:"org_unit_id,omitzero"`
	CampaignID      Optional[int64]           `json:"campaign_id,omitzero"`
	RingTo          Optional[string]          `json:"ring_to,omitzero"`
	RecordCall      Optional[bool]            `json:"record_call,omitzero"`
	WhisperPromptID Optional[int64]           `json:"whisper_prompt_id,omitzero"`
	RouteConfig     Optional[json.RawMessage] `json:"route_config,omitzero"`
	Status          Optional[RouteStatus]     `json:"status,omitzero"`
}

func (p *PatchRouteParams) validate() error {
	if err := requirePatch(p); err != nil {
		return err
	}
	if t, ok := p.RoutingType.Get(); ok && t.Is(RoutingForward) {
		if to, _ := p.RingTo.Get(); p.RingTo.IsNull() || (!p.RingTo.IsZero() && strings.TrimSpace(to) == "") {
			return invalidf("a forward route needs RingTo")
		}
	}
	if cfg, ok := p.RouteConfig.Get(); ok {
		return checkRouteConfig(cfg)
	}
	return nil
}

// Patch changes the fields of a route that params sets, and returns the
// route.
//
// Convirza API: PATCH /provisioned-routes/{id}
func (s *RoutesService) Patch(ctx context.Context, id int64, params *PatchRouteParams, opts ...RequestOption) (*Route, error) {
	if err := requireID("route", id); err != nil {
		return nil, err
	}
	if err := params.validate(); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPatch, path: pathf(routePath, id), body: params}
	return update(ctx, s.c, r, (*Route).hasID, opts)
}

// Delete deletes a route for good. Its number returns to "reserved": it is
// still held, and can be given a new route or released.
//
// Convirza API: DELETE /provisioned-routes/{id}
func (s *RoutesService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "route", routePath, id, opts)
}

// routeList is the data of a list of Route records: the items under "routes" or "provisioned_routes".
type routeList struct {
	Routes            []Route `json:"routes"`
	ProvisionedRoutes []Route `json:"provisioned_routes"` // the other spelling the docs allow
	Total             int     `json:"total"`
}

func (l *routeList) page() ([]Route, int) { return firstList(l.Routes, l.ProvisionedRoutes), l.Total }
