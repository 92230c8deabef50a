package convirzatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// LoadSeed adds the records of a seed file to the state, for a fake that
// starts with an application's own data (cmd/convirza-mock -seed).
//
// A seed file is a state file (what Snapshot writes) with every member
// optional and friendlier records:
//
//	{
//	  "replace_seed": false,
//	  "org_units": [
//	    {"id": 3001, "name": "Initech", "timezone": "America/Chicago"},
//	    {"id": 3002, "name": "Printers", "parent_id": 3001}
//	  ],
//	  "users": [
//	    {"id": 4001, "email": "bill@initech.example", "password": "TPS-report-1",
//	     "first_name": "Bill", "last_name": "Lumbergh", "org_unit_id": 3001, "role_id": 1}
//	  ]
//	}
//
// Each member is a kind of record, named as in Snapshot ("org_units",
// "users", and one member per other area), given either as an array of
// records with their "id" or, as Snapshot writes it, as an object keyed by
// id. A record replaces the record of the same id whole; the others stay.
// With "replace_seed": true the state starts empty instead of from the
// built-in seed. Members and record fields that the fake does not know are
// errors, so a typo is not silently ignored. Members that are not records
// are taken as given: "version" must be 1 when set, and "next_id" is raised
// past every id in use.
//
// Defaults make short records enough. Org units: "status" active,
// "top_id" the root of the parent chain, "timezone" the parent's
// (America/New_York on a root), "created" and "modified" now. Users:
// "password" in plain text (stored hashed; SeedPassword when neither it nor
// "password_hash" is given), "status" active, "timezone" the org unit's,
// "created" now. References are checked as by Restore: on any error the
// state is left unchanged.
//
// When the seeded Admin (AdminEmail) is gone or no longer logs in with
// SeedPassword, AdminEmail and AdminPassword are set to the active Admin of
// the lowest id whose password the seed gives in plain text, or emptied.
// Call LoadSeed before the fake serves requests.
func (f *Fake) LoadSeed(data []byte) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return fmt.Errorf("convirzatest: seed: not a JSON object: %v", err)
	}
	replace := false
	if raw, ok := doc["replace_seed"]; ok {
		if err := json.Unmarshal(raw, &replace); err != nil {
			return fmt.Errorf("convirzatest: seed: replace_seed: %w", err)
		}
		delete(doc, "replace_seed")
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	base := &state{Version: stateVersion, NextID: firstUserID}
	if !replace {
		base = f.st
	}
	merged, passwords, err := mergeSeed(base, doc)
	if err == nil {
		err = f.applySeedDefaults(merged)
	}
	if err == nil {
		err = merged.check()
	}
	if err != nil {
		return fmt.Errorf("convirzatest: seed: %w", err)
	}
	merged.emails = nil // the merge may have replaced users in place
	f.st = merged
	f.pickAdmin(passwords)
	return nil
}

// mergeSeed returns base with the seed's records laid over it, and the
// plain-text passwords the seed gave, by user id.
func mergeSeed(base *state, doc map[string]json.RawMessage) (*state, map[int64]string, error) {
	raw, err := json.Marshal(base)
	if err != nil {
		return nil, nil, err
	}
	var cur map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cur); err != nil {
		return nil, nil, err
	}
	kinds, others := stateMembers()
	passwords := map[int64]string{}
	for member, value := range doc {
		switch {
		case slices.Contains(others, member):
			cur[member] = value // not records: taken as given
			continue
		case !slices.Contains(kinds, member):
			return nil, nil, fmt.Errorf("unknown member %q (known: replace_seed, %s)", member,
				strings.Join(slices.Concat(others, kinds), ", "))
		}
		records, err := seedRecords(member, value)
		if err != nil {
			return nil, nil, err
		}
		var existing map[string]json.RawMessage
		_ = json.Unmarshal(cur[member], &existing) // null for an empty map
		if existing == nil {
			existing = map[string]json.RawMessage{}
		}
		for id, rec := range records {
			if member == "users" {
				if pw, err := userPassword(rec); err != nil {
					return nil, nil, fmt.Errorf("users[%s]: %w", id, err)
				} else if pw != "" {
					n, _ := strconv.ParseInt(id, 10, 64)
					passwords[n] = pw
				}
			}
			if member == "users" || member == "org_units" {
				setDefault(rec, "status", `"active"`)
			}
			b, _ := json.Marshal(rec)
			existing[id] = b
		}
		cur[member], _ = json.Marshal(existing)
	}
	raw, _ = json.Marshal(cur)
	s := &state{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return nil, nil, err
	}
	if s.Version != stateVersion {
		return nil, nil, fmt.Errorf("state version %d, want %d", s.Version, stateVersion)
	}
	makeMaps(s)
	if _, err := scanMaps(s); err != nil {
		return nil, nil, err
	}
	return s, passwords, nil
}

// stateMembers lists the JSON names of the state's record maps, every
// area's included, and of its other members (version, next_id, ...).
func stateMembers() (maps, others []string) {
	t := reflect.TypeFor[state]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Type.Kind() == reflect.Map {
			maps = append(maps, name)
		} else {
			others = append(others, name)
		}
	}
	slices.Sort(maps)
	return maps, others
}

// seedRecords reads a member given as an array of records with "id", or as
// an object keyed by id, into records keyed by id. A keyed record without
// "id" gets its key, when its kind has an "id" field.
func seedRecords(member string, value json.RawMessage) (map[string]map[string]json.RawMessage, error) {
	out := map[string]map[string]json.RawMessage{}
	hasID := recordHasID(member)
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(value, &list); err == nil {
		if !hasID {
			return nil, fmt.Errorf("%s: its records have no \"id\": give them as an object keyed as in a snapshot", member)
		}
		for i, rec := range list {
			key, ok := recordKey(rec)
			if !ok {
				return nil, fmt.Errorf("%s[%d]: \"id\" must be a positive integer or a non-empty string", member, i)
			}
			if _, dup := out[key]; dup {
				return nil, fmt.Errorf("%s: id %s appears twice", member, key)
			}
			out[key] = rec
		}
		return out, nil
	}
	var keyed map[string]map[string]json.RawMessage
	if err := json.Unmarshal(value, &keyed); err != nil {
		return nil, fmt.Errorf("%s: want an array of records or an object keyed by id: %v", member, err)
	}
	for key, rec := range keyed {
		if rec == nil {
			return nil, fmt.Errorf("%s[%s] is not an object", member, key)
		}
		if _, ok := rec["id"]; !ok && hasID {
			if _, err := strconv.ParseInt(key, 10, 64); err == nil {
				rec["id"] = json.RawMessage(key)
			} else {
				rec["id"], _ = json.Marshal(key)
			}
		}
		out[key] = rec
	}
	return out, nil
}

// recordKey returns the map key of a record from its "id": a positive
// integer, or a non-empty string.
func recordKey(rec map[string]json.RawMessage) (string, bool) {
	if rec == nil {
		return "", false
	}
	var n int64
	if json.Unmarshal(rec["id"], &n) == nil && n > 0 {
		return strconv.FormatInt(n, 10), true
	}
	var s string
	if json.Unmarshal(rec["id"], &s) == nil && s != "" {
		return s, true
	}
	return "", false
}

// recordHasID reports whether the records of a state member have an "id".
func recordHasID(member string) bool {
	t := reflect.TypeFor[state]()
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != member || f.Type.Kind() != reflect.Map {
			continue
		}
		et := f.Type.Elem()
		for et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		if et.Kind() != reflect.Struct {
			return false
		}
		for j := range et.NumField() {
			if name, _, _ := strings.Cut(et.Field(j).Tag.Get("json"), ","); name == "id" {
				return true
			}
		}
	}
	return false
}

// userPassword turns a seed user's "password" into "password_hash" (the
// seed password when neither is given) and returns the plain text given.
func userPassword(rec map[string]json.RawMessage) (string, error) {
	raw, ok := rec["password"]
	if !ok {
		if _, hashed := rec["password_hash"]; !hashed {
			rec["password_hash"], _ = json.Marshal(hashPassword(SeedPassword))
		}
		return "", nil
	}
	var pw string
	if err := json.Unmarshal(raw, &pw); err != nil || pw == "" {
		return "", errors.New(`"password" must be a non-empty string`)
	}
	delete(rec, "password")
	rec["password_hash"], _ = json.Marshal(hashPassword(pw))
	return pw, nil
}

func setDefault(rec map[string]json.RawMessage, key, value string) {
	if v, ok := rec[key]; !ok || string(bytes.TrimSpace(v)) == "null" {
		rec[key] = json.RawMessage(value)
	}
}

// applySeedDefaults fills what a short seed record leaves out.
func (f *Fake) applySeedDefaults(s *state) error {
	now := f.now()
	for id, ou := range s.OrgUnits {
		if ou.TopID == 0 || ou.Timezone == "" {
			top, tz := id, ""
			for range len(s.OrgUnits) {
				cur := s.OrgUnits[top]
				if cur == nil {
					return fmt.Errorf("org unit %d: parent %d does not exist", id, top)
				}
				if tz == "" && cur.Timezone != "" {
					tz = cur.Timezone
				}
				if cur.ParentID == nil {
					break
				}
				top = *cur.ParentID
			}
			if ou.TopID == 0 {
				ou.TopID = top
			}
			if ou.Timezone == "" {
				ou.Timezone = cmpOr(tz, "America/New_York")
			}
		}
		if ou.Created.IsZero() {
			ou.Created = now
		}
		if ou.Modified.IsZero() {
			ou.Modified = ou.Created
		}
	}
	for id, ou := range s.OrgUnits {
		if ou.Status != "active" && ou.Status != "inactive" {
			return fmt.Errorf("org unit %d: status %q is neither active nor inactive", id, ou.Status)
		}
	}
	for id, u := range s.Users {
		switch u.Status {
		case statusActive, statusInactive, statusDeleted:
		default:
			return fmt.Errorf("user %d: status %q is not active, inactive or deleted", id, u.Status)
		}
		if ou := s.OrgUnits[u.OrgUnitID]; ou != nil && u.Timezone == "" {
			u.Timezone = ou.Timezone
		}
		if u.Created.IsZero() {
			u.Created = now
		}
	}
	return nil
}

func cmpOr(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// pickAdmin keeps AdminEmail and AdminPassword pointing at an Admin who can
// log in with them (see LoadSeed).
func (f *Fake) pickAdmin(passwords map[int64]string) {
	canLogIn := func(u *user, pw string) bool {
		return u.RoleID == roleAdmin && u.Status == statusActive && u.PasswordHash == hashPassword(pw)
	}
	if u := f.st.userByEmail(f.AdminEmail); u != nil && f.AdminPassword != "" && canLogIn(u, f.AdminPassword) {
		return
	}
	f.AdminEmail, f.AdminPassword = "", ""
	best := int64(0)
	for id, pw := range passwords {
		if u := f.st.Users[id]; u != nil && canLogIn(u, pw) && (best == 0 || id < best) {
			best = id
			f.AdminEmail, f.AdminPassword = u.Email, pw
		}
	}
}
