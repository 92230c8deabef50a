package convirza

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Paths of the reference lists and of the Tags operations. They are
// singular, unlike the names of the lists.
const (
	adSourcesPath  = "/ad-source"
	industriesPath = "/industry"
	tagsPath       = "/tag"
	tagPath        = "/tag/%v"
)

// MaxTagName is the longest tag name, in characters.
const MaxTagName = 100

// TagsService manages tags, the labels agents and automation put on calls.
// Admin and Standard users write them; every role reads them.
type TagsService struct{ c *Client }

// AdSourcesService lists ad sources, the marketing channels calls are
// attributed to. The list changes rarely: cache it (see ReferenceCache).
type AdSourcesService struct{ c *Client }

// IndustriesService lists industries, which groups reference by
// industry_id. The list changes rarely: cache it (see ReferenceCache).
type IndustriesService struct{ c *Client }

// Tag is a tag. Calls fetched with IncludeTags carry only ID and Name.
type Tag struct {
	ID   int64  `json:"tag_id"`
	Name string `json:"tag_name"`
	// OrgUnitID is the owning group; names are unique within it.
	OrgUnitID int64     `json:"org_unit_id"`
	Created   time.Time `json:"tag_created"`
	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly, accepts "id" and "name" for the
// prefixed keys, and keeps the raw object in Raw.
func (t *Tag) UnmarshalJSON(b []byte) error {
	type alias Tag
	if err := decodeModel(b, (*alias)(t), &t.Raw); err != nil {
		return err
	}
	fillIDName(t.Raw, &t.ID, &t.Name)
	return nil
}

// AdSource is a marketing channel, such as "Google Ads".
type AdSource struct {
	ID   int64  `json:"ad_source_id"`
	Name string `json:"ad_source_name"`
	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly, accepts "id" and "name" for the
// prefixed keys, and keeps the raw object in Raw.
func (a *AdSource) UnmarshalJSON(b []byte) error {
	type alias AdSource
	if err := decodeModel(b, (*alias)(a), &a.Raw); err != nil {
		return err
	}
	fillIDName(a.Raw, &a.ID, &a.Name)
	return nil
}

// Industry is an industry a group can belong to.
type Industry struct {
	ID   int64  `json:"industry_id"`
	Name string `json:"industry_name"`
	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly, accepts "id" and "name" for the
// prefixed keys, and keeps the raw object in Raw.
func (i *Industry) UnmarshalJSON(b []byte) error {
	type alias Industry
	if err := decodeModel(b, (*alias)(i), &i.Raw); err != nil {
		return err
	}
	fillIDName(i.Raw, &i.ID, &i.Name)
	return nil
}

// fillIDName reads the plain "id" and "name" keys, which reference items may
// carry instead of their prefixed ones, into the fields still unset.
func fillIDName(raw json.RawMessage, id *int64, name *string) {
	if *id != 0 && *name != "" {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return
	}
	if v, ok := obj["id"]; ok && *id == 0 {
		*id, _ = parseInt(scalarText(v))
	}
	if v, ok := obj["name"]; ok && *name == "" {
		*name = scalarText(v)
	}
}

// List returns every ad source; the list is not paginated.
//
// Convirza API: GET /ad-source
func (s *AdSourcesService) List(ctx context.Context, opts ...RequestOption) ([]AdSource, error) {
	return listAll[AdSource, adSourceList](ctx, s.c, adSourcesPath, nil, opts)
}

// List returns every industry; the list is not paginated.
//
// Convirza API: GET /industry
func (s *IndustriesService) List(ctx context.Context, opts ...RequestOption) ([]Industry, error) {
	return listAll[Industry, industryList](ctx, s.c, industriesPath, nil, opts)
}

// ListTagsParams filters List Tags. The zero value lists the tags of the
// caller's org unit and its sub-groups, 100 per page.
type ListTagsParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the caller's).
	OrgUnitID int64 `url:"org_unit_id,omitempty"`
	// Name matches part of the tag name, ignoring case.
	Name string `url:"tag_name,omitempty"`
}

// List returns one page of tags.
//
// Convirza API: GET /tag
func (s *TagsService) List(ctx context.Context, params *ListTagsParams, opts ...RequestOption) (*Page[Tag], error) {
	var p ListTagsParams
	if params != nil {
		p = *params
	}
	if p.OrgUnitID < 0 {
		return nil, invalidf("org unit id must not be negative, got %d", p.OrgUnitID)
	}
	return listPage[Tag, tagList](ctx, s.c, tagsPath, &p, 100, opts)
}

// All returns every tag that params matches, fetching pages as the loop
// goes. It stops at the first error, which it yields.
func (s *TagsService) All(ctx context.Context, params *ListTagsParams, opts ...RequestOption) iter.Seq2[Tag, error] {
	return all(ctx, params, func(ctx context.Context, p *ListTagsParams) (*Page[Tag], error) {
		return s.List(ctx, p, opts...)
	})
}

// CreateTagParams is a new tag.
type CreateTagParams struct {
	// Name is required, 1..100 characters, unique within the org unit.
	Name string `json:"tag_name"`
	// OrgUnitID is the owning group (default: the caller's org unit).
	OrgUnitID int64 `json:"org_unit_id,omitempty"`
}

// UpdateTagParams renames a tag.
type UpdateTagParams struct {
	// Name is required, 1..100 characters, unique within the org unit.
	Name string `json:"tag_name"`
}

func checkTagName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalidf("tag name is required")
	}
	if n := utf8.RuneCountInString(name); n > MaxTagName {
		return invalidf("tag name is %d characters, at most %d are allowed", n, MaxTagName)
	}
	return nil
}

// Create creates a tag and returns its id. A name the org unit already uses
// is an error matching ErrConflict.
//
// Convirza API: POST /tag
func (s *TagsService) Create(ctx context.Context, params *CreateTagParams, opts ...RequestOption) (*Created, error) {
	if params == nil {
		return nil, invalidf("tag params are required")
	}
	if err := checkTagName(params.Name); err != nil {
		return nil, err
	}
	if params.OrgUnitID < 0 {
		return nil, invalidf("org unit id must not be negative, got %d", params.OrgUnitID)
	}
	return create(ctx, s.c, &request{method: http.MethodPost, path: tagsPath, body: params}, opts)
}

// Update renames a tag and returns it. When the API answers with less than
// the tag, the result holds the id and the new name only. A name the org unit already uses is
// an error matching ErrConflict.
//
// Convirza API: PUT /tag/{id}
func (s *TagsService) Update(ctx context.Context, id int64, params *UpdateTagParams, opts ...RequestOption) (*Tag, error) {
	if err := requireID("tag", id); err != nil {
		return nil, err
	}
	if params == nil {
		return nil, invalidf("tag params are required")
	}
	if err := checkTagName(params.Name); err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPut, path: pathf(tagPath, id), body: params}
	tag, err := call[Tag](ctx, s.c, r, opts)
	if err != nil {
		return nil, err
	}
	// There is no Get Tag to read the record from when the answer holds
	// less than the tag (only its id, or null): fill in what was sent.
	if tag.ID == 0 {
		tag.ID = id
	}
	if tag.Name == "" {
		tag.Name = params.Name
	}
	return tag, nil
}

// Delete deletes a tag for good; it also disappears from calls.
//
// Convirza API: DELETE /tag/{id}
func (s *TagsService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "tag", tagPath, id, opts)
}

// ReferenceCache keeps a reference list (ad sources, industries, or any
// list a function returns) for a time to live, as the API's docs advise for
// data that changes rarely. It is safe for concurrent use: callers that
// find it empty or stale at the same time share one fetch. It starts no
// goroutine; an expired list is fetched again by the next Get.
//
//	industries := convirza.NewReferenceCache(client.Industries.List, time.Hour)
//	list, err := industries.Get(ctx)
//
// Tags, which the docs advise caching too, are paginated: give it a
// function that collects client.Tags.All.
type ReferenceCache[T any] struct {
	fetch func(context.Context, ...RequestOption) ([]T, error)
	ttl   time.Duration
	now   func() time.Time // time.Now; tests replace it

	mu      sync.Mutex
	items   []T
	valid   bool
	expires time.Time
	gen     uint64 // bumped by Invalidate: a fetch started before is not kept
	flight  flightGroup[[]T]
}

// NewReferenceCache returns a cache of the list that fetch returns, kept for
// ttl after each successful fetch. Errors are not cached. With a ttl of zero
// or less nothing is kept, but concurrent calls still share one fetch.
func NewReferenceCache[T any](fetch func(context.Context, ...RequestOption) ([]T, error), ttl time.Duration) *ReferenceCache[T] {
	return &ReferenceCache[T]{fetch: fetch, ttl: ttl, now: time.Now}
}

// Get returns the cached list, fetching it first when it is missing or
// older than the time to live. Each call gets its own copy of the slice
// (the items themselves are shared: treat them as read-only).
func (c *ReferenceCache[T]) Get(ctx context.Context) ([]T, error) {
	if ctx == nil {
		return nil, invalidf("nil context")
	}
	if items, ok := c.cached(); ok {
		return slices.Clone(items), nil
	}
	items, err := c.flight.do(ctx, func() ([]T, error) {
		if items, ok := c.cached(); ok {
			return items, nil // filled by the flight that just ended
		}
		c.mu.Lock()
		gen := c.gen
		c.mu.Unlock()
		items, err := c.fetch(ctx)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if gen == c.gen { // not invalidated meanwhile
			c.items, c.valid, c.expires = items, true, c.now().Add(c.ttl)
		}
		c.mu.Unlock()
		return items, nil
	})
	return slices.Clone(items), err
}

// cached returns the list while it is valid.
func (c *ReferenceCache[T]) cached() ([]T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.items, c.valid && c.now().Before(c.expires)
}

// Invalidate drops the cached list: the next Get fetches it again.
func (c *ReferenceCache[T]) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.valid, c.items = false, nil
	c.gen++
}

// adSourceList is the data of a list of AdSource records: the items under "ad_sources".
type adSourceList struct {
	AdSources []AdSource `json:"ad_sources"`
	Total     int        `json:"total"`
}

func (l *adSourceList) page() ([]AdSource, int) { return l.AdSources, l.Total }

// industryList is the data of a list of Industry records: the items under "industries".
type industryList struct {
	Industries []Industry `json:"industries"`
	Total      int        `json:"total"`
}

func (l *industryList) page() ([]Industry, int) { return l.Industries, l.Total }

// tagList is the data of a list of Tag records: the items under "tags".
type tagList struct {
	Tags  []Tag `json:"tags"`
	Total int   `json:"total"`
}

func (l *tagList) page() ([]Tag, int) { return l.Tags, l.Total }
