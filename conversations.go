package convirza

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"
)

// Paths of the Calls and SMS operations.
const (
	callsPath = "/conversations/calls"
	callPath  = "/conversations/calls/%v"
	smsPath   = "/conversations/sms"
)

// MaxCallsWindow is the longest date window Get Calls List accepts.
const MaxCallsWindow = 31 * 24 * time.Hour

// MaxSMSSearch is the longest SMS search text, in characters.
const MaxSMSSearch = 255

// defaultSMSLimit is the page size of Get SMS Conversations when none is
// given, as the API documents it.
const defaultSMSLimit = 7

// CallsService reads the call history. Every role may read it.
type CallsService struct{ c *Client }

// SMSService reads SMS conversation threads. Every role may read them.
type SMSService struct{ c *Client }

// Disposition is the outcome of a call. Unknown values are kept as sent.
type Disposition string

// The documented dispositions.
const (
	DispositionAnswered    Disposition = "ANSWERED"
	DispositionNoAnswer    Disposition = "NO ANSWER"
	DispositionBusy        Disposition = "BUSY"
	DispositionFailed      Disposition = "FAILED"
	DispositionVoicemail   Disposition = "VOICEMAIL"
	DispositionAbandoned   Disposition = "ABANDONED"
	DispositionTransferred Disposition = "TRANSFERRED"
)

var dispositions = []Disposition{DispositionAnswered, DispositionNoAnswer, DispositionBusy,
	DispositionFailed, DispositionVoicemail, DispositionAbandoned, DispositionTransferred}

// CallInclude is an expansion of a call: the API adds its field to each call
// only when asked, because some (recordings, transcripts) are costly.
type CallInclude string

// The documented expansions, and the Call field each one fills.
const (
	IncludeTags          CallInclude = "tags"           // Call.Tags
	IncludeComments      CallInclude = "comments"       // Call.Comments
	IncludeCustomSources CallInclude = "custom_sources" // Call.CustomSources
	IncludeCallFlow      CallInclude = "call_flow"      // Call.CallFlow
	IncludeRecordings    CallInclude = "recordings"     // Call.Recording
	IncludeTranscription CallInclude = "transcription"  // Call.Transcription
)

var callIncludes = []CallInclude{IncludeTags, IncludeComments, IncludeCustomSources,
	IncludeCallFlow, IncludeRecordings, IncludeTranscription}

// Call is one call of the history. The fields after Started are filled only
// for the expansions that were asked for (see CallInclude).
type Call struct {
	ID        int64 `json:"call_id"`
	OrgUnitID int64 `json:"org_unit_id"`
	// CampaignID and ProvisionedRouteID are 0 when the API sends null.
	CampaignID         int64 `json:"campaign_id"`
	ProvisionedRouteID int64 `json:"provisioned_route_id"`
	// CallerID is the caller's number, PhoneNumber the tracking number
	// dialled and RingTo where the call was forwarded; kept as sent.
	CallerID    string      `json:"caller_id"`
	PhoneNumber string      `json:"phone_number"`
	RingTo      string      `json:"ring_to"`
	Disposition Disposition `json:"disposition"`
	// Duration is sent as "HH:MM:SS".
	Duration Duration  `json:"duration"`
	Started  time.Time `json:"call_started"`

	Tags          []Tag             `json:"tags"`
	Comments      []CallComment     `json:"comments"`
	CustomSources map[string]string `json:"custom_sources"`
	// CallFlow is the call-flow configuration, free-form.
	CallFlow json.RawMessage `json:"call_flow"`
	// Recording is nil when the call has no recording or recordings were
	// not asked for.
	Recording     *Recording `json:"recording_details"`
	Transcription string     `json:"transcription"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (c *Call) UnmarshalJSON(b []byte) error {
	type alias Call
	return decodeModel(b, (*alias)(c), &c.Raw)
}

// CallComment is an agent's note on a call.
type CallComment struct {
	Comment string    `json:"comment"`
	UserID  int64     `json:"ct_user_id"`
	Created time.Time `json:"comment_created"`
	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (c *CallComment) UnmarshalJSON(b []byte) error {
	type alias CallComment
	return decodeModel(b, (*alias)(c), &c.Raw)
}

// Recording is the signed link to a call's audio. The link expires 7 days
// after the call was fetched; after that, fetch the call again with
// IncludeRecordings for a fresh one.
type Recording struct {
	URL string `json:"url"`
	// ExpiresAt is when URL stops working (sent as a Unix time).
	ExpiresAt Time `json:"expires_at"`
	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (r *Recording) UnmarshalJSON(b []byte) error {
	type alias Recording
	return decodeModel(b, (*alias)(r), &r.Raw)
}

// Expired reports whether the link has expired at time now.
func (r *Recording) Expired(now time.Time) bool {
	return !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt.Time)
}

// ListCallsParams filters Get Calls List. Limit is required (1..200): the
// API has no default page size for calls.
//
// The date window is Start..End, at most 31 days, End strictly after Start.
// Without both the API covers the last 7 days; with only Start it ends now,
// and with only End it starts 7 days earlier.
type ListCallsParams struct {
	PageParams
	Start time.Time `url:"start,omitempty"`
	End   time.Time `url:"end,omitempty"`
	// CallID switches to single-record mode: the API returns that call
	// alone and ignores the window and the offset (Limit is still required).
	CallID int64 `url:"call_id,omitempty"`
	// OrgUnitID must lie within the caller's hierarchy (else ErrForbidden).
	// Default: the caller's whole scope.
	OrgUnitID          int64 `url:"org_unit_id,omitempty"`
	CampaignID         int64 `url:"campaign_id,omitempty"`
	ProvisionedRouteID int64 `url:"provisioned_route_id,omitempty"`
	// Dispositions keeps calls with any of these outcomes.
	Dispositions []Disposition `url:"disposition,omitempty,comma"`
	// CallerID, PhoneNumber and RingTo are E.164 numbers (+15551234567).
	CallerID    string `url:"caller_id,omitempty"`
	PhoneNumber string `url:"phone_number,omitempty"`
	RingTo      string `url:"ring_to,omitempty"`
	// Include asks for expansions of each call.
	Include []CallInclude `url:"include,omitempty,comma"`
}

func (p *ListCallsParams) validate() error {
	if p.Limit == 0 {
		return invalidf("limit is required for calls (1..%d)", MaxLimit)
	}
	if p.CallID < 0 || p.OrgUnitID < 0 || p.CampaignID < 0 || p.ProvisionedRouteID < 0 {
		return invalidf("call filter ids must not be negative")
	}
	if !p.Start.IsZero() && !p.End.IsZero() {
		if !p.End.After(p.Start) {
			return invalidf("calls window: end %s must be after start %s",
				p.End.Format(time.RFC3339), p.Start.Format(time.RFC3339))
		}
		if p.End.Sub(p.Start) > MaxCallsWindow {
			return invalidf("calls window: %s is longer than 31 days", p.End.Sub(p.Start))
		}
	}
	if !p.Start.IsZero() && p.End.IsZero() && time.Since(p.Start) > MaxCallsWindow {
		// With only Start the window ends now: the docs' 31 days hold too.
		return invalidf("calls window: %s to now is longer than 31 days", p.Start.Format(time.RFC3339))
	}
	for _, d := range p.Dispositions {
		if !slices.Contains(dispositions, d) {
			return invalidf("unknown disposition %q", d)
		}
	}
	return checkIncludes(p.Include)
}

func checkIncludes(in []CallInclude) error {
	for _, v := range in {
		if !slices.Contains(callIncludes, v) {
			return invalidf("unknown call expansion %q", v)
		}
	}
	return nil
}

// List returns one page of calls. Limit, the date window, the dispositions
// and the expansions are checked before any request; an OrgUnitID outside
// the caller's hierarchy is an error matching ErrForbidden.
//
// Convirza API: GET /conversations/calls
func (s *CallsService) List(ctx context.Context, params *ListCallsParams, opts ...RequestOption) (*Page[Call], error) {
	var p ListCallsParams
	if params != nil {
		p = *params
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	// An empty list means no filter, not an empty parameter.
	p.Dispositions = nilIfEmpty(p.Dispositions)
	p.Include = nilIfEmpty(p.Include)
	return listPage[Call, callList](ctx, s.c, callsPath, &p, 0, opts)
}

// All returns every call that params matches, fetching pages of
// params.Limit as the loop goes. It stops at the first error, which it
// yields.
//
// With a Start, the window may be longer than the 31 days one request
// allows: All walks Start..End (End defaults to now) in the consecutive
// windows of SplitCallsWindow, oldest first, each one paged, and yields
// each call of a window edge once. Offset then applies to the first
// window only. Without a Start, or with a CallID, it makes the one window
// of List: the last 7 days by default.
func (s *CallsService) All(ctx context.Context, params *ListCallsParams, opts ...RequestOption) iter.Seq2[Call, error] {
	list := func(ctx context.Context, p *ListCallsParams) (*Page[Call], error) {
		return s.List(ctx, p, opts...)
	}
	var p ListCallsParams
	if params != nil {
		p = *params
	}
	if p.Start.IsZero() || p.CallID != 0 {
		return all(ctx, &p, list)
	}
	return func(yield func(Call, error) bool) {
		if !p.End.IsZero() && !p.End.After(p.Start) {
			// List's own check, made here: no window would reach it.
			yield(Call{}, invalidf("calls window: end %s must be after start %s",
				p.End.Format(time.RFC3339), p.Start.Format(time.RFC3339)))
			return
		}
		for i, w := range SplitCallsWindow(p.Start, p.End) {
			q := p
			q.Start, q.End = w.Start, w.End
			if i > 0 {
				q.Offset = 0
			}
			for c, err := range all(ctx, &q, list) {
				if err == nil && !w.holds(c.Started) {
					continue // the neighbouring window yields it
				}
				if !yield(c, err) || err != nil {
					return
				}
			}
		}
	}
}

// CallsWindow is a span of the call history, Start included and End
// excluded.
type CallsWindow struct {
	Start, End time.Time
}

// holds reports whether a call that started at t belongs to w. A call
// without a start time is kept: nothing says it belongs elsewhere.
//
// Whether the API counts a call that starts exactly at end in the window
// is not documented; this filter makes windows that share an edge yield
// such a call once either way.
func (w CallsWindow) holds(t time.Time) bool {
	return t.IsZero() || !t.Before(w.Start) && t.Before(w.End)
}

// SplitCallsWindow splits start..end into the consecutive windows of at
// most MaxCallsWindow that CallsService.All walks, oldest first, each one
// starting where the one before ends. Times are made whole seconds, the
// precision the API takes: start rounded down, end up, so no call of the
// span is left out. A zero end means now. It returns no window when end is
// not after start.
//
// Exporters that checkpoint their progress walk these windows themselves,
// calling All for each one, and record the End of each window done.
func SplitCallsWindow(start, end time.Time) []CallsWindow {
	if end.IsZero() {
		end = time.Now()
	}
	start = start.Truncate(time.Second)
	if t := end.Truncate(time.Second); t.Before(end) {
		end = t.Add(time.Second)
	}
	var out []CallsWindow
	for start.Before(end) {
		next := start.Add(MaxCallsWindow)
		if next.After(end) {
			next = end
		}
		out = append(out, CallsWindow{Start: start, End: next})
		start = next
	}
	return out
}

// GetCallParams chooses the expansions of Get Call by ID.
type GetCallParams struct {
	Include []CallInclude `url:"include,omitempty,comma"`
}

// Get returns one call. A call outside the caller's hierarchy is
// ErrNotFound. The documented equivalent is List with CallID and Limit 1.
//
// Convirza API: GET /conversations/calls/{id}
func (s *CallsService) Get(ctx context.Context, id int64, params *GetCallParams, opts ...RequestOption) (*Call, error) {
	if err := requireID("call", id); err != nil {
		return nil, err
	}
	var q url.Values
	if params != nil {
		if err := checkIncludes(params.Include); err != nil {
			return nil, err
		}
		q = encodeQuery(&GetCallParams{Include: nilIfEmpty(params.Include)})
	}
	return call[Call](ctx, s.c, &request{method: "GET", path: pathf(callPath, id), query: q}, opts)
}

// OpenRecording downloads a call's audio from its signed link (fetch the
// call with IncludeRecordings first). The link carries its own
// authorisation, so the access token is not sent with it. A link past its
// 7 days is an error matching ErrGone: fetch the call again for a fresh
// one. The caller must close the returned body.
//
// Convirza API: GET {recording_details.url}
func (s *CallsService) OpenRecording(ctx context.Context, rec *Recording, opts ...RequestOption) (io.ReadCloser, error) {
	if rec == nil || rec.URL == "" {
		return nil, invalidf("the call has no recording link (fetch it with IncludeRecordings)")
	}
	u, err := url.Parse(rec.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, invalidf("the recording link is not an absolute http(s) URL")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, invalidf("recording link on %s: plain http is allowed only for loopback hosts", u.Host)
	}
	// The path alone names the call in errors and logs: the query holds
	// the link's signature.
	r := &request{method: "GET", path: u.EscapedPath(), url: u.String()}
	opts = append([]RequestOption{WithHeader("Accept", "*/*")}, opts...)
	var body io.ReadCloser
	if err := s.c.send(ctx, r, &body, opts); err != nil {
		return nil, err
	}
	return body, nil
}

// SMSType selects which SMS threads to list. The values are the API's own,
// "close" included.
type SMSType string

// The SMS list types.
const (
	SMSAllOpen       SMSType = "allOpen"       // every open thread (the default)
	SMSAssignedToYou SMSType = "assignedToYou" // open threads assigned to the caller
	SMSUnassigned    SMSType = "unassigned"    // open threads nobody is assigned to
	SMSClosed        SMSType = "close"         // closed threads
)

// SMSDirection is the direction of a thread's last message.
type SMSDirection string

// The SMS directions.
const (
	SMSIncoming SMSDirection = "incoming"
	SMSOutgoing SMSDirection = "outgoing"
)

// ConversationStatus is a thread's read state, independent of whether it is
// open or closed.
type ConversationStatus string

// The read states.
const (
	ConversationUnread ConversationStatus = "unread"
	ConversationRead   ConversationStatus = "read"
)

// SMSConversation is one SMS thread.
type SMSConversation struct {
	ID int64 `json:"conversation_id"`
	// PhoneNumber is the contact's number, 11 bare digits as sent.
	PhoneNumber string `json:"phone_number"`
	// FirstResponseTime and AvgResponseTime are 0 before any reply.
	FirstResponseTime Duration     `json:"first_response_time"`
	AvgResponseTime   Duration     `json:"avg_response_time"`
	Direction         SMSDirection `json:"sms_type"`
	Started           time.Time    `json:"conversation_started"`
	// Updated is the time of the last message.
	Updated time.Time `json:"conversation_updated"`
	// Source is the tracking number the thread runs on.
	Source     string             `json:"source"`
	SourceName string             `json:"source_name"`
	Status     ConversationStatus `json:"conversation_status"`
	// UserID is the assigned agent, 0 when nobody is assigned.
	UserID int64 `json:"ct_user_id"`
	Pin    bool  `json:"pin"`
	// Message is the text of the last message.
	Message     string `json:"message"`
	UnreadCount int    `json:"unread_count"`
	// Agent is the assigned agent's name.
	Agent string `json:"agent"`
	// ClosedAt is zero for an open thread.
	ClosedAt time.Time `json:"closed_at"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (m *SMSConversation) UnmarshalJSON(b []byte) error {
	type alias SMSConversation
	return decodeModel(b, (*alias)(m), &m.Raw)
}

// ListSMSParams filters Get SMS Conversations. The zero value lists the
// open threads, 7 per page, the most recently active first.
type ListSMSParams struct {
	PageParams
	Type SMSType `url:"type,omitempty"`
	// Search matches part of the contact's name or number; at most 255
	// characters.
	Search string `url:"search,omitempty"`
	// Order sorts by the time of the last message (Descending by default).
	Order SortOrder `url:"order,omitempty"`
	// Start and End keep threads whose last message falls between them.
	Start time.Time `url:"start,omitempty"`
	End   time.Time `url:"end,omitempty"`
}

func (p *ListSMSParams) validate() error {
	switch p.Type {
	case "", SMSAllOpen, SMSAssignedToYou, SMSUnassigned, SMSClosed:
	default:
		return invalidf("unknown SMS type %q", p.Type)
	}
	switch p.Order {
	case "", Ascending, Descending:
	default:
		return invalidf("unknown sort order %q", p.Order)
	}
	if n := utf8.RuneCountInString(p.Search); n > MaxSMSSearch {
		return invalidf("SMS search is %d characters, at most %d are allowed", n, MaxSMSSearch)
	}
	return nil
}

// List returns one page of SMS threads (7 by default).
//
// Convirza API: GET /conversations/sms
func (s *SMSService) List(ctx context.Context, params *ListSMSParams, opts ...RequestOption) (*Page[SMSConversation], error) {
	var p ListSMSParams
	if params != nil {
		p = *params
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return listPage[SMSConversation, smsList](ctx, s.c, smsPath, &p, defaultSMSLimit, opts)
}

// All returns every SMS thread that params matches, fetching pages as the
// loop goes. It stops at the first error, which it yields.
func (s *SMSService) All(ctx context.Context, params *ListSMSParams, opts ...RequestOption) iter.Seq2[SMSConversation, error] {
	return all(ctx, params, func(ctx context.Context, p *ListSMSParams) (*Page[SMSConversation], error) {
		return s.List(ctx, p, opts...)
	})
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// callList is the data of a list of Call records: the items under "calls" or "call".
type callList struct {
	Calls []Call `json:"calls"`
	Call  []Call `json:"call"` // the other spelling the docs allow
	Total int    `json:"total"`
}

func (l *callList) page() ([]Call, int) { return firstList(l.Calls, l.Call), l.Total }

// smsList is the data of a list of SMSConversation records: the items under "conversation".
type smsList struct {
	Conversations []SMSConversation `json:"conversation"`
	Total         int               `json:"total"`
}

func (l *smsList) page() ([]SMSConversation, int) { return l.Conversations, l.Total }
