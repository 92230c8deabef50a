package convirzatest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// routesAPI are the operations of this area; router.go lists every area.
var routesAPI = []route{
	{pattern: "GET /v3/provisioned-routes", access: anyRole, handle: listRoutes},
	{pattern: "POST /v3/provisioned-routes", access: adminOrStandard, handle: createRoute},
	{pattern: "GET /v3/provisioned-routes/{id}", access: anyRole, handle: getRoute},
	{pattern: "PUT /v3/provisioned-routes/{id}", access: adminOrStandard, handle: updateRoute},
	{pattern: "PATCH /v3/provisioned-routes/{id}", access: adminOrStandard, handle: patchRoute},
	{pattern: "DELETE /v3/provisioned-routes/{id}", access: adminOrStandard, handle: deleteRoute},
}

// Seeded routes.
const (
	// AcmeRouteID forwards Acme's main line (AcmeProvisionedNumberID).
	AcmeRouteID int64 = 9001
	// OtherAccountRouteID is Globex's route, outside every Acme user's scope.
	OtherAccountRouteID int64 = 9005
)

// routingTypes are the API spellings of the ten routing types. Bodies may
// use the display forms ("Round robin", "IVR"): they are read ignoring case,
// with spaces and hyphens as underscores, and stored in this form.
var routingTypes = []string{"forward", "ivr", "georoute", "simultaneous", "percentage", "hangup", "schedule",
	"voicemail", "outbound", "round_robin"}

const (
	routeActive   = "active"
	routeInactive = "inactive"
)

// provisionedRoute is a route record. Nullable wire fields are pointers.
type provisionedRoute struct {
	ID              int64           `json:"id"`
	OrgUnitID       int64           `json:"org_unit_id"`
	CampaignID      *int64          `json:"campaign_id"`
	Name            string          `json:"name"`
	PhoneNumberID   int64           `json:"phone_number_id"`
	RoutingType     string          `json:"routing_type"`
	RingTo          *string         `json:"ring_to"`
	RecordCall      bool            `json:"record_call"`
	WhisperPromptID *int64          `json:"whisper_prompt_id"`
	Config          json.RawMessage `json:"config"` // an object, or null
	Status          string          `json:"status"`
	Created         time.Time       `json:"created"`
	Modified        time.Time       `json:"modified"`
}

func (r *provisionedRoute) owner() int64 { return r.OrgUnitID }

func seedRoutes(s *state) {
	created := time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)
	add := func(id, numberID, ou int64, name, ringTo string) {
		s.Routes[id] = &provisionedRoute{
			ID: id, OrgUnitID: ou, Name: name, PhoneNumberID: numberID, RoutingType: "forward", RingTo: ptr(ringTo),
			RecordCall: true, Config: json.RawMessage(`{}`), Status: routeActive, Created: created, Modified: created,
		}
		n := s.PhoneNumbers[numberID]
		n.Status, n.RouteID = numberProvisioned, ptr(id)
	}
	add(AcmeRouteID, AcmeProvisionedNumberID, AccountOrgUnitID, "Main line", "+12125550101")
	add(OtherAccountRouteID, OtherAccountNumberID, OtherAccountOrgUnitID, "Globex main line", "+12135550104")
}

// routeView is the Route object of api/routes.md.
type routeView struct {
	ID              int64           `json:"provisioned_route_id"`
	OrgUnitID       int64           `json:"org_unit_id"`
	CampaignID      *int64          `json:"campaign_id"`
	Name            string          `json:"route_name"`
	PhoneNumberID   int64           `json:"phone_number_id"`
	PhoneNumber     string          `json:"phone_number"`
	RoutingType     string          `json:"routing_type"`
	RingTo          *string         `json:"ring_to"`
	RecordCall      bool            `json:"record_call"`
	WhisperPromptID *int64          `json:"whisper_prompt_id"`
	RouteConfig     json.RawMessage `json:"route_config"`
	Status          string          `json:"status"`
	Created         string          `json:"route_created"`
	Modified        string          `json:"route_modified"`
}

func (s *state) routeView(r *provisionedRoute) routeView {
	v := routeView{
		ID: r.ID, OrgUnitID: r.OrgUnitID, CampaignID: r.CampaignID, Name: r.Name, PhoneNumberID: r.PhoneNumberID,
		RoutingType: r.RoutingType, RingTo: r.RingTo, RecordCall: r.RecordCall, WhisperPromptID: r.WhisperPromptID,
		RouteConfig: r.Config, Status: r.Status, Created: iso(r.Created), Modified: iso(r.Modified),
	}
	if len(v.RouteConfig) == 0 {
		v.RouteConfig = json.RawMessage(`null`)
	}
	if n := s.PhoneNumbers[r.PhoneNumberID]; n != nil {
		v.PhoneNumber = n.Number
	}
	return v
}

// listRoutes is GET /v3/provisioned-routes.
func listRoutes(c *call) (any, *apiError) {
	q := c.query()
	campaign := q.int("campaign_id", 0, 1, 1<<62)
	status := q.enum("status", "", routeActive, routeInactive)
	limit, offset := q.paging(100)
	ouID, err := c.listOrgUnit(q)
	if err != nil {
		return nil, err
	}
	found := under(c.st, c.st.Routes, ouID, func(r *provisionedRoute) bool {
		return (campaign == 0 || r.CampaignID != nil && *r.CampaignID == campaign) && (status == "" || r.Status == status)
	})
	byID := func(a, b *provisionedRoute) int { return cmp.Compare(a.ID, b.ID) }
	return listReply("routes", found, byID, limit, offset, c.st.routeView), nil
}

// getRoute is GET /v3/provisioned-routes/{id}.
func getRoute(c *call) (any, *apiError) {
	r, err := lookup(c, c.st.Routes, "Route")
	if err != nil {
		return nil, err
	}
	return c.st.routeView(r), nil
}

// routeBody is a decoded Create, Update or Patch Route body.
type routeBody struct {
	name, routingType, status   field[string]
	numberID, ouID              field[int64]
	campaignID, whisperPromptID field[int64] // nullable
	ringTo                      field[string]
	recordCall                  field[bool]
	config                      field[json.RawMessage]
}

var routeFields = []string{"route_name", "phone_number_id", "routing_type", "org_unit_id", "campaign_id", "ring_to",
	"record_call", "whisper_prompt_id", "route_config", "status"}

// decodeRouteBody validates a route body (the 400 step). Create and PUT
// need route_name, phone_number_id and routing_type; PATCH needs one member
// at least (X1). Null clears campaign_id, ring_to, whisper_prompt_id and
// route_config, and is refused elsewhere on PATCH.
func (c *call) decodeRouteBody(patch bool) (routeBody, *apiError) {
	var b routeBody
	o, err := c.object()
	if err != nil {
		return b, err
	}
	b.name = textMember(o, "route_name", true, patch)
	b.numberID = idMember(o, "phone_number_id", true, patch)
	b.ouID = idMember(o, "org_unit_id", false, patch)
	b.campaignID = nullableIDMember(o, "campaign_id")
	b.whisperPromptID = nullableIDMember(o, "whisper_prompt_id")
	if t := textMember(o, "routing_type", true, patch); t.set {
		canon := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(t.v)))
		if !slices.Contains(routingTypes, canon) {
			o.fail("routing_type", "must be one of: "+strings.Join(routingTypes, ", "))
		} else {
			b.routingType = field[string]{set: true, v: canon}
		}
	}
	b.status = enumMember(o, "status", patch, routeActive, routeInactive)
	b.recordCall = member(o, "record_call", false, patch, o.boolean)
	if b.ringTo = nullable(o, "ring_to", o.str); b.ringTo.set && !b.ringTo.null && strings.TrimSpace(b.ringTo.v) == "" {
		o.fail("ring_to", "must not be empty")
	}
	switch {
	case o.isNull("route_config"):
		b.config = field[json.RawMessage]{set: true, null: true}
	case o.has("route_config"):
		if raw := bytes.TrimSpace(o.m["route_config"]); len(raw) == 0 || raw[0] != '{' {
			o.fail("route_config", "must be an object")
		} else {
			b.config = field[json.RawMessage]{set: true, v: json.RawMessage(raw)}
		}
	}
	if patch {
		o.requireChange(routeFields)
	}
	return b, o.err()
}

// checkRouteRefs applies S7 and R1 to a body: the org unit must be in
// scope, and a new number must be a reserved or provisioned number held by
// the caller's hierarchy (400). It returns the body's number, or nil when
// the body names none.
func (c *call) checkRouteRefs(b routeBody) (*phoneNumber, *apiError) {
	if err := c.checkOrgUnitRef(b.ouID); err != nil {
		return nil, err
	}
	if !b.numberID.set {
		return nil, nil
	}
	n := c.heldNumber(b.numberID.v)
	if n == nil {
		return nil, invalid(fieldError{"phone_number_id", "is not a number reserved by your hierarchy"})
	}
	return n, nil
}

// apply writes the body onto r; with full set (create, PUT) the members
// that were not sent take their defaults.
func (b routeBody) apply(r *provisionedRoute, full bool) {
	setValue(&r.Name, b.name, full, r.Name)
	setValue(&r.RoutingType, b.routingType, full, r.RoutingType)
	setValue(&r.Status, b.status, full, routeActive)
	if b.numberID.set {
		r.PhoneNumberID = b.numberID.v
	}
	if b.ouID.set {
		r.OrgUnitID = b.ouID.v
	}
	setNullable(&r.CampaignID, b.campaignID, full)
	setNullable(&r.WhisperPromptID, b.whisperPromptID, full)
	setNullable(&r.RingTo, b.ringTo, full)
	setValue(&r.RecordCall, b.recordCall, full, false)
	setValue(&r.Config, b.config, full, json.RawMessage(`{}`)) // nil when null
}

// forwardNeedsRingTo is R3, checked on the route as it would be after the
// write.
func forwardNeedsRingTo(r *provisionedRoute) *apiError {
	if r.RoutingType == "forward" && (r.RingTo == nil || strings.TrimSpace(*r.RingTo) == "") {
		return invalid(fieldError{"ring_to", "is required when routing_type is forward"})
	}
	return nil
}

// provision attaches number n to route r (R2: a number serves one route).
func provision(n *phoneNumber, r *provisionedRoute) *apiError {
	if n.Status == numberProvisioned && (n.RouteID == nil || *n.RouteID != r.ID) {
		return errorf(http.StatusConflict, "Number %s is already attached to another route", n.Number)
	}
	return nil
}

// createRoute is POST /v3/provisioned-routes: the number becomes provisioned.
func createRoute(c *call) (any, *apiError) {
	b, err := c.decodeRouteBody(false)
	if err != nil {
		return nil, err
	}
	n, err := c.checkRouteRefs(b)
	if err != nil {
		return nil, err
	}
	r := &provisionedRoute{OrgUnitID: *n.OrgUnitID, Created: c.now, Modified: c.now}
	b.apply(r, true)
	if err := forwardNeedsRingTo(r); err != nil {
		return nil, err
	}
	if err := provision(n, r); err != nil {
		return nil, err
	}
	r.ID = c.st.newID()
	c.st.Routes[r.ID] = r
	n.Status, n.RouteID = numberProvisioned, ptr(r.ID)
	return map[string]int64{"provisionedRouteId": r.ID}, nil
}

// updateRoute is PUT /v3/provisioned-routes/{id} and patchRoute PATCH. A new
// phone_number_id moves the route: the old number returns to reserved.
func updateRoute(c *call) (any, *apiError) { return c.editRoute(false) }
func patchRoute(c *call) (any, *apiError)  { return c.editRoute(true) }

func (c *call) editRoute(patch bool) (any, *apiError) {
	id, b, err := idAndBody(c, patch, c.decodeRouteBody)
	if err != nil {
		return nil, err
	}
	n, err := c.checkRouteRefs(b)
	if err != nil {
		return nil, err
	}
	r, err := visible(c, c.st.Routes, id, "Route")
	if err != nil {
		return nil, err
	}
	next := *r
	b.apply(&next, !patch)
	if !b.ouID.set && !patch && n != nil {
		next.OrgUnitID = *n.OrgUnitID // PUT without org_unit_id: the number's, as on create
	}
	if err := forwardNeedsRingTo(&next); err != nil {
		return nil, err
	}
	if n != nil {
		if err := provision(n, r); err != nil {
			return nil, err
		}
	}
	if next.PhoneNumberID != r.PhoneNumberID {
		if old := c.st.PhoneNumbers[r.PhoneNumberID]; old != nil {
			old.Status, old.RouteID = numberReserved, nil
		}
		n.Status, n.RouteID = numberProvisioned, ptr(r.ID)
	}
	next.Modified = c.now
	*r = next
	return c.st.routeView(r), nil
}

// deleteRoute is DELETE /v3/provisioned-routes/{id}: its number returns to
// reserved, still held by its org unit (R4).
func deleteRoute(c *call) (any, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		return nil, err
	}
	r, err := visible(c, c.st.Routes, id, "Route")
	if err != nil {
		return nil, err
	}
	if n := c.st.PhoneNumbers[r.PhoneNumberID]; n != nil && n.RouteID != nil && *n.RouteID == r.ID {
		n.Status, n.RouteID = numberReserved, nil
	}
	delete(c.st.Routes, id)
	return map[string]int64{"provisionedRouteId": id}, nil
}
