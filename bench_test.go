package convirza

// Benchmarks of the SDK against hand-written net/http code. Each pair runs
// as sub-benchmarks of one benchmark (Benchmark.../SDK beside
// Benchmark.../Baseline), against the same loopback server serving canned
// bytes, so a single `go test -bench` run compares them. scripts/bench runs
// them several times and prints the table of ratios and goals.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
)

const (
	benchToken  = "bench-access-token"
	benchUserID = 10001
	benchPage   = 200    // items in a list page: the API's maximum
	benchTotal  = 100000 // users behind BenchmarkUsersAll: 500 pages
	benchProcs  = 64     // goroutines sharing one client
)

// benchServer is a loopback server that answers from canned bytes, so that
// what a benchmark measures is the client, not the server's work.
type benchServer struct {
	*httptest.Server
	base    string // API base URL, "/v3" included
	user    []byte // GET /v3/users/{id}
	page    []byte // GET /v3/users/list: benchPage users, total benchTotal
	calls   []byte // GET /v3/conversations/calls: benchPage calls
	onPage  atomic.Pointer[func()]
	jsonCT  []string
	lenUser []string
	lenPage []string
	lenCall []string
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	s := &benchServer{
		user:   benchUserBody(b),
		page:   benchUsersPageBody(b, benchPage, benchTotal),
		calls:  benchCallsPageBody(b, benchPage),
		jsonCT: []string{"application/json"},
	}
	s.lenUser = []string{strconv.Itoa(len(s.user))}
	s.lenPage = []string{strconv.Itoa(len(s.page))}
	s.lenCall = []string{strconv.Itoa(len(s.calls))}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	s.base = s.URL + "/v3"
	b.Cleanup(s.Close)
	return s
}

func (s *benchServer) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h := w.Header()
	h["Content-Type"] = s.jsonCT
	switch r.URL.Path {
	case "/v3/users/10001":
		h["Content-Length"] = s.lenUser
		_, _ = w.Write(s.user)
	case "/v3/users/list":
		if f := s.onPage.Load(); f != nil {
			(*f)()
		}
		h["Content-Length"] = s.lenPage
		_, _ = w.Write(s.page)
	case "/v3/conversations/calls":
		h["Content-Length"] = s.lenCall
		_, _ = w.Write(s.calls)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"code":404,"message":"not found"}`))
	}
}

// benchUserBody is the documented Get User answer (testdata/users/get.json),
// compacted as the server sends it.
func benchUserBody(b *testing.B) []byte {
	b.Helper()
	raw, err := os.ReadFile("testdata/users/get.json")
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

// benchUserObject is the "data" object of the documented Get User answer,
// with id, names and email made distinct by i.
func benchUserObject(b *testing.B, i int) []byte {
	b.Helper()
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(benchUserBody(b), &env); err != nil {
		b.Fatal(err)
	}
	obj := string(env.Data)
	obj = strings.Replace(obj, `"ct_user_id":10001`, fmt.Sprintf(`"ct_user_id":%d`, 20000+i), 1)
	obj = strings.Replace(obj, `"john.doe@example.com"`, fmt.Sprintf(`"user%d@example.com"`, i), 1)
	obj = strings.Replace(obj, `"first_name":"John"`, fmt.Sprintf(`"first_name":"John%d"`, i), 1)
	return []byte(obj)
}

// benchUsersPageBody is a List Users answer of n users with the given total.
func benchUsersPageBody(b *testing.B, n, total int) []byte {
	b.Helper()
	var buf bytes.Buffer
	buf.WriteString(`{"code":200,"message":"Success","data":{"users":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(benchUserObject(b, i))
	}
	fmt.Fprintf(&buf, `],"total":%d},"request_id":"550e8400-e29b-41d4-a716-446655440000","timestamp":"2026-01-20T12:34:56.789Z"}`, total)
	return buf.Bytes()
}

// benchCallsPageBody is a Get Calls List answer of n calls, each the
// documented example (testdata/conversations/calls_list.json: tags and a
// recording included) with a distinct id.
func benchCallsPageBody(b *testing.B, n int) []byte {
	b.Helper()
	raw, err := os.ReadFile("testdata/conversations/calls_list.json")
	if err != nil {
		b.Fatal(err)
	}
	var env struct {
		Data struct{ Calls []json.RawMessage }
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Data.Calls) == 0 {
		b.Fatal("calls_list.json: ", err)
	}
	var call bytes.Buffer
	if err := json.Compact(&call, env.Data.Calls[0]); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"code":200,"message":"Success","data":{"calls":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(strings.Replace(call.String(), `"call_id":555001`, fmt.Sprintf(`"call_id":%d`, 600000+i), 1))
	}
	fmt.Fprintf(&buf, `],"total":%d},"request_id":"550e8400-e29b-41d4-a716-446655440000","timestamp":"2026-01-20T12:34:56.789Z"}`, n)
	return buf.Bytes()
}

// benchClient is an SDK client for s with a static token and its default
// transport.
func benchClient(b *testing.B, s *benchServer, opts ...Option) *Client {
	b.Helper()
	c, err := NewClient(append([]Option{WithBaseURL(s.base), WithToken(benchToken)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// cpuMeter reports the process's CPU time per operation as cpu-ns/op.
// On a machine shared with other work, wall time per operation moves with
// the load while CPU time moves much less: the pair's ratio of CPU time is
// the steadier comparison. Start it right before the timed loop.
func cpuMeter(b *testing.B) (stop func()) {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// baseline is the hand-written client a team would write without the SDK:
// net/http and encoding/json, no retries, no logging.
type baseline struct {
	hc   *http.Client
	base string
}

// get fetches path and decodes the envelope's data into out.
func (bl *baseline) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, bl.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Accept", "application/json")
	resp, err := bl.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	env := struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    any    `json:"data"`
	}{Data: out}
	err = json.NewDecoder(resp.Body).Decode(&env)
	_, _ = io.Copy(io.Discard, resp.Body)
	return err
}

// handGet is the hand-written GET of the page baselines: the request with
// its bearer, Do, and io.ReadAll of the body.
func handGet(b *testing.B, ctx context.Context, hc *http.Client, url string) []byte {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// getUser is the baseline's Users.Get: the same User type as the SDK.
func (bl *baseline) getUser(ctx context.Context, id int64) (*User, error) {
	u := new(User)
	if err := bl.get(ctx, "/users/"+strconv.FormatInt(id, 10), u); err != nil {
		return nil, err
	}
	return u, nil
}

// plainUser is User as a plain struct: no custom decoding, no Raw, every
// field typed as the documented example sends it.
type plainUser struct {
	ID                    int64     `json:"ct_user_id"`
	FirstName             string    `json:"first_name"`
	LastName              string    `json:"last_name"`
	Email                 string    `json:"email"`
	ExtID                 string    `json:"user_ext_id"`
	Status                string    `json:"status"`
	AgentRingTo           string    `json:"agent_ring_to"`
	AgentID               string    `json:"agent_id"`
	Group                 string    `json:"group"`
	GroupOrgUnitID        int64     `json:"group_org_unit_id"`
	GroupExternalID       string    `json:"group_external_id"`
	Account               string    `json:"account"`
	AccountOrgUnitID      int64     `json:"account_org_unit_id"`
	AccountExternalID     string    `json:"account_external_id"`
	ParentGroup           string    `json:"parent_group"`
	ParentGroupOrgUnitID  int64     `json:"parent_group_org_unit_id"`
	ParentGroupExternalID string    `json:"parent_group_external_id"`
	Role                  string    `json:"role"`
	AccessAudio           string    `json:"access_audio"`
	GroupAccess           int       `json:"group_access"`
	ReportAccess          int       `json:"report_access"`
	AssignScorecard       bool      `json:"assign_scorecard"`
	Created               time.Time `json:"user_created"`
	OrgUnitID             int64     `json:"ct_user_ou_id"`
	RoleID                int       `json:"role_id"`
	Timezone              string    `json:"timezone"`
	AgentCode             int       `json:"agent_code"`
	ScoreCall             bool      `json:"score_call"`
	Aliases               []string  `json:"aliases"`
}

// plainUsersPage is a List Users answer as plain structs.
type plainUsersPage struct {
	Code int `json:"code"`
	Data struct {
		Users []plainUser `json:"users"`
		Total int         `json:"total"`
	} `json:"data"`
}

// plainCall is Call as a plain struct, typed as the documented example
// sends it.
type plainCall struct {
	ID                 int64     `json:"call_id"`
	OrgUnitID          int64     `json:"org_unit_id"`
	CampaignID         int64     `json:"campaign_id"`
	ProvisionedRouteID int64     `json:"provisioned_route_id"`
	CallerID           string    `json:"caller_id"`
	PhoneNumber        string    `json:"phone_number"`
	RingTo             string    `json:"ring_to"`
	Disposition        string    `json:"disposition"`
	Duration           string    `json:"duration"`
	Started            time.Time `json:"call_started"`
	Tags               []struct {
		ID        int64     `json:"tag_id"`
		Name      string    `json:"tag_name"`
		OrgUnitID int64     `json:"org_unit_id"`
		Created   time.Time `json:"tag_created"`
	} `json:"tags"`
	Comments []struct {
		Comment string    `json:"comment"`
		UserID  int64     `json:"ct_user_id"`
		Created time.Time `json:"comment_created"`
	} `json:"comments"`
	CustomSources map[string]string `json:"custom_sources"`
	CallFlow      json.RawMessage   `json:"call_flow"`
	Recording     *struct {
		URL       string `json:"url"`
		ExpiresAt int64  `json:"expires_at"`
	} `json:"recording_details"`
	Transcription string `json:"transcription"`
}

// plainCallsPage is a Get Calls List answer as plain structs.
type plainCallsPage struct {
	Code int `json:"code"`
	Data struct {
		Calls []plainCall `json:"calls"`
		Total int         `json:"total"`
	} `json:"data"`
}

// BenchmarkUsersGet is one Users.Get through the SDK against the same call
// written by hand, same transport settings, same server, same User type.
// Goal: SDK time <= 1.10x, allocations <= baseline + 15.
func BenchmarkUsersGet(b *testing.B) {
	s := newBenchServer(b)
	ctx := context.Background()
	b.Run("SDK", func(b *testing.B) {
		c := benchClient(b, s)
		b.ReportAllocs()
		defer cpuMeter(b)()
		for b.Loop() {
			u, err := c.Users.Get(ctx, benchUserID)
			if err != nil || u.ID != benchUserID {
				b.Fatal(u, err)
			}
		}
	})
	b.Run("Baseline", func(b *testing.B) {
		bl := &baseline{hc: &http.Client{Transport: defaultTransport()}, base: s.base}
		b.ReportAllocs()
		defer cpuMeter(b)()
		for b.Loop() {
			u, err := bl.getUser(ctx, benchUserID)
			if err != nil || u.ID != benchUserID {
				b.Fatal(u, err)
			}
		}
	})
}

// BenchmarkUsersGetParallel64 is Users.Get from 64 goroutines sharing one
// client: the SDK (its own transport), the baseline with the same tuned
// transport, and the baseline on http.Client{} with Go's default transport
// settings (2 idle connections per host). The figure that counts is
// req/s. Goal: SDK >= 0.95x the tuned baseline, and clearly above the
// default transport.
func BenchmarkUsersGetParallel64(b *testing.B) {
	s := newBenchServer(b)
	ctx := context.Background()
	run := func(b *testing.B, get func() (*User, error)) {
		b.SetParallelism((benchProcs + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.ReportAllocs()
		b.ResetTimer()
		stop := cpuMeter(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				u, err := get()
				if err != nil || u.ID != benchUserID {
					b.Error(u, err)
					return
				}
			}
		})
		stop()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}
	b.Run("SDK", func(b *testing.B) {
		c := benchClient(b, s)
		run(b, func() (*User, error) { return c.Users.Get(ctx, benchUserID) })
	})
	b.Run("Baseline", func(b *testing.B) {
		bl := &baseline{hc: &http.Client{Transport: defaultTransport()}, base: s.base}
		run(b, func() (*User, error) { return bl.getUser(ctx, benchUserID) })
	})
	b.Run("DefaultTransport", func(b *testing.B) {
		// http.Client{} as most code writes it; a clone of
		// http.DefaultTransport so that its pool starts empty and is
		// closed with the benchmark.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		b.Cleanup(tr.CloseIdleConnections)
		bl := &baseline{hc: &http.Client{Transport: tr}, base: s.base}
		run(b, func() (*User, error) { return bl.getUser(ctx, benchUserID) })
	})
}

// BenchmarkUsersPage200 is one List Users page of 200 users over the
// loopback: the SDK (User with Raw and tolerant decoding) against
// io.ReadAll and json.Unmarshal into plain structs.
// Goal: <= 1.25x time and allocations.
func BenchmarkUsersPage200(b *testing.B) {
	s := newBenchServer(b)
	ctx := context.Background()
	b.Run("SDK", func(b *testing.B) {
		c := benchClient(b, s)
		params := &ListUsersParams{PageParams: PageParams{Limit: benchPage}}
		b.SetBytes(int64(len(s.page)))
		b.ReportAllocs()
		defer cpuMeter(b)()
		for b.Loop() {
			p, err := c.Users.List(ctx, params)
			if err != nil || len(p.Items) != benchPage {
				b.Fatal(err)
			}
		}
	})
	b.Run("Baseline", func(b *testing.B) {
		hc := &http.Client{Transport: defaultTransport()}
		b.SetBytes(int64(len(s.page)))
		b.ReportAllocs()
		defer cpuMeter(b)()
		for b.Loop() {
			body := handGet(b, ctx, hc, s.base+"/users/list?limit=200")
			var p plainUsersPage
			if err := json.Unmarshal(body, &p); err != nil || len(p.Data.Users) != benchPage {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUsersPage200Decode isolates the decoding of the same page: the
// SDK's decoding of an answer (envelope, list keys, User with Raw) against
// json.Unmarshal of the same bytes into plain structs, with no network.
func BenchmarkUsersPage200Decode(b *testing.B) {
	benchPageDecode[User, userList](b, usersListPath, newBenchServer(b).page,
		func(p *plainUsersPage) int { return len(p.Data.Users) })
}

// benchPageDecode runs the SDK's decoding of a list answer body (into
// L, its list) beside json.Unmarshal of the same bytes into the plain page
// P, whose items count gives. The body is in memory, as the transport
// leaves it.
func benchPageDecode[T, L any, LP interface {
	*L
	list[T]
}, P any](b *testing.B, path string, body []byte, count func(*P) int) {
	b.Run("SDK", func(b *testing.B) {
		c := benchClient(b, newBenchServer(b))
		st := &callState{method: http.MethodGet, path: path}
		r := &request{method: http.MethodGet, path: path}
		resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, ContentLength: int64(len(body))}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		defer cpuMeter(b)()
		for b.Loop() {
			resp.Body = newBufferedBody(body)
			var data *L
			if _, err := c.decode(resp, st, r, &data); err != nil || data == nil {
				b.Fatal(err)
			}
			if items, _ := LP(data).page(); len(items) != benchPage {
				b.Fatal(len(items))
			}
		}
	})
	b.Run("Baseline", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		defer cpuMeter(b)()
		for b.Loop() {
			var p P
			if err := json.Unmarshal(body, &p); err != nil || count(&p) != benchPage {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCallsPage200 is one Get Calls List page of 200 calls (tags and
// recording expanded) over the loopback: Calls.List against io.ReadAll and
// json.Unmarshal into plain structs. Goal: <= 1.25x time and allocations.
func BenchmarkCallsPage200(b *testing.B) {
	s := newBenchServer(b)
	ctx := context.Background()
	b.Run("SDK", func(b *testing.B) {
		c := benchClient(b, s)
		params := &ListCallsParams{PageParams: PageParams{Limit: benchPage}}
		b.SetBytes(int64(len(s.calls)))
		b.ReportAllocs()
		defer cpuMeter(b)()
		for b.Loop() {
			p, err := c.Calls.List(ctx, params)
			if err != nil || len(p.Items) != benchPage || len(p.Items[0].Tags) != 1 {
				b.Fatal(err)
			}
		}
	})
	b.Run("Baseline", func(b *testing.B) {
		hc := &http.Client{Transport: defaultTransport()}
		b.SetBytes(int64(len(s.calls)))
		b.ReportAllocs()
		defer cpuMeter(b)()
		for b.Loop() {
			body := handGet(b, ctx, hc, s.base+"/conversations/calls?limit=200")
			var p plainCallsPage
			if err := json.Unmarshal(body, &p); err != nil || len(p.Data.Calls) != benchPage {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCallsPage200Decode isolates the decoding of the same calls page,
// as BenchmarkUsersPage200Decode does for users.
func BenchmarkCallsPage200Decode(b *testing.B) {
	benchPageDecode[Call, callList](b, callsPath, newBenchServer(b).calls,
		func(p *plainCallsPage) int { return len(p.Data.Calls) })
}

// heapSampler records the peak of the live heap above a starting point:
// each sample collects garbage first, so what it reads is what the walk
// keeps reachable (the page being read, the pooled buffers), not what the
// collector has yet to free.
type heapSampler struct {
	mu   sync.Mutex
	base uint64
	peak uint64
	ms   runtime.MemStats
}

func (h *heapSampler) start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	runtime.GC()
	runtime.ReadMemStats(&h.ms)
	h.base, h.peak = h.ms.HeapAlloc, 0
}

func (h *heapSampler) sample() {
	h.mu.Lock()
	defer h.mu.Unlock()
	runtime.GC()
	runtime.ReadMemStats(&h.ms)
	if h.ms.HeapAlloc > h.base && h.ms.HeapAlloc-h.base > h.peak {
		h.peak = h.ms.HeapAlloc - h.base
	}
}

// pageHeap is what one decoded page of 200 users keeps on the heap: the
// unit of the All goal.
func pageHeap(b *testing.B, body []byte) uint64 {
	b.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	var env struct {
		Data userList `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(&env)
	return ms.HeapAlloc - before
}

// BenchmarkUsersAll walks 100,000 users (500 pages of 200): Users.All
// against a hand-written loop of GET, io.ReadAll and json.Unmarshal into
// plain structs. The live heap is sampled when the server is asked for each
// page and when the first item of each page reaches the loop;
// peak-live-pages is the highest sample above the heap before the walk, in
// units of the heap one decoded page of Users keeps (page-heap-B). The
// forced collections make the time per walk meaningless here; the other
// benchmarks measure time. Goal: SDK peak-live-pages <= 3, whatever the
// total.
func BenchmarkUsersAll(b *testing.B) {
	s := newBenchServer(b)
	ctx := context.Background()
	unit := pageHeap(b, s.page)
	run := func(b *testing.B, walk func(yield func(id int64))) {
		var h heapSampler
		sample := h.sample
		s.onPage.Store(&sample)
		defer s.onPage.Store(nil)
		b.ReportAllocs()
		var peak uint64
		for b.Loop() {
			h.start()
			n := 0
			walk(func(id int64) {
				if n%benchPage == 0 {
					h.sample()
				}
				n++
			})
			if n != benchTotal {
				b.Fatalf("walked %d users, want %d", n, benchTotal)
			}
			peak = max(peak, h.peak)
		}
		b.ReportMetric(float64(peak), "peak-live-B")
		b.ReportMetric(float64(peak)/float64(unit), "peak-live-pages")
		b.ReportMetric(float64(unit), "page-heap-B")
	}
	b.Run("SDK", func(b *testing.B) {
		c := benchClient(b, s)
		params := &ListUsersParams{PageParams: PageParams{Limit: benchPage}}
		run(b, func(yield func(int64)) {
			for u, err := range c.Users.All(ctx, params) {
				if err != nil {
					b.Fatal(err)
				}
				yield(u.ID)
			}
		})
	})
	b.Run("Baseline", func(b *testing.B) {
		hc := &http.Client{Transport: defaultTransport()}
		run(b, func(yield func(int64)) {
			for offset := 0; ; {
				body := handGet(b, ctx, hc, s.base+"/users/list?limit=200&offset="+strconv.Itoa(offset))
				var p plainUsersPage
				if err := json.Unmarshal(body, &p); err != nil {
					b.Fatal(err)
				}
				for _, u := range p.Data.Users {
					yield(u.ID)
				}
				offset += len(p.Data.Users)
				if len(p.Data.Users) == 0 || offset >= p.Data.Total {
					return
				}
			}
		})
	})
}

// BenchmarkFake measures the fake server (convirzatest) through the SDK,
// one call at a time: what a test suite that uses it can expect.
func BenchmarkFake(b *testing.B) {
	srv := convirzatest.NewServer(b, convirzatest.WithLoginRateLimit(0))
	c, err := NewClient(WithBaseURL(srv.URL), WithAuthBaseURL(srv.AuthURL),
		WithCredentials(srv.AdminEmail, srv.AdminPassword))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Users.Get(ctx, convirzatest.AdminUserID); err != nil { // logs in
		b.Fatal(err)
	}
	b.Run("GetUser", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Users.Get(ctx, convirzatest.AdminUserID); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("CreateUser", func(b *testing.B) {
		var n atomic.Int64
		b.ReportAllocs()
		for b.Loop() {
			_, err := c.Users.Create(ctx, &CreateUserParams{
				Email:     fmt.Sprintf("bench-%d-%d@example.com", time.Now().UnixNano(), n.Add(1)),
				FirstName: "Bench", LastName: "User",
				OrgUnitID: convirzatest.SalesOrgUnitID, Role: RoleStandard,
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

// BenchmarkUsersGetMiddleware is Users.Get with no middleware (the
// baseline) and with one that does nothing but call next. Goal: the no-op
// middleware adds at most 1%.
func BenchmarkUsersGetMiddleware(b *testing.B) {
	s := newBenchServer(b)
	ctx := context.Background()
	noop := func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		return next(req)
	}
	for name, opts := range map[string][]Option{"NoOp": {WithMiddleware(noop)}, "Baseline": nil} {
		b.Run(name, func(b *testing.B) {
			c := benchClient(b, s, opts...)
			b.ReportAllocs()
			defer cpuMeter(b)()
			for b.Loop() {
				if u, err := c.Users.Get(ctx, benchUserID); err != nil || u.ID != benchUserID {
					b.Fatal(u, err)
				}
			}
		})
	}
}
