package convirzatest

import (
	"net/http"
	"time"
)

// Adding an area (one file, e.g. webhooks.go): a table of its operations,
//
//	var webhooksAPI = []route{
//		{pattern: "GET /v3/webhooks", access: adminOnly, handle: listWebhooks},
//		{pattern: "POST /v3/webhooks", access: adminOnly, handle: createWebhook},
//	}
//
// one line in apiAreas below, one map field in state (state.go) for the
// area's records, and, when the area has seed records, one line in
// seedOrder. Both lists are explicit so that the order in which routes are
// registered and seeds allocate ids does not follow file names.
//
// Handlers build on records.go (find a record the caller sees, list records
// by org unit, page them), params.go (path ids, query parameters, body
// members with the create/PUT/PATCH rules, and writing them onto a record)
// and orgunits.go (the org_unit_id filter of lists and org units named in
// bodies).

// apiAreas are the route tables of every area; NewFake registers them in
// this order on its mux.
var apiAreas = [][]route{
	authAPI, usersAPI, groupsAPI, webhooksAPI, promptsAPI, agentsAPI,
	numbersAPI, routesAPI, broadcastsAPI, conversationsAPI, miscAPI,
}

// seedOrder puts the seed records into a new state, in this order: the org
// tree first, since every other record belongs to an org unit; numbers seed
// the routes and broadcasts that use them. Ids come from one counter, so
// changing the order changes seeded ids.
var seedOrder = []func(*state){seedOrgUnits, seedUsers, seedTags, seedNumbers}

// route is one operation of the API.
type route struct {
	pattern string // an http.ServeMux pattern with a method: "GET /v3/users/{id}"
	access  access // who may call it; public routes need no bearer token
	bare    bool   // write the handler's data as the whole body, without the envelope (OAuth replies)
	status  int    // the HTTP status of a success; 0 is 200 (api/README.md: only Create User differs)
	handle  func(*call) (any, *apiError)
	// read, when set, reads a streamed body (a multipart upload) into the
	// call before the state lock is taken, so that a slow client holds up
	// no other; handle then works from what it read.
	read func(*call)
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
	body   []byte        // the raw body; see object and query for decoding
	caller *user         // nil on public routes
	token  *accessToken  // the bearer token used; renewed after a successful call
	upload *promptUpload // what route.read read of a prompt upload
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
