package convirzatest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// callItem is a call as the wire has it, expansions included.
type callItem struct {
	ID          int64            `json:"call_id"`
	OrgUnitID   int64            `json:"org_unit_id"`
	CallerID    string           `json:"caller_id"`
	Disposition string           `json:"disposition"`
	Duration    string           `json:"duration"`
	Started     string           `json:"call_started"`
	Tags        []map[string]any `json:"tags"`
	Recording   *struct {
		URL       string `json:"url"`
		ExpiresAt int64  `json:"expires_at"`
	} `json:"recording_details"`
	raw map[string]any
}

type callsPage struct {
	Calls []callItem
	Total int
}

// calls lists calls with the query and decodes the page; it also keeps each
// item as a map, to see which keys were sent.
func calls(t testing.TB, s *Server, tok, query string) callsPage {
	t.Helper()
	r := send(t, "GET", s.URL+"/conversations/calls?"+query, tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	var p callsPage
	r.data(t, &p)
	var raw struct{ Calls []map[string]any }
	r.data(t, &raw)
	for i := range p.Calls {
		p.Calls[i].raw = raw.Calls[i]
	}
	return p
}

func started(t testing.TB, c callItem) time.Time {
	t.Helper()
	ts, err := time.Parse(isoMillis, c.Started)
	if err != nil {
		t.Fatalf("call_started %q: %v", c.Started, err)
	}
	return ts
}

func clockServer(t *testing.T) (*Server, *clock) {
	clk := newClock()
	return NewServer(t, WithClock(clk.Now)), clk
}

func TestCallsLimitAndWindowRules(t *testing.T) {
	s, clk := clockServer(t)
	tok := token(t, s, AdminEmail)
	now := clk.Now()
	at := func(d time.Duration) string { return url.QueryEscape(now.Add(d).Format(time.RFC3339)) }
	for query, field := range map[string]string{
		"":                        "limit", // C4: required, no default
		"limit=0":                 "limit",
		"limit=201":               "limit",
		"limit=abc":               "limit",
		"limit=5&offset=-1":       "offset",
		"limit=5&start=yesterday": "start",
		"limit=5&start=" + at(-32*24*time.Hour) + "&end=" + at(-time.Hour):    "end", // C2: 31 days at most
		"limit=5&start=" + at(-time.Hour) + "&end=" + at(-time.Hour):          "end", // C3: strictly after
		"limit=5&start=" + at(-time.Hour) + "&end=" + at(-2*time.Hour):        "end",
		"limit=5&start=" + at(-40*24*time.Hour):                               "end", // C6: end is now, 40 days later
		"limit=5&start=" + at(time.Hour):                                      "end", // a start in the future
		"limit=5&disposition=ANSWERED,NO_ANSWER":                              "disposition",
		"limit=5&include=tags,recording":                                      "include",
		"limit=5&org_unit_id=0":                                               "org_unit_id",
		"limit=5&call_id=-4":                                                  "call_id",
		"limit=5&start=" + at(-31*24*time.Hour-time.Second) + "&end=" + at(0): "end",
	} {
		t.Run(query, func(t *testing.T) {
			r := send(t, "GET", s.URL+"/conversations/calls?"+query, tok, nil)
			r.wantField(t, field)
			checkEnvelope(t, r)
		})
	}
	// The boundaries are accepted: exactly 31 days, 200 per page.
	p := calls(t, s, tok, "limit=200&start="+at(-31*24*time.Hour)+"&end="+at(0))
	if p.Total == 0 || len(p.Calls) != p.Total {
		t.Fatalf("31-day window: %d calls of %d", len(p.Calls), p.Total)
	}
}

func TestCallsDefaultWindowIsTheLastSevenDays(t *testing.T) {
	s, clk := clockServer(t)
	tok := token(t, s, AdminEmail)
	p := calls(t, s, tok, "limit=200")
	if p.Total != SeedCallsLastWeek-2 || len(p.Calls) != p.Total {
		t.Fatalf("got %d calls of %d, want %d (Globex's two are out of scope)", len(p.Calls), p.Total, SeedCallsLastWeek-2)
	}
	now := clk.Now()
	for i, c := range p.Calls {
		ts := started(t, c)
		if ts.Before(now.Add(-7*24*time.Hour)) || !ts.Before(now) {
			t.Errorf("call %d at %s is outside the last 7 days", c.ID, c.Started)
		}
		if i > 0 && ts.After(started(t, p.Calls[i-1])) {
			t.Errorf("calls are not newest first at %d", i)
		}
		if c.OrgUnitID == OtherAccountOrgUnitID {
			t.Errorf("call %d belongs to Globex", c.ID)
		}
		for _, key := range []string{"tags", "comments", "custom_sources", "call_flow", "recording_details", "transcription"} {
			if _, ok := c.raw[key]; ok {
				t.Errorf("call %d has %q without include", c.ID, key)
			}
		}
		if _, err := time.Parse("15:04:05", c.Duration); err != nil {
			t.Errorf("duration %q is not HH:MM:SS", c.Duration)
		}
	}
	// The other account sees its own two.
	other := calls(t, s, token(t, s, OtherAccountAdminEmail), "limit=200")
	if other.Total != 2 {
		t.Fatalf("Globex sees %d calls, want 2", other.Total)
	}

	// Only end: the 7 days before it. Only start: from it to now.
	end := now.Add(-7 * 24 * time.Hour)
	older := calls(t, s, tok, "limit=200&end="+url.QueryEscape(end.Format(time.RFC3339)))
	for _, c := range older.Calls {
		if ts := started(t, c); !ts.Before(end) || ts.Before(end.Add(-7*24*time.Hour)) {
			t.Errorf("only end: call at %s", c.Started)
		}
	}
	if older.Total == 0 {
		t.Fatal("no calls in the week before last")
	}
	since := calls(t, s, tok, "limit=200&start="+url.QueryEscape(end.Format(time.RFC3339)))
	if since.Total != p.Total {
		t.Fatalf("only start 7 days ago: %d calls, want %d", since.Total, p.Total)
	}
}

// The seed depends only on the clock: two fakes agree call for call.
func TestCallsSeedIsDeterministic(t *testing.T) {
	list := func() []string {
		s := NewServer(t, WithClock(newClock().Now))
		p := calls(t, s, token(t, s, AdminEmail), "limit=200&include=tags,comments,custom_sources,transcription&start=2025-12-20T12:00:00Z")
		var out []string
		for _, c := range p.Calls {
			delete(c.raw, "recording_details")
			out = append(out, fmt.Sprint(c.raw))
		}
		return out
	}
	a, b := list(), list()
	if len(a) < 40 || !slices.Equal(a, b) {
		t.Fatalf("two fakes differ:\n%v\n%v", a, b)
	}
}

func TestCallsPagingCoversTheWindowOnce(t *testing.T) {
	s, clk := clockServer(t)
	tok := token(t, s, AdminEmail)
	q := "start=" + url.QueryEscape(clk.Now().Add(-30*24*time.Hour).Format(time.RFC3339))
	all := calls(t, s, tok, "limit=200&"+q)
	var paged []int64
	for offset := 0; ; offset += 7 {
		p := calls(t, s, tok, fmt.Sprintf("limit=7&offset=%d&%s", offset, q))
		if p.Total != all.Total {
			t.Fatalf("total %d on page %d, want %d", p.Total, offset, all.Total)
		}
		for _, c := range p.Calls {
			paged = append(paged, c.ID)
		}
		if len(p.Calls) < 7 {
			break
		}
	}
	var want []int64
	for _, c := range all.Calls {
		want = append(want, c.ID)
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("pages %v, want %v", paged, want)
	}
	if len(want) < 40 {
		t.Fatalf("30 days hold only %d calls", len(want))
	}
	past := calls(t, s, tok, "limit=7&offset=500&"+q)
	if len(past.Calls) != 0 || past.Total != all.Total {
		t.Fatalf("past the end: %d calls, total %d", len(past.Calls), past.Total)
	}
}

func TestCallsFilters(t *testing.T) {
	s, clk := clockServer(t)
	tok := token(t, s, AdminEmail)
	window := "limit=200&start=" + url.QueryEscape(clk.Now().Add(-31*24*time.Hour).Format(time.RFC3339))
	all := calls(t, s, tok, window)

	// org_unit_id covers the unit and its sub-units.
	sales := calls(t, s, tok, fmt.Sprintf("%s&org_unit_id=%d", window, SalesOrgUnitID))
	units := map[int64]bool{}
	for _, c := range sales.Calls {
		units[c.OrgUnitID] = true
	}
	if !units[SalesOrgUnitID] || !units[EastCoastSalesOrgUnitID] || len(units) != 2 {
		t.Fatalf("Sales Division calls come from %v", units)
	}

	// Several dispositions, comma-separated or repeated.
	for _, q := range []string{"disposition=ANSWERED,NO%20ANSWER", "disposition=ANSWERED&disposition=NO+ANSWER"} {
		p := calls(t, s, tok, window+"&"+q)
		want := 0
		for _, c := range all.Calls {
			if c.Disposition == "ANSWERED" || c.Disposition == "NO ANSWER" {
				want++
			}
		}
		if p.Total != want || want == 0 || want == all.Total {
			t.Fatalf("%s: %d calls, want %d of %d", q, p.Total, want, all.Total)
		}
		for _, c := range p.Calls {
			if c.Disposition != "ANSWERED" && c.Disposition != "NO ANSWER" {
				t.Fatalf("%s: got %s", q, c.Disposition)
			}
		}
	}

	// Exact number filters.
	caller := all.Calls[3].CallerID
	p := calls(t, s, tok, window+"&caller_id="+url.QueryEscape(caller))
	if p.Total == 0 {
		t.Fatal("no call from", caller)
	}
	for _, c := range p.Calls {
		if c.CallerID != caller {
			t.Fatalf("caller %s, want %s", c.CallerID, caller)
		}
	}
	if p := calls(t, s, tok, window+"&phone_number=%2B19482013920"); p.Total == 0 || p.Total == all.Total {
		t.Fatalf("phone_number filter kept %d of %d", p.Total, all.Total)
	}
	if p := calls(t, s, tok, window+"&campaign_id=42"); p.Total == 0 || p.Total == all.Total {
		t.Fatalf("campaign filter kept %d of %d", p.Total, all.Total)
	}
}

func TestCallsOrgUnitOutsideHierarchyIsForbidden(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for _, ou := range []int64{OtherAccountOrgUnitID, 99999} {
		r := send(t, "GET", fmt.Sprintf("%s/conversations/calls?limit=5&org_unit_id=%d", s.URL, ou), tok, nil)
		r.want(t, http.StatusForbidden)
		checkEnvelope(t, r)
	}
	// A Standard user in Sales cannot name the account root above it.
	r := send(t, "GET", fmt.Sprintf("%s/conversations/calls?limit=5&org_unit_id=%d", s.URL, AccountOrgUnitID), token(t, s, StandardEmail), nil)
	r.want(t, http.StatusForbidden)
	// Every role reads calls.
	calls(t, s, token(t, s, ReadOnlyEmail), "limit=1")
}

func TestCallsSingleRecordMode(t *testing.T) {
	s, _ := clockServer(t)
	tok := token(t, s, AdminEmail)
	old := FirstSeedCallID + 40 // 20 days old: outside the default window
	p := calls(t, s, tok, fmt.Sprintf("limit=1&offset=9&call_id=%d&include=tags", old))
	if p.Total != 1 || len(p.Calls) != 1 || p.Calls[0].ID != old {
		t.Fatalf("single-record mode: %+v", p)
	}
	if _, ok := p.Calls[0].raw["tags"]; !ok {
		t.Fatal("include applies in single-record mode")
	}
	globex := FirstSeedCallID + 6
	if p := calls(t, s, tok, fmt.Sprintf("limit=1&call_id=%d", globex)); p.Total != 0 || len(p.Calls) != 0 {
		t.Fatalf("another account's call: %+v", p)
	}
	send(t, "GET", fmt.Sprintf("%s/conversations/calls?call_id=%d", s.URL, old), tok, nil).wantField(t, "limit")
}

func TestGetCall(t *testing.T) {
	s, clk := clockServer(t)
	tok := token(t, s, AdminEmail)
	r := send(t, "GET", fmt.Sprintf("%s/conversations/calls/%d?include=comments,custom_sources,call_flow,transcription", s.URL, FirstSeedCallID), tok, nil).want(t, 200)
	var c map[string]any
	r.data(t, &c)
	if c["call_id"] != float64(FirstSeedCallID) {
		t.Fatalf("call %v", c)
	}
	for _, key := range []string{"comments", "custom_sources", "call_flow", "transcription"} {
		if _, ok := c[key]; !ok {
			t.Errorf("%s missing", key)
		}
	}
	if _, ok := c["tags"]; ok {
		t.Error("tags were not asked for")
	}
	ts, _ := time.Parse(isoMillis, c["call_started"].(string))
	if d := clk.Now().Sub(ts); d <= 0 || d > 12*time.Hour {
		t.Fatalf("the newest seeded call is %s old", d)
	}

	send(t, "GET", fmt.Sprintf("%s/conversations/calls/%d", s.URL, FirstSeedCallID+6), tok, nil).want(t, http.StatusNotFound) // Globex
	send(t, "GET", s.URL+"/conversations/calls/99999999", tok, nil).want(t, http.StatusNotFound)
	send(t, "GET", s.URL+"/conversations/calls/abc", tok, nil).wantField(t, "id")
	send(t, "GET", fmt.Sprintf("%s/conversations/calls/%d?include=all", s.URL, FirstSeedCallID), tok, nil).wantField(t, "include")
	send(t, "GET", fmt.Sprintf("%s/conversations/calls/%d", s.URL, FirstSeedCallID), "", nil).want(t, http.StatusUnauthorized)
}

// recordedCall returns a call of the admin's scope that has a recording,
// fetched with include=recordings.
func recordedCall(t *testing.T, s *Server, tok string) callItem {
	t.Helper()
	p := calls(t, s, tok, "limit=200&include=recordings")
	var without int
	for _, c := range p.Calls {
		if _, ok := c.raw["recording_details"]; !ok {
			t.Fatalf("call %d: no recording_details key with include=recordings", c.ID)
		}
		if c.Recording == nil {
			without++
		}
	}
	if without == 0 {
		t.Fatal("every call has a recording: the null case is untested")
	}
	for _, c := range p.Calls {
		if c.Recording != nil {
			return c
		}
	}
	t.Fatal("no recorded call in the last 7 days")
	return callItem{}
}

func TestRecordingLinksExpireAfterSevenDays(t *testing.T) {
	s, clk := clockServer(t)
	tok := token(t, s, AdminEmail)
	c := recordedCall(t, s, tok)
	if want := clk.Now().Add(7 * 24 * time.Hour).Unix(); c.Recording.ExpiresAt != want {
		t.Fatalf("expires_at %d, want %d", c.Recording.ExpiresAt, want)
	}
	if !strings.HasPrefix(c.Recording.URL, s.AuthURL+"/recordings/") {
		t.Fatalf("url %s", c.Recording.URL)
	}
	// No bearer: the signature is the authorisation.
	r := send(t, "GET", c.Recording.URL, "", nil).want(t, http.StatusOK)
	if string(r.body) != string(RecordingAudio(c.ID)) || r.header.Get("Content-Type") != "audio/mpeg" {
		t.Fatalf("audio %q (%s)", r.body, r.header.Get("Content-Type"))
	}

	clk.Advance(7*24*time.Hour - time.Second)
	send(t, "GET", c.Recording.URL, "", nil).want(t, http.StatusOK)
	clk.Advance(time.Second)
	r = send(t, "GET", c.Recording.URL, "", nil).want(t, http.StatusGone)
	checkEnvelope(t, r)
	if r.env.Message != RecordingExpiredMessage {
		t.Fatalf("message %q", r.env.Message)
	}

	// Re-fetching the call gives a fresh link.
	tok = token(t, s, AdminEmail)
	rr := send(t, "GET", fmt.Sprintf("%s/conversations/calls/%d?include=recordings", s.URL, c.ID), tok, nil).want(t, 200)
	var fresh callItem
	rr.data(t, &fresh)
	if fresh.Recording == nil || fresh.Recording.URL == c.Recording.URL {
		t.Fatalf("no fresh link: %+v", fresh.Recording)
	}
	send(t, "GET", fresh.Recording.URL, "", nil).want(t, http.StatusOK)

	// A link whose expiry was edited, or that is not signed, is refused.
	u, _ := url.Parse(fresh.Recording.URL)
	q := u.Query()
	q.Set("expires", fmt.Sprint(c.Recording.ExpiresAt+30*24*3600))
	u.RawQuery = q.Encode()
	send(t, "GET", u.String(), "", nil).want(t, http.StatusForbidden)
	send(t, "GET", s.AuthURL+"/recordings/abc.mp3", "", nil).want(t, http.StatusForbidden)
}

type smsPage struct {
	Total        int
	Conversation []struct {
		ID      int64   `json:"conversation_id"`
		Phone   string  `json:"phone_number"`
		Updated string  `json:"conversation_updated"`
		Name    *string `json:"source_name"`
		UserID  *int64  `json:"ct_user_id"`
		Agent   *string `json:"agent"`
		Closed  *string `json:"closed_at"`
		First   *string `json:"first_response_time"`
		Status  string  `json:"conversation_status"`
	}
}

func sms(t testing.TB, s *Server, tok, query string) smsPage {
	t.Helper()
	r := send(t, "GET", s.URL+"/conversations/sms?"+query, tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	if !strings.Contains(string(r.env.Data), `"conversation":[`) {
		t.Fatalf("list key is not conversation: %s", r.env.Data)
	}
	var p smsPage
	r.data(t, &p)
	return p
}

func TestSMSList(t *testing.T) {
	s, _ := clockServer(t)
	tok := token(t, s, AdminEmail)

	p := sms(t, s, tok, "")
	if len(p.Conversation) != 7 {
		t.Fatalf("default limit: %d threads", len(p.Conversation))
	}
	all := sms(t, s, tok, "limit=200")
	if all.Total != p.Total || all.Total == 0 {
		t.Fatalf("totals %d and %d", p.Total, all.Total)
	}
	for i, c := range all.Conversation {
		if c.Closed != nil {
			t.Errorf("allOpen lists closed thread %d", c.ID)
		}
		if i > 0 && c.Updated > all.Conversation[i-1].Updated {
			t.Errorf("not newest first at %d", i)
		}
		if (c.UserID == nil) != (c.Agent == nil) {
			t.Errorf("thread %d: ct_user_id %v, agent %v", c.ID, c.UserID, c.Agent)
		}
		if c.Status != "read" && c.Status != "unread" {
			t.Errorf("status %q", c.Status)
		}
		if len(c.Phone) != 11 {
			t.Errorf("phone %q", c.Phone)
		}
	}
	asc := sms(t, s, tok, "limit=200&order=asc")
	if asc.Conversation[0].ID != all.Conversation[len(all.Conversation)-1].ID {
		t.Fatal("order=asc is not the reverse")
	}

	closed := sms(t, s, tok, "limit=200&type=close")
	unassigned := sms(t, s, tok, "limit=200&type=unassigned")
	mine := sms(t, s, tok, "limit=200&type=assignedToYou")
	if closed.Total == 0 || unassigned.Total == 0 || mine.Total == 0 {
		t.Fatalf("closed %d, unassigned %d, mine %d", closed.Total, unassigned.Total, mine.Total)
	}
	for _, c := range closed.Conversation {
		if c.Closed == nil {
			t.Errorf("type=close lists open thread %d", c.ID)
		}
	}
	for _, c := range unassigned.Conversation {
		if c.UserID != nil {
			t.Errorf("type=unassigned lists thread %d of user %d", c.ID, *c.UserID)
		}
		if c.First != nil {
			t.Errorf("unanswered thread %d has a first response time", c.ID)
		}
	}
	for _, c := range mine.Conversation {
		if c.UserID == nil || *c.UserID != AdminUserID {
			t.Errorf("type=assignedToYou lists thread %d of %v", c.ID, c.UserID)
		}
	}
	standard := sms(t, s, token(t, s, StandardEmail), "limit=200&type=assignedToYou")
	for _, c := range standard.Conversation {
		if *c.UserID != StandardUserID {
			t.Errorf("Standard sees thread %d of %d", c.ID, *c.UserID)
		}
	}
	if standard.Total == 0 {
		t.Fatal("no thread assigned to the Standard user in Sales")
	}
}

func TestSMSSearchAndRange(t *testing.T) {
	s, clk := clockServer(t)
	tok := token(t, s, AdminEmail)
	all := sms(t, s, tok, "limit=200&type=close")
	name := *all.Conversation[0].Name
	byName := sms(t, s, tok, "limit=200&type=close&search="+url.QueryEscape(strings.ToLower(name[:4])))
	if byName.Total == 0 {
		t.Fatalf("search %q found nothing", name[:4])
	}
	for _, c := range byName.Conversation {
		if !strings.Contains(strings.ToLower(*c.Name), strings.ToLower(name[:4])) && !strings.Contains(c.Phone, name[:4]) {
			t.Errorf("search %q matched %v", name[:4], *c.Name)
		}
	}
	digits := all.Conversation[0].Phone[5:]
	if p := sms(t, s, tok, "limit=200&type=close&search="+digits); p.Total == 0 {
		t.Fatalf("search by number %s found nothing", digits)
	}

	start := clk.Now().Add(-10 * 24 * time.Hour)
	end := clk.Now().Add(-3 * 24 * time.Hour)
	p := sms(t, s, tok, "limit=200&start="+url.QueryEscape(start.Format(time.RFC3339))+"&end="+url.QueryEscape(end.Format(time.RFC3339)))
	if p.Total == 0 {
		t.Fatal("no thread in the range")
	}
	for _, c := range p.Conversation {
		ts, _ := time.Parse(isoMillis, c.Updated)
		if ts.Before(start) || ts.After(end) {
			t.Errorf("thread %d updated %s is outside the range", c.ID, c.Updated)
		}
	}
}

func TestSMSRules(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	for query, field := range map[string]string{
		"search=" + strings.Repeat("a", 256): "search",
		"type=closed":                        "type",
		"type=allopen":                       "type",
		"order=newest":                       "order",
		"limit=201":                          "limit",
		"limit=0":                            "limit",
		"offset=-1":                          "offset",
		"start=2026-13-01":                   "start",
	} {
		r := send(t, "GET", s.URL+"/conversations/sms?"+query, tok, nil)
		r.wantField(t, field)
	}
	// 255 characters, counted as characters.
	sms(t, s, tok, "search="+url.QueryEscape(strings.Repeat("é", 255)))
}

// Threads are scoped like calls: each account sees its own only.
func TestSMSScope(t *testing.T) {
	s := NewServer(t)
	ids := func(email string) []int64 {
		tok := token(t, s, email)
		var out []int64
		for _, typ := range []string{"allOpen", "close"} {
			for _, c := range sms(t, s, tok, "limit=200&type="+typ).Conversation {
				out = append(out, c.ID)
			}
		}
		slices.Sort(out)
		return out
	}
	var globex []int64
	for i := 6; i < SeedSMS; i += 7 {
		globex = append(globex, FirstSeedSMSID+int64(i))
	}
	if got := ids(OtherAccountAdminEmail); !slices.Equal(got, globex) {
		t.Fatalf("Globex sees %v, want %v", got, globex)
	}
	acme := ids(AdminEmail)
	if len(acme) != SeedSMS-len(globex) {
		t.Fatalf("Acme sees %d threads, want %d", len(acme), SeedSMS-len(globex))
	}
	for _, id := range globex {
		if slices.Contains(acme, id) {
			t.Fatalf("Acme sees Globex thread %d", id)
		}
	}
}
