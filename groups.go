package convirza

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Paths of the Groups operations. Get, List, Update, Patch and Delete are
// assumed (the docs show only the sidebar), so they are kept here in one
// place.
const (
	groupsChildrenPath = "/groups/list"
	groupsTreePath     = "/groups/tree"
	groupsPath         = "/groups"
	groupPath          = "/groups/%v"
	// groupsOrgListPath keeps its trailing slash when no id is given, as
	// the docs' example does.
	groupsOrgListPath = "/groups/org-list/%v"
)

// GroupsService manages groups (org units), which form one tree per account
// whose root is the account itself (TopOUID). Admin only. A caller sees its
// own org unit and every unit below it.
type GroupsService struct{ c *Client }

// GroupStatus is a group's status. Unknown values are kept as sent.
type GroupStatus string

// The group statuses.
const (
	GroupActive   GroupStatus = "active"
	GroupInactive GroupStatus = "inactive"
)

// Group is an org unit as Get, List, ListChildren, Update and Patch return
// it.
type Group struct {
	ID    int64  `json:"org_unit_id"`
	ExtID string `json:"org_unit_ext_id"`
	// Name is unique among the group's siblings.
	Name string `json:"org_unit_name"`
	// ParentID is the parent group; 0 on the account root, which has none.
	// It is also read from "parent_org_unit_id", the spelling of the docs'
	// page text.
	ParentID int64 `json:"org_unit_parent_id"`
	// TopOUID is the account root.
	TopOUID      int64       `json:"top_ou_id"`
	Status       GroupStatus `json:"org_unit_status"`
	BillingID    int64       `json:"billing_id"`
	Address      string      `json:"address"`
	City         string      `json:"city"`
	State        string      `json:"state"`
	Zip          string      `json:"zip"`
	PhoneNumber  string      `json:"phone_number"`
	IndustryID   int64       `json:"industry_id"`
	IndustryName string      `json:"industry_name"`
	// Timezone is an IANA zone, by default the parent's.
	Timezone string    `json:"timezone"`
	Created  time.Time `json:"org_unit_created"`
	Modified time.Time `json:"org_unit_modified"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (g *Group) UnmarshalJSON(b []byte) error {
	type alias Group
	if err := decodeModel(b, (*alias)(g), &g.Raw); err != nil {
		return err
	}
	if g.ParentID == 0 {
		var alt struct {
			ParentID int64 `json:"parent_org_unit_id"`
		}
		var discard json.RawMessage
		_ = decodeModel(b, &alt, &discard)
		g.ParentID = alt.ParentID
	}
	return nil
}

func (g *Group) hasID() bool { return g.ID != 0 }

// ListGroupsParams filters List and ListChildren. The zero value lists the
// active and inactive groups below the caller's org unit.
type ListGroupsParams struct {
	PageParams
	// OrgUnitID is the group whose children (ListChildren) or subtree (List)
	// is listed; the default is the caller's org unit.
	OrgUnitID int64 `url:"org_unit_id,omitempty"`
	// Name matches part of the group name, ignoring case.
	Name string `url:"group_name,omitempty"`
	// Status keeps only active or only inactive groups (default: both).
	Status GroupStatus `url:"status,omitempty"`
}

// ListChildren returns one page of the direct children (one level down) of
// params.OrgUnitID, 100 by default.
//
// Convirza API: GET /groups/list
func (s *GroupsService) ListChildren(ctx context.Context, params *ListGroupsParams, opts ...RequestOption) (*Page[Group], error) {
	var p ListGroupsParams
	if params != nil {
		p = *params
	}
	if err := checkGroupFilterID(p.OrgUnitID); err != nil {
		return nil, err
	}
	return listPage[Group, groupList](ctx, s.c, groupsChildrenPath, &p, 100, opts)
}

// AllChildren returns every direct child that params matches, fetching
// pages as the loop goes. It stops at the first error, which it yields.
func (s *GroupsService) AllChildren(ctx context.Context, params *ListGroupsParams, opts ...RequestOption) iter.Seq2[Group, error] {
	return all(ctx, params, func(ctx context.Context, p *ListGroupsParams) (*Page[Group], error) {
		return s.ListChildren(ctx, p, opts...)
	})
}

// List returns one page of the whole subtree of params.OrgUnitID (the unit
// itself and every group below it, at any depth, in tree order), 100 by
// default.
//
// Convirza API: GET /groups
func (s *GroupsService) List(ctx context.Context, params *ListGroupsParams, opts ...RequestOption) (*Page[Group], error) {
	var p ListGroupsParams
	if params != nil {
		p = *params
	}
	if err := checkGroupFilterID(p.OrgUnitID); err != nil {
		return nil, err
	}
	return listPage[Group, groupList](ctx, s.c, groupsPath, &p, 100, opts)
}

// All returns every group of the subtree that params matches, fetching
// pages as the loop goes. It stops at the first error, which it yields.
func (s *GroupsService) All(ctx context.Context, params *ListGroupsParams, opts ...RequestOption) iter.Seq2[Group, error] {
	return all(ctx, params, func(ctx context.Context, p *ListGroupsParams) (*Page[Group], error) {
		return s.List(ctx, p, opts...)
	})
}

func checkGroupFilterID(id int64) error {
	if id < 0 {
		return invalidf("org unit id must be positive, got %d", id)
	}
	return nil
}

// Get returns a group. A deleted group is not found.
//
// Convirza API: GET /groups/{id}
func (s *GroupsService) Get(ctx context.Context, id int64, opts ...RequestOption) (*Group, error) {
	return getByID[Group](ctx, s.c, "group", groupPath, id, opts)
}

// GroupTreeParams selects the groups of Tree. The zero value shows active
// groups only.
type GroupTreeParams struct {
	// IncludeInactive shows inactive groups too (it sends active=false).
	IncludeInactive bool
}

// TreeNode is a group in the tree of Tree. The API sends the tree either
// flat, one node per group in tree order with a dotted Code and a Level, or
// nested, each node holding its Children; both decode into TreeNode.
type TreeNode struct {
	ID int64 `json:"org_unit_id"`
	// Name is the group name ("text"; "org_unit_name" in the nested form).
	Name string `json:"text"`
	// Code is the dotted position, such as "1.1.1": the parent's code is
	// the prefix ("code"; "coded_level" in the nested form).
	Code string `json:"code"`
	// Level is the depth; 1 is a root.
	Level int `json:"group_level"`
	// ParentID is the parent group, 0 on a root ("org_unit_parent_id" or
	// "parent_org_unit_id").
	ParentID int64 `json:"org_unit_parent_id"`
	// Children are the nodes one level down, in order.
	Children []*TreeNode `json:"children"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes either form tolerantly and keeps the raw object in
// Raw.
func (n *TreeNode) UnmarshalJSON(b []byte) error {
	type alias TreeNode
	if err := decodeModel(b, (*alias)(n), &n.Raw); err != nil {
		return err
	}
	if n.Name != "" && n.Code != "" {
		return nil
	}
	var alt struct {
		Name     string `json:"org_unit_name"`
		Code     string `json:"coded_level"`
		ParentID int64  `json:"parent_org_unit_id"`
	}
	var discard json.RawMessage
	_ = decodeModel(b, &alt, &discard)
	n.Name = firstNonEmpty(n.Name, alt.Name)
	n.Code = firstNonEmpty(n.Code, alt.Code)
	if n.ParentID == 0 {
		n.ParentID = alt.ParentID
	}
	return nil
}

// groupTreeData is the "data" of Get Group Tree.
type groupTreeData struct {
	Groups []TreeNode `json:"groups"`
}

// Tree returns the group tree of the caller's account as its roots, each
// holding its Children, whichever form (flat or nested) the server sent.
// Every node has its Level and ParentID set.
//
// Convirza API: GET /groups/tree
func (s *GroupsService) Tree(ctx context.Context, params *GroupTreeParams, opts ...RequestOption) ([]*TreeNode, error) {
	var q url.Values
	if params != nil && params.IncludeInactive {
		q = url.Values{"active": {"false"}}
	}
	data, err := call[groupTreeData](ctx, s.c, &request{method: http.MethodGet, path: groupsTreePath, query: q}, opts)
	if err != nil {
		return nil, err
	}
	return BuildTree(data.Groups), nil
}

// BuildTree arranges nodes listed flat, parents before children (as Get
// Group Tree sends them), into a tree and returns its roots in order. Each
// node goes under its parent, found by its dotted Code ("1.1" goes under
// "1"), else by ParentID, else, for a node without a Code, by Level (under
// the closest earlier node one level up). A node whose parent is not listed
// becomes a root. Nodes that already hold Children keep them, so a nested
// tree passes through unchanged. Level and ParentID left at zero are filled
// from each node's place in the tree. The input is not changed.
func BuildTree(flat []TreeNode) []*TreeNode {
	var roots []*TreeNode
	byCode := make(map[string]*TreeNode, len(flat))
	byID := make(map[int64]*TreeNode, len(flat))
	var lastAtLevel []*TreeNode // lastAtLevel[i] is the last node seen at level i+1
	for i := range flat {
		n := flat[i]
		n.Children = slices.Clone(n.Children)
		node := &n

		var parent *TreeNode
		if dot := strings.LastIndexByte(n.Code, '.'); dot > 0 {
			parent = byCode[n.Code[:dot]]
		}
		if parent == nil && n.ParentID != 0 && n.ParentID != n.ID {
			parent = byID[n.ParentID]
		}
		if parent == nil && n.Code == "" && n.Level > 1 && n.Level-2 < len(lastAtLevel) {
			parent = lastAtLevel[n.Level-2]
		}
		if parent != nil {
			parent.Children = append(parent.Children, node)
		} else {
			roots = append(roots, node)
		}

		if _, dup := byCode[n.Code]; n.Code != "" && !dup {
			byCode[n.Code] = node
		}
		if _, dup := byID[n.ID]; n.ID != 0 && !dup {
			byID[n.ID] = node
		}
		if n.Level > 0 {
			for len(lastAtLevel) < n.Level-1 {
				lastAtLevel = append(lastAtLevel, nil)
			}
			lastAtLevel = append(lastAtLevel[:n.Level-1], node)
		}
	}
	for _, r := range roots {
		fillGroupTree(r, 1, 0)
	}
	return roots
}

// fillGroupTree sets the Level and ParentID that a node left at zero, from its
// place in the tree.
func fillGroupTree(n *TreeNode, level int, parentID int64) {
	if n == nil {
		return
	}
	if n.Level == 0 {
		n.Level = level
	}
	if n.ParentID == 0 {
		n.ParentID = parentID
	}
	for _, c := range n.Children {
		fillGroupTree(c, n.Level+1, n.ID)
	}
}

// groupHierarchyData is the "data" of Get Org Unit Hierarchy.
type groupHierarchyData struct {
	OrgUnits orgUnitIDs `json:"orgUnits"`
}

// orgUnitIDs is a list of ids that may come as numbers or as strings.
type orgUnitIDs []int64

func (v *orgUnitIDs) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil // not a list: none
	}
	out := make([]int64, 0, len(raw))
	for _, r := range raw {
		if n, ok := parseInt(scalarText(r)); ok {
			out = append(out, n)
		}
	}
	*v = out
	return nil
}

// Hierarchy returns the ids of an org unit and of every unit below it, the
// requested unit first. orgUnitID 0 means the caller's own org unit.
//
// An org unit outside the caller's scope is answered with 401, not 403 or
// 404: after the one token refresh every 401 gets, the error matches
// ErrUnauthorized, and here it means "out of scope" rather than a bad token.
//
// Convirza API: GET /groups/org-list/{org_unit_id}
func (s *GroupsService) Hierarchy(ctx context.Context, orgUnitID int64, opts ...RequestOption) ([]int64, error) {
	if err := checkGroupFilterID(orgUnitID); err != nil {
		return nil, err
	}
	var seg any = orgUnitID
	if orgUnitID == 0 {
		seg = "" // "/groups/org-list/", as in the docs
	}
	data, err := get[groupHierarchyData](ctx, s.c, pathf(groupsOrgListPath, seg), opts)
	if err != nil {
		return nil, err
	}
	if data.OrgUnits == nil {
		return []int64{}, nil
	}
	return data.OrgUnits, nil
}

// CreateGroupParams is a new group. Name and ParentID are required; the
// server assigns the id.
type CreateGroupParams struct {
	// Name must be unique among the parent's children.
	Name  string `json:"org_unit_name"`
	ExtID string `json:"org_unit_ext_id,omitempty"`
	// ParentID must be an existing, active org unit inside the caller's
	// hierarchy.
	ParentID int64 `json:"org_unit_parent_id"`
	// TopOUID is the account root; the server derives it from the parent
	// when it is 0.
	TopOUID     int64  `json:"top_ou_id,omitempty"`
	BillingID   int64  `json:"billing_id,omitempty"`
	Address     string `json:"address,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Zip         string `json:"zip,omitempty"`
	PhoneNumber string `json:"phone_number,omitempty"`
	IndustryID  int64  `json:"industry_id,omitempty"`
	// Timezone is an IANA zone; the default is the parent's.
	Timezone string `json:"timezone,omitempty"`
}

// UpdateGroupParams is the full replacement of a group: the fields of
// CreateGroupParams, with the same required ones, plus Status. Fields left
// out fall back to their defaults. Changing ParentID moves the group.
type UpdateGroupParams struct {
	Name        string      `json:"org_unit_name"`
	ExtID       string      `json:"org_unit_ext_id,omitempty"`
	ParentID    int64       `json:"org_unit_parent_id"`
	TopOUID     int64       `json:"top_ou_id,omitempty"`
	BillingID   int64       `json:"billing_id,omitempty"`
	Address     string      `json:"address,omitempty"`
	City        string      `json:"city,omitempty"`
	State       string      `json:"state,omitempty"`
	Zip         string      `json:"zip,omitempty"`
	PhoneNumber string      `json:"phone_number,omitempty"`
	IndustryID  int64       `json:"industry_id,omitempty"`
	Timezone    string      `json:"timezone,omitempty"`
	Status      GroupStatus `json:"org_unit_status,omitempty"`
}

func checkGroupFields(name string, parentID int64) error {
	var missing []string
	if strings.TrimSpace(name) == "" {
		missing = append(missing, "Name")
	}
	if parentID <= 0 {
		missing = append(missing, "ParentID")
	}
	if len(missing) > 0 {
		return invalidf("group needs %s", strings.Join(missing, ", "))
	}
	return nil
}

// checkGroupMove refuses to put a group under itself, which the server would
// refuse too.
func checkGroupMove(id, parentID int64) error {
	if id == parentID {
		return invalidf("group %d cannot be its own parent", id)
	}
	return nil
}

// Create creates a group and returns its id. A name already used by a
// sibling is an error matching ErrConflict; a parent that is missing,
// inactive or out of scope, ErrBadRequest.
//
// Convirza API: POST /groups
func (s *GroupsService) Create(ctx context.Context, params *CreateGroupParams, opts ...RequestOption) (*Created, error) {
	if params == nil {
		return nil, invalidf("group params are required")
	}
	if err := checkGroupFields(params.Name, params.ParentID); err != nil {
		return nil, err
	}
	return create(ctx, s.c, &request{method: http.MethodPost, path: groupsPath, body: params}, opts)
}

// Update replaces a group and returns it. Moving a group under one of its
// descendants, or moving the account root, is an error matching
// ErrBadRequest; a name a new sibling already uses, ErrConflict.
//
// Convirza API: PUT /groups/{id}
func (s *GroupsService) Update(ctx context.Context, id int64, params *UpdateGroupParams, opts ...RequestOption) (*Group, error) {
	if err := requireID("group", id); err != nil {
		return nil, err
	}
	if params == nil {
		return nil, invalidf("group params are required")
	}
	if err := checkGroupFields(params.Name, params.ParentID); err != nil {
		return nil, err
	}
	if err := checkGroupMove(id, params.ParentID); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPut, path: pathf(groupPath, id), body: params}
	return update(ctx, s.c, r, (*Group).hasID, opts)
}

// PatchGroupParams changes some fields of a group: each field is left out
// (the zero value), set with Set, or cleared with Null. Name and ParentID
// cannot be cleared.
type PatchGroupParams struct {
	Name        Optional[string]      `json:"org_unit_name,omitzero"`
	ExtID       Optional[string]      `json:"org_unit_ext_id,omitzero"`
	ParentID    Optional[int64]       `json:"org_unit_parent_id,omitzero"`
	TopOUID     Optional[int64]       `json:"top_ou_id,omitzero"`
	BillingID   Optional[int64]       `json:"billing_id,omitzero"`
	Address     Optional[string]      `json:"address,omitzero"`
	City        Optional[string]      `json:"city,omitzero"`
	State       Optional[string]      `json:"state,omitzero"`
	Zip         Optional[string]      `json:"zip,omitzero"`
	PhoneNumber Optional[string]      `json:"phone_number,omitzero"`
	IndustryID  Optional[int64]       `json:"industry_id,omitzero"`
	Timezone    Optional[string]      `json:"timezone,omitzero"`
	Status      Optional[GroupStatus] `json:"org_unit_status,omitzero"`
}

func (p *PatchGroupParams) validate(id int64) error {
	if p.Name.IsNull() {
		return invalidf("a group name cannot be cleared")
	}
	if name, ok := p.Name.Get(); ok && strings.TrimSpace(name) == "" {
		return invalidf("a group name cannot be empty")
	}
	if p.ParentID.IsNull() {
		return invalidf("a group parent cannot be cleared")
	}
	if parent, ok := p.ParentID.Get(); ok {
		if parent <= 0 {
			return invalidf("parent id must be positive, got %d", parent)
		}
		return checkGroupMove(id, parent)
	}
	return nil
}

// Patch changes the fields of a group that params sets, and returns the
// group. The rules of Update apply.
//
// Convirza API: PATCH /groups/{id}
func (s *GroupsService) Patch(ctx context.Context, id int64, params *PatchGroupParams, opts ...RequestOption) (*Group, error) {
	if err := requireID("group", id); err != nil {
		return nil, err
	}
	if err := requirePatch(params); err != nil {
		return nil, err
	}
	if err := params.validate(id); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPatch, path: pathf(groupPath, id), body: params}
	return update(ctx, s.c, r, (*Group).hasID, opts)
}

// Delete deletes a group, which then disappears from every read. A group
// that still has child groups or users (other than deleted ones), and the
// account root, cannot be deleted: the error matches ErrConflict.
//
// Convirza API: DELETE /groups/{id}
func (s *GroupsService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "group", groupPath, id, opts)
}

// groupList is the data of a list of Group records: the items under "groups".
type groupList struct {
	Groups []Group `json:"groups"`
	Total  int     `json:"total"`
}

func (l *groupList) page() ([]Group, int) { return l.Groups, l.Total }
