package convirza_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hookReceiver serves WebhookHandler on a loopback port, requiring the
// static parameters of the webhooks it expects, and counts the requests
// that reach each path, authenticated or not.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	events []*convirza.WebhookEvent // handled, in order
	hits   map[string]int           // requests per path
}

func newHookReceiver(t *testing.T, opts ...convirza.WebhookOption) *hookReceiver {
	t.Helper()
	rc := &hookReceiver{hits: map[string]int{}}
	hook := convirza.WebhookHandler(func(_ context.Context, ev *convirza.WebhookEvent) error {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.events = append(rc.events, ev)
		return nil
	}, opts...)
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.hits[r.URL.Path]++
		rc.mu.Unlock()
		hook.ServeHTTP(w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) handled() []*convirza.WebhookEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*convirza.WebhookEvent(nil), rc.events...)
}

func (rc *hookReceiver) hitsOf(path string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.hits[path]
}

// TestWebhookDeliveryEndToEnd creates webhooks through the SDK, records a
// call in the fake, and checks what the SDK's receiver gets: a pre-call and
// then a post-call event from the webhooks of the call's org unit and its
// ancestors, with the call and the static parameters; a 401 for the webhook
// whose parameter is wrong, in the fake's delivery log too; nothing for an
// inactive webhook or one of an unrelated org unit.
func TestWebhookDeliveryEndToEnd(t *testing.T) {
	ctx := context.Background()
	client, srv := newFakeClient(t, "")
	rc := newHookReceiver(t, convirza.WithWebhookParam("auth_key", "s3cret"), convirza.WithWebhookParam("source", "convirza"))
	params := []convirza.StaticParam{{FieldName: "auth_key", StaticValue: "s3cret"}, {FieldName: "source", StaticValue: "convirza"}}
	create := func(path string, ou int64, trigger convirza.WebhookTrigger, status convirza.WebhookStatus, params []convirza.StaticParam) int64 {
		t.Helper()
		created, err := client.Webhooks.Create(ctx, &convirza.CreateWebhookParams{Name: path, URL: rc.URL + path,
			OrgUnitID: ou, Trigger: trigger, StaticParams: params, Status: status})
		require.NoError(t, err)
		return created.ID
	}
	post := create("/post", convirzatest.SalesOrgUnitID, convirza.TriggerPostCall, convirza.WebhookActive, params)
	pre := create("/pre", convirzatest.AccountOrgUnitID, convirza.TriggerPreCall, convirza.WebhookActive, params)
	wrong := create("/wrong", convirzatest.SalesOrgUnitID, convirza.TriggerPostCall, convirza.WebhookActive,
		[]convirza.StaticParam{{FieldName: "auth_key", StaticValue: "guess"}, {FieldName: "source", StaticValue: "convirza"}})
	create("/inactive", convirzatest.SalesOrgUnitID, convirza.TriggerPostCall, convirza.WebhookInactive, params)
	create("/support", convirzatest.SupportOrgUnitID, convirza.TriggerPostCall, convirza.WebhookActive, params)
	create("/east", convirzatest.EastCoastSalesOrgUnitID, convirza.TriggerPreCall, convirza.WebhookActive, params)

	data, err := srv.SimulateCall(convirzatest.SimulatedCall{PhoneNumber: "+12125550141", CallerID: "+18015550199",
		Duration: 95 * time.Second, Disposition: "ANSWERED"})
	require.NoError(t, err)
	var recorded struct {
		ID int64 `json:"call_id"`
	}
	require.NoError(t, json.Unmarshal(data, &recorded))
	stored, err := client.Calls.Get(ctx, recorded.ID, nil)
	require.NoError(t, err)

	events := rc.handled()
	require.Len(t, events, 2, "the pre-call and the post-call event")
	preEv, postEv := events[0], events[1]
	assert.Equal(t, convirza.TriggerPreCall, preEv.Trigger)
	assert.Equal(t, pre, preEv.WebhookID)
	assert.Equal(t, recorded.ID, preEv.Call.ID)
	assert.Zero(t, preEv.Call.Duration, "a pre-call event has no duration")

	assert.Equal(t, convirza.TriggerPostCall, postEv.Trigger)
	assert.Equal(t, post, postEv.WebhookID)
	c := postEv.Call
	assert.Equal(t, recorded.ID, c.ID)
	assert.Equal(t, convirzatest.SalesOrgUnitID, c.OrgUnitID)
	assert.Equal(t, "+18015550199", c.CallerID)
	assert.Equal(t, "+12125550141", c.PhoneNumber)
	assert.Equal(t, convirza.Duration(95*time.Second), c.Duration)
	assert.Equal(t, convirza.DispositionAnswered, c.Disposition)
	assert.True(t, c.Started.Equal(stored.Started), "started %v, Calls.Get says %v", c.Started, stored.Started)
	assert.Equal(t, map[string]string{"auth_key": "s3cret", "source": "convirza"}, postEv.Params)

	assert.Equal(t, 1, rc.hitsOf("/wrong"), "the wrong parameter's delivery reached the receiver")
	for _, path := range []string{"/inactive", "/support", "/east"} {
		assert.Zero(t, rc.hitsOf(path), "%s got a delivery", path)
	}
	log := srv.Deliveries()
	require.Len(t, log, 3)
	for i, want := range []struct {
		id      int64
		trigger string
		status  int
	}{{pre, "pre_call", http.StatusNoContent}, {post, "post_call", http.StatusNoContent}, {wrong, "post_call", http.StatusUnauthorized}} {
		assert.Equal(t, want.id, log[i].WebhookID, "delivery %d", i)
		assert.Equal(t, want.trigger, log[i].Trigger, "delivery %d", i)
		assert.Equal(t, want.status, log[i].Status, "delivery %d", i)
		assert.Equal(t, want.status < 300, log[i].OK, "delivery %d", i)
		assert.Equal(t, recorded.ID, log[i].CallID, "delivery %d", i)
	}
	assert.JSONEq(t, string(postEv.Raw), string(log[1].Body), "the log holds the body sent")

	// Test Webhook sends the sample to that webhook alone.
	d, err := srv.TestWebhook(post)
	require.NoError(t, err)
	assert.True(t, d.Test)
	assert.Equal(t, http.StatusNoContent, d.Status)
	events = rc.handled()
	require.Len(t, events, 3)
	assert.Equal(t, int64(880001), events[2].Call.ID)
	assert.Equal(t, post, events[2].WebhookID)
}
