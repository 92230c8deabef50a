package convirzatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// hit is one request a receiver got.
type hit struct {
	method, path, host, contentType string
	body                            []byte
}

// receiver is a webhook endpoint on a loopback port that records every
// request and answers with answer (204 when nil).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	hits []hit
}

func newReceiver(t *testing.T, answer http.HandlerFunc) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.hits = append(rc.hits, hit{r.Method, r.URL.Path, r.Host, r.Header.Get("Content-Type"), b})
		rc.mu.Unlock()
		if answer == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// mkWebhook creates a webhook through the API and returns its id.
func mkWebhook(t *testing.T, s *Server, tok string, ou int64, url, trigger, status string, params ...staticParam) int64 {
	t.Helper()
	if params == nil {
		params = []staticParam{}
	}
	b := map[string]any{"webhook_name": "hook " + url, "webhook_url": url, "org_unit_id": ou,
		"trigger": trigger, "status": status, "static_params": params}
	return createdID(t, send(t, "POST", s.URL+"/webhooks", tok, b), "webhookId")
}

// members decodes a JSON object.
func members(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return m
}

// with returns a copy of m with changes applied, a nil value deleting.
func with(m map[string]any, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return withChanges(out, changes)
}

func wantMembers(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func TestSimulatedCallDeliversToMatchingWebhooks(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	rc := newReceiver(t, nil)
	key := staticParam{"auth_key", "s3cret"}
	post := mkWebhook(t, s, tok, SalesOrgUnitID, rc.URL+"/post", "post_call", "active", key, staticParam{"source", "convirza"})
	pre := mkWebhook(t, s, tok, AccountOrgUnitID, rc.URL+"/pre", "pre_call", "active", key) // an ancestor's: inherited
	// None of these fires for a call in Sales: inactive, a sibling's, a
	// child's, another account's, deleted.
	mkWebhook(t, s, tok, SalesOrgUnitID, rc.URL+"/inactive", "post_call", "inactive", key)
	mkWebhook(t, s, tok, SupportOrgUnitID, rc.URL+"/sibling", "post_call", "active")
	mkWebhook(t, s, tok, EastCoastSalesOrgUnitID, rc.URL+"/child", "post_call", "active")
	mkWebhook(t, s, token(t, s, OtherAccountAdminEmail), OtherAccountOrgUnitID, rc.URL+"/globex", "post_call", "active")
	gone := mkWebhook(t, s, tok, SalesOrgUnitID, rc.URL+"/deleted", "pre_call", "active")
	send(t, "DELETE", fmt.Sprintf("%s/webhooks/%d", s.URL, gone), tok, nil).want(t, 200)

	r := ctl(t, s, "POST", "/_mock/calls",
		`{"phone_number":"+12125550141","caller_id":"+18015550199","duration":"00:01:35","disposition":"ANSWERED"}`, 201)
	callID := int64(jsonOf[map[string]any](t, r)["call_id"].(float64))

	// The answer came after the deliveries: they are all there already.
	hits := rc.got()
	if len(hits) != 2 || hits[0].path != "/pre" || hits[1].path != "/post" {
		t.Fatalf("receiver got %+v, want /pre then /post", hits)
	}
	for _, h := range hits {
		if h.method != "POST" || h.contentType != "application/json" {
			t.Errorf("%s: %s with Content-Type %q", h.path, h.method, h.contentType)
		}
	}
	call := getData[map[string]any](t, s, tok, fmt.Sprintf("/conversations/calls/%d", callID))
	if call["duration"] != "00:01:35" || call["caller_id"] != "+18015550199" || call["phone_number"] != "+12125550141" {
		t.Fatalf("the call %v", call)
	}
	wantMembers(t, "pre-call body", members(t, hits[0].body), with(call, map[string]any{
		"duration": nil, "disposition": nil, "trigger": "pre_call", "webhook_id": float64(pre), "auth_key": "s3cret",
	}))
	expanded := getData[map[string]any](t, s, tok, fmt.Sprintf("/conversations/calls/%d?include=tags,custom_sources", callID))
	wantMembers(t, "post-call body", members(t, hits[1].body), with(expanded, map[string]any{
		"trigger": "post_call", "webhook_id": float64(post), "auth_key": "s3cret", "source": "convirza",
	}))

	logged := jsonOf[[]map[string]any](t, ctl(t, s, "GET", "/_mock/deliveries", nil, 200))
	if len(logged) != 2 {
		t.Fatalf("deliveries %v", logged)
	}
	for i, want := range []struct {
		id      int64
		trigger string
		path    string
	}{{pre, "pre_call", "/pre"}, {post, "post_call", "/post"}} {
		d := logged[i]
		if d["webhook_id"] != float64(want.id) || d["trigger"] != want.trigger || d["url"] != rc.URL+want.path ||
			d["call_id"] != float64(callID) || d["status"] != 204.0 || d["ok"] != true || d["refused"] != false ||
			d["test"] != false || d["error"] != nil {
			t.Errorf("delivery %d: %v", i, d)
		}
		if dur, err := time.ParseDuration(d["duration"].(string)); err != nil || dur <= 0 {
			t.Errorf("delivery %d duration %v", i, d["duration"])
		}
		sent, _ := json.Marshal(d["body"])
		wantMembers(t, "logged body", members(t, sent), members(t, hits[i].body))
	}
	if got := s.Deliveries(); len(got) != 2 || string(got[1].Body) != string(hits[1].body) || got[1].Time.IsZero() {
		t.Errorf("Deliveries() %+v", got)
	}
}

func TestDeliveryOutcomes(t *testing.T) {
	s := NewServer(t, withDeliveryTimeout(200*time.Millisecond))
	tok := token(t, s, AdminEmail)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/unauthorized":
			w.WriteHeader(http.StatusUnauthorized)
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/slow":
			<-r.Context().Done() // the fake gives up and closes the connection
		case "/callback":
			// The fake holds no lock while it delivers: its API answers.
			req, _ := http.NewRequestWithContext(r.Context(), "GET", s.URL+"/webhooks", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			res.Body.Close()
			w.WriteHeader(res.StatusCode)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, u := range []string{rc.URL + "/unauthorized", rc.URL + "/redirect", rc.URL + "/slow", closed.URL + "/gone", rc.URL + "/callback"} {
		mkWebhook(t, s, tok, SalesOrgUnitID, u, "post_call", "active")
	}
	if _, err := s.SimulateCall(SimulatedCall{PhoneNumber: "2125550141"}); err != nil {
		t.Fatal(err)
	}
	d := s.Deliveries()
	if len(d) != 5 {
		t.Fatalf("deliveries %+v", d)
	}
	if d[0].Status != 401 || d[0].OK || d[0].Error != "" {
		t.Errorf("401: %+v", d[0])
	}
	if d[1].Status != 302 || d[1].OK {
		t.Errorf("redirect: %+v", d[1])
	}
	if d[2].Status != 0 || !strings.Contains(d[2].Error, "Timeout") || d[2].Duration < 200*time.Millisecond || d[2].Refused {
		t.Errorf("slow: %+v", d[2])
	}
	if d[3].Status != 0 || d[3].Error == "" || d[3].Refused {
		t.Errorf("closed: %+v", d[3])
	}
	if d[4].Status != 200 || !d[4].OK {
		t.Errorf("callback: %+v", d[4])
	}
	for _, h := range rc.got() {
		if h.path == "/elsewhere" {
			t.Error("the redirect was followed")
		}
	}
}

func TestNonLoopbackDeliveryIsRefused(t *testing.T) {
	rc := newReceiver(t, nil)
	var mu sync.Mutex
	var dialed []string
	// Every connection a delivery makes goes to rc, whatever the URL, so
	// nothing leaves the machine even when one is allowed.
	dial := withDeliveryDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, "tcp", rc.Listener.Addr().String())
	})
	const external = "http://receiver.example/hook"

	s := NewServer(t, dial)
	tok := token(t, s, AdminEmail)
	id := mkWebhook(t, s, tok, SalesOrgUnitID, external, "post_call", "active", staticParam{"auth_key", "k"})
	if _, err := s.SimulateCall(SimulatedCall{PhoneNumber: "2125550141"}); err != nil {
		t.Fatal(err)
	}
	d := s.Deliveries()
	if len(d) != 1 || !d[0].Refused || d[0].Status != 0 || d[0].OK || !strings.Contains(d[0].Error, "loopback") ||
		d[0].WebhookID != id || members(t, d[0].Body)["auth_key"] != "k" {
		t.Fatalf("deliveries %+v", d)
	}
	if len(dialed) != 0 || len(rc.got()) != 0 {
		t.Fatalf("a refused delivery connected: %v", dialed)
	}
	if _, err := s.TestWebhook(id); err != nil || !s.Deliveries()[1].Refused || len(dialed) != 0 {
		t.Fatalf("test delivery: %v %+v %v", err, s.Deliveries(), dialed)
	}

	s = NewServer(t, dial, WithExternalDeliveries())
	tok = token(t, s, AdminEmail)
	mkWebhook(t, s, tok, SalesOrgUnitID, external, "post_call", "active")
	if _, err := s.SimulateCall(SimulatedCall{PhoneNumber: "2125550141"}); err != nil {
		t.Fatal(err)
	}
	if d := s.Deliveries(); len(d) != 1 || d[0].Refused || d[0].Status != 204 {
		t.Fatalf("with WithExternalDeliveries: %+v", d)
	}
	if hits := rc.got(); len(dialed) != 1 || dialed[0] != "receiver.example:80" || len(hits) != 1 || hits[0].host != "receiver.example" {
		t.Fatalf("dialed %v, hits %+v", dialed, hits)
	}
}

func TestLoopbackRules(t *testing.T) {
	for u, want := range map[string]bool{
		"http://localhost/": true, "https://LOCALHOST:8443/x": true, "http://127.0.0.1:1/": true,
		"http://127.8.9.10/": true, "http://[::1]:80/": true, "http://[::ffff:127.0.0.1]/": true,
		"http://10.0.0.1/": false, "http://0.0.0.0/": false, "http://[::]/": false, "http://example.com/": false,
		"http://localhost.example.com/": false, "http://127.0.0.1.nip.io/": false, "http://%zz/": false,
	} {
		if got := loopbackURL(u); got != want {
			t.Errorf("loopbackURL(%q) = %v", u, got)
		}
	}
	// What a name resolved to is checked again when the connection is made.
	for addr, want := range map[string]bool{
		"127.0.0.1:80": true, "[::1]:443": true, "192.0.2.1:80": false, "[2001:db8::1]:80": false, "nonsense": false,
	} {
		if got := loopbackOnly("tcp", addr, nil) == nil; got != want {
			t.Errorf("loopbackOnly(%q) allows: %v", addr, got)
		}
	}
}

func TestTestWebhookSendsTheSample(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	rc := newReceiver(t, nil)
	// Inactive: the button works whatever the status.
	post := mkWebhook(t, s, tok, SalesOrgUnitID, rc.URL+"/post", "post_call", "inactive", staticParam{"auth_key", "s3cret"})
	pre := mkWebhook(t, s, tok, SalesOrgUnitID, rc.URL+"/pre", "pre_call", "active")

	d := jsonOf[map[string]any](t, ctl(t, s, "POST", fmt.Sprintf("/_mock/webhooks/%d/test", post), nil, 200))
	if d["test"] != true || d["call_id"] != 880001.0 || d["status"] != 204.0 || d["webhook_id"] != float64(post) {
		t.Errorf("test delivery %v", d)
	}
	sample := map[string]any{
		"call_id": 880001.0, "org_unit_id": 1002.0, "campaign_id": nil, "provisioned_route_id": 5001.0,
		"caller_id": "+18015557654", "phone_number": "+18015550123", "ring_to": "+18015550100",
		"disposition": "ANSWERED", "duration": "00:03:12", "call_started": "2026-03-05T10:30:00.000Z", "tags": []any{},
	}
	hits := rc.got()
	if len(hits) != 1 {
		t.Fatalf("hits %+v", hits)
	}
	wantMembers(t, "sample", members(t, hits[0].body),
		with(sample, map[string]any{"trigger": "post_call", "webhook_id": float64(post), "auth_key": "s3cret"}))
	if !strings.Contains(string(hits[0].body), `"call_id":880001`) {
		t.Errorf("ids are not integers: %s", hits[0].body)
	}

	got, err := s.TestWebhook(pre)
	if err != nil || !got.Test || !got.OK {
		t.Fatalf("TestWebhook: %+v %v", got, err)
	}
	wantMembers(t, "pre-call sample", members(t, rc.got()[1].body), with(sample, map[string]any{
		"duration": nil, "disposition": nil, "tags": nil, "trigger": "pre_call", "webhook_id": float64(pre),
	}))
	if n := len(s.Deliveries()); n != 2 {
		t.Errorf("%d deliveries logged, want 2", n)
	}

	if _, err := s.TestWebhook(99999); !errors.Is(err, ErrNoWebhook) {
		t.Errorf("unknown webhook: %v", err)
	}
	ctl(t, s, "POST", "/_mock/webhooks/99999/test", nil, 404)
	ctl(t, s, "POST", "/_mock/webhooks/abc/test", nil, 400)
	ctl(t, s, "POST", fmt.Sprintf("/_mock/webhooks/%d/test", post), `{"trigger":"pre_call"}`, 400)
	ctl(t, s, "POST", fmt.Sprintf("/_mock/webhooks/%d/test?now=1", post), nil, 400)
	if n := len(rc.got()); n != 2 {
		t.Errorf("refused requests delivered: %d hits", n)
	}
}

func TestDeliveriesLogIsCleared(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	rc := newReceiver(t, nil)
	id := mkWebhook(t, s, tok, SalesOrgUnitID, rc.URL, "post_call", "active")
	count := func() int { return len(jsonOf[[]any](t, ctl(t, s, "GET", "/_mock/deliveries", nil, 200))) }

	mustTest := func() {
		t.Helper()
		if _, err := s.TestWebhook(id); err != nil {
			t.Fatal(err)
		}
	}
	mustTest()
	ctl(t, s, "GET", "/_mock/deliveries?webhook_id=1", nil, 400)
	ctl(t, s, "DELETE", "/_mock/deliveries", `{"all":true}`, 400)
	if n := count(); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
	ctl(t, s, "DELETE", "/_mock/deliveries", nil, 204)
	if n := count(); n != 0 {
		t.Errorf("%d deliveries after DELETE", n)
	}
	mustTest()
	ctl(t, s, "POST", "/_mock/reset", nil, 204)
	if n := count(); n != 0 {
		t.Errorf("%d deliveries after reset", n)
	}
	if got := string(ctl(t, s, "GET", "/_mock/deliveries", nil, 200).body); strings.TrimSpace(got) != "[]" {
		t.Errorf("empty log %q, want []", got)
	}
}

func TestDeliveriesLogKeepsTheLast(t *testing.T) {
	var l deliveryLog
	for i := range maxDeliveries + 5 {
		l.add(Delivery{CallID: int64(i), Body: json.RawMessage(`{}`)})
	}
	got := l.list()
	if len(got) != maxDeliveries || got[0].CallID != 5 || got[maxDeliveries-1].CallID != maxDeliveries+4 {
		t.Fatalf("%d kept, from %d to %d", len(got), got[0].CallID, got[len(got)-1].CallID)
	}
	got[0].Body[0] = 'x'
	if l.list()[0].Body[0] != '{' {
		t.Error("the caller's copy shares the log's body")
	}
}
