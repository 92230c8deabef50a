package convirzatest

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// conversationsAPI are the operations of this area; router.go lists every area.
var conversationsAPI = []route{
	{pattern: "GET /v3/conversations/calls", access: anyRole, handle: listCalls},
	{pattern: "GET /v3/conversations/calls/{id}", access: anyRole, handle: getCall},
	{pattern: "GET /v3/conversations/sms", access: anyRole, handle: listSMS},
	// The signed recording links: no bearer token, the signature is the
	// authorisation (api/conversations.md, "Recording links").
	{pattern: "GET /recordings/{file}", access: public, bare: true, handle: getRecording},
}

// Seeded conversations. They are made on the first read of calls or SMS,
// back from the fake's clock at that moment, so that the default window of
// Get Calls List (the last 7 days) always holds calls: SeedCalls calls, one
// every 12 hours (plus 10 to 119 minutes) over 6 weeks, and SeedSMS
// threads, one every 30 hours. One in seven of each belongs to Globex
// (OtherAccountOrgUnitID); the others cycle through the four Acme org
// units. Everything else comes from a fixed random seed.
const (
	FirstSeedCallID int64 = 6101
	SeedCalls             = 84
	FirstSeedSMSID  int64 = 8101
	SeedSMS               = 30

	// SeedCallsLastWeek is how many seeded calls fall in the last 7 days
	// (both accounts): Acme callers see SeedCallsLastWeek minus the two of
	// them that belong to Globex.
	SeedCallsLastWeek = 14
)

// Rules of the calls list and of recording links (api/business-rules.md).
const (
	defaultCallsWindow = 7 * 24 * time.Hour  // C1, C6
	maxCallsWindow     = 31 * 24 * time.Hour // C2
	recordingLinkTTL   = 7 * 24 * time.Hour  // C7
	maxSMSSearch       = 255                 // M1

	// RecordingExpiredMessage is the documented 410 message of a recording
	// link past its 7 days.
	RecordingExpiredMessage = "Recording URL has expired. Please re-fetch the call to get a fresh link."
)

var (
	callDispositions = []string{"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "VOICEMAIL", "ABANDONED", "TRANSFERRED"}
	callIncludes     = []string{"tags", "comments", "custom_sources", "call_flow", "recordings", "transcription"}
	smsTypes         = []string{"allOpen", "assignedToYou", "unassigned", "close"}
)

// callRecord is a call. Calls are read-only in the API.
type callRecord struct {
	ID                 int64             `json:"id"`
	OrgUnitID          int64             `json:"org_unit_id"`
	CampaignID         *int64            `json:"campaign_id"`
	ProvisionedRouteID *int64            `json:"provisioned_route_id"`
	CallerID           string            `json:"caller_id"`
	PhoneNumber        string            `json:"phone_number"`
	RingTo             *string           `json:"ring_to"`
	Disposition        string            `json:"disposition"`
	Seconds            int               `json:"seconds"`
	Started            time.Time         `json:"started"`
	TagIDs             []int64           `json:"tag_ids"`
	Comments           []callComment     `json:"comments"`
	CustomSources      map[string]string `json:"custom_sources"`
	CallFlow           map[string]any    `json:"call_flow"`
	HasRecording       bool              `json:"has_recording"`
	Transcription      *string           `json:"transcription"`
}

func (r *callRecord) owner() int64 { return r.OrgUnitID }

type callComment struct {
	Comment string    `json:"comment"`
	UserID  int64     `json:"ct_user_id"`
	Created time.Time `json:"comment_created"`
}

// smsRecord is an SMS thread.
type smsRecord struct {
	ID            int64      `json:"id"`
	OrgUnitID     int64      `json:"org_unit_id"`
	PhoneNumber   string     `json:"phone_number"` // the contact, 11 digits
	ContactName   *string    `json:"contact_name"` // source_name on the wire
	FirstResponse *int       `json:"first_response"`
	AvgResponse   *int       `json:"avg_response"`
	Direction     string     `json:"direction"` // incoming or outgoing
	Started       time.Time  `json:"started"`
	Updated       time.Time  `json:"updated"`
	Source        string     `json:"source"` // tracking number, digits
	Unread        bool       `json:"unread"`
	UserID        *int64     `json:"user_id"`
	Pin           bool       `json:"pin"`
	Message       string     `json:"message"`
	UnreadCount   int        `json:"unread_count"`
	ClosedAt      *time.Time `json:"closed_at"`
}

// trackingNumbers is the number each seeded org unit's calls come in on.
var trackingNumbers = map[int64]string{
	AccountOrgUnitID: "+19482013920", SalesOrgUnitID: "+12125550188", SupportOrgUnitID: "+13125550177",
	EastCoastSalesOrgUnitID: "+16175550166", OtherAccountOrgUnitID: "+12135550155",
}

// seedOrgUnit is the org unit of the i-th seeded call or thread.
func seedOrgUnit(i int) int64 {
	if i%7 == 6 {
		return OtherAccountOrgUnitID
	}
	return []int64{AccountOrgUnitID, SalesOrgUnitID, SupportOrgUnitID, EastCoastSalesOrgUnitID}[i%4]
}

// conversations makes the seeded calls and SMS threads on first use.
func (c *call) conversations() {
	if !c.st.ConversationsSeededAt.IsZero() {
		return
	}
	c.st.ConversationsSeededAt = c.now
	seedCalls(c.st, c.now)
	seedSMS(c.st, c.now)
}

func seedCalls(s *state, now time.Time) {
	rng := rand.New(rand.NewPCG(2026, 1))
	for i := range SeedCalls {
		ou := seedOrgUnit(i)
		admin, account := AdminUserID, AccountOrgUnitID
		if ou == OtherAccountOrgUnitID {
			admin, account = OtherAccountAdminUserID, OtherAccountOrgUnitID
		}
		started := now.Add(-time.Duration(i)*12*time.Hour - time.Duration(10+rng.IntN(110))*time.Minute)
		r := &callRecord{
			ID: FirstSeedCallID + int64(i), OrgUnitID: ou, PhoneNumber: trackingNumbers[ou],
			ProvisionedRouteID: ptr(9000 + ou%1000),
			CallerID:           fmt.Sprintf("+1555%07d", 1000000+rng.IntN(20)*37),
			Disposition:        pick(rng, []int{50, 15, 5, 5, 10, 10, 5}, callDispositions),
			Started:            started.Truncate(time.Second),
			CustomSources:      map[string]string{},
			CallFlow:           map[string]any{"name": "Main line", "routing_type": "forward", "provisioned_route_id": 9000 + ou%1000},
		}
		if n := rng.IntN(3); n < 2 {
			r.CampaignID = ptr(int64(42 + n))
		}
		switch r.Disposition {
		case "ANSWERED", "TRANSFERRED":
			r.Seconds = 30 + rng.IntN(870)
		case "VOICEMAIL":
			r.Seconds = 15 + rng.IntN(105)
		case "ABANDONED":
			r.Seconds = 3 + rng.IntN(27)
		}
		if r.Seconds >= 15 {
			r.RingTo = ptr(fmt.Sprintf("+1425555%04d", 1000+ou%1000))
			r.HasRecording = r.Disposition != "ABANDONED"
		}
		if r.Disposition == "ANSWERED" {
			r.Transcription = ptr(fmt.Sprintf("Caller asked about pricing for plan %d and agreed to a follow-up.", 1+rng.IntN(3)))
			if rng.IntN(2) == 0 {
				r.TagIDs = []int64{seedTagOf(account, rng.IntN(2))}
			}
			if rng.IntN(4) == 0 {
				r.Comments = []callComment{{Comment: "Call back with a quote", UserID: admin, Created: r.Started.Add(30 * time.Minute)}}
			}
		}
		if rng.IntN(10) < 7 {
			r.CustomSources["utm_source"] = []string{"google", "facebook", "bing"}[rng.IntN(3)]
			r.CustomSources["utm_medium"] = "cpc"
		}
		s.Calls[r.ID] = r
	}
}

func seedSMS(s *state, now time.Time) {
	rng := rand.New(rand.NewPCG(2026, 2))
	names := []string{"John Doe", "Maria Garcia", "Wei Zhang", "Aisha Khan", "Tom Becker", "Lena Novak"}
	messages := []string{"Can you call me back?", "Thanks, see you Tuesday.", "Is the offer still valid?",
		"What are your opening hours?", "Please send the quote by email.", "STOP"}
	for i := range SeedSMS {
		ou := seedOrgUnit(i)
		updated := now.Add(-2*time.Hour - time.Duration(i)*30*time.Hour - time.Duration(rng.IntN(60))*time.Minute).Truncate(time.Second)
		r := &smsRecord{
			ID: FirstSeedSMSID + int64(i), OrgUnitID: ou,
			PhoneNumber: fmt.Sprintf("1801555%04d", 1000+rng.IntN(9000)),
			ContactName: ptr(names[rng.IntN(len(names))]),
			Direction:   []string{"incoming", "outgoing"}[rng.IntN(2)],
			Started:     updated.Add(-time.Duration(5+rng.IntN(600)) * time.Minute),
			Updated:     updated,
			Source:      strings.TrimPrefix(trackingNumbers[ou], "+"),
			Unread:      rng.IntN(2) == 0,
			Pin:         i%6 == 0,
			Message:     messages[rng.IntN(len(messages))],
		}
		switch {
		case i%3 == 1 && ou == OtherAccountOrgUnitID, i%3 == 2 && ou == OtherAccountOrgUnitID:
			r.UserID = ptr(OtherAccountAdminUserID)
		case i%3 == 1:
			r.UserID = ptr(AdminUserID)
		case i%3 == 2:
			r.UserID = ptr(StandardUserID)
		}
		if r.UserID != nil {
			first := 60 + rng.IntN(1800)
			r.FirstResponse, r.AvgResponse = &first, ptr(first+rng.IntN(600))
		}
		if r.Unread {
			r.UnreadCount = 1 + rng.IntN(5)
		}
		if i%5 == 4 {
			r.ClosedAt = ptr(updated.Add(time.Hour))
		}
		s.SMSConversations[r.ID] = r
	}
}

// pick chooses one of values with the given weights.
func pick(rng *rand.Rand, weights []int, values []string) string {
	n := rng.IntN(sum(weights))
	for i, w := range weights {
		if n < w {
			return values[i]
		}
		n -= w
	}
	return values[len(values)-1]
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// list reads a parameter that holds several values, comma-separated or
// repeated; every value must be one of allowed.
func (q *query) list(name string, allowed []string) []string {
	var out []string
	for _, v := range q.v[name] {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if !slices.Contains(allowed, part) {
				q.errs = append(q.errs, fieldError{name, fmt.Sprintf("unknown value %q; must be among: %s", part, strings.Join(allowed, ", "))})
				return nil
			}
			out = append(out, part)
		}
	}
	return out
}

// time reads an ISO-8601 UTC time; ok is false when absent or invalid.
func (q *query) time(name string) (time.Time, bool) {
	s := q.v.Get(name)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.errs = append(q.errs, fieldError{name, "must be an ISO-8601 date-time, e.g. 2026-01-01T00:00:00Z"})
		return time.Time{}, false
	}
	return t, true
}

// callsWindow applies the window rules C1, C2, C3 and C6.
func callsWindow(q *query, now time.Time) (start, end time.Time) {
	s, hasStart := q.time("start")
	e, hasEnd := q.time("end")
	if len(q.errs) > 0 {
		return
	}
	switch {
	case hasStart && hasEnd:
		start, end = s, e
	case hasStart:
		start, end = s, now
	case hasEnd:
		start, end = e.Add(-defaultCallsWindow), e
	default:
		start, end = now.Add(-defaultCallsWindow), now
	}
	switch {
	case !end.After(start):
		q.errs = append(q.errs, fieldError{"end", "must be after start"})
	case end.Sub(start) > maxCallsWindow:
		q.errs = append(q.errs, fieldError{"end", "the window from start to end may not exceed 31 days"})
	}
	return
}

// listCalls is GET /v3/conversations/calls.
func listCalls(c *call) (any, *apiError) {
	q := c.query()
	if q.str("limit") == "" {
		q.errs = append(q.errs, fieldError{"limit", "is required (1..200)"})
	}
	limit, offset := q.paging(1)
	callID := q.int("call_id", 0, 1, math.MaxInt64)
	ouID := q.int("org_unit_id", 0, 1, math.MaxInt64)
	campaignID := q.int("campaign_id", 0, 1, math.MaxInt64)
	routeID := q.int("provisioned_route_id", 0, 1, math.MaxInt64)
	dispositions := q.list("disposition", callDispositions)
	include := q.list("include", callIncludes)
	start, end := callsWindow(q, c.now)
	if err := q.err(); err != nil {
		return nil, err
	}
	// Documented: an org_unit_id outside the caller's hierarchy is a 403
	// (S6). Unknown ids get the same answer.
	if ouID != 0 && !c.seesOrgUnit(ouID) {
		return nil, outsideHierarchy(ouID)
	}
	c.conversations()

	if callID != 0 { // single-record mode (C5): no window, no paging
		items := []map[string]any{}
		if r, err := visible(c, c.st.Calls, callID, "Call"); err == nil {
			items = append(items, c.callItem(r, include))
		}
		return map[string]any{"calls": items, "total": len(items)}, nil
	}
	found := filter(c.st.Calls, func(r *callRecord) bool {
		switch {
		case !c.inScope(r.OrgUnitID),
			ouID != 0 && !c.st.within(ouID, r.OrgUnitID),
			r.Started.Before(start) || !r.Started.Before(end),
			campaignID != 0 && (r.CampaignID == nil || *r.CampaignID != campaignID),
			routeID != 0 && (r.ProvisionedRouteID == nil || *r.ProvisionedRouteID != routeID),
			len(dispositions) > 0 && !slices.Contains(dispositions, r.Disposition),
			q.str("caller_id") != "" && r.CallerID != q.str("caller_id"),
			q.str("phone_number") != "" && r.PhoneNumber != q.str("phone_number"),
			q.str("ring_to") != "" && (r.RingTo == nil || *r.RingTo != q.str("ring_to")):
			return false
		}
		return true
	})
	newestFirst := func(a, b *callRecord) int { return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(b.ID, a.ID)) }
	view := func(r *callRecord) map[string]any { return c.callItem(r, include) }
	return listReply("calls", found, newestFirst, limit, offset, view), nil
}

// getCall is GET /v3/conversations/calls/{id}.
func getCall(c *call) (any, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		return nil, err
	}
	q := c.query()
	include := q.list("include", callIncludes)
	if err := q.err(); err != nil {
		return nil, err
	}
	c.conversations()
	r, err := visible(c, c.st.Calls, id, "Call")
	if err != nil {
		return nil, err
	}
	return c.callItem(r, include), nil
}

// callItem is a Call object with the expansions asked for, and only those.
func (c *call) callItem(r *callRecord, include []string) map[string]any {
	it := map[string]any{
		"call_id": r.ID, "org_unit_id": r.OrgUnitID, "campaign_id": r.CampaignID,
		"provisioned_route_id": r.ProvisionedRouteID, "caller_id": r.CallerID, "phone_number": r.PhoneNumber,
		"ring_to": r.RingTo, "disposition": r.Disposition, "duration": hms(r.Seconds), "call_started": iso(r.Started),
	}
	for _, inc := range include {
		switch inc {
		case "tags":
			tags := []map[string]any{}
			for _, id := range r.TagIDs {
				if t := c.st.Tags[id]; t != nil {
					tags = append(tags, map[string]any{"tag_id": t.ID, "tag_name": t.Name})
				}
			}
			it["tags"] = tags
		case "comments":
			comments := []map[string]any{}
			for _, cm := range r.Comments {
				comments = append(comments, map[string]any{"comment": cm.Comment, "ct_user_id": cm.UserID, "comment_created": iso(cm.Created)})
			}
			it["comments"] = comments
		case "custom_sources":
			it["custom_sources"] = r.CustomSources
		case "call_flow":
			it["call_flow"] = r.CallFlow
		case "recordings":
			it["recording_details"] = nil
			if r.HasRecording {
				expires := c.now.Add(recordingLinkTTL).Unix()
				it["recording_details"] = map[string]any{"url": c.recordingURL(r.ID, expires), "expires_at": expires}
			}
		case "transcription":
			it["transcription"] = r.Transcription
		}
	}
	return it
}

// hms formats seconds as "HH:MM:SS".
func hms(s int) string { return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60) }

// recordingKey signs recording links. A fixed key is enough: the signature
// only stops a client from extending a link by editing its expiry.
var recordingKey = []byte("convirzatest recording links")

func recordingSignature(callID, expires int64) string {
	m := hmac.New(sha256.New, recordingKey)
	fmt.Fprintf(m, "%d:%d", callID, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// recordingURL is a signed link on the host the request came to.
func (c *call) recordingURL(callID, expires int64) string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s/recordings/%d.mp3?expires=%d&signature=%s",
		scheme, c.r.Host, callID, expires, recordingSignature(callID, expires))
}

// rawReply is a reply that is not JSON: the recording audio.
type rawReply struct {
	contentType string
	body        []byte
}

func (r *rawReply) response(requestID string) *response {
	h := http.Header{}
	h.Set("Content-Type", r.contentType)
	h.Set("X-Request-Id", requestID)
	return &response{status: http.StatusOK, header: h, body: r.body}
}

// RecordingAudio returns the bytes the fake serves as the recording of a
// call, for tests that download one.
func RecordingAudio(callID int64) []byte {
	return fmt.Appendf(nil, "ID3 fake mp3 recording of call %d", callID)
}

// getRecording is a signed recording link: 403 for a bad signature, 410
// once expired (C7), 404 for a call without a recording.
func getRecording(c *call) (any, *apiError) {
	idText, ok := strings.CutSuffix(c.r.PathValue("file"), ".mp3")
	id, err := strconv.ParseInt(idText, 10, 64)
	q := c.query()
	expires, expErr := strconv.ParseInt(q.str("expires"), 10, 64)
	if !ok || err != nil || expErr != nil ||
		!hmac.Equal([]byte(q.str("signature")), []byte(recordingSignature(id, expires))) {
		return nil, errorf(http.StatusForbidden, "invalid recording link signature")
	}
	if !c.now.Before(time.Unix(expires, 0)) {
		return nil, errorf(http.StatusGone, RecordingExpiredMessage)
	}
	if r := c.st.Calls[id]; r == nil || !r.HasRecording {
		return nil, notFound("Recording")
	}
	return &rawReply{contentType: "audio/mpeg", body: RecordingAudio(id)}, nil
}

// listSMS is GET /v3/conversations/sms.
func listSMS(c *call) (any, *apiError) {
	q := c.query()
	limit, offset := q.paging(7)
	typ := q.enum("type", "allOpen", smsTypes...)
	asc := q.enum("order", "desc", "desc", "asc") == "asc"
	search := q.str("search")
	if len([]rune(search)) > maxSMSSearch {
		q.errs = append(q.errs, fieldError{"search", "must be at most 255 characters"})
	}
	start, hasStart := q.time("start")
	end, hasEnd := q.time("end")
	if err := q.err(); err != nil {
		return nil, err
	}
	c.conversations()
	search = strings.ToLower(search)
	found := filter(c.st.SMSConversations, func(r *smsRecord) bool {
		open := r.ClosedAt == nil
		mine := r.UserID != nil && *r.UserID == c.caller.ID
		switch {
		case !c.inScope(r.OrgUnitID),
			typ == "allOpen" && !open,
			typ == "assignedToYou" && !(open && mine),
			typ == "unassigned" && !(open && r.UserID == nil),
			typ == "close" && open,
			search != "" && !strings.Contains(r.PhoneNumber, search) &&
				(r.ContactName == nil || !strings.Contains(strings.ToLower(*r.ContactName), search)),
			hasStart && r.Updated.Before(start),
			hasEnd && r.Updated.After(end):
			return false
		}
		return true
	})
	order := func(a, b *smsRecord) int {
		r := cmp.Or(a.Updated.Compare(b.Updated), cmp.Compare(a.ID, b.ID))
		if asc {
			return r
		}
		return -r
	}
	return listReply("conversation", found, order, limit, offset, c.smsItem), nil
}

func (c *call) smsItem(r *smsRecord) map[string]any {
	var first, avg, closed, agent any
	if r.FirstResponse != nil {
		first = hms(*r.FirstResponse)
	}
	if r.AvgResponse != nil {
		avg = hms(*r.AvgResponse)
	}
	if r.ClosedAt != nil {
		closed = iso(*r.ClosedAt)
	}
	if r.UserID != nil {
		if u := c.st.Users[*r.UserID]; u != nil {
			agent = u.FirstName + " " + u.LastName
		}
	}
	status := "read"
	if r.Unread {
		status = "unread"
	}
	return map[string]any{
		"conversation_id": r.ID, "phone_number": r.PhoneNumber, "first_response_time": first,
		"avg_response_time": avg, "sms_type": r.Direction, "conversation_started": iso(r.Started),
		"conversation_updated": iso(r.Updated), "source": r.Source, "source_name": r.ContactName,
		"conversation_status": status, "ct_user_id": r.UserID, "pin": r.Pin, "message": r.Message,
		"unread_count": r.UnreadCount, "agent": agent, "closed_at": closed,
	}
}
