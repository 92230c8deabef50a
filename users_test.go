package convirza

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsersListWire(t *testing.T) {
	page := assertSends(t, "GET", "/users/list", url.Values{
		"limit": {"25"}, "offset": {"50"}, "org_unit_id": {"70035"}, "name": {"doe"},
		"email": {"example.com"}, "role_id": {"2"}, "user_status": {"active"},
		"sort_by": {"name"}, "sort_order": {"asc"},
	}, string(golden(t, "users/list.json")), "", func(c *Client) (*Page[User], error) {
		return c.Users.List(context.Background(), &ListUsersParams{
			PageParams: PageParams{Limit: 25, Offset: 50},
			OrgUnitID:  70035, Name: "doe", Email: "example.com", RoleID: RoleIDStandard,
			Status: UserActive, SortBy: SortByName, Order: Ascending,
		})
	})

	assert.Equal(t, 50, page.Total)
	require.Len(t, page.Items, 1)
	u := page.Items[0]
	assert.Equal(t, int64(10001), u.ID)
	assert.Equal(t, "John", u.FirstName)
	assert.Equal(t, "john.doe@example.com", u.Email)
	assert.Equal(t, UserActive, u.Status)
	assert.Equal(t, Bool(true), u.AccessAudio)
	assert.Equal(t, int64(65000), u.ParentGroupOrgUnitID)
	assert.Equal(t, time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC), u.Created)
	assert.Contains(t, string(u.Raw), `"agent_id": "AGT-001"`)
}

// Bad paging is refused by TestListsRefuseBadPagingBeforeIO, for every list.
func TestUsersListRefusesBadRoleBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]*ListUsersParams{
		"role id 4":  {RoleID: 4},
		"role id -1": {RoleID: -1},
	}, func(c *Client, p *ListUsersParams) error {
		_, err := c.Users.List(context.Background(), p)
		return err
	})
}

func TestUsersGetWire(t *testing.T) {
	u := assertGetWire(t, "/users/%d", 10001, string(golden(t, "users/get.json")), func(c *Client, id int64) (*User, error) {
		return c.Users.Get(context.Background(), id)
	})
	assert.Equal(t, int64(70035), u.OrgUnitID)
	assert.Equal(t, RoleIDStandard, u.RoleID)
	assert.Equal(t, "America/New_York", u.Timezone)
	assert.Equal(t, 1, u.AgentCode)
	assert.True(t, u.ScoreCall)
	assert.Nil(t, u.Aliases)
}

func TestUsersCreateWire(t *testing.T) {
	// The docs' own example body, but for "aliases": null, which we leave out.
	assertWriteWire(t, "POST", "/users", string(golden(t, "users/create.json")),
		`{"username":"admin@example.com","first_name":"Admin","last_name":"User","ct_user_ou_id":1001,"role":"Admin","user_ext_id":"EXT-ADMIN-001","user_status":"active","timezone":"America/New_York","agent_ring_to":"+1234567890","agent_code":10,"score_call":true,"access_audio":true}`,
		12346, func(c *Client) (*Created, error) {
			return c.Users.Create(context.Background(), &CreateUserParams{
				Email: "admin@example.com", FirstName: "Admin", LastName: "User", OrgUnitID: 1001,
				Role: RoleAdmin, ExtID: "EXT-ADMIN-001", Status: UserActive, Timezone: "America/New_York",
				AgentRingTo: "+1234567890", AgentCode: Set(10), ScoreCall: Set(true), AccessAudio: Set(true),
			})
		})
}

func TestUsersCreateDuplicateEmail(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "POST", "/users", 409,
		`{"code":409,"message":"User with email a@b.c already exists","requestId":"r-409","timestamp":"2026-01-20T12:34:56.789Z"}`)
	_, err := c.Users.Create(context.Background(), &CreateUserParams{
		Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleStandard})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrDuplicateEmail)
	assert.ErrorIs(t, err, ErrConflict)
	assert.NotErrorIs(t, err, ErrNotFound)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "r-409", apiErr.RequestID)
	assert.Equal(t, http.StatusConflict, apiErr.StatusCode)
	assert.Equal(t, "convirza: POST /users: 409 Conflict: User with email a@b.c already exists [request_id r-409]", err.Error())
}

func TestUsersCreateValidatesBeforeIO(t *testing.T) {
	ok := CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin}
	cases := changed(ok, map[string]func(p *CreateUserParams){
		"empty email": func(p *CreateUserParams) { p.Email = " " },
		"no first":    func(p *CreateUserParams) { p.FirstName = "" },
		"no last":     func(p *CreateUserParams) { p.LastName = "" },
		"no org unit": func(p *CreateUserParams) { p.OrgUnitID = 0 },
		"no role":     func(p *CreateUserParams) { p.Role = "" },
		"bad role id": func(p *CreateUserParams) { p.Role, p.RoleID = "", 7 },
		"deleted":     func(p *CreateUserParams) { p.Status = UserDeleted },
	})
	cases["nil"] = nil
	assertRefusedBeforeIO(t, cases, func(c *Client, p *CreateUserParams) error {
		_, err := c.Users.Create(context.Background(), p)
		return err
	})
}

func TestUsersUpdateWire(t *testing.T) {
	u := assertWriteWire(t, "PUT", "/users/10001", string(golden(t, "users/get.json")),
		`{"username":"john.doe@example.com","first_name":"John","last_name":"Doe","ct_user_ou_id":70035,"role":"Standard","aliases":["JD"],"access_audio":true}`,
		10001, func(c *Client) (*User, error) {
			return c.Users.Update(context.Background(), 10001, &UpdateUserParams{
				Email: "john.doe@example.com", FirstName: "John", LastName: "Doe", OrgUnitID: 70035,
				Role: RoleStandard, Aliases: Set([]string{"JD"}), AccessAudio: Set(true)})
		})
	assert.Equal(t, "John", u.FirstName)
}

func TestUsersUpdateRefetchesWhenAnswerHasNoRecord(t *testing.T) {
	assertUpdateRefetches(t, "/users/%d", 10001, `{"userId":10001}`, string(golden(t, "users/get.json")), func(c *Client, id int64) (*User, error) {
		return c.Users.Update(context.Background(), id, &UpdateUserParams{Email: "j@x.y", FirstName: "J", LastName: "D", OrgUnitID: 1, RoleID: 2})
	})
}

func TestUsersPatchThreeStates(t *testing.T) {
	assertWriteWire(t, "PATCH", "/users/10001", string(golden(t, "users/get.json")),
		`{"agent_ring_to":"+14255559876","access_audio":false,"user_ext_id":null}`, 10001, func(c *Client) (*User, error) {
			return c.Users.Patch(context.Background(), 10001, &PatchUserParams{
				AgentRingTo: Set("+14255559876"), // a value
				AccessAudio: Set(false),          // a zero value is still sent
				ExtID:       Null[string](),      // null; every other field is left out
			})
		})
}

func TestUsersPatchRefusesEmptyAndDeletedBeforeIO(t *testing.T) {
	assertRefusedBeforeIO(t, map[string]withID[PatchUserParams]{
		"empty":   {1, &PatchUserParams{}},
		"nil":     {1, nil},
		"deleted": {1, &PatchUserParams{Status: Set(UserDeleted)}},
		"id 0":    {0, &PatchUserParams{FirstName: Set("x")}},
	}, func(c *Client, p withID[PatchUserParams]) error {
		_, err := c.Users.Patch(context.Background(), p.id, p.p)
		return err
	})
}

func TestUsersDeleteWire(t *testing.T) {
	assertDeleteWire(t, "/users/%d", 10001, string(golden(t, "users/delete.json")), func(c *Client, id int64) error {
		return c.Users.Delete(context.Background(), id)
	})
}

func TestUsersGolden(t *testing.T) {
	page := decodeGolden[userList](t, goldenData(t, "users/list.json"))
	require.Len(t, page.Users, 1)

	get := goldenData(t, "users/get.json")
	u := decodeGolden[User](t, get)
	assert.JSONEq(t, string(get), string(u.Raw), "Raw keeps the object whole")

	assertGoldenIDs(t, 12346, "users/create.json")
	assertGoldenIDs(t, 10001, "users/delete.json")
	// The documented Create User body, "aliases": null included, is one a
	// CreateUserParams sends as it is; [] is sent as [].
	body := golden(t, "users/create_request.json")
	p := decodeGolden[CreateUserParams](t, body)
	assert.True(t, p.Aliases.IsNull())
	assertEncodesAs(t, body, p)
	p.Aliases = Set([]string{})
	out, err := json.Marshal(p)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"aliases":[]`)
}

func TestUserToleratesDrift(t *testing.T) {
	var u User
	require.NoError(t, jsonUnmarshal([]byte(`{"ct_user_id":"10001","access_audio":"No","score_call":"yes",
		"agent_code":"7","aliases":"JD","user_created":"2026-03-29 12:00:00","role_id":2.0,"brand_new":{"x":1}}`), &u))
	assert.Equal(t, int64(10001), u.ID)
	assert.Equal(t, Bool(false), u.AccessAudio)
	assert.True(t, u.ScoreCall)
	assert.Equal(t, 7, u.AgentCode)
	assert.Equal(t, []string{"JD"}, u.Aliases)
	assert.Equal(t, 2026, u.Created.Year())
	assert.Equal(t, 2, u.RoleID)
	assert.Contains(t, string(u.Raw), "brand_new")
}
