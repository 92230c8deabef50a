package convirzatest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// stateVersion is written by Snapshot and checked by Restore, so a state file
// from an incompatible version is refused instead of half-loaded.
const stateVersion = 1

// state is everything the fake knows. Snapshot writes it as JSON and Restore
// reads it back, so every field is exported and tagged. An area adds one map
// field here for its records; newState makes it and Restore tolerates its
// absence in older snapshots.
type state struct {
	Version int   `json:"version"`
	NextID  int64 `json:"next_id"` // the next id of any record, whatever its kind

	OrgUnits      map[int64]*orgUnit          `json:"org_units"`
	Users         map[int64]*user             `json:"users"`
	AccessTokens  map[string]*accessToken     `json:"access_tokens"`  // keyed by tokenKey(token)
	RefreshTokens map[string]*refreshToken    `json:"refresh_tokens"` // keyed by tokenKey(token)
	Prompts       map[int64]*prompt           `json:"prompts"`
	AIVoiceAgents map[int64]*aiVoiceAgent     `json:"ai_voice_agents"`
	PhoneNumbers  map[int64]*phoneNumber      `json:"phone_numbers"`
	Routes        map[int64]*provisionedRoute `json:"provisioned_routes"`
	Broadcasts    map[int64]*broadcast        `json:"broadcasts"`
	Webhooks      map[int64]*webhook          `json:"webhooks"`

	Calls                 map[int64]*callRecord `json:"calls"`
	SMSConversations      map[int64]*smsRecord  `json:"sms_conversations"`
	ConversationsSeededAt time.Time             `json:"conversations_seeded_at"` // zero until the first read
	Tags                  map[int64]*tagRecord  `json:"tags"`

	// emails indexes Users by email (see userByEmail); nil until first use.
	// A pointer, not a map, so that makeMaps and scanMaps pass it by, and
	// not saved.
	emails *emailIndex
}

// firstUserID is where the id allocator starts: the docs' user ids look like
// 10001, and seeded users take the first few.
const firstUserID = 10001

// newID allocates an id. One counter for every kind of record keeps ids
// unique across kinds, so a client that sends a user id where an org unit id
// belongs gets a 404 rather than the wrong record.
func (s *state) newID() int64 {
	id := s.NextID
	s.NextID++
	return id
}

// newState returns the seed state. Seed records carry fixed dates, so that
// responses do not depend on when a test runs.
func newState() *state {
	s := &state{Version: stateVersion, NextID: firstUserID}
	makeMaps(s)
	for _, seed := range seedOrder {
		seed(s)
	}
	return s
}

// makeMaps makes every nil map field of s, so that areas need no
// initialisation code of their own and a snapshot missing a newer area's
// field still restores.
func makeMaps(s *state) {
	v := reflect.ValueOf(s).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Map && f.IsNil() {
			f.Set(reflect.MakeMap(f.Type()))
		}
	}
}

// scanMaps walks every map field of s: it returns an error naming the first
// null record (handlers dereference records without checking) and the
// largest integer key, which is the largest id in use.
func scanMaps(s *state) (maxID int64, err error) {
	v := reflect.ValueOf(s).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Map {
			continue
		}
		for it := f.MapRange(); it.Next(); {
			if e := it.Value(); e.Kind() == reflect.Pointer && e.IsNil() {
				return 0, fmt.Errorf("%s[%v] is null", v.Type().Field(i).Name, it.Key())
			}
			if k := it.Key(); k.Kind() == reflect.Int64 {
				maxID = max(maxID, k.Int())
			}
		}
	}
	return maxID, nil
}

// Snapshot returns the whole state (org units, users, tokens and whatever the
// other areas hold) as JSON, for saving a standalone fake's data between runs.
// Tokens are stored as hashes only, yet stay usable after Restore.
func (f *Fake) Snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.MarshalIndent(f.st, "", "  ")
}

// Restore replaces the whole state with one that Snapshot produced. Members
// it does not know are errors. It checks
// that references between records hold before replacing anything, so a bad
// file leaves the Fake unchanged.
func (f *Fake) Restore(data []byte) error {
	s := &state{}
	if err := decodeStrict(data, s); err != nil { // a misspelt member would otherwise vanish unnoticed
		return fmt.Errorf("convirzatest: restore: %w", err)
	}
	if s.Version != stateVersion {
		return fmt.Errorf("convirzatest: restore: state version %d, want %d", s.Version, stateVersion)
	}
	makeMaps(s)
	if err := s.check(); err != nil {
		return fmt.Errorf("convirzatest: restore: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = s
	return nil
}

// check verifies what handlers rely on: no null records, ids that match
// their keys, references that resolve, no cycles in the org tree, and a
// NextID past every id in use.
func (s *state) check() error {
	maxID, err := scanMaps(s)
	if err != nil {
		return err
	}
	for id, ou := range s.OrgUnits {
		if ou.ID != id {
			return fmt.Errorf("org unit %d has id %d", id, ou.ID)
		}
		if ou.ParentID != nil && s.OrgUnits[*ou.ParentID] == nil {
			return fmt.Errorf("org unit %d: parent %d does not exist", id, *ou.ParentID)
		}
		if top := s.OrgUnits[ou.TopID]; top == nil || top.ParentID != nil {
			return fmt.Errorf("org unit %d: top %d is not a root org unit", id, ou.TopID)
		}
	}
	for id := range s.OrgUnits {
		// Every parent exists (checked above), so a broken chain is a cycle.
		if s.depth(id) < 0 {
			return fmt.Errorf("org unit %d: the parent chain has a cycle", id)
		}
	}
	for id, u := range s.Users {
		if u.ID != id {
			return fmt.Errorf("user %d has id %d", id, u.ID)
		}
		if s.OrgUnits[u.OrgUnitID] == nil {
			return fmt.Errorf("user %d: org unit %d does not exist", id, u.OrgUnitID)
		}
		if u.RoleID < roleAdmin || u.RoleID > roleReadOnly {
			return fmt.Errorf("user %d: role_id %d is not 1, 2 or 3", id, u.RoleID)
		}
	}
	for _, t := range s.AccessTokens {
		if s.Users[t.UserID] == nil {
			return errors.New("an access token belongs to a user that does not exist")
		}
	}
	for _, t := range s.RefreshTokens {
		if s.Users[t.UserID] == nil {
			return errors.New("a refresh token belongs to a user that does not exist")
		}
	}
	s.NextID = max(s.NextID, maxID+1, firstUserID)
	return nil
}
