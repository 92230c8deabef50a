package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	day       = 24 * time.Hour
	callsPath = "/v3/conversations/calls"
)

// The span most tests export: 100 days, so four windows of the API's 31
// days at most ([0,31), [31,62), [62,93) and [93,100) days from spanFrom).
var (
	spanFrom = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	spanTo   = spanFrom.AddDate(0, 0, 100) // 2025-04-11: --to 2025-04-10 ends there
	spanArgs = []string{"calls", "export", "--from", "2025-01-01", "--to", "2025-04-10"}
)

// exportIncludeFlag asks for every expansion but recordings, whose signed
// links change from one fetch to the next: two exports of it compare
// byte for byte.
const exportIncludeFlag = "tags,comments,custom_sources,call_flow,transcription"

var exportIncludeList = []convirza.CallInclude{convirza.IncludeCallFlow, convirza.IncludeComments,
	convirza.IncludeCustomSources, convirza.IncludeTags, convirza.IncludeTranscription}

// seedCall is a call record of a convirzatest seed file.
type seedCall struct {
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
	Comments           []seedComment     `json:"comments"`
	CustomSources      map[string]string `json:"custom_sources"`
	CallFlow           map[string]any    `json:"call_flow"`
	HasRecording       bool              `json:"has_recording"`
	Transcription      *string           `json:"transcription"`
}

type seedComment struct {
	Comment string    `json:"comment"`
	UserID  int64     `json:"ct_user_id"`
	Created time.Time `json:"comment_created"`
}

// visible reports whether the seeded admin sees the call in from..to: in
// Acme's tree, start included, end excluded.
func (s *seedCall) visible(from, to time.Time) bool {
	return s.OrgUnitID != convirzatest.OtherAccountOrgUnitID && !s.Started.Before(from) && s.Started.Before(to)
}

// seedTagNames are the seeded tags the calls carry.
var seedTagNames = map[int64]string{
	convirzatest.QualifiedLeadTagID: "Qualified lead",
	convirzatest.FollowUpTagID:      "Follow up",
	convirzatest.SpamTagID:          "Spam",
}

// exportSeed is the call history of the export tests: a call every 6
// hours over the span, so calls 0, 124, 248 and 372 start exactly on a
// window edge; a busy day in the third window, which then takes two pages
// of 200; calls a second either side of the edges and of the span; every
// ninth call in Globex, which the admin does not see. Fields vary so that
// each CSV column meets its nulls, lists and characters to quote.
func exportSeed() []seedCall {
	var calls []seedCall
	add := func(started time.Time, ou int64) {
		i := len(calls)
		s := seedCall{
			ID: 700001 + int64(i), OrgUnitID: ou, Started: started,
			CallerID:    fmt.Sprintf("+1555%07d", 1000000+i),
			PhoneNumber: "+12125550188",
			Disposition: []string{"ANSWERED", "NO ANSWER", "BUSY", "VOICEMAIL", "TRANSFERRED"}[i%5],
			Seconds:     i * 7 % 4000,
		}
		if i%3 != 0 {
			s.CampaignID = ptrTo(int64(42 + i%2))
		}
		if i%4 != 0 {
			s.ProvisionedRouteID = ptrTo(int64(9001))
		}
		if i%5 != 1 {
			s.RingTo = ptrTo("+14255551001")
		}
		switch i % 4 {
		case 0:
			s.TagIDs = []int64{convirzatest.QualifiedLeadTagID, convirzatest.FollowUpTagID}
		case 1:
			s.TagIDs = []int64{convirzatest.SpamTagID}
		}
		if i%6 == 0 {
			s.Comments = []seedComment{
				{Comment: "Call back, with a quote", UserID: convirzatest.AdminUserID, Created: started.Add(time.Hour)},
				{Comment: `Said "maybe"`, UserID: convirzatest.StandardUserID, Created: started.Add(2 * time.Hour)},
			}
		}
		if i%2 == 0 {
			s.CustomSources = map[string]string{"utm_source": "google", "utm_medium": "cpc", "gclid": "x;y"}
		}
		if i%7 != 3 {
			s.CallFlow = map[string]any{"name": "Main line", "routing_type": "forward", "steps": []any{"ivr", "ring"}}
		}
		if i%5 == 0 {
			s.Transcription = ptrTo(fmt.Sprintf("Caller %d asked about pricing.\nAgreed to a follow-up, on Tuesday.", i))
		}
		s.HasRecording = i%3 != 2
		calls = append(calls, s)
	}
	acme := []int64{convirzatest.AccountOrgUnitID, convirzatest.SalesOrgUnitID,
		convirzatest.SupportOrgUnitID, convirzatest.EastCoastSalesOrgUnitID}
	for i := range 400 {
		ou := acme[i%4]
		if i%9 == 8 {
			ou = convirzatest.OtherAccountOrgUnitID
		}
		add(spanFrom.Add(time.Duration(i)*6*time.Hour), ou)
	}
	for j := range 150 {
		add(spanFrom.Add(70*day+time.Duration(j)*time.Minute), acme[j%4])
	}
	for _, at := range []time.Time{
		spanFrom.Add(31*day - time.Second), spanFrom.Add(62*day + time.Second),
		spanTo.Add(-time.Second), spanTo, spanFrom.Add(-time.Second),
	} {
		add(at, convirzatest.SalesOrgUnitID)
	}
	return calls
}

func ptrTo[T any](v T) *T { return &v }

// exportCLI is a command line on a fake that holds the export seed, and
// the seed by call id.
type exportCLI struct {
	*cli
	seed map[int64]*seedCall
}

// newExportCLI seeds the fake with exportSeed; middleware, when given,
// stands between the command and the fake (see through). It logs in.
func newExportCLI(t *testing.T, middleware func(http.Handler) http.Handler, opts ...convirzatest.Option) *exportCLI {
	t.Helper()
	c := newCLI(t, opts...)
	calls := exportSeed()
	// conversations_seeded_at keeps the fake's own calls out: the export
	// sees these ones only.
	data, err := json.Marshal(map[string]any{"conversations_seeded_at": spanFrom, "calls": calls})
	require.NoError(t, err)
	require.NoError(t, c.srv.LoadSeed(data))
	if middleware != nil {
		c.through(middleware)
	}
	c.login()
	e := &exportCLI{cli: c, seed: map[int64]*seedCall{}}
	for i := range calls {
		e.seed[calls[i].ID] = &calls[i]
	}
	return e
}

// visibleIDs are the ids of the seeded calls the admin sees in from..to,
// in id order.
func (e *exportCLI) visibleIDs(from, to time.Time) []int64 {
	var ids []int64
	for id, s := range e.seed {
		if s.visible(from, to) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// sdk is a client of the same fake, by the same way as the command.
func (c *cli) sdk() *convirza.Client {
	c.t.Helper()
	client, err := convirza.NewClient(convirza.WithBaseURL(c.env["CONVIRZA_BASE_URL"]),
		convirza.WithAuthBaseURL(c.env["CONVIRZA_AUTH_URL"]),
		convirza.WithCredentials(c.srv.AdminEmail, c.srv.AdminPassword))
	require.NoError(c.t, err)
	return client
}

// listWindows is what an export of from..to should hold: Calls.List on
// each window of SplitCallsWindow, page after page, as the API gives it.
func listWindows(t *testing.T, client *convirza.Client, from, to time.Time, include []convirza.CallInclude) []convirza.Call {
	t.Helper()
	var out []convirza.Call
	for _, w := range convirza.SplitCallsWindow(from, to) {
		p := &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: 200}, Start: w.Start, End: w.End, Include: include}
		for {
			page, err := client.Calls.List(context.Background(), p)
			require.NoError(t, err)
			out = append(out, page.Items...)
			if !page.HasMore() {
				break
			}
			p.Offset += len(page.Items)
		}
	}
	return out
}

// listRequest is a GET of the calls list the fake received.
type listRequest struct {
	start, end            time.Time
	limit, offset, status int
	include               string
}

func listRequests(t *testing.T, srv *convirzatest.Server) []listRequest {
	t.Helper()
	var out []listRequest
	for _, r := range srv.Requests(convirzatest.RequestFilter{Method: "GET", Path: callsPath}) {
		q, err := url.ParseQuery(r.RawQuery)
		require.NoError(t, err)
		lr := listRequest{status: r.Status, include: q.Get("include")}
		lr.start, err = time.Parse(time.RFC3339Nano, q.Get("start"))
		require.NoError(t, err, "start of %s", r.RawQuery)
		lr.end, err = time.Parse(time.RFC3339Nano, q.Get("end"))
		require.NoError(t, err, "end of %s", r.RawQuery)
		lr.limit, _ = strconv.Atoi(q.Get("limit"))
		lr.offset, _ = strconv.Atoi(q.Get("offset")) // absent is 0
		out = append(out, lr)
	}
	return out
}

// assertWindows checks that reqs walked from..to in consecutive windows of
// at most 31 days, each paged from offset 0 by 200, and returns the
// windows.
func assertWindows(t *testing.T, reqs []listRequest, from, to time.Time) []convirza.CallsWindow {
	t.Helper()
	var wins []convirza.CallsWindow
	next := 0
	for i, r := range reqs {
		assert.Equal(t, 200, r.limit, "request %d: limit", i)
		assert.Equal(t, http.StatusOK, r.status, "request %d: status", i)
		if len(wins) > 0 && wins[len(wins)-1] == (convirza.CallsWindow{Start: r.start, End: r.end}) {
			assert.Equal(t, next, r.offset, "request %d: the next page of its window", i)
			next += 200
			continue
		}
		want := from
		if len(wins) > 0 {
			want = wins[len(wins)-1].End
		}
		assert.Equal(t, want, r.start, "request %d: a window starts where the one before ends", i)
		assert.True(t, r.end.After(r.start), "request %d: empty window", i)
		assert.LessOrEqual(t, r.end.Sub(r.start), 31*day, "request %d: window longer than 31 days", i)
		assert.Equal(t, 0, r.offset, "request %d: a window starts at offset 0", i)
		wins = append(wins, convirza.CallsWindow{Start: r.start, End: r.end})
		next = 200
	}
	if assert.NotEmpty(t, wins) {
		assert.Equal(t, to, wins[len(wins)-1].End, "the last window ends the span")
	}
	return wins
}

// withSentiment adds to each call of the calls list a member the SDK does
// not know, as a newer API would: NDJSON must keep it.
func withSentiment(t *testing.T) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != callsPath {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if rec.Code == http.StatusOK {
				var err error
				if body, err = addSentiment(body); err != nil {
					t.Errorf("rewriting the calls list: %v", err)
				}
			}
			maps.Copy(w.Header(), rec.Header())
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
		})
	}
}

func addSentiment(body []byte) ([]byte, error) {
	var env, data map[string]json.RawMessage
	var calls []map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(env["data"], &data); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data["calls"], &calls); err != nil {
		return nil, err
	}
	for _, c := range calls {
		c["sentiment"] = json.RawMessage(`{"label":"positive","score":0.75}`)
	}
	var err error
	if data["calls"], err = json.Marshal(calls); err != nil {
		return nil, err
	}
	if env["data"], err = json.Marshal(data); err != nil {
		return nil, err
	}
	return json.Marshal(env)
}

// csvHeader is the header the help documents for -o csv.
var csvHeader = []string{"call_id", "call_started", "org_unit_id", "campaign_id", "provisioned_route_id",
	"caller_id", "phone_number", "ring_to", "disposition", "duration_seconds", "tags", "comments",
	"custom_sources", "call_flow", "recording_url", "recording_expires_at", "recording_file", "transcription"}

const callFlowColumn = 13

// wantRow is the CSV row of a seeded call exported with
// exportIncludeFlag, worked out from the seed rather than from the call
// the command decoded. Its call_flow cell is compared as JSON.
func wantRow(s *seedCall) []string {
	id := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	var tags, comments, sources []string
	for _, t := range s.TagIDs {
		tags = append(tags, seedTagNames[t])
	}
	for _, c := range s.Comments {
		comments = append(comments, c.Comment)
	}
	for _, k := range slices.Sorted(maps.Keys(s.CustomSources)) {
		sources = append(sources, k+"="+s.CustomSources[k])
	}
	flow := ""
	if s.CallFlow != nil {
		b, _ := json.Marshal(s.CallFlow)
		flow = string(b)
	}
	return []string{
		strconv.FormatInt(s.ID, 10), s.Started.UTC().Format(time.RFC3339), strconv.FormatInt(s.OrgUnitID, 10),
		id(s.CampaignID), id(s.ProvisionedRouteID), s.CallerID, s.PhoneNumber, str(s.RingTo), s.Disposition,
		strconv.Itoa(s.Seconds), strings.Join(tags, "; "), strings.Join(comments, "; "), strings.Join(sources, "; "),
		flow, "", "", "", str(s.Transcription),
	}
}

func readCSV(t *testing.T, data string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows, "no header")
	return rows
}

// assertRow compares a CSV row with the seed's, call_flow as JSON.
func assertRow(t *testing.T, want, got []string) {
	t.Helper()
	require.Len(t, got, len(csvHeader))
	if want[callFlowColumn] == "" {
		assert.Empty(t, got[callFlowColumn], "call %s: call_flow", want[0])
	} else {
		assert.JSONEq(t, want[callFlowColumn], got[callFlowColumn], "call %s: call_flow", want[0])
	}
	w, g := slices.Clone(want), slices.Clone(got)
	w[callFlowColumn], g[callFlowColumn] = "", ""
	assert.Equal(t, w, g, "call %s", want[0])
}

func ids(calls []convirza.Call) []int64 {
	out := make([]int64, len(calls))
	for i, c := range calls {
		out[i] = c.ID
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestExportLongSpan(t *testing.T) {
	t.Parallel()
	c := newExportCLI(t, withSentiment(t))
	want := listWindows(t, c.sdk(), spanFrom, spanTo, exportIncludeList)

	// The test data first: the windows hold every visible seeded call once,
	// the edges included, and the third one takes two pages.
	wantIDs := c.visibleIDs(spanFrom, spanTo)
	require.Equal(t, wantIDs, slices.Sorted(slices.Values(ids(want))))
	for _, edge := range []time.Time{spanFrom, spanFrom.Add(31 * day), spanFrom.Add(62 * day), spanFrom.Add(93 * day), spanTo.Add(-time.Second)} {
		require.True(t, slices.ContainsFunc(want, func(c convirza.Call) bool { return c.Started.Equal(edge) }), "no call at %s", edge)
	}
	require.False(t, slices.ContainsFunc(want, func(c convirza.Call) bool { return c.Started.Equal(spanTo) }), "the call at --to is outside the span")
	require.Greater(t, len(c.visibleIDs(spanFrom.Add(62*day), spanFrom.Add(93*day))), 200)

	t.Run("ndjson", func(t *testing.T) {
		c.srv.ResetRequests()
		out := filepath.Join(t.TempDir(), "calls.ndjson")
		r := c.run(append(spanArgs, "--include", exportIncludeFlag, "--out", out)...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Empty(t, r.stdout)
		assert.Empty(t, r.stderr)
		reqs := listRequests(t, c.srv)
		assert.Len(t, assertWindows(t, reqs, spanFrom, spanTo), 4)
		for _, lr := range reqs {
			assert.Equal(t, "call_flow,comments,custom_sources,tags,transcription", lr.include)
		}
		_, err := os.Stat(checkpointPath(out))
		assert.ErrorIs(t, err, fs.ErrNotExist, "the checkpoint of a complete export is removed")

		lines := strings.Split(strings.TrimSuffix(readFile(t, out), "\n"), "\n")
		require.Len(t, lines, len(want))
		seen := map[int64]bool{}
		for i, line := range lines {
			var buf bytes.Buffer
			require.NoError(t, json.Compact(&buf, want[i].Raw))
			require.Equal(t, buf.String(), line, "line %d: the server's object", i+1)
			var obj struct {
				ID        int64           `json:"call_id"`
				Sentiment json.RawMessage `json:"sentiment"`
			}
			require.NoError(t, json.Unmarshal([]byte(line), &obj))
			assert.JSONEq(t, `{"label":"positive","score":0.75}`, string(obj.Sentiment), "line %d: unknown member kept", i+1)
			assert.False(t, seen[obj.ID], "call %d twice", obj.ID)
			seen[obj.ID] = true
		}
	})

	t.Run("csv", func(t *testing.T) {
		c.srv.ResetRequests()
		r := c.run(append(spanArgs, "--include", exportIncludeFlag, "-o", "csv")...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Empty(t, r.stderr)
		assertWindows(t, listRequests(t, c.srv), spanFrom, spanTo)

		rows := readCSV(t, r.stdout)
		assert.Equal(t, csvHeader, rows[0])
		require.Len(t, rows[1:], len(want))
		for i, row := range rows[1:] {
			require.Equal(t, strconv.FormatInt(want[i].ID, 10), row[0], "row %d", i+1)
			assertRow(t, wantRow(c.seed[want[i].ID]), row)
		}
	})
}

// stopper stops a run at its n-th calls list request (see interrupt).
type stopper struct {
	lists  atomic.Int32
	at     atomic.Int32
	cancel atomic.Pointer[context.CancelFunc]
}

func (s *stopper) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == callsPath {
			if n := s.lists.Add(1); n == s.at.Load() {
				(*s.cancel.Load())()
				// The client hangs up on a cancelled request: wait for it, so
				// that no reply can beat the cancellation.
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// interrupt runs args and cancels the run when its n-th calls list
// request arrives, the fake through s.middleware: the export then fails in
// the window of that request, whatever the timing.
func (s *stopper) interrupt(c *cli, n int, args ...string) result {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.lists.Store(0)
	s.at.Store(int32(n))
	s.cancel.Store(&cancel)
	return c.runContext(ctx, args...)
}

// exportCheckpoint is the checkpoint file, as its JSON names it.
type exportCheckpoint struct {
	Done  time.Time `json:"done"`
	Bytes int64     `json:"bytes"`
	Calls int64     `json:"calls"`
}

func readCheckpoint(t *testing.T, out string) exportCheckpoint {
	t.Helper()
	var cp exportCheckpoint
	require.NoError(t, json.Unmarshal([]byte(readFile(t, checkpointPath(out))), &cp))
	return cp
}

func TestExportResume(t *testing.T) {
	t.Parallel()
	wins := convirza.SplitCallsWindow(spanFrom, spanTo)
	require.Len(t, wins, 4)
	for _, format := range []string{"ndjson", "csv"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			s := &stopper{}
			c := newExportCLI(t, s.middleware)
			dir := t.TempDir()
			out := filepath.Join(dir, "calls."+format)
			args := append(slices.Clone(spanArgs), "--include", exportIncludeFlag, "-o", format, "--out", out)

			// Requests 1 and 2 are windows 1 and 2, 3 and 4 the two pages of
			// window 3: the run stops half-way through it.
			r := s.interrupt(c.cli, 4, args...)
			require.Equal(t, 1, r.code, r.stderr)
			assert.Contains(t, r.stderr, "context canceled")
			assert.Contains(t, r.stderr, "the export is complete up to "+wins[1].End.Format(time.RFC3339))
			assert.Contains(t, r.stderr, "run the same command with --resume to go on")
			cp := readCheckpoint(t, out)
			assert.Equal(t, wins[1].End, cp.Done.UTC())
			assert.EqualValues(t, len(c.visibleIDs(spanFrom, wins[1].End)), cp.Calls)
			fi, err := os.Stat(out)
			require.NoError(t, err)
			assert.Greater(t, fi.Size(), cp.Bytes, "the first page of window 3 was written past the checkpoint")
			// A run that dies may leave more than the rest of the export will
			// write over (a partial line, a larger buffer): --resume must cut
			// it off, not just write over it.
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write(bytes.Repeat([]byte("partial line "), 100_000))
			require.NoError(t, f.Close())
			require.NoError(t, err)

			c.srv.ResetRequests()
			r = c.run(append(args, "--resume")...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stderr, "Resuming the export to "+out+" from "+wins[1].End.Format(time.RFC3339))
			reqs := listRequests(t, c.srv)
			require.Len(t, reqs, 3, "window 3 (two pages) and window 4, nothing before the checkpoint")
			assert.Equal(t, wins[2:], assertWindows(t, reqs, wins[2].Start, spanTo))
			_, err = os.Stat(checkpointPath(out))
			assert.ErrorIs(t, err, fs.ErrNotExist, "the checkpoint of a complete export is removed")

			clean := filepath.Join(dir, "clean."+format)
			cleanArgs := append(slices.Clone(args[:len(args)-1]), clean)
			r = c.run(cleanArgs...)
			require.Equal(t, 0, r.code, r.stderr)
			resumed := readFile(t, out)
			require.Equal(t, readFile(t, clean), resumed, "the resumed export is the clean one")
			// And the clean one is complete: each call once.
			var got []int64
			if format == "csv" {
				for _, row := range readCSV(t, resumed)[1:] {
					id, err := strconv.ParseInt(row[0], 10, 64)
					require.NoError(t, err)
					got = append(got, id)
				}
			} else {
				for line := range strings.Lines(resumed) {
					var obj struct {
						ID int64 `json:"call_id"`
					}
					require.NoError(t, json.Unmarshal([]byte(line), &obj))
					got = append(got, obj.ID)
				}
			}
			require.Len(t, got, len(c.visibleIDs(spanFrom, spanTo)))
			assert.Equal(t, c.visibleIDs(spanFrom, spanTo), slices.Sorted(slices.Values(got)))
		})
	}
}

func TestExportResumeRefusals(t *testing.T) {
	t.Parallel()
	s := &stopper{}
	c := newExportCLI(t, s.middleware)
	dir := t.TempDir()
	out := filepath.Join(dir, "calls.ndjson")
	args := append(slices.Clone(spanArgs), "--include", exportIncludeFlag, "--out", out)
	r := s.interrupt(c.cli, 2, args...)
	require.Equal(t, 1, r.code, r.stderr)
	before := readFile(t, out)
	cpBefore := readFile(t, checkpointPath(out))

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"another --from", []string{"calls", "export", "--from", "2025-01-02", "--to", "2025-04-10", "--include", exportIncludeFlag}, "--from 2025-01-01T00:00:00Z"},
		{"another --to", []string{"calls", "export", "--from", "2025-01-01", "--to", "2025-04-09", "--include", exportIncludeFlag}, "--to 2025-04-11T00:00:00Z"},
		{"another -o", append(slices.Clone(spanArgs), "--include", exportIncludeFlag, "-o", "csv"), "-o ndjson"},
		{"another --include", append(slices.Clone(spanArgs), "--include", "tags"), "--include"},
		{"another --org-unit", append(slices.Clone(spanArgs), "--include", exportIncludeFlag, "--org-unit", "1002"), "--org-unit 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.srv.ResetRequests()
			r := c.run(append(tc.args, "--out", out, "--resume")...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, checkpointPath(out)+" belongs to another export ("+tc.want)
			assert.Contains(t, r.stderr, "give the same flags, or drop --resume to start over")
			assert.Empty(t, c.srv.Requests(), "no request before the flags are checked")
			assert.Equal(t, before, readFile(t, out), "the output is left alone")
			assert.Equal(t, cpBefore, readFile(t, checkpointPath(out)), "the checkpoint is left alone")
		})
	}

	t.Run("output shorter than the checkpoint", func(t *testing.T) {
		cp := readCheckpoint(t, out)
		require.Positive(t, cp.Bytes)
		require.NoError(t, os.Truncate(out, cp.Bytes-1))
		c.srv.ResetRequests()
		r := c.run(append(args, "--resume")...)
		assert.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stderr, fmt.Sprintf("cannot resume: %s has %d bytes, fewer than the %d its checkpoint recorded; start over without --resume", out, cp.Bytes-1, cp.Bytes))
		assert.Empty(t, c.srv.Requests())
		fi, err := os.Stat(out)
		require.NoError(t, err)
		assert.Equal(t, cp.Bytes-1, fi.Size(), "the output is left alone")
		assert.FileExists(t, checkpointPath(out))
	})

	t.Run("no checkpoint starts over", func(t *testing.T) {
		fresh := filepath.Join(dir, "fresh.ndjson")
		c.srv.ResetRequests()
		r := c.run(append(slices.Clone(args[:len(args)-1]), fresh, "--resume")...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stderr, "No checkpoint beside "+fresh+": starting the export from 2025-01-01T00:00:00Z")
		assertWindows(t, listRequests(t, c.srv), spanFrom, spanTo)
		clean := filepath.Join(dir, "clean.ndjson")
		r = c.run(append(slices.Clone(args[:len(args)-1]), clean)...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, readFile(t, clean), readFile(t, fresh))
		assert.NoFileExists(t, checkpointPath(fresh))
	})
}

// recordingRequests are the recording downloads the fake received, in
// order.
func recordingRequests(srv *convirzatest.Server) []convirzatest.Request {
	return srv.Requests(convirzatest.RequestFilter{Method: "GET", Path: "/recordings/*"})
}

// recordedIDs are the visible calls of from..to that have a recording.
func (e *exportCLI) recordedIDs(from, to time.Time) []int64 {
	var out []int64
	for _, id := range e.visibleIDs(from, to) {
		if e.seed[id].HasRecording {
			out = append(out, id)
		}
	}
	return out
}

// assertRecordings checks that dir holds exactly the recordings of ids,
// each as the fake serves it, and nothing else.
func assertRecordings(t *testing.T, dir string, ids []int64) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var want []string
	for _, id := range ids {
		want = append(want, fmt.Sprintf("%d.mp3", id))
		assert.Equal(t, string(convirzatest.RecordingAudio(id)), readFile(t, filepath.Join(dir, fmt.Sprintf("%d.mp3", id))), "recording of %d", id)
	}
	slices.Sort(want)
	assert.Equal(t, want, names, "the files of %s", dir)
}

// The one-window span of the recordings tests: 2025-01-01 to 2025-01-10.
var (
	recFrom = spanFrom
	recTo   = spanFrom.AddDate(0, 0, 10)
)

func TestExportRecordings(t *testing.T) {
	t.Parallel()
	c := newExportCLI(t, nil)
	dir := filepath.Join(t.TempDir(), "audio") // made by the export
	out := filepath.Join(t.TempDir(), "calls.csv")
	args := []string{"calls", "export", "--from", "2025-01-01", "--to", "2025-01-10", "-o", "csv", "--out", out, "--recordings-dir", dir}
	recorded := c.recordedIDs(recFrom, recTo)
	require.NotEmpty(t, recorded)

	c.srv.ResetRequests()
	r := c.run(args...)
	require.Equal(t, 0, r.code, r.stderr)
	assertRecordings(t, dir, recorded)
	assert.Len(t, recordingRequests(c.srv), len(recorded), "one download a recording")
	for _, lr := range listRequests(t, c.srv) {
		assert.Equal(t, "recordings", lr.include, "--recordings-dir asks for the links")
	}

	rows := readCSV(t, readFile(t, out))
	require.Len(t, rows[1:], len(c.visibleIDs(recFrom, recTo)))
	for _, row := range rows[1:] {
		id, err := strconv.ParseInt(row[0], 10, 64)
		require.NoError(t, err)
		if !c.seed[id].HasRecording {
			assert.Equal(t, []string{"", "", ""}, row[14:17], "call %d has no recording", id)
			continue
		}
		assert.True(t, strings.HasPrefix(row[14], fmt.Sprintf("%s/recordings/%d.mp3?", c.srv.AuthURL, id)), "recording_url %q", row[14])
		exp, err := time.Parse(time.RFC3339, row[15])
		if assert.NoError(t, err, "recording_expires_at") {
			assert.WithinDuration(t, c.srv.Now().Add(7*day), exp, time.Minute)
		}
		assert.Equal(t, filepath.Join(dir, fmt.Sprintf("%d.mp3", id)), row[16], "recording_file")
	}

	t.Run("a second run downloads nothing", func(t *testing.T) {
		c.srv.ResetRequests()
		r := c.run(args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Empty(t, recordingRequests(c.srv))
		assertRecordings(t, dir, recorded)
	})
}

// TestExportRenewsExpiredLinks moves the fake's clock 8 days on when the
// first recording is fetched, after the window's links were listed: each
// of them answers 410, and the command must fetch the call again for a
// fresh one.
func TestExportRenewsExpiredLinks(t *testing.T) {
	t.Parallel()
	var once sync.Once
	var srv atomic.Pointer[convirzatest.Server]
	lateDownloads := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/recordings/") {
				once.Do(func() { srv.Load().AdvanceClock(8 * day) })
			}
			next.ServeHTTP(w, r)
		})
	}
	// Tokens outlive the jump: this test is about the links.
	c := newExportCLI(t, lateDownloads, convirzatest.WithAccessTokenTTL(60*day))
	srv.Store(c.srv)
	dir := t.TempDir()
	recorded := c.recordedIDs(recFrom, recTo)
	require.NotEmpty(t, recorded)

	c.srv.ResetRequests()
	r := c.run("calls", "export", "--from", "2025-01-01", "--to", "2025-01-10", "--recordings-dir", dir, "--concurrency", "3")
	require.Equal(t, 0, r.code, r.stderr)
	assertRecordings(t, dir, recorded)

	var renewed []int64
	for _, g := range c.srv.Requests(convirzatest.RequestFilter{Method: "GET", Path: callsPath + "/*"}) {
		id, err := strconv.ParseInt(strings.TrimPrefix(g.Path, callsPath+"/"), 10, 64)
		require.NoError(t, err)
		renewed = append(renewed, id)
		assert.Equal(t, "include=recordings", g.RawQuery, "call %d fetched again for its link", id)
		assert.Equal(t, http.StatusOK, g.Status)
	}
	assert.Equal(t, recorded, slices.Sorted(slices.Values(renewed)), "each expired link renewed once")
	statuses := map[int64][]int{}
	for _, d := range recordingRequests(c.srv) {
		id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(d.Path, "/recordings/"), ".mp3"), 10, 64)
		require.NoError(t, err)
		statuses[id] = append(statuses[id], d.Status)
	}
	for _, id := range recorded {
		assert.Equal(t, []int{http.StatusGone, http.StatusOK}, statuses[id], "downloads of %d", id)
	}
}

// TestExportRenewsStaleLinks lists links that have already expired by the
// command's clock: it renews them without trying them first.
func TestExportRenewsStaleLinks(t *testing.T) {
	t.Parallel()
	c := newExportCLI(t, nil, convirzatest.WithClock(func() time.Time { return time.Now().Add(-8 * day) }))
	dir := t.TempDir()
	recorded := c.recordedIDs(recFrom, recTo)

	c.srv.ResetRequests()
	r := c.run("calls", "export", "--from", "2025-01-01", "--to", "2025-01-10", "--recordings-dir", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assertRecordings(t, dir, recorded)
	assert.Len(t, c.srv.Requests(convirzatest.RequestFilter{Method: "GET", Path: callsPath + "/*"}), len(recorded))
	downloads := recordingRequests(c.srv)
	assert.Len(t, downloads, len(recorded), "no download of a link known to be stale")
	for _, d := range downloads {
		assert.Equal(t, http.StatusOK, d.Status, d.Path)
	}
}

func TestExportRecordingFailure(t *testing.T) {
	t.Parallel()
	c := newExportCLI(t, nil)
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "calls.ndjson")
	// Two windows: January, and February 1 to 14.
	args := []string{"calls", "export", "--from", "2025-01-01", "--to", "2025-02-14", "--out", out, "--recordings-dir", dir}
	wins := convirza.SplitCallsWindow(spanFrom, spanFrom.AddDate(0, 0, 45))
	require.Len(t, wins, 2)
	second := c.recordedIDs(wins[1].Start, wins[1].End)
	require.Greater(t, len(second), 2)
	bad := second[1]
	// The reply breaks off half-way: a partial file is written, then must
	// go.
	require.NoError(t, c.srv.InjectFault(convirzatest.Fault{Method: "GET", Path: fmt.Sprintf("/recordings/%d.mp3", bad), Body: convirzatest.TruncatedBody}))

	r := c.run(args...)
	require.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, fmt.Sprintf("recording of call %d", bad))
	assert.Contains(t, r.stderr, "the export is complete up to "+wins[0].End.Format(time.RFC3339))
	assert.Contains(t, r.stderr, "--resume")
	cp := readCheckpoint(t, out)
	assert.Equal(t, wins[0].End, cp.Done.UTC(), "the failed window is not checkpointed")
	assert.EqualValues(t, len(c.visibleIDs(wins[0].Start, wins[0].End)), cp.Calls)
	var good []int64
	for _, id := range c.recordedIDs(spanFrom, wins[1].End) {
		if id != bad {
			good = append(good, id)
		}
	}
	assertRecordings(t, dir, good) // no partial file, no *.part left

	t.Run("resume downloads the missing one", func(t *testing.T) {
		c.srv.ClearFaults()
		c.srv.ResetRequests()
		r := c.run(append(args, "--resume")...)
		require.Equal(t, 0, r.code, r.stderr)
		assertRecordings(t, dir, c.recordedIDs(spanFrom, wins[1].End))
		downloads := recordingRequests(c.srv)
		if assert.Len(t, downloads, 1, "the others are there already") {
			assert.Equal(t, fmt.Sprintf("/recordings/%d.mp3", bad), downloads[0].Path)
		}
		assertWindows(t, listRequests(t, c.srv), wins[1].Start, wins[1].End)
		assert.NoFileExists(t, checkpointPath(out))
	})
}

func TestExportBadInput(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.login()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	out := filepath.Join(dir, "out.ndjson")
	export := func(args ...string) []string { return append([]string{"calls", "export"}, args...) }
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad --from", export("--from", "2025-13-01"), `--from "2025-13-01": want a date such as 2026-01-31 or a time such as 2026-01-31T12:00:00Z`},
		{"bad --to", export("--from", "2025-01-01", "--to", "tomorrow"), `--to "tomorrow": want a date`},
		{"--to before --from", export("--from", "2025-02-01", "--to", "2025-01-15"), "--to 2025-01-16T00:00:00Z is not after --from 2025-02-01T00:00:00Z"},
		{"--to equal to --from", export("--from", "2025-01-01T00:00:00Z", "--to", "2025-01-01T00:00:00Z"), "--to 2025-01-01T00:00:00Z is not after --from 2025-01-01T00:00:00Z"},
		{"--to the day before --from", export("--from", "2025-01-02", "--to", "2025-01-01"), "--to 2025-01-02T00:00:00Z is not after --from 2025-01-02T00:00:00Z"},
		{"missing --from", export("--to", "2025-01-01"), "--from is required"},
		{"unknown --include", export("--from", "2025-01-01", "--include", "tags,bogus"), `--include "bogus": use any of tags, comments, custom_sources, call_flow, recordings, transcription`},
		{"bad -o", export("--from", "2025-01-01", "-o", "xml"), `-o "xml": use ndjson or csv`},
		{"--concurrency 0", export("--from", "2025-01-01", "--concurrency", "0"), "--concurrency 0: use 1..32"},
		{"--concurrency 33", export("--from", "2025-01-01", "--concurrency", "33"), "--concurrency 33: use 1..32"},
		{"--concurrency not a number", export("--from", "2025-01-01", "--concurrency", "many"), `invalid argument "many" for "--concurrency"`},
		{"--resume without --out", export("--from", "2025-01-01", "--resume"), "--resume needs --out: the checkpoint lives beside the output file"},
		{"--recordings-dir a file", export("--from", "2025-01-01", "--recordings-dir", file), "--recordings-dir " + file + " is not a directory"},
		{"--org-unit negative", export("--from", "2025-01-01", "--org-unit", "-1"), "--org-unit -1: ids are positive"},
		{"unknown flag", export("--from", "2025-01-01", "--form", "x"), "unknown flag: --form"},
		{"extra argument", export("--from", "2025-01-01", "later"), `unknown command "later" for "convirza calls export"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !slices.Contains(args, "--resume") {
				args = append(args, "--out", out)
			}
			c.srv.ResetRequests()
			r := c.run(args...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, "convirza: "+tc.want)
			assert.Empty(t, r.stdout)
			assert.Empty(t, c.srv.Requests(), "nothing is sent for a bad command line")
			assert.NoFileExists(t, out)
			assert.NoFileExists(t, checkpointPath(out))
		})
	}
}

func TestExportNotLoggedIn(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	out := filepath.Join(t.TempDir(), "calls.ndjson")
	r := c.run("calls", "export", "--from", "2025-01-01", "--to", "2025-01-10", "--out", out)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, `run "convirza login" first`)
	assert.NotContains(t, r.stderr, "--resume", "there is nothing to resume")
	assert.Empty(t, c.srv.Requests())
	assert.NoFileExists(t, out, "no output for an export that cannot start")
	assert.NoFileExists(t, checkpointPath(out))
}

var progressLine = regexp.MustCompile(`\r\x1b\[Kwindows (\d)/4  calls (\d+)  \d+ calls/s`)

func TestExportProgress(t *testing.T) {
	t.Parallel()
	c := newExportCLI(t, nil)
	total := len(c.visibleIDs(spanFrom, spanTo))

	assertData := func(t *testing.T, data string) {
		t.Helper()
		n := 0
		for line := range strings.Lines(data) {
			n++
			require.True(t, json.Valid([]byte(line)), "line %d is not a call: %q", n, line)
		}
		assert.Equal(t, total, n)
		assert.NotContains(t, data, "\r")
		assert.NotContains(t, data, "\x1b")
	}

	t.Run("terminal", func(t *testing.T) {
		c.stderrTerminal = true
		defer func() { c.stderrTerminal = false }()
		r := c.run(spanArgs...)
		require.Equal(t, 0, r.code, r.stderr)
		assertData(t, r.stdout)
		lines := progressLine.FindAllStringSubmatch(r.stderr, -1)
		require.NotEmpty(t, lines, "stderr: %q", r.stderr)
		var wins []string
		for _, l := range lines {
			wins = append(wins, l[1])
		}
		// A line as each window completes (and maybe between, every 64
		// calls), the last one again at the end.
		wins = slices.Compact(wins)
		if wins[0] == "0" {
			wins = wins[1:]
		}
		assert.Equal(t, []string{"1", "2", "3", "4"}, wins)
		last := lines[len(lines)-1]
		assert.Equal(t, "4", last[1])
		assert.Equal(t, strconv.Itoa(total), last[2])
		assert.True(t, strings.HasSuffix(r.stderr, "\n"), "the progress line is ended")
	})

	t.Run("terminal with recordings", func(t *testing.T) {
		c.stderrTerminal = true
		defer func() { c.stderrTerminal = false }()
		out := filepath.Join(t.TempDir(), "calls.ndjson")
		args := []string{"calls", "export", "--from", "2025-01-01", "--to", "2025-01-10", "--out", out, "--recordings-dir", t.TempDir()}
		n := len(c.recordedIDs(recFrom, recTo))
		r := c.run(args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, fmt.Sprintf("windows 1/1  calls %d", len(c.visibleIDs(recFrom, recTo))))
		assert.Contains(t, r.stderr, fmt.Sprintf("  recordings %d (0 already there)\n", n))
		r = c.run(args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stderr, fmt.Sprintf("  recordings 0 (%d already there)\n", n))
		assert.NotContains(t, readFile(t, out), "\x1b")
	})

	t.Run("not a terminal", func(t *testing.T) {
		r := c.run(spanArgs...)
		require.Equal(t, 0, r.code, r.stderr)
		assertData(t, r.stdout)
		assert.Empty(t, r.stderr)

		out := filepath.Join(t.TempDir(), "calls.ndjson")
		r = c.run(append(slices.Clone(spanArgs), "--out", out)...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Empty(t, r.stdout)
		assert.Empty(t, r.stderr)
		assertData(t, readFile(t, out))
	})
}
