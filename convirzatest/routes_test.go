package convirzatest

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
)

// wireRoute is a Route as the wire has it.
type wireRoute struct {
	ID              int64          `json:"provisioned_route_id"`
	OrgUnitID       int64          `json:"org_unit_id"`
	CampaignID      *int64         `json:"campaign_id"`
	Name            string         `json:"route_name"`
	PhoneNumberID   int64          `json:"phone_number_id"`
	PhoneNumber     string         `json:"phone_number"`
	RoutingType     string         `json:"routing_type"`
	RingTo          *string        `json:"ring_to"`
	RecordCall      bool           `json:"record_call"`
	WhisperPromptID *int64         `json:"whisper_prompt_id"`
	RouteConfig     map[string]any `json:"route_config"`
	Status          string         `json:"status"`
	Created         string         `json:"route_created"`
	Modified        string         `json:"route_modified"`
}

// routeBodyFor is a valid Create Route body for the number, with changes
// applied (a nil value deletes the member).
func routeBodyFor(numberID int64, changes map[string]any) map[string]any {
	b := map[string]any{"route_name": "Radio spot", "phone_number_id": numberID, "routing_type": "forward", "ring_to": "+14255551234"}
	return withChanges(b, changes)
}

// mkRoute creates a route and returns its id.
func mkRoute(t *testing.T, s *Server, tok string, b map[string]any) int64 {
	t.Helper()
	return createdID(t, send(t, "POST", s.URL+"/provisioned-routes", tok, b), "provisionedRouteId")
}

func getRouteWire(t *testing.T, s *Server, tok string, id int64) wireRoute {
	t.Helper()
	return getData[wireRoute](t, s, tok, fmt.Sprintf("/provisioned-routes/%d", id))
}

// numberState returns the status and route of a number held by the caller.
func numberState(t *testing.T, s *Server, tok string, id int64) (string, *int64) {
	t.Helper()
	items, _ := owned(t, s, tok, "assigned", "limit=200")
	for _, n := range items {
		if n.ID == id {
			return n.Status, n.RouteID
		}
	}
	return "not held", nil
}

func TestRouteLifecycle(t *testing.T) {
	clk := newClock()
	s := NewServer(t, WithClock(clk.Now))
	tok := token(t, s, AdminEmail)

	// Search, reserve, provision.
	n := reserved(t, reserve(t, s, tok, nil, CarrierNumber, SourceCarrier, SalesOrgUnitID))
	id := mkRoute(t, s, tok, routeBodyFor(n.ID, map[string]any{"campaign_id": 42, "record_call": true}))
	rt := getRouteWire(t, s, tok, id)
	if rt.ID != id || rt.OrgUnitID != SalesOrgUnitID || rt.PhoneNumber != CarrierNumber || rt.RoutingType != "forward" ||
		rt.RingTo == nil || *rt.RingTo != "+14255551234" || !rt.RecordCall || rt.CampaignID == nil || *rt.CampaignID != 42 ||
		rt.WhisperPromptID != nil || rt.RouteConfig == nil || len(rt.RouteConfig) != 0 || rt.Status != "active" ||
		rt.Created != "2026-01-20T12:00:00.000Z" || rt.Modified != rt.Created {
		t.Fatalf("route %+v", rt)
	}
	if st, route := numberState(t, s, tok, n.ID); st != "provisioned" || route == nil || *route != id {
		t.Fatalf("number after create: %s %v", st, route)
	}
	provisioned, _ := owned(t, s, tok, "provisioned", "")
	if !slices.Contains(ownedIDs(provisioned), n.ID) {
		t.Errorf("provisioned numbers %v lack %d", ownedIDs(provisioned), n.ID)
	}
	// R2: one route per number.
	r := send(t, "POST", s.URL+"/provisioned-routes", tok, routeBodyFor(n.ID, nil)).want(t, http.StatusConflict)
	checkEnvelope(t, r)
	// N3: a provisioned number cannot be released.
	send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, n.ID), tok, nil).want(t, http.StatusConflict)

	// PATCH changes what it names; route_config replaces the whole object.
	clk.Advance(60_000_000_000)
	url := fmt.Sprintf("%s/provisioned-routes/%d", s.URL, id)
	r = send(t, "PATCH", url, tok, map[string]any{"ring_to": "+14255559876", "record_call": false, "campaign_id": nil,
		"route_config": map[string]any{"a": 1}}).want(t, http.StatusOK)
	rt = dataOf[wireRoute](t, r)
	if *rt.RingTo != "+14255559876" || rt.RecordCall || rt.CampaignID != nil || rt.Name != "Radio spot" ||
		rt.Modified != "2026-01-20T12:01:00.000Z" || rt.Created != "2026-01-20T12:00:00.000Z" {
		t.Errorf("patched route %+v", rt)
	}
	r = send(t, "PATCH", url, tok, map[string]any{"route_config": map[string]any{"b": 2}}).want(t, http.StatusOK)
	rt = dataOf[wireRoute](t, r)
	if !maps.Equal(rt.RouteConfig, map[string]any{"b": float64(2)}) {
		t.Errorf("route_config %v, want the new object only", rt.RouteConfig)
	}

	// PUT moves the route to another reserved number; the old one is
	// reserved again, and the fields left out take their defaults.
	r = send(t, "PUT", url, tok, map[string]any{"route_name": "Moved", "phone_number_id": SalesReservedNumberID,
		"routing_type": "Round robin"}).want(t, http.StatusOK)
	rt = dataOf[wireRoute](t, r)
	if rt.PhoneNumberID != SalesReservedNumberID || rt.PhoneNumber != "2125550141" || rt.RoutingType != "round_robin" ||
		rt.RingTo != nil || len(rt.RouteConfig) != 0 || rt.Status != "active" || rt.OrgUnitID != SalesOrgUnitID {
		t.Errorf("replaced route %+v", rt)
	}
	if st, route := numberState(t, s, tok, n.ID); st != "reserved" || route != nil {
		t.Errorf("old number after the move: %s %v", st, route)
	}
	if st, _ := numberState(t, s, tok, SalesReservedNumberID); st != "provisioned" {
		t.Errorf("new number after the move: %s", st)
	}
	// Moving onto a number that serves another route is a conflict.
	send(t, "PATCH", url, tok, map[string]any{"phone_number_id": AcmeProvisionedNumberID}).want(t, http.StatusConflict)

	// Delete: the number stays held, reserved (R4).
	r = send(t, "DELETE", url, tok, nil).want(t, http.StatusOK)
	var d map[string]int64
	r.data(t, &d)
	if d["provisionedRouteId"] != id {
		t.Errorf("delete reply %s", r.env.Data)
	}
	if st, route := numberState(t, s, tok, SalesReservedNumberID); st != "reserved" || route != nil {
		t.Errorf("number after delete: %s %v", st, route)
	}
	send(t, "GET", url, tok, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", url, tok, nil).want(t, http.StatusNotFound)
	// Now it can be released.
	send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, SalesReservedNumberID), tok, nil).want(t, http.StatusOK)
}

func TestCreateRouteInvalid(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	url := s.URL + "/provisioned-routes"
	for name, c := range map[string]struct {
		body  any
		field string
	}{
		"empty body":             {"", "body"},
		"no name":                {routeBodyFor(SalesReservedNumberID, map[string]any{"route_name": nil}), "route_name"},
		"blank name":             {routeBodyFor(SalesReservedNumberID, map[string]any{"route_name": " "}), "route_name"},
		"no number":              {routeBodyFor(0, map[string]any{"phone_number_id": nil}), "phone_number_id"},
		"no routing type":        {routeBodyFor(SalesReservedNumberID, map[string]any{"routing_type": nil}), "routing_type"},
		"unknown routing type":   {routeBodyFor(SalesReservedNumberID, map[string]any{"routing_type": "teleport"}), "routing_type"},
		"forward without ring":   {routeBodyFor(SalesReservedNumberID, map[string]any{"ring_to": nil}), "ring_to"},
		"bad status":             {routeBodyFor(SalesReservedNumberID, map[string]any{"status": "paused"}), "status"},
		"config not an object":   {routeBodyFor(SalesReservedNumberID, map[string]any{"route_config": []int{1}}), "route_config"},
		"record_call not bool":   {routeBodyFor(SalesReservedNumberID, map[string]any{"record_call": "yes"}), "record_call"},
		"whisper prompt 0":       {routeBodyFor(SalesReservedNumberID, map[string]any{"whisper_prompt_id": 0}), "whisper_prompt_id"},
		"inventory number (R1)":  {routeBodyFor(InventoryNumberID, nil), "phone_number_id"},
		"Globex number (R1)":     {routeBodyFor(OtherAccountNumberID, nil), "phone_number_id"},
		"unknown number (R1)":    {routeBodyFor(555555, nil), "phone_number_id"},
		"org unit outside scope": {routeBodyFor(SalesReservedNumberID, map[string]any{"org_unit_id": OtherAccountOrgUnitID}), "org_unit_id"},
	} {
		t.Run(name, func(t *testing.T) { send(t, "POST", url, tok, c.body).wantField(t, c.field) })
	}
	if st, _ := numberState(t, s, tok, SalesReservedNumberID); st != "reserved" {
		t.Errorf("number after refused creates: %s", st)
	}
	// Display forms of routing types are read, and stored in API spelling;
	// non-forward routes need no ring_to.
	id := mkRoute(t, s, tok, routeBodyFor(SalesReservedNumberID, map[string]any{"routing_type": "IVR", "ring_to": nil,
		"org_unit_id": EastCoastSalesOrgUnitID, "whisper_prompt_id": 77, "status": "inactive"}))
	rt := getRouteWire(t, s, tok, id)
	if rt.RoutingType != "ivr" || rt.RingTo != nil || rt.OrgUnitID != EastCoastSalesOrgUnitID || rt.Status != "inactive" ||
		rt.WhisperPromptID == nil || *rt.WhisperPromptID != 77 {
		t.Errorf("route %+v", rt)
	}
}

func TestPatchRouteInvalid(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	url := fmt.Sprintf("%s/provisioned-routes/%d", s.URL, AcmeRouteID)
	for name, c := range map[string]struct {
		body  any
		field string
	}{
		"empty":                      {map[string]any{}, "body"},
		"unknown members only":       {map[string]any{"color": "red"}, "body"},
		"null name":                  {map[string]any{"route_name": nil}, "route_name"},
		"null routing type":          {map[string]any{"routing_type": nil}, "routing_type"},
		"null record_call":           {map[string]any{"record_call": nil}, "record_call"},
		"null number":                {map[string]any{"phone_number_id": nil}, "phone_number_id"},
		"forward loses ring_to (R3)": {map[string]any{"ring_to": nil}, "ring_to"},
		"number not held":            {map[string]any{"phone_number_id": InventoryNumberID}, "phone_number_id"},
	} {
		t.Run(name, func(t *testing.T) { send(t, "PATCH", url, tok, c.body).wantField(t, c.field) })
	}
	send(t, "PATCH", s.URL+"/provisioned-routes/abc", tok, map[string]any{"route_name": "x"}).wantField(t, "id")
	send(t, "PATCH", s.URL+"/provisioned-routes/424242", tok, map[string]any{"route_name": "x"}).want(t, http.StatusNotFound)
	send(t, "PUT", url, tok, map[string]any{"route_name": "x"}).wantField(t, "phone_number_id")
	// Another type, then ring_to may go.
	rt := dataOf[wireRoute](t, send(t, "PATCH", url, tok, map[string]any{"routing_type": "hangup", "ring_to": nil}).want(t, http.StatusOK))
	if rt.RoutingType != "hangup" || rt.RingTo != nil {
		t.Errorf("route %+v", rt)
	}
}

func TestRoutesListScopeAndRoles(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	mkRoute(t, s, admin, routeBodyFor(SalesReservedNumberID, map[string]any{"campaign_id": 7, "status": "inactive"}))

	list := func(tok, query string) ([]int64, int) {
		t.Helper()
		return pageIDs(t, s, tok, "/provisioned-routes?"+query, "routes", "provisioned_route_id")
	}
	all, total := list(admin, "")
	if len(all) != 2 || all[0] != AcmeRouteID || total != 2 {
		t.Fatalf("admin list %v (%d)", all, total)
	}
	for query, want := range map[string][]int64{
		"status=active":          {AcmeRouteID},
		"status=inactive":        {all[1]},
		"campaign_id=7":          {all[1]},
		"campaign_id=8":          {},
		"org_unit_id=1002":       {all[1]},
		"limit=1&offset=1":       {all[1]},
		"org_unit_id=1001&x=y":   all,
		"limit=1&status=active":  {AcmeRouteID},
		"offset=5&status=active": {},
	} {
		if got, _ := list(admin, query); !slices.Equal(got, want) {
			t.Errorf("?%s: %v, want %v", query, got, want)
		}
	}
	send(t, "GET", s.URL+"/provisioned-routes?org_unit_id=2001", admin, nil).want(t, http.StatusForbidden)
	send(t, "GET", s.URL+"/provisioned-routes?status=paused", admin, nil).wantField(t, "status")
	send(t, "GET", s.URL+"/provisioned-routes?limit=0", admin, nil).wantField(t, "limit")
	// Another account's route does not exist for Acme (S1).
	for _, m := range []string{"GET", "DELETE"} {
		send(t, m, fmt.Sprintf("%s/provisioned-routes/%d", s.URL, OtherAccountRouteID), admin, nil).want(t, http.StatusNotFound)
	}

	// Standard sees its own hierarchy; ReadOnly reads only (S3).
	std := token(t, s, StandardEmail)
	if got, _ := list(std, ""); !slices.Equal(got, []int64{all[1]}) {
		t.Errorf("Standard sees %v", got)
	}
	send(t, "GET", fmt.Sprintf("%s/provisioned-routes/%d", s.URL, AcmeRouteID), std, nil).want(t, http.StatusNotFound)
	ro := token(t, s, ReadOnlyEmail)
	list(ro, "")
	url := fmt.Sprintf("%s/provisioned-routes/%d", s.URL, AcmeRouteID)
	send(t, "POST", s.URL+"/provisioned-routes", ro, routeBodyFor(SupportTollFreeNumberID, nil)).want(t, http.StatusForbidden)
	send(t, "PUT", url, ro, routeBodyFor(SupportTollFreeNumberID, nil)).want(t, http.StatusForbidden)
	send(t, "PATCH", url, ro, map[string]any{"route_name": "x"}).want(t, http.StatusForbidden)
	send(t, "DELETE", url, ro, nil).want(t, http.StatusForbidden)
	// Standard may write routes in its hierarchy.
	send(t, "PATCH", fmt.Sprintf("%s/provisioned-routes/%d", s.URL, all[1]), std, map[string]any{"status": "active"}).want(t, http.StatusOK)
}
