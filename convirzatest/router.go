package convirzatest

import (
	"net/http"
	"time"
)

// Adding an area (one file, e.g. webhooks.go):
//
//	func init() {
//		register([]route{
//			{pattern: "GET /v3/webhooks", access: adminOnly, handle: listWebhooks},
//			{pattern: "POST /v3/webhooks", access: adminOnly, handle: createWebhook},
//		}, seedWebhooks) // seedWebhooks may be nil
//	}
//
// plus one map field in state (state.go) for the area's records. NewFake
// registers every route on its mux; newState makes every map and runs every
// seed function after the core seed (org units and users).
//
// Handlers build on records.go (find a record the caller sees, list records
// by org unit, page them), decode.go (path ids, query parameters, body
// members with the create/PUT/PATCH rules, and writing them onto a record)
// and orgunits.go (the org_unit_id filter of lists and org units named in
// bodies).

// route is one operation of the API.
type route struct {
	pattern string // an http.ServeMux pattern with a method: "GET /v3/users/{id}"
	access  access // who may call it; public routes need no bearer token
	bare    bool   // write the handler's data as the whole body, without the envelope (OAuth replies)
	handle  func(*call) (any, *apiError)
}

var (
	routes []route
	seeds  []func(*state)
)

// register adds an area's routes and, when seed is not nil, a function that
// puts the area's seed records into a new state. It is meant for init
// functions only: NewFake reads the routes once.
func register(rs []route, seed func(*state)) {
	routes = append(routes, rs...)
	if seed != nil {
		seeds = append(seeds, seed)
	}
}

// access says which callers a route admits. The role names and rights are in
// api/README.md ("Roles").
type access int

const (
	anyRole         access = iota // any authenticated user: reads
	adminOrStandard               // writes to operational data; ReadOnly is refused
	adminOnly                     // platform configuration: users, groups, webhooks
	public                        // no bearer token: the OAuth endpoints
)

// Role ids as the API sends them.
const (
	roleAdmin    = 1
	roleStandard = 2
	roleReadOnly = 3
)

// check is the 403 step of the order of checks.
func (a access) check(roleID int) *apiError {
	switch {
	case a == adminOnly && roleID != roleAdmin:
		return errorf(http.StatusForbidden, "this operation requires the Admin role")
	case a == adminOrStandard && roleID != roleAdmin && roleID != roleStandard:
		return errorf(http.StatusForbidden, "read-only users cannot create, update or delete")
	}
	return nil
}

// call is what a handler gets: the request, the state (already locked), and
// for non-public routes the authenticated caller.
type call struct {
	f      *Fake
	r      *http.Request
	st     *state
	now    time.Time
	body   []byte       // the raw body; see object and query for decoding
	caller *user        // nil on public routes
	token  *accessToken // the bearer token used; renewed after a successful call
}

// inScope reports whether org unit ouID is the caller's own org unit or lies
// below it: the documented visibility rule (S1).
func (c *call) inScope(ouID int64) bool {
	return c.st.within(c.caller.OrgUnitID, ouID)
}

// seesOrgUnit reports whether org unit ouID exists (and is not deleted) and
// lies within the caller's scope: what a reference to an org unit needs.
func (c *call) seesOrgUnit(ouID int64) bool {
	return c.st.orgUnit(ouID) != nil && c.inScope(ouID)
}
