package convirzatest

import (
	"math"
	"net/http"
	"time"
)

// Seeded org units. Acme Corporation is the account of every seeded Acme
// user; Globex Industries is a second account that no Acme user can see,
// for tests of scope (404 on its records, 403 when it is used as a filter).
const (
	AccountOrgUnitID        int64 = 1001 // "Acme Corporation": the account root of the seeded Acme users
	SalesOrgUnitID          int64 = 1002 // "Sales Division", a child of the account
	SupportOrgUnitID        int64 = 1003 // "Support Division", a child of the account
	EastCoastSalesOrgUnitID int64 = 1004 // "East Coast Sales", a child of Sales Division
	OtherAccountOrgUnitID   int64 = 2001 // "Globex Industries": another account, outside every Acme user's scope
)

// orgUnit is a group. Its fields are those of the Group object in
// api/groups.md; deleted groups stay in state (users keep pointing at them)
// but disappear from reads.
type orgUnit struct {
	ID          int64     `json:"id"`
	ExtID       *string   `json:"ext_id"`
	Name        string    `json:"name"`
	ParentID    *int64    `json:"parent_id"` // nil on an account root
	TopID       int64     `json:"top_id"`    // the account root; itself on a root
	Status      string    `json:"status"`    // active or inactive
	BillingID   *int64    `json:"billing_id"`
	Address     *string   `json:"address"`
	City        *string   `json:"city"`
	State       *string   `json:"state"`
	Zip         *string   `json:"zip"`
	PhoneNumber *string   `json:"phone_number"`
	IndustryID  *int64    `json:"industry_id"`
	Timezone    string    `json:"timezone"`
	Created     time.Time `json:"created"`
	Modified    time.Time `json:"modified"`
	Deleted     bool      `json:"deleted"`
}

func ptr[T any](v T) *T { return &v }

// seedOrgUnits adds the seeded tree: Acme (1001) with Sales (1002), Support
// (1003) and East Coast Sales (1004) under Sales, and the separate Globex
// account (2001).
func seedOrgUnits(s *state) {
	created := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	modified := time.Date(2026, 2, 20, 14, 20, 0, 0, time.UTC)
	add := func(id int64, parent *int64, top int64, name, ext, city, st, zip, phone, tz string) {
		s.OrgUnits[id] = &orgUnit{
			ID: id, ExtID: ptr(ext), Name: name, ParentID: parent, TopID: top, Status: "active",
			BillingID: ptr(int64(5000 + id%1000)), Address: ptr("123 Main St"), City: ptr(city),
			State: ptr(st), Zip: ptr(zip), PhoneNumber: ptr(phone), IndustryID: ptr(int64(10)),
			Timezone: tz, Created: created, Modified: modified,
		}
	}
	acme := AccountOrgUnitID
	add(acme, nil, acme, "Acme Corporation", "ACC-1001", "New York", "NY", "10001", "+1-212-555-0100", "America/New_York")
	add(SalesOrgUnitID, &acme, acme, "Sales Division", "ORG-1002", "New York", "NY", "10001", "+1-212-555-0110", "America/New_York")
	add(SupportOrgUnitID, &acme, acme, "Support Division", "ORG-1003", "Chicago", "IL", "60601", "+1-312-555-0120", "America/Chicago")
	sales := SalesOrgUnitID
	add(EastCoastSalesOrgUnitID, &sales, acme, "East Coast Sales", "ORG-1004", "Boston", "MA", "02108", "+1-617-555-0130", "America/New_York")
	globex := OtherAccountOrgUnitID
	add(globex, nil, globex, "Globex Industries", "ACC-2001", "Los Angeles", "CA", "90012", "+1-213-555-0140", "America/Los_Angeles")
}

// orgUnit returns the org unit with that id, or nil when it does not exist or
// was deleted.
func (s *state) orgUnit(id int64) *orgUnit {
	if ou := s.OrgUnits[id]; ou != nil && !ou.Deleted {
		return ou
	}
	return nil
}

// within reports whether org unit id is ancestor or lies below it. The walk is
// bounded, so a cycle in a restored state cannot hang it.
func (s *state) within(ancestor, id int64) bool {
	for range len(s.OrgUnits) {
		if id == ancestor {
			return true
		}
		ou := s.OrgUnits[id]
		if ou == nil || ou.ParentID == nil {
			return false
		}
		id = *ou.ParentID
	}
	return false
}

// depth returns the number of org units from id up to its root (1 for a
// root), or -1 when the chain is broken or loops.
func (s *state) depth(id int64) int {
	for d := 1; d <= len(s.OrgUnits); d++ {
		ou := s.OrgUnits[id]
		if ou == nil {
			return -1
		}
		if ou.ParentID == nil {
			return d
		}
		id = *ou.ParentID
	}
	return -1
}

// orgUnitUnseen is the 400 message for an org unit named in a body that does
// not exist or lies outside the caller's hierarchy (S7).
const orgUnitUnseen = "org unit does not exist or is outside your hierarchy"

// outsideHierarchy is the 403 for an org unit the caller cannot see, named
// as a list filter (S6) or as a user's org unit (U2).
func outsideHierarchy(ouID int64) *apiError {
	return errorf(http.StatusForbidden, "org unit %d is outside your hierarchy", ouID)
}

// orgUnitFilter reads the org_unit_id filter of a list: the caller's org
// unit when absent.
func (c *call) orgUnitFilter(q *query) int64 {
	return q.int("org_unit_id", c.caller.OrgUnitID, 1, math.MaxInt64)
}

// listScope ends the checks of a list's query: its 400, then the 403 for an
// org unit filter the caller cannot see. Unknown org units get the same
// 403 as Get Calls List gives (S6), so the reply does not reveal which ids
// exist elsewhere.
func (c *call) listScope(q *query, ouID int64) *apiError {
	if err := q.err(); err != nil {
		return err
	}
	if !c.seesOrgUnit(ouID) {
		return outsideHierarchy(ouID)
	}
	return nil
}

// listOrgUnit reads the org_unit_id filter of a list as the last of its
// parameters and ends the checks of the query (see listScope).
func (c *call) listOrgUnit(q *query) (int64, *apiError) {
	ouID := c.orgUnitFilter(q)
	return ouID, c.listScope(q, ouID)
}

// orgUnitMember reads a body's org_unit_id, which must name an org unit
// the caller sees (S7), as part of the 400 step.
func (c *call) orgUnitMember(o *object, patch bool) field[int64] {
	f := member(o, "org_unit_id", false, patch, o.int)
	if f.set && !c.seesOrgUnit(f.v) {
		o.fail("org_unit_id", orgUnitUnseen)
		f.set = false
	}
	return f
}

// checkOrgUnitRef is S7 for a body's org_unit_id checked after the rest of
// the body.
func (c *call) checkOrgUnitRef(f field[int64]) *apiError {
	if f.set && !c.seesOrgUnit(f.v) {
		return invalid(fieldError{"org_unit_id", orgUnitUnseen})
	}
	return nil
}
