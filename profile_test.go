package convirza

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convirza-community/convirza-go/convirzatest"
)

func TestAuthProfileWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/auth/profile", 200, string(golden(t, "auth/profile.json")))
	p, err := c.Auth.Profile(context.Background())
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/auth/profile", nil, "")
	assert.Equal(t, int64(12345), p.UserID)
	assert.Equal(t, "user@example.com", p.Email)
	assert.Equal(t, "John", p.FirstName)
	assert.Equal(t, "Doe", p.LastName)
	assert.Equal(t, RoleIDStandard, p.RoleID)
	assert.Equal(t, int64(1001), p.OrgUnitID)
	assert.Equal(t, "America/New_York", p.Timezone)
}

func TestAuthProfileUnauthorized(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/auth/profile", 401, `{"code":401,"message":"Token expired"}`)
	_, err := c.Auth.Profile(context.Background())
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 1, rec.count(), "a static token cannot be refreshed")
}

func TestAuthProfileGolden(t *testing.T) {
	data := goldenData(t, "auth/profile.json")
	var p Profile
	require.NoError(t, jsonUnmarshal(data, &p))
	assertKnownFields(t, data, p)
	assert.JSONEq(t, string(data), string(p.Raw), "Raw keeps the object whole")
}

func TestAuthProfileToleratesDrift(t *testing.T) {
	var p Profile
	require.NoError(t, jsonUnmarshal([]byte(`{"user_id":"12345","role_id":"3","org_unit_id":1001.0,"new_field":[1]}`), &p))
	assert.Equal(t, int64(12345), p.UserID)
	assert.Equal(t, RoleIDReadOnly, p.RoleID)
	assert.Equal(t, int64(1001), p.OrgUnitID)
	assert.Contains(t, string(p.Raw), "new_field")
}

func TestAuthProfileAgainstFake(t *testing.T) {
	srv := convirzatest.NewServer(t)
	c, err := NewClient(WithBaseURL(srv.URL), WithAuthBaseURL(srv.AuthURL),
		WithCredentials(convirzatest.StandardEmail, srv.AdminPassword))
	require.NoError(t, err)
	p, err := c.Auth.Profile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, convirzatest.StandardUserID, p.UserID)
	assert.Equal(t, convirzatest.StandardEmail, p.Email)
	assert.Equal(t, "Sam", p.FirstName)
	assert.Equal(t, "Ortega", p.LastName)
	assert.Equal(t, RoleIDStandard, p.RoleID)
	assert.Equal(t, convirzatest.SalesOrgUnitID, p.OrgUnitID)
	assert.Equal(t, "America/New_York", p.Timezone)
	assertKnownFields(t, p.Raw, p)

	// A token the fake does not know, and no way to get another.
	bad, err := NewClient(WithBaseURL(srv.URL), WithToken("not-a-token"))
	require.NoError(t, err)
	_, err = bad.Auth.Profile(context.Background())
	assert.ErrorIs(t, err, ErrUnauthorized)
}
