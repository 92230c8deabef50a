package convirzatest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// groupsAPI are the operations of this area; router.go lists every area.
var groupsAPI = []route{
	{pattern: "GET /v3/groups/list", access: adminOnly, handle: listChildGroups},
	{pattern: "GET /v3/groups/tree", access: adminOnly, handle: groupTree},
	// The docs call the hierarchy with an empty last segment for the
	// caller's own org unit.
	{pattern: "GET /v3/groups/org-list/{$}", access: adminOnly, handle: orgUnitHierarchy},
	{pattern: "GET /v3/groups/org-list/{id}", access: adminOnly, handle: orgUnitHierarchy},
	{pattern: "GET /v3/groups", access: adminOnly, handle: listGroups},
	{pattern: "GET /v3/groups/{id}", access: adminOnly, handle: getGroup},
	{pattern: "POST /v3/groups", access: adminOnly, handle: createGroup},
	{pattern: "PUT /v3/groups/{id}", access: adminOnly, handle: updateGroup},
	{pattern: "PATCH /v3/groups/{id}", access: adminOnly, handle: patchGroup},
	{pattern: "DELETE /v3/groups/{id}", access: adminOnly, handle: deleteGroup},
}

// groupIndustryNames gives industry_name, which groups show read-only, for
// the industries of the docs' examples. Other industry ids show null.
var groupIndustryNames = map[int64]string{10: "Technology", 12: "Automotive"}

// groupItem is the Group object, field for field as in the docs' example,
// plus timezone.
type groupItem struct {
	OrgUnitID    int64   `json:"org_unit_id"`
	ExtID        *string `json:"org_unit_ext_id"`
	Name         string  `json:"org_unit_name"`
	ParentID     *int64  `json:"org_unit_parent_id"`
	TopOUID      int64   `json:"top_ou_id"`
	Status       string  `json:"org_unit_status"`
	BillingID    *int64  `json:"billing_id"`
	Address      *string `json:"address"`
	City         *string `json:"city"`
	State        *string `json:"state"`
	Zip          *string `json:"zip"`
	PhoneNumber  *string `json:"phone_number"`
	IndustryID   *int64  `json:"industry_id"`
	IndustryName *string `json:"industry_name"`
	Timezone     string  `json:"timezone"`
	Created      string  `json:"org_unit_created"`
	Modified     string  `json:"org_unit_modified"`
}

func groupJSON(ou *orgUnit) groupItem {
	it := groupItem{
		OrgUnitID: ou.ID, ExtID: ou.ExtID, Name: ou.Name, ParentID: ou.ParentID, TopOUID: ou.TopID,
		Status: ou.Status, BillingID: ou.BillingID, Address: ou.Address, City: ou.City, State: ou.State,
		Zip: ou.Zip, PhoneNumber: ou.PhoneNumber, IndustryID: ou.IndustryID, Timezone: ou.Timezone,
		Created: iso(ou.Created), Modified: iso(ou.Modified),
	}
	if ou.IndustryID != nil {
		if name, ok := groupIndustryNames[*ou.IndustryID]; ok {
			it.IndustryName = &name
		}
	}
	return it
}

// groupChildren indexes the org units that are not deleted by parent, each
// list in id order (creation order), which is the tree order of every read.
func (s *state) groupChildren() map[int64][]*orgUnit {
	idx := map[int64][]*orgUnit{}
	for _, ou := range s.OrgUnits {
		if !ou.Deleted && ou.ParentID != nil {
			idx[*ou.ParentID] = append(idx[*ou.ParentID], ou)
		}
	}
	for _, kids := range idx {
		slices.SortFunc(kids, func(a, b *orgUnit) int { return cmp.Compare(a.ID, b.ID) })
	}
	return idx
}

// subtree lists root and every unit below it, in tree order (depth first,
// parents before children).
func subtree(idx map[int64][]*orgUnit, root *orgUnit) []*orgUnit {
	out := []*orgUnit{root}
	for _, kid := range idx[root.ID] {
		out = append(out, subtree(idx, kid)...)
	}
	return out
}

// visibleGroup returns the group with that id, or the 404 for it: deleted
// groups (G11) and groups outside the caller's scope (S1) are not found.
func (c *call) visibleGroup(id int64) (*orgUnit, *apiError) {
	ou := c.st.orgUnit(id)
	if ou == nil || !c.inScope(id) {
		return nil, notFound("Group")
	}
	return ou, nil
}

// outOfScope is the 401 that the org-unit reads give for a unit the caller
// cannot see (S5; List Child Groups by analogy), unknown units included.
func outOfScope(id int64) *apiError {
	return errorf(http.StatusUnauthorized, "org unit %d is outside your scope", id)
}

// groupFilters reads the query of List Child Groups and List Groups.
func groupFilters(c *call) (ouID int64, name, status string, limit, offset int, err *apiError) {
	q := c.query()
	ouID = c.orgUnitFilter(q)
	name = strings.ToLower(q.str("group_name"))
	status = q.enum("status", "", statusActive, statusInactive)
	limit, offset = q.paging(100)
	return ouID, name, status, limit, offset, q.err()
}

// groupPage filters groups by name and status and returns one page.
func groupPage(groups []*orgUnit, name, status string, limit, offset int) map[string]any {
	var found []*orgUnit
	for _, ou := range groups {
		if (status == "" || ou.Status == status) && strings.Contains(strings.ToLower(ou.Name), name) {
			found = append(found, ou)
		}
	}
	return listReply("groups", found, nil, limit, offset, groupJSON)
}

// listChildGroups is GET /v3/groups/list: the direct children of
// org_unit_id (G5). A unit out of scope is a 401, as groups.md assumes by
// analogy with Get Org Unit Hierarchy.
func listChildGroups(c *call) (any, *apiError) {
	ouID, name, status, limit, offset, err := groupFilters(c)
	if err != nil {
		return nil, err
	}
	if !c.seesOrgUnit(ouID) {
		return nil, outOfScope(ouID)
	}
	return groupPage(c.st.groupChildren()[ouID], name, status, limit, offset), nil
}

// listGroups is GET /v3/groups: org_unit_id and its whole subtree, in tree
// order. A filter naming a unit out of scope is a 403, like List Users.
func listGroups(c *call) (any, *apiError) {
	ouID, name, status, limit, offset, err := groupFilters(c)
	if err != nil {
		return nil, err
	}
	root := c.st.orgUnit(ouID)
	if root == nil || !c.inScope(ouID) {
		return nil, outsideHierarchy(ouID)
	}
	return groupPage(subtree(c.st.groupChildren(), root), name, status, limit, offset), nil
}

// treeNode is a node of the flat Get Group Tree reply.
type treeNode struct {
	OrgUnitID  int64  `json:"org_unit_id"`
	Text       string `json:"text"`
	Code       string `json:"code"`
	GroupLevel int    `json:"group_level"`
}

// groupTree is GET /v3/groups/tree: the caller's org unit and everything
// below it, flat in tree order, as the docs' example is. With active=true
// (the default, G7) an inactive group is left out together with everything
// below it, so every listed node's parent is listed too.
func groupTree(c *call) (any, *apiError) {
	q := c.query()
	onlyActive := q.enum("active", "true", "true", "false") == "true"
	if err := q.err(); err != nil {
		return nil, err
	}
	idx := c.st.groupChildren()
	nodes := []treeNode{}
	var walk func(ou *orgUnit, code string, level int)
	walk = func(ou *orgUnit, code string, level int) {
		nodes = append(nodes, treeNode{OrgUnitID: ou.ID, Text: ou.Name, Code: code, GroupLevel: level})
		n := 0
		for _, kid := range idx[ou.ID] {
			if onlyActive && kid.Status != statusActive {
				continue
			}
			n++
			walk(kid, code+"."+strconv.Itoa(n), level+1)
		}
	}
	if root := c.st.orgUnit(c.caller.OrgUnitID); root != nil && (!onlyActive || root.Status == statusActive) {
		walk(root, "1", 1)
	}
	return map[string]any{"groups": nodes}, nil
}

// orgUnitHierarchy is GET /v3/groups/org-list/{org_unit_id}: the ids of the
// unit and of every unit below it, whatever their status, the requested one
// first (G6). Without an id it is the caller's unit. A unit out of scope,
// or unknown, is a 401 (S5).
func orgUnitHierarchy(c *call) (any, *apiError) {
	id := c.caller.OrgUnitID
	if c.r.PathValue("id") != "" {
		var err *apiError
		if id, err = c.pathID("id"); err != nil {
			return nil, err
		}
	}
	root := c.st.orgUnit(id)
	if root == nil || !c.inScope(id) {
		return nil, outOfScope(id)
	}
	ids := []int64{}
	for _, ou := range subtree(c.st.groupChildren(), root) {
		ids = append(ids, ou.ID)
	}
	return map[string]any{"orgUnits": ids}, nil
}

// getGroup is GET /v3/groups/{id}.
func getGroup(c *call) (any, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		return nil, err
	}
	ou, err := c.visibleGroup(id)
	if err != nil {
		return nil, err
	}
	return groupJSON(ou), nil
}

// groupBody is a decoded Create, Update or Patch Group body. org_unit_id is
// not read: the server assigns it (G3).
type groupBody struct {
	name, timezone, status                      field[string]
	extID, address, city, stateName, zip, phone field[string]
	parentID, topID                             field[int64]
	billingID, industryID                       field[int64]
	parent                                      *orgUnit // the org unit parentID names, once checked
}

// groupFields are the members groupBody knows; PATCH needs at least one (X1).
var groupFields = []string{"org_unit_name", "org_unit_ext_id", "org_unit_parent_id", "top_ou_id", "billing_id",
	"address", "city", "state", "zip", "phone_number", "industry_id", "timezone", "org_unit_status"}

// decodeGroupBody reads and validates a group body (the 400 step), the
// parent included (see checkParent). With patch false (create, PUT)
// org_unit_name and org_unit_parent_id are required; with patch true every
// member is optional, and null is refused where the field is not nullable.
// In create and PUT, null on such a field counts as absent.
func (c *call) decodeGroupBody(patch bool) (groupBody, *apiError) {
	var b groupBody
	o, err := c.object()
	if err != nil {
		return b, err
	}
	b.name = textMember(o, "org_unit_name", true, patch)
	b.parentID = idMember(o, "org_unit_parent_id", true, patch)
	b.topID.v, b.topID.set = o.int("top_ou_id") // null counts as absent, even on PATCH
	b.extID = nullable(o, "org_unit_ext_id", o.str)
	b.address = nullable(o, "address", o.str)
	b.city = nullable(o, "city", o.str)
	b.stateName = nullable(o, "state", o.str)
	b.zip = nullable(o, "zip", o.str)
	b.phone = nullable(o, "phone_number", o.str)
	b.billingID = nullableIDMember(o, "billing_id")
	b.industryID = nullableIDMember(o, "industry_id")
	b.timezone = textMember(o, "timezone", false, patch)
	b.status = statusMember(o, "org_unit_status", patch)
	if patch {
		o.requireChange(groupFields)
	}
	c.checkParent(o, &b)
	return b, o.err()
}

// checkParent applies G2 as part of the 400 step: the parent must exist, lie
// in the caller's hierarchy and be active; top_ou_id, when sent, must be the
// parent's account.
func (c *call) checkParent(o *object, b *groupBody) {
	if !b.parentID.set {
		return
	}
	p := c.st.orgUnit(b.parentID.v)
	switch {
	case p == nil || !c.inScope(p.ID):
		o.fail("org_unit_parent_id", orgUnitUnseen)
	case p.Status != statusActive:
		o.fail("org_unit_parent_id", "parent org unit is not active")
	default:
		b.parent = p
		if b.topID.set && b.topID.v != p.TopID {
			o.fail("top_ou_id", "does not match the parent's account")
		}
	}
}

// siblingNamed returns the group under parent (deleted ones aside), other
// than self, whose name equals name ignoring case: G1's conflict.
func (s *state) siblingNamed(parent int64, name string, self int64) *orgUnit {
	for _, ou := range s.OrgUnits {
		if !ou.Deleted && ou.ID != self && ou.ParentID != nil && *ou.ParentID == parent &&
			strings.EqualFold(strings.TrimSpace(ou.Name), strings.TrimSpace(name)) {
			return ou
		}
	}
	return nil
}

func duplicateName(name string) *apiError {
	return errorf(http.StatusConflict, "a group named %q already exists under this parent", name)
}

// apply writes the body onto ou. With full set (create, PUT) the members that
// were not sent take their defaults; otherwise (PATCH) they stay unchanged.
func (b groupBody) apply(ou *orgUnit, full bool, c *call) {
	if b.name.set {
		ou.Name = b.name.v
	}
	if b.parent != nil {
		ou.ParentID, ou.TopID = &b.parent.ID, b.parent.TopID
	}
	setNullable(&ou.ExtID, b.extID, full)
	setNullable(&ou.Address, b.address, full)
	setNullable(&ou.City, b.city, full)
	setNullable(&ou.State, b.stateName, full)
	setNullable(&ou.Zip, b.zip, full)
	setNullable(&ou.PhoneNumber, b.phone, full)
	setNullable(&ou.BillingID, b.billingID, full)
	setNullable(&ou.IndustryID, b.industryID, full)
	switch {
	case b.timezone.set:
		ou.Timezone = b.timezone.v
	case full:
		ou.Timezone = c.st.OrgUnits[*ou.ParentID].Timezone // G4
	}
	setValue(&ou.Status, b.status, full, statusActive)
	ou.Modified = c.now
}

// createGroup is POST /v3/groups.
func createGroup(c *call) (any, *apiError) {
	b, err := c.decodeGroupBody(false)
	if err != nil {
		return nil, err
	}
	if c.st.siblingNamed(b.parent.ID, b.name.v, 0) != nil {
		return nil, duplicateName(b.name.v)
	}
	ou := &orgUnit{ID: c.st.newID(), Created: c.now}
	b.apply(ou, true, c)
	c.st.OrgUnits[ou.ID] = ou
	return map[string]int64{"orgUnitId": ou.ID}, nil
}

// updateGroup is PUT /v3/groups/{id} and patchGroup PATCH /v3/groups/{id}:
// the body is checked first (400, the parent included), then the group
// (404), then the move (400: the root stays put, G10; no group goes under
// itself or a descendant, G9), then the sibling name (409, G1).
func updateGroup(c *call) (any, *apiError) { return c.editGroup(false) }
func patchGroup(c *call) (any, *apiError)  { return c.editGroup(true) }

func (c *call) editGroup(patch bool) (any, *apiError) {
	id, b, err := idAndBody(c, patch, c.decodeGroupBody)
	if err != nil {
		return nil, err
	}
	ou, err := c.visibleGroup(id)
	if err != nil {
		return nil, err
	}
	if b.parent != nil {
		switch {
		case ou.ParentID == nil:
			return nil, invalid(fieldError{"org_unit_parent_id", "the account root cannot be moved"})
		case c.st.within(ou.ID, b.parent.ID):
			return nil, invalid(fieldError{"org_unit_parent_id", "a group cannot be moved under itself or one of its descendants"})
		}
	} else if b.topID.set && b.topID.v != ou.TopID {
		return nil, invalid(fieldError{"top_ou_id", "does not match the group's account"})
	}
	name := cmp.Or(b.name.v, ou.Name)
	if ou.ParentID != nil {
		parent := *ou.ParentID
		if b.parent != nil {
			parent = b.parent.ID
		}
		if c.st.siblingNamed(parent, name, ou.ID) != nil {
			return nil, duplicateName(name)
		}
	}
	b.apply(ou, !patch, c)
	return groupJSON(ou), nil
}

// deleteGroup is DELETE /v3/groups/{id}. The account root (G10) and a group
// that still has child groups or users other than deleted ones (G8) are
// refused with 409. A deleted group disappears from every read (G11), and
// its webhooks go with it.
func deleteGroup(c *call) (any, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		return nil, err
	}
	ou, err := c.visibleGroup(id)
	if err != nil {
		return nil, err
	}
	if ou.ParentID == nil {
		return nil, errorf(http.StatusConflict, "the account root cannot be deleted")
	}
	if len(c.st.groupChildren()[id]) > 0 {
		return nil, errorf(http.StatusConflict, "group %d still has child groups", id)
	}
	for _, u := range c.st.Users {
		if u.OrgUnitID == id && u.Status != statusDeleted {
			return nil, errorf(http.StatusConflict, "group %d still has users", id)
		}
	}
	ou.Deleted = true
	ou.Modified = c.now
	for wid, w := range c.st.Webhooks {
		if w.OrgUnitID == id {
			delete(c.st.Webhooks, wid)
		}
	}
	return map[string]int64{"orgUnitId": id}, nil
}
