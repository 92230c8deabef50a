package convirza

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strings"
	"time"
)

// Paths of the Users operations.
const (
	usersListPath = "/users/list"
	usersPath     = "/users"
	userPath      = "/users/%v"
)

// UsersService manages users (Admin only). Users are soft-deleted: a deleted
// user keeps its record, with status "deleted".
type UsersService struct{ c *Client }

// Role is a user's role name, as sent in request bodies.
type Role string

// The roles.
const (
	RoleAdmin    Role = "Admin"
	RoleStandard Role = "Standard"
	RoleReadOnly Role = "ReadOnly"
)

// Role ids, as in role_id.
const (
	RoleIDAdmin    = 1
	RoleIDStandard = 2
	RoleIDReadOnly = 3
)

// UserStatus is a user's status. Unknown values are kept as sent.
type UserStatus string

// The user statuses. Deleted is reached only through Delete.
const (
	UserActive   UserStatus = "active"
	UserInactive UserStatus = "inactive"
	UserDeleted  UserStatus = "deleted"
)

// User is a user as List and Get return it. The fields after Created are
// returned by Get only.
type User struct {
	ID                    int64      `json:"ct_user_id"`
	FirstName             string     `json:"first_name"`
	LastName              string     `json:"last_name"`
	Email                 string     `json:"email"`
	ExtID                 string     `json:"user_ext_id"`
	Status                UserStatus `json:"status"`
	AgentRingTo           string     `json:"agent_ring_to"`
	AgentID               string     `json:"agent_id"`
	Group                 string     `json:"group"`
	GroupOrgUnitID        int64      `json:"group_org_unit_id"`
	GroupExternalID       string     `json:"group_external_id"`
	Account               string     `json:"account"`
	AccountOrgUnitID      int64      `json:"account_org_unit_id"`
	AccountExternalID     string     `json:"account_external_id"`
	ParentGroup           string     `json:"parent_group"`
	ParentGroupOrgUnitID  int64      `json:"parent_group_org_unit_id"`
	ParentGroupExternalID string     `json:"parent_group_external_id"`
	// Role is the display label, such as "Standard User".
	Role            string    `json:"role"`
	AccessAudio     Bool      `json:"access_audio"`
	GroupAccess     int       `json:"group_access"`
	ReportAccess    int       `json:"report_access"`
	AssignScorecard bool      `json:"assign_scorecard"`
	Created         time.Time `json:"user_created"`

	OrgUnitID int64    `json:"ct_user_ou_id"`
	RoleID    int      `json:"role_id"`
	Timezone  string   `json:"timezone"`
	AgentCode int      `json:"agent_code"`
	ScoreCall bool     `json:"score_call"`
	Aliases   []string `json:"aliases"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (u *User) UnmarshalJSON(b []byte) error {
	type alias User
	return decodeModel(b, (*alias)(u), &u.Raw)
}

// UserSort is a List Users sort key.
type UserSort string

// The sort keys of List Users.
const (
	SortByCreated UserSort = "created_on"
	SortByName    UserSort = "name"
	SortByEmail   UserSort = "email"
)

// SortOrder is ascending or descending.
type SortOrder string

// The sort orders.
const (
	Ascending  SortOrder = "asc"
	Descending SortOrder = "desc"
)

// ListUsersParams filters List Users. The zero value lists the active and
// inactive users of the caller's org unit and every unit below it.
type ListUsersParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the caller's).
	OrgUnitID int64 `url:"org_unit_id,omitempty"`
	// Name matches part of "first last", ignoring case.
	Name string `url:"name,omitempty"`
	// Email matches part of the email, ignoring case.
	Email  string     `url:"email,omitempty"`
	RoleID int        `url:"role_id,omitempty"`
	Status UserStatus `url:"user_status,omitempty"`
	SortBy UserSort   `url:"sort_by,omitempty"`
	Order  SortOrder  `url:"sort_order,omitempty"`
}

// List returns one page of users (100 by default).
//
// Convirza API: GET /users/list
func (s *UsersService) List(ctx context.Context, params *ListUsersParams, opts ...RequestOption) (*Page[User], error) {
	var p ListUsersParams
	if params != nil {
		p = *params
	}
	if p.RoleID != 0 {
		if err := checkRoleID(p.RoleID); err != nil {
			return nil, err
		}
	}
	return listPage[User, userList](ctx, s.c, usersListPath, &p, 100, opts)
}

// All returns every user that params matches, fetching pages as the loop
// goes. It stops at the first error, which it yields.
func (s *UsersService) All(ctx context.Context, params *ListUsersParams, opts ...RequestOption) iter.Seq2[User, error] {
	return all(ctx, params, func(ctx context.Context, p *ListUsersParams) (*Page[User], error) {
		return s.List(ctx, p, opts...)
	})
}

// Get returns a user, a deleted one included.
//
// Convirza API: GET /users/{id}
func (s *UsersService) Get(ctx context.Context, id int64, opts ...RequestOption) (*User, error) {
	return getByID[User](ctx, s.c, "user", userPath, id, opts)
}

// CreateUserParams is a new user. Email, FirstName, LastName, OrgUnitID and
// a role (Role or RoleID) are required.
type CreateUserParams struct {
	// Email is the login email (sent as "username"); unique across the
	// platform, ignoring case.
	Email     string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	// OrgUnitID is the user's org unit, inside the caller's hierarchy.
	OrgUnitID int64 `json:"ct_user_ou_id"`
	// Role is sent when set; otherwise RoleID.
	Role   Role       `json:"role,omitempty"`
	RoleID int        `json:"role_id,omitempty"`
	ExtID  string     `json:"user_ext_id,omitempty"`
	Status UserStatus `json:"user_status,omitempty"`
	// Aliases are sent when set: Set([]string{"JD"}), Set([]string{}) for
	// [], or Null[[]string]() for the null of the docs' example body.
	Aliases Optional[[]string] `json:"aliases,omitzero"`
	// Timezone is an IANA zone; the default is the org unit's.
	Timezone    string         `json:"timezone,omitempty"`
	AgentRingTo string         `json:"agent_ring_to,omitempty"`
	AgentCode   Optional[int]  `json:"agent_code,omitzero"`
	ScoreCall   Optional[bool] `json:"score_call,omitzero"`
	AccessAudio Optional[bool] `json:"access_audio,omitzero"`
}

// UpdateUserParams is the full replacement of a user: the fields of
// CreateUserParams, with the same required ones. Fields left out fall back
// to their defaults.
type UpdateUserParams = CreateUserParams

func (p *CreateUserParams) validate() error {
	if p == nil {
		return invalidf("user params are required")
	}
	var missing []string
	if strings.TrimSpace(p.Email) == "" {
		missing = append(missing, "Email")
	}
	if strings.TrimSpace(p.FirstName) == "" {
		missing = append(missing, "FirstName")
	}
	if strings.TrimSpace(p.LastName) == "" {
		missing = append(missing, "LastName")
	}
	if p.OrgUnitID <= 0 {
		missing = append(missing, "OrgUnitID")
	}
	if p.Role == "" && p.RoleID == 0 {
		missing = append(missing, "Role")
	}
	if len(missing) > 0 {
		return invalidf("user needs %s", strings.Join(missing, ", "))
	}
	if p.RoleID != 0 {
		return checkRoleID(p.RoleID)
	}
	return checkStatus(p.Status)
}

func checkRoleID(id int) error {
	if id < RoleIDAdmin || id > RoleIDReadOnly {
		return invalidf("role id must be 1, 2 or 3, got %d", id)
	}
	return nil
}

func checkStatus(s UserStatus) error {
	if s == UserDeleted {
		return invalidf("user status %q is reached only through Delete", s)
	}
	return nil
}

// Create creates a user and returns its id. An email already in use is an
// error matching ErrDuplicateEmail (and ErrConflict).
//
// Convirza API: POST /users
func (s *UsersService) Create(ctx context.Context, params *CreateUserParams, opts ...RequestOption) (*Created, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return create(ctx, s.c, &request{method: http.MethodPost, path: usersPath, body: params, conflict: ErrDuplicateEmail}, opts)
}

// Update replaces a user and returns it. Another user's email is an error
// matching ErrDuplicateEmail.
//
// Convirza API: PUT /users/{id}
func (s *UsersService) Update(ctx context.Context, id int64, params *UpdateUserParams, opts ...RequestOption) (*User, error) {
	if err := requireID("user", id); err != nil {
		return nil, err
	}
	if err := params.validate(); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPut, path: pathf(userPath, id), body: params, conflict: ErrDuplicateEmail}
	return update(ctx, s.c, r, (*User).hasID, opts)
}

// PatchUserParams changes some fields of a user: each field is left out
// (the zero value), set with Set, or cleared with Null.
type PatchUserParams struct {
	Email       Optional[string]     `json:"username,omitzero"`
	FirstName   Optional[string]     `json:"first_name,omitzero"`
	LastName    Optional[string]     `json:"last_name,omitzero"`
	OrgUnitID   Optional[int64]      `json:"ct_user_ou_id,omitzero"`
	Role        Optional[Role]       `json:"role,omitzero"`
	RoleID      Optional[int]        `json:"role_id,omitzero"`
	ExtID       Optional[string]     `json:"user_ext_id,omitzero"`
	Status      Optional[UserStatus] `json:"user_status,omitzero"`
	Aliases     Optional[[]string]   `json:"aliases,omitzero"`
	Timezone    Optional[string]     `json:"timezone,omitzero"`
	AgentRingTo Optional[string]     `json:"agent_ring_to,omitzero"`
	AgentCode   Optional[int]        `json:"agent_code,omitzero"`
	ScoreCall   Optional[bool]       `json:"score_call,omitzero"`
	AccessAudio Optional[bool]       `json:"access_audio,omitzero"`
}

// Patch changes the fields of a user that params sets, and returns the user.
//
// Convirza API: PATCH /users/{id}
func (s *UsersService) Patch(ctx context.Context, id int64, params *PatchUserParams, opts ...RequestOption) (*User, error) {
	if err := requireID("user", id); err != nil {
		return nil, err
	}
	if err := requirePatch(params); err != nil {
		return nil, err
	}
	if st, ok := params.Status.Get(); ok {
		if err := checkStatus(st); err != nil {
			return nil, err
		}
	}
	r := &request{method: http.MethodPatch, path: pathf(userPath, id), body: params, conflict: ErrDuplicateEmail}
	return update(ctx, s.c, r, (*User).hasID, opts)
}

// Delete soft-deletes a user: its status becomes "deleted". Deleting a
// deleted user succeeds and changes nothing.
//
// Convirza API: DELETE /users/{id}
func (s *UsersService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "user", userPath, id, opts)
}

func (u *User) hasID() bool { return u.ID != 0 }

// userList is the data of a list of User records: the items under "users".
type userList struct {
	Users []User `json:"users"`
	Total int    `json:"total"`
}

func (l *userList) page() ([]User, int) { return l.Users, l.Total }
