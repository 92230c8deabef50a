package convirzatest

import (
	"cmp"
	"net/http"
	"net/mail"
	"strings"
	"time"
)

// usersAPI are the operations of this area; router.go lists every area.
var usersAPI = []route{
	{pattern: "GET /v3/users/list", access: adminOnly, handle: listUsers},
	{pattern: "GET /v3/users/{id}", access: adminOnly, handle: getUser},
	{pattern: "POST /v3/users", access: adminOnly, handle: createUser, status: http.StatusCreated},
	{pattern: "PUT /v3/users/{id}", access: adminOnly, handle: updateUser},
	{pattern: "PATCH /v3/users/{id}", access: adminOnly, handle: patchUser},
	{pattern: "DELETE /v3/users/{id}", access: adminOnly, handle: deleteUser},
}

// Seeded users. Every seeded user's password is SeedPassword.
const (
	AdminUserID             int64 = 10001 // Dana Whitfield, Admin at Acme Corporation (AccountOrgUnitID)
	StandardUserID          int64 = 10002 // Sam Ortega, Standard user in Sales Division
	ReadOnlyUserID          int64 = 10003 // Riley Chen, ReadOnly user in Support Division
	OtherAccountAdminUserID int64 = 10004 // Morgan Hale, Admin of Globex Industries, outside Acme's scope

	AdminEmail             = "dana.whitfield@acme.example"
	StandardEmail          = "sam.ortega@acme.example"
	ReadOnlyEmail          = "riley.chen@acme.example"
	OtherAccountAdminEmail = "morgan.hale@globex.example"

	// SeedPassword logs in every seeded user.
	SeedPassword = "Convirza-Seed-2026!"
	// TemporaryPassword logs in users created through the API: the docs say
	// a new user gets a temporary default password.
	TemporaryPassword = "Welcome-Temp-2026!"
)

// User statuses.
const (
	statusActive   = "active"
	statusInactive = "inactive"
	statusDeleted  = "deleted"
)

// user is a user record. Nullable wire fields are pointers (or a nil slice)
// so that "null" survives a round trip.
type user struct {
	ID              int64     `json:"id"`
	Email           string    `json:"email"` // as given; compared case-insensitively
	PasswordHash    string    `json:"password_hash"`
	FirstName       string    `json:"first_name"`
	LastName        string    `json:"last_name"`
	OrgUnitID       int64     `json:"org_unit_id"`
	RoleID          int       `json:"role_id"`
	Status          string    `json:"status"` // active, inactive or deleted
	ExtID           *string   `json:"ext_id"`
	AgentRingTo     *string   `json:"agent_ring_to"`
	AgentID         *string   `json:"agent_id"` // output only, e.g. "AGT-001"
	AgentCode       *int64    `json:"agent_code"`
	ScoreCall       *bool     `json:"score_call"`
	AccessAudio     bool      `json:"access_audio"`
	GroupAccess     int       `json:"group_access"`  // output only; meaning undocumented
	ReportAccess    int       `json:"report_access"` // output only; meaning undocumented
	AssignScorecard bool      `json:"assign_scorecard"`
	Aliases         []string  `json:"aliases"`
	Timezone        string    `json:"timezone"`
	Created         time.Time `json:"created"`
}

func (u *user) owner() int64 { return u.OrgUnitID }

func seedUsers(s *state) {
	created := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	add := func(id int64, email, first, last string, ou int64, role int, agent string, ringTo string) {
		u := &user{
			ID: id, Email: email, PasswordHash: hashPassword(SeedPassword), FirstName: first, LastName: last,
			OrgUnitID: ou, RoleID: role, Status: statusActive, ExtID: ptr("EXT-" + agent[4:]),
			AgentRingTo: ptr(ringTo), AgentID: ptr(agent), AgentCode: ptr(id - 10000), ScoreCall: ptr(role != roleReadOnly),
			AccessAudio: role != roleReadOnly, GroupAccess: 3, ReportAccess: 5, AssignScorecard: role == roleAdmin,
			Timezone: s.OrgUnits[ou].Timezone, Created: created.Add(time.Duration(id-AdminUserID) * time.Hour),
		}
		s.Users[id] = u
		s.NextID = max(s.NextID, id+1)
	}
	add(AdminUserID, AdminEmail, "Dana", "Whitfield", AccountOrgUnitID, roleAdmin, "AGT-001", "+12125550101")
	add(StandardUserID, StandardEmail, "Sam", "Ortega", SalesOrgUnitID, roleStandard, "AGT-002", "+12125550102")
	add(ReadOnlyUserID, ReadOnlyEmail, "Riley", "Chen", SupportOrgUnitID, roleReadOnly, "AGT-003", "+13125550103")
	add(OtherAccountAdminUserID, OtherAccountAdminEmail, "Morgan", "Hale", OtherAccountOrgUnitID, roleAdmin, "AGT-004", "+12135550104")
}

// emailIndex maps folded emails to users, so that the uniqueness check of
// every create and update (U4) is a lookup rather than a scan of every
// user: with a scan, a suite that creates thousands of users pays for all
// of them on each create.
type emailIndex map[string]*user

// foldEmail is the key of an email in emailIndex: emails compare
// case-insensitively.
func foldEmail(email string) string { return strings.ToLower(email) }

// userByEmail finds a user of any status, deleted included, by email,
// case-insensitively (rule U4). Deleted users keep their email reserved.
// The index is built on first use after any change that did not keep it.
func (s *state) userByEmail(email string) *user {
	if s.emails == nil {
		idx := make(emailIndex, len(s.Users))
		for _, u := range s.Users {
			if prev := idx[foldEmail(u.Email)]; prev == nil || u.ID < prev.ID {
				idx[foldEmail(u.Email)] = u
			}
		}
		s.emails = &idx
	}
	return (*s.emails)[foldEmail(email)]
}

// addUser puts a new user into the state and the email index.
func (s *state) addUser(u *user) {
	s.Users[u.ID] = u
	if s.emails != nil {
		(*s.emails)[foldEmail(u.Email)] = u
	}
}

// userItem is a List Users item, field for field as in the docs' example.
type userItem struct {
	FirstName             string  `json:"first_name"`
	LastName              string  `json:"last_name"`
	Email                 string  `json:"email"`
	UserExtID             *string `json:"user_ext_id"`
	CTUserID              int64   `json:"ct_user_id"`
	Status                string  `json:"status"`
	AgentRingTo           *string `json:"agent_ring_to"`
	AgentID               *string `json:"agent_id"`
	Group                 string  `json:"group"`
	GroupOrgUnitID        int64   `json:"group_org_unit_id"`
	GroupExternalID       *string `json:"group_external_id"`
	Account               string  `json:"account"`
	AccountOrgUnitID      int64   `json:"account_org_unit_id"`
	AccountExternalID     *string `json:"account_external_id"`
	ParentGroup           *string `json:"parent_group"`
	ParentGroupOrgUnitID  *int64  `json:"parent_group_org_unit_id"`
	ParentGroupExternalID *string `json:"parent_group_external_id"`
	Role                  string  `json:"role"`
	AccessAudio           string  `json:"access_audio"` // "Yes"/"No" here, a boolean in request bodies
	GroupAccess           int     `json:"group_access"`
	ReportAccess          int     `json:"report_access"`
	AssignScorecard       bool    `json:"assign_scorecard"`
	UserCreated           string  `json:"user_created"`
}

// userDetail is Get User Details: the list item plus the Get-only fields.
type userDetail struct {
	userItem
	CTUserOUID int64    `json:"ct_user_ou_id"`
	RoleID     int      `json:"role_id"`
	Timezone   string   `json:"timezone"`
	AgentCode  *int64   `json:"agent_code"`
	ScoreCall  *bool    `json:"score_call"`
	Aliases    []string `json:"aliases"`
}

var roleLabels = map[int]string{roleAdmin: "Admin User", roleStandard: "Standard User", roleReadOnly: "Read Only User"}

// roleNames are the values of "role" in request bodies.
var roleNames = map[string]int{"Admin": roleAdmin, "Standard": roleStandard, "ReadOnly": roleReadOnly}

func (s *state) userItem(u *user) userItem {
	g := s.OrgUnits[u.OrgUnitID]
	acct := s.OrgUnits[g.TopID]
	it := userItem{
		FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, UserExtID: u.ExtID, CTUserID: u.ID,
		Status: u.Status, AgentRingTo: u.AgentRingTo, AgentID: u.AgentID,
		Group: g.Name, GroupOrgUnitID: g.ID, GroupExternalID: g.ExtID,
		Account: acct.Name, AccountOrgUnitID: acct.ID, AccountExternalID: acct.ExtID,
		Role: roleLabels[u.RoleID], AccessAudio: "No", GroupAccess: u.GroupAccess, ReportAccess: u.ReportAccess,
		AssignScorecard: u.AssignScorecard, UserCreated: iso(u.Created),
	}
	if u.AccessAudio {
		it.AccessAudio = "Yes"
	}
	if g.ParentID != nil {
		p := s.OrgUnits[*g.ParentID]
		it.ParentGroup, it.ParentGroupOrgUnitID, it.ParentGroupExternalID = &p.Name, &p.ID, p.ExtID
	}
	return it
}

func (s *state) userDetail(u *user) userDetail {
	return userDetail{
		userItem: s.userItem(u), CTUserOUID: u.OrgUnitID, RoleID: u.RoleID, Timezone: u.Timezone,
		AgentCode: u.AgentCode, ScoreCall: u.ScoreCall, Aliases: u.Aliases,
	}
}

// listUsers is GET /v3/users/list: the users of org_unit_id and everything
// below it (U8), filtered, sorted stably and paginated.
func listUsers(c *call) (any, *apiError) {
	q := c.query()
	ouID := c.orgUnitFilter(q)
	name := strings.ToLower(q.str("name"))
	email := strings.ToLower(q.str("email"))
	roleID := int(q.int("role_id", 0, roleAdmin, roleReadOnly))
	status := q.enum("user_status", "", statusActive, statusInactive, statusDeleted)
	sortBy := q.enum("sort_by", "created_on", "created_on", "name", "email")
	desc := q.enum("sort_order", "desc", "desc", "asc") == "desc"
	limit, offset := q.paging(100)
	if err := c.listScope(q, ouID); err != nil {
		return nil, err
	}

	found := under(c.st, c.st.Users, ouID, func(u *user) bool {
		switch {
		case status == "" && u.Status == statusDeleted,
			status != "" && u.Status != status,
			roleID != 0 && u.RoleID != roleID,
			name != "" && !strings.Contains(strings.ToLower(u.FirstName+" "+u.LastName), name),
			email != "" && !strings.Contains(strings.ToLower(u.Email), email):
			return false
		}
		return true
	})
	order := func(a, b *user) int {
		var r int
		switch sortBy {
		case "name":
			r = cmp.Compare(strings.ToLower(a.FirstName+" "+a.LastName), strings.ToLower(b.FirstName+" "+b.LastName))
		case "email":
			r = cmp.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
		default:
			r = a.Created.Compare(b.Created)
		}
		r = cmp.Or(r, cmp.Compare(a.ID, b.ID)) // ids are unique: a total order, so pages never overlap
		if desc {
			return -r
		}
		return r
	}
	return listReply("users", found, order, limit, offset, c.st.userItem), nil
}

// getUser is GET /v3/users/{id}. Deleted users stay readable (U6).
func getUser(c *call) (any, *apiError) {
	u, err := lookup(c, c.st.Users, "User")
	if err != nil {
		return nil, err
	}
	return c.st.userDetail(u), nil
}

// userBody is a decoded Create, Update or Patch User body.
type userBody struct {
	username, firstName, lastName, status, timezone field[string]
	ouID, agentCode                                 field[int64]
	roleID                                          field[int]
	extID, ringTo                                   field[string]
	scoreCall, accessAudio                          field[bool]
	aliases                                         field[[]string]
}

// userFields are the members userBody knows; PATCH needs at least one (X1).
var userFields = []string{"username", "first_name", "last_name", "ct_user_ou_id", "role", "role_id", "user_ext_id",
	"user_status", "aliases", "timezone", "agent_ring_to", "agent_code", "score_call", "access_audio"}

// decodeUserBody validates a user body (the 400 step). With patch false
// (create, PUT) the required members must be present; with patch true every
// member is optional but null is refused where the field is not nullable.
func (c *call) decodeUserBody(patch bool) (userBody, *apiError) {
	var b userBody
	o, err := c.object()
	if err != nil {
		return b, err
	}
	// JSON null is a value (it clears the field) where the field is nullable.
	b.username = textMember(o, "username", true, patch)
	b.firstName = textMember(o, "first_name", true, patch)
	b.lastName = textMember(o, "last_name", true, patch)
	b.status = textMember(o, "user_status", false, patch)
	b.timezone = textMember(o, "timezone", false, patch)
	b.extID = nullable(o, "user_ext_id", o.str)
	b.ringTo = nullable(o, "agent_ring_to", o.str)

	if b.username.set {
		if a, err := mail.ParseAddress(b.username.v); err != nil || a.Address != b.username.v {
			o.fail("username", "must be an email address")
		}
	}
	if b.status.set && b.status.v != statusActive && b.status.v != statusInactive {
		msg := "must be active or inactive"
		if b.status.v == statusDeleted {
			msg = "cannot be deleted; use DELETE /users/{id}" // U7
		}
		o.fail("user_status", msg)
	}

	b.ouID = member(o, "ct_user_ou_id", true, patch, o.int)

	// The role comes as a name ("role") or an id ("role_id"); one is required (U1).
	var byName, byID field[int]
	if name, ok := o.str("role"); ok {
		if byName.v, byName.set = roleNames[name]; !byName.set {
			o.fail("role", "must be Admin, Standard or ReadOnly")
		}
	}
	if id, ok := o.int("role_id"); ok {
		if byID.v, byID.set = int(id), id >= roleAdmin && id <= roleReadOnly; !byID.set {
			o.fail("role_id", "must be 1, 2 or 3")
		}
	}
	switch {
	case byName.set && byID.set && byName.v != byID.v:
		o.fail("role_id", "does not match role")
	case byName.set:
		b.roleID = byName
	case byID.set:
		b.roleID = byID
	case !patch && !o.given("role") && !o.given("role_id"):
		o.fail("role", "is required (role or role_id)")
	}
	if patch && (o.isNull("role") || o.isNull("role_id")) {
		o.fail("role", "must not be null")
	}

	b.agentCode = nullable(o, "agent_code", o.int)
	b.scoreCall = nullable(o, "score_call", o.boolean)
	b.accessAudio = member(o, "access_audio", false, patch, o.boolean)
	b.aliases = nullable(o, "aliases", o.strs)
	if patch {
		o.requireChange(userFields)
	}
	return b, o.err()
}

// knownOrgUnit is the first half of U2, part of the 400 step: the body's
// ct_user_ou_id must exist.
func (c *call) knownOrgUnit(b userBody) *apiError {
	if b.ouID.set && c.st.orgUnit(b.ouID.v) == nil {
		return invalid(fieldError{"ct_user_ou_id", "org unit does not exist"})
	}
	return nil
}

// orgUnitInScope is the second half of U2: the body's ct_user_ou_id must lie
// within the caller's hierarchy, else 403.
func (c *call) orgUnitInScope(b userBody) *apiError {
	if b.ouID.set && !c.inScope(b.ouID.v) {
		return outsideHierarchy(b.ouID.v)
	}
	return nil
}

// checkEmail applies U4: an email may belong to one user only, deleted users
// included, compared case-insensitively.
func (c *call) checkEmail(b userBody, self int64) *apiError {
	if other := c.st.userByEmail(b.username.v); b.username.set && other != nil && other.ID != self {
		return errorf(http.StatusConflict, "User with email %s already exists", b.username.v)
	}
	return nil
}

// apply writes the body onto u. With full set (create, PUT) the members that
// were not sent take their defaults; otherwise (PATCH) they stay unchanged.
func (b userBody) apply(u *user, full bool, st *state) {
	setValue(&u.Email, b.username, full, u.Email)
	setValue(&u.FirstName, b.firstName, full, u.FirstName)
	setValue(&u.LastName, b.lastName, full, u.LastName)
	if b.ouID.set {
		u.OrgUnitID = b.ouID.v
	}
	if b.roleID.set {
		u.RoleID = b.roleID.v
	}
	setValue(&u.Status, b.status, full, statusActive)
	setValue(&u.Timezone, b.timezone, full, st.OrgUnits[u.OrgUnitID].Timezone) // U3
	setNullable(&u.ExtID, b.extID, full)
	setNullable(&u.AgentRingTo, b.ringTo, full)
	setNullable(&u.AgentCode, b.agentCode, full)
	setNullable(&u.ScoreCall, b.scoreCall, full)
	setValue(&u.AccessAudio, b.accessAudio, full, false)
	setValue(&u.Aliases, b.aliases, full, nil) // nil when null or absent: encodes as null
}

// createUser is POST /v3/users.
func createUser(c *call) (any, *apiError) {
	b, err := c.decodeUserBody(false)
	if err == nil {
		err = c.knownOrgUnit(b)
	}
	if err == nil {
		err = c.orgUnitInScope(b)
	}
	if err == nil {
		err = c.checkEmail(b, 0)
	}
	if err != nil {
		return nil, err
	}
	u := &user{
		ID: c.st.newID(), PasswordHash: hashPassword(TemporaryPassword),
		GroupAccess: 1, ReportAccess: 1, Created: c.now,
	}
	b.apply(u, true, c.st)
	c.st.addUser(u)
	return map[string]int64{"userId": u.ID}, nil
}

// updateUser is PUT /v3/users/{id} and patchUser PATCH /v3/users/{id}: both
// validate the body (400, an unknown ct_user_ou_id included), then find the
// user (404), then check the org unit's scope (403) and the email (409). A
// deleted user cannot be edited (409): it would otherwise come back to life
// through user_status.
func updateUser(c *call) (any, *apiError) { return c.editUser(false) }
func patchUser(c *call) (any, *apiError)  { return c.editUser(true) }

func (c *call) editUser(patch bool) (any, *apiError) {
	id, b, err := idAndBody(c, patch, c.decodeUserBody)
	if err == nil {
		err = c.knownOrgUnit(b)
	}
	if err != nil {
		return nil, err
	}
	u, err := visible(c, c.st.Users, id, "User")
	if err == nil {
		err = c.orgUnitInScope(b)
	}
	if err == nil {
		err = c.checkEmail(b, u.ID)
	}
	if err == nil && u.Status == statusDeleted {
		err = errorf(http.StatusConflict, "user %d is deleted", u.ID)
	}
	if err != nil {
		return nil, err
	}
	old := u.Email
	b.apply(u, !patch, c.st)
	if u.Email != old {
		c.st.emails = nil // rebuilt on the next lookup; email changes are rare
	}
	return c.st.userDetail(u), nil
}

// deleteUser is DELETE /v3/users/{id}: a soft delete (U5, U6). Deleting a
// deleted user succeeds and changes nothing.
func deleteUser(c *call) (any, *apiError) {
	u, err := lookup(c, c.st.Users, "User")
	if err != nil {
		return nil, err
	}
	u.Status = statusDeleted
	return map[string]int64{"userId": u.ID}, nil
}
