package convirzatest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

type tagsPage struct {
	Tags []struct {
		ID        int64  `json:"tag_id"`
		Name      string `json:"tag_name"`
		OrgUnitID int64  `json:"org_unit_id"`
		Created   string `json:"tag_created"`
	}
	Total int
}

func tags(t testing.TB, s *Server, tok, query string) tagsPage {
	t.Helper()
	r := send(t, "GET", s.URL+"/tag?"+query, tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	var p tagsPage
	r.data(t, &p)
	return p
}

func tagIDs(p tagsPage) []int64 {
	var ids []int64
	for _, t := range p.Tags {
		ids = append(ids, t.ID)
	}
	slices.Sort(ids)
	return ids
}

func mkTag(t testing.TB, s *Server, tok string, body any) int64 {
	t.Helper()
	return createdID(t, send(t, "POST", s.URL+"/tag", tok, body), "tagId")
}

func TestReferenceLists(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, ReadOnlyEmail) // every role reads them
	var ads struct {
		AdSources []struct {
			ID   int64  `json:"ad_source_id"`
			Name string `json:"ad_source_name"`
		} `json:"ad_sources"`
		Total int
	}
	r := send(t, "GET", s.URL+"/ad-source?limit=1", tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	r.data(t, &ads)
	if ads.Total != len(ads.AdSources) || ads.Total < 5 || ads.AdSources[2].Name != "Google Ads" {
		t.Fatalf("ad sources %+v", ads)
	}
	var ind struct {
		Industries []struct {
			ID   int64  `json:"industry_id"`
			Name string `json:"industry_name"`
		}
		Total int
	}
	send(t, "GET", s.URL+"/industry", tok, nil).want(t, http.StatusOK).data(t, &ind)
	if ind.Total != len(ind.Industries) || ind.Industries[0].ID != 10 || ind.Industries[0].Name != "Technology" {
		t.Fatalf("industries %+v", ind)
	}
	send(t, "GET", s.URL+"/industry", "", nil).want(t, http.StatusUnauthorized)
}

func TestTagsListScope(t *testing.T) {
	s := NewServer(t)
	admin := token(t, s, AdminEmail)
	acme := []int64{QualifiedLeadTagID, FollowUpTagID, SpamTagID, ExistingCustomerTagID, WrongNumberTagID}
	if got := tagIDs(tags(t, s, admin, "")); !slices.Equal(got, acme) {
		t.Fatalf("admin sees %v, want %v", got, acme)
	}
	// Standard in Sales: Sales and East Coast Sales below it.
	if got := tagIDs(tags(t, s, token(t, s, StandardEmail), "")); !slices.Equal(got, []int64{SpamTagID, WrongNumberTagID}) {
		t.Fatalf("Sales sees %v", got)
	}
	if got := tagIDs(tags(t, s, admin, fmt.Sprintf("org_unit_id=%d", SupportOrgUnitID))); !slices.Equal(got, []int64{ExistingCustomerTagID}) {
		t.Fatalf("Support has %v", got)
	}
	if got := tagIDs(tags(t, s, admin, "tag_name=LEAD")); !slices.Equal(got, []int64{QualifiedLeadTagID}) {
		t.Fatalf("tag_name=LEAD finds %v", got)
	}
	p := tags(t, s, admin, "limit=2&offset=2")
	if p.Total != 5 || len(p.Tags) != 2 {
		t.Fatalf("page %+v", p)
	}
	send(t, "GET", fmt.Sprintf("%s/tag?org_unit_id=%d", s.URL, OtherAccountOrgUnitID), admin, nil).want(t, http.StatusForbidden)
	send(t, "GET", fmt.Sprintf("%s/tag?org_unit_id=%d", s.URL, AccountOrgUnitID), token(t, s, StandardEmail), nil).want(t, http.StatusForbidden)
	send(t, "GET", s.URL+"/tag?limit=201", admin, nil).wantField(t, "limit")
}

func TestTagsCreateRules(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, StandardEmail) // Standard users write tags

	id := mkTag(t, s, tok, map[string]any{"tag_name": "Hot lead"})
	p := tags(t, s, tok, "tag_name=hot")
	if len(p.Tags) != 1 || p.Tags[0].ID != id || p.Tags[0].OrgUnitID != SalesOrgUnitID {
		t.Fatalf("the new tag defaults to the caller's org unit: %+v", p)
	}

	// T1: unique within the org unit, ignoring case; fine in another one.
	r := send(t, "POST", s.URL+"/tag", tok, map[string]any{"tag_name": "HOT LEAD"}).want(t, http.StatusConflict)
	checkEnvelope(t, r)
	mkTag(t, s, tok, map[string]any{"tag_name": "Hot lead", "org_unit_id": EastCoastSalesOrgUnitID})
	if n := tags(t, s, tok, "tag_name=hot").Total; n != 2 {
		t.Fatalf("%d hot tags, want 2", n)
	}

	// T2: 1..100 characters.
	for name, b := range map[string]any{
		"missing":  map[string]any{},
		"null":     map[string]any{"tag_name": nil},
		"empty":    map[string]any{"tag_name": ""},
		"blank":    map[string]any{"tag_name": "   "},
		"too long": map[string]any{"tag_name": strings.Repeat("x", 101)},
		"number":   map[string]any{"tag_name": 7},
	} {
		r := send(t, "POST", s.URL+"/tag", tok, b)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d", name, r.status)
			continue
		}
		r.wantField(t, "tag_name")
	}
	mkTag(t, s, tok, map[string]any{"tag_name": strings.Repeat("ü", 100)})

	// S7: the org unit must exist and be in scope.
	for _, ou := range []int64{AccountOrgUnitID, OtherAccountOrgUnitID, 99999} {
		send(t, "POST", s.URL+"/tag", tok, map[string]any{"tag_name": "x", "org_unit_id": ou}).wantField(t, "org_unit_id")
	}
	send(t, "POST", s.URL+"/tag", tok, "[]").wantField(t, "body")
	// S3: ReadOnly users cannot write.
	send(t, "POST", s.URL+"/tag", token(t, s, ReadOnlyEmail), map[string]any{"tag_name": "x"}).want(t, http.StatusForbidden)
	if n := tags(t, s, token(t, s, AdminEmail), "").Total; n != 5+3 {
		t.Fatalf("%d tags after the creates, want 8", n)
	}
}

func TestTagsUpdateRules(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	r := send(t, "PUT", fmt.Sprintf("%s/tag/%d", s.URL, FollowUpTagID), tok, map[string]any{"tag_name": "Call back"}).want(t, http.StatusOK)
	var tag map[string]any
	r.data(t, &tag)
	if tag["tag_name"] != "Call back" || tag["tag_id"] != float64(FollowUpTagID) || tag["org_unit_id"] != float64(AccountOrgUnitID) {
		t.Fatalf("updated tag %v", tag)
	}
	// Renaming to its own name (another case) is not a conflict; to a
	// sibling's is.
	send(t, "PUT", fmt.Sprintf("%s/tag/%d", s.URL, FollowUpTagID), tok, map[string]any{"tag_name": "CALL BACK"}).want(t, http.StatusOK)
	send(t, "PUT", fmt.Sprintf("%s/tag/%d", s.URL, FollowUpTagID), tok, map[string]any{"tag_name": "qualified lead"}).want(t, http.StatusConflict)
	// The same name in another org unit is fine.
	send(t, "PUT", fmt.Sprintf("%s/tag/%d", s.URL, SpamTagID), tok, map[string]any{"tag_name": "Qualified lead"}).want(t, http.StatusOK)

	send(t, "PUT", fmt.Sprintf("%s/tag/%d", s.URL, FollowUpTagID), tok, map[string]any{"tag_name": ""}).wantField(t, "tag_name")
	send(t, "PUT", fmt.Sprintf("%s/tag/%d", s.URL, OtherAccountTagID), tok, map[string]any{"tag_name": "x"}).want(t, http.StatusNotFound)
	send(t, "PUT", s.URL+"/tag/99999", tok, map[string]any{"tag_name": "x"}).want(t, http.StatusNotFound)
	send(t, "PUT", s.URL+"/tag/zero", tok, map[string]any{"tag_name": "x"}).wantField(t, "id")
	send(t, "PUT", fmt.Sprintf("%s/tag/%d", s.URL, FollowUpTagID), token(t, s, ReadOnlyEmail), map[string]any{"tag_name": "x"}).want(t, http.StatusForbidden)
	// Standard in Sales cannot reach a tag of the account root.
	send(t, "PUT", fmt.Sprintf("%s/tag/%d", s.URL, FollowUpTagID), token(t, s, StandardEmail), map[string]any{"tag_name": "x"}).want(t, http.StatusNotFound)
}

func TestTagsDeleteTakesTheTagOffCalls(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	tagged := func() int {
		n := 0
		for i := range SeedCalls {
			id := FirstSeedCallID + int64(i)
			r := send(t, "GET", fmt.Sprintf("%s/conversations/calls/%d?include=tags", s.URL, id), tok, nil)
			if r.status == http.StatusNotFound {
				continue
			}
			var c callItem
			r.want(t, http.StatusOK).data(t, &c)
			for _, tag := range c.Tags {
				if tag["tag_id"] == float64(QualifiedLeadTagID) {
					if tag["tag_name"] != "Qualified lead" {
						t.Fatalf("tag %v", tag)
					}
					n++
				}
			}
		}
		return n
	}
	if tagged() == 0 {
		t.Fatal("no seeded call carries Qualified lead")
	}
	r := send(t, "DELETE", fmt.Sprintf("%s/tag/%d", s.URL, QualifiedLeadTagID), tok, nil).want(t, http.StatusOK)
	var d map[string]int64
	r.data(t, &d)
	if d["tagId"] != QualifiedLeadTagID {
		t.Fatalf("delete answer %v", d)
	}
	if n := tagged(); n != 0 {
		t.Fatalf("%d calls still carry the deleted tag", n)
	}
	if slices.Contains(tagIDs(tags(t, s, tok, "")), QualifiedLeadTagID) {
		t.Fatal("deleted tag still listed")
	}
	send(t, "DELETE", fmt.Sprintf("%s/tag/%d", s.URL, QualifiedLeadTagID), tok, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", fmt.Sprintf("%s/tag/%d", s.URL, OtherAccountTagID), tok, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", fmt.Sprintf("%s/tag/%d", s.URL, SpamTagID), token(t, s, ReadOnlyEmail), nil).want(t, http.StatusForbidden)
	// The name is free again.
	mkTag(t, s, tok, map[string]any{"tag_name": "Qualified lead"})
}

// Tags, calls and threads survive a snapshot and restore.
func TestConversationsSnapshot(t *testing.T) {
	clk := newClock()
	a := NewServer(t, WithClock(clk.Now))
	tok := token(t, a, AdminEmail)
	id := mkTag(t, a, tok, map[string]any{"tag_name": "Saved"})
	before := calls(t, a, tok, "limit=200")
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	b := NewServer(t, WithClock(clk.Now))
	if err := b.Restore(snap); err != nil {
		t.Fatal(err)
	}
	tok = token(t, b, AdminEmail)
	if !slices.Contains(tagIDs(tags(t, b, tok, "")), id) {
		t.Fatal("the tag was lost")
	}
	after := calls(t, b, tok, "limit=200")
	if after.Total != before.Total || after.Calls[0].ID != before.Calls[0].ID || after.Calls[0].Started != before.Calls[0].Started {
		t.Fatalf("calls changed: %d/%d", before.Total, after.Total)
	}
	if next := mkTag(t, b, tok, map[string]any{"tag_name": "Next"}); next != id+1 {
		t.Fatalf("next id %d, want %d", next, id+1)
	}
}
