package convirzatest

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// miscAPI are the operations of this area; router.go lists every area.
var miscAPI = []route{
	{pattern: "GET /v3/ad-source", access: anyRole, handle: listAdSources},
	{pattern: "GET /v3/industry", access: anyRole, handle: listIndustries},
	{pattern: "GET /v3/tag", access: anyRole, handle: listTags},
	{pattern: "POST /v3/tag", access: adminOrStandard, handle: createTag},
	{pattern: "PUT /v3/tag/{id}", access: adminOrStandard, handle: updateTag},
	{pattern: "DELETE /v3/tag/{id}", access: adminOrStandard, handle: deleteTag},
}

// Seeded tags.
const (
	QualifiedLeadTagID    int64 = 4101 // "Qualified lead" in Acme Corporation
	FollowUpTagID         int64 = 4102 // "Follow up" in Acme Corporation
	SpamTagID             int64 = 4103 // "Spam" in Sales Division
	ExistingCustomerTagID int64 = 4104 // "Existing customer" in Support Division
	WrongNumberTagID      int64 = 4105 // "Wrong number" in East Coast Sales
	OtherAccountTagID     int64 = 4106 // "Lead" in Globex Industries, outside Acme's scope
)

// maxTagName is the longest tag name, in characters (T2).
const maxTagName = 100

// tagRecord is a tag. Deleting one removes it for good (and from calls).
type tagRecord struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	OrgUnitID int64     `json:"org_unit_id"`
	Created   time.Time `json:"created"`
}

func (t *tagRecord) owner() int64 { return t.OrgUnitID }

func seedTags(s *state) {
	created := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC)
	for i, t := range []tagRecord{
		{QualifiedLeadTagID, "Qualified lead", AccountOrgUnitID, time.Time{}},
		{FollowUpTagID, "Follow up", AccountOrgUnitID, time.Time{}},
		{SpamTagID, "Spam", SalesOrgUnitID, time.Time{}},
		{ExistingCustomerTagID, "Existing customer", SupportOrgUnitID, time.Time{}},
		{WrongNumberTagID, "Wrong number", EastCoastSalesOrgUnitID, time.Time{}},
		{OtherAccountTagID, "Lead", OtherAccountOrgUnitID, time.Time{}},
	} {
		t.Created = created.AddDate(0, 0, i)
		s.Tags[t.ID] = &t
	}
}

// seedTagOf is the n-th (0 or 1) seeded tag a call of that account gets.
func seedTagOf(account int64, n int) int64 {
	if account == OtherAccountOrgUnitID {
		return OtherAccountTagID
	}
	return []int64{QualifiedLeadTagID, FollowUpTagID}[n]
}

// The reference lists. Industry 10 is the one the seeded org units carry.
var (
	adSources = []map[string]any{
		{"ad_source_id": 1, "ad_source_name": "Direct Mail"},
		{"ad_source_id": 2, "ad_source_name": "Facebook Ads"},
		{"ad_source_id": 3, "ad_source_name": "Google Ads"},
		{"ad_source_id": 4, "ad_source_name": "Microsoft Ads"},
		{"ad_source_id": 5, "ad_source_name": "Billboard"},
		{"ad_source_id": 6, "ad_source_name": "Television"},
		{"ad_source_id": 7, "ad_source_name": "Radio"},
		{"ad_source_id": 8, "ad_source_name": "Organic Search"},
	}
	industries = []map[string]any{
		{"industry_id": 10, "industry_name": "Technology"},
		{"industry_id": 11, "industry_name": "Healthcare"},
		{"industry_id": 12, "industry_name": "Automotive"},
		{"industry_id": 13, "industry_name": "Real Estate"},
		{"industry_id": 14, "industry_name": "Legal Services"},
		{"industry_id": 15, "industry_name": "Home Services"},
		{"industry_id": 16, "industry_name": "Financial Services"},
	}
)

// listAdSources is GET /v3/ad-source: the whole list, not paginated.
func listAdSources(*call) (any, *apiError) {
	return map[string]any{"ad_sources": adSources, "total": len(adSources)}, nil
}

// listIndustries is GET /v3/industry: the whole list, not paginated.
func listIndustries(*call) (any, *apiError) {
	return map[string]any{"industries": industries, "total": len(industries)}, nil
}

func tagItem(t *tagRecord) map[string]any {
	return map[string]any{"tag_id": t.ID, "tag_name": t.Name, "org_unit_id": t.OrgUnitID, "tag_created": iso(t.Created)}
}

// listTags is GET /v3/tag: the tags of org_unit_id and its sub-groups.
func listTags(c *call) (any, *apiError) {
	q := c.query()
	ouID := c.orgUnitFilter(q)
	name := strings.ToLower(q.str("tag_name"))
	limit, offset := q.paging(100)
	if err := c.listScope(q, ouID); err != nil {
		return nil, err
	}
	found := under(c.st, c.st.Tags, ouID, func(t *tagRecord) bool { return strings.Contains(strings.ToLower(t.Name), name) })
	byName := func(a, b *tagRecord) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	}
	return listReply("tags", found, byName, limit, offset, tagItem), nil
}

// tagName reads tag_name: required, 1..100 characters (T2).
func tagName(o *object) string {
	name, ok := o.text("tag_name")
	if ok && utf8.RuneCountInString(name) > maxTagName {
		o.fail("tag_name", "must be at most 100 characters")
	}
	return name
}

// checkTagUnique is T1: names are unique within an org unit, ignoring case
// and surrounding spaces.
func (c *call) checkTagUnique(ouID int64, name string, self int64) *apiError {
	for _, t := range c.st.Tags {
		if t.ID != self && t.OrgUnitID == ouID && strings.EqualFold(strings.TrimSpace(t.Name), strings.TrimSpace(name)) {
			return errorf(http.StatusConflict, "a tag named %q already exists in org unit %d", t.Name, ouID)
		}
	}
	return nil
}

// createTag is POST /v3/tag.
func createTag(c *call) (any, *apiError) {
	o, err := c.object()
	if err != nil {
		return nil, err
	}
	name := tagName(o)
	ouID := c.caller.OrgUnitID
	if id, ok := o.int("org_unit_id"); ok {
		ouID = id
		if !c.seesOrgUnit(id) {
			o.fail("org_unit_id", "must be an existing org unit within your hierarchy")
		}
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	if err := c.checkTagUnique(ouID, name, 0); err != nil {
		return nil, err
	}
	t := &tagRecord{ID: c.st.newID(), Name: name, OrgUnitID: ouID, Created: c.now}
	c.st.Tags[t.ID] = t
	return map[string]int64{"tagId": t.ID}, nil
}

// updateTag is PUT /v3/tag/{id}: a rename.
func updateTag(c *call) (any, *apiError) {
	if _, err := c.pathID("id"); err != nil {
		return nil, err
	}
	o, err := c.object()
	if err != nil {
		return nil, err
	}
	name := tagName(o)
	if err := o.err(); err != nil {
		return nil, err
	}
	t, err := lookup(c, c.st.Tags, "Tag")
	if err != nil {
		return nil, err
	}
	if err := c.checkTagUnique(t.OrgUnitID, name, t.ID); err != nil {
		return nil, err
	}
	t.Name = name
	return tagItem(t), nil
}

// deleteTag is DELETE /v3/tag/{id}: a hard delete, which also takes the tag
// off every call.
func deleteTag(c *call) (any, *apiError) {
	t, err := lookup(c, c.st.Tags, "Tag")
	if err != nil {
		return nil, err
	}
	delete(c.st.Tags, t.ID)
	for _, r := range c.st.Calls {
		r.TagIDs = slices.DeleteFunc(r.TagIDs, func(id int64) bool { return id == t.ID })
	}
	return map[string]int64{"tagId": t.ID}, nil
}
