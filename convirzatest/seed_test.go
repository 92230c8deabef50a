package convirzatest

import (
	"bytes"
	"strings"
	"testing"
)

const initechSeed = `{
  "org_units": [
    {"id": 3001, "name": "Initech", "timezone": "America/Chicago"},
    {"id": 3002, "name": "Printers", "parent_id": 3001}
  ],
  "users": [
    {"id": 4001, "email": "bill@initech.example", "password": "TPS-report-1",
     "first_name": "Bill", "last_name": "Lumbergh", "org_unit_id": 3001, "role_id": 1},
    {"id": 4002, "email": "milton@initech.example",
     "first_name": "Milton", "last_name": "Waddams", "org_unit_id": 3002, "role_id": 3}
  ]
}`

func TestLoadSeedAddsRecords(t *testing.T) {
	s := NewServer(t)
	if err := s.LoadSeed([]byte(initechSeed)); err != nil {
		t.Fatal(err)
	}
	if s.AdminEmail != AdminEmail || s.AdminPassword != SeedPassword {
		t.Errorf("admin changed to %s", s.AdminEmail)
	}
	printers := s.st.OrgUnits[3002]
	if printers.TopID != 3001 || printers.Timezone != "America/Chicago" || printers.Status != "active" || printers.Created.IsZero() {
		t.Errorf("org unit defaults: %+v", printers)
	}
	tok := token(t, s, AdminEmail) // the built-in seed is still there
	send(t, "GET", s.URL+"/users/10002", tok, nil).want(t, 200)
	send(t, "GET", s.URL+"/users/4001", tok, nil).want(t, 404) // another account

	bill := tokens(t, s, "bill@initech.example", "TPS-report-1").AccessToken
	m := getUserMap(t, s, bill, 4002)
	if m["status"] != "active" || m["timezone"] != "America/Chicago" {
		t.Errorf("user defaults: %v", m)
	}
	tokens(t, s, "milton@initech.example", SeedPassword) // no password: the seed password
	if id := mkUser(t, s, bill, body("peter@initech.example", map[string]any{"ct_user_ou_id": 3002})); id <= 4002 {
		t.Errorf("new id %d is not past the seeded ones", id)
	}
}

func TestLoadSeedReplace(t *testing.T) {
	s := NewServer(t)
	seed := strings.Replace(initechSeed, "{\n", `{"replace_seed": true,`+"\n", 1)
	if err := s.LoadSeed([]byte(seed)); err != nil {
		t.Fatal(err)
	}
	if len(s.st.Users) != 2 || len(s.st.OrgUnits) != 2 {
		t.Errorf("%d users, %d org units", len(s.st.Users), len(s.st.OrgUnits))
	}
	if s.AdminEmail != "bill@initech.example" || s.AdminPassword != "TPS-report-1" {
		t.Errorf("admin %q %q", s.AdminEmail, s.AdminPassword)
	}
	send(t, "POST", s.AuthURL+"/oauth/token", "", map[string]string{"email": AdminEmail, "password": SeedPassword}).want(t, 401)
	token(t, s, "milton@initech.example")

	// Without an Admin whose password the seed gives, there is none to print.
	f := NewFake()
	if err := f.LoadSeed([]byte(`{"replace_seed":true,"org_units":[{"id":1,"name":"A"}],
		"users":[{"id":2,"email":"a@a.example","first_name":"A","last_name":"B","org_unit_id":1,"role_id":1}]}`)); err != nil {
		t.Fatal(err)
	}
	if f.AdminEmail != "" || f.AdminPassword != "" {
		t.Errorf("admin %q %q", f.AdminEmail, f.AdminPassword)
	}
}

func TestLoadSeedTakesASnapshot(t *testing.T) {
	a := NewServer(t)
	tok := token(t, a, AdminEmail)
	mkUser(t, a, tok, body("snap@acme.example", nil))
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	b := NewFake()
	if err := b.LoadSeed(snap); err != nil {
		t.Fatal(err)
	}
	again, _ := b.Snapshot()
	if !bytes.Equal(snap, again) {
		t.Errorf("a snapshot as a seed changed:\n%s\n%s", snap, again)
	}
}

func TestLoadSeedRejects(t *testing.T) {
	user := `{"id":4001,"email":"x@i.example","first_name":"X","last_name":"Y","org_unit_id":1001,"role_id":2`
	for name, seed := range map[string]string{
		"not JSON":                 `{`,
		"an array":                 `[]`,
		"unknown member":           `{"user":[]}`,
		"misspelt field":           `{"users":[` + user + `,"frist_name":"Z"}]}`,
		"no id":                    `{"org_units":[{"name":"A"}]}`,
		"duplicate id":             `{"org_units":[{"id":5,"name":"A"},{"id":5,"name":"B"}]}`,
		"missing org unit":         `{"users":[{"id":4001,"email":"x@i.example","first_name":"X","last_name":"Y","org_unit_id":9,"role_id":2}]}`,
		"missing parent":           `{"org_units":[{"id":5,"name":"A","parent_id":6}]}`,
		"a cycle":                  `{"org_units":[{"id":5,"name":"A","parent_id":6},{"id":6,"name":"B","parent_id":5}]}`,
		"bad role":                 `{"users":[{"id":4001,"email":"x@i.example","first_name":"X","last_name":"Y","org_unit_id":1001,"role_id":7}]}`,
		"bad status":               `{"users":[` + user + `,"status":"actve"}]}`,
		"bad org unit status":      `{"org_units":[{"id":5,"name":"A","status":"gone"}]}`,
		"empty password":           `{"users":[` + user + `,"password":""}]}`,
		"version 2":                `{"version":2}`,
		"replace_seed string":      `{"replace_seed":"yes"}`,
		"null record":              `{"users":{"4001":null}}`,
		"tokens as an array":       `{"access_tokens":[{"id":1}]}`,
		"records not a list":       `{"users":7}`,
		"id neither":               `{"users":[{"id":true}]}`,
		"array item not an object": `{"users":[7]}`,
	} {
		f := NewFake()
		before, _ := f.Snapshot()
		if err := f.LoadSeed([]byte(seed)); err == nil || !strings.HasPrefix(err.Error(), "convirzatest: seed: ") {
			t.Errorf("%s: err %v", name, err)
		}
		if after, _ := f.Snapshot(); !bytes.Equal(before, after) {
			t.Errorf("%s: the state changed", name)
		}
	}
}
