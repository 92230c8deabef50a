package convirzatest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The delivery wire format, as api/webhook-delivery.md assumes it. Convirza
// documents none of it, so every fact the fake relies on about what a
// delivery looks like is in this block and nowhere else: correcting one is
// a change here.
const (
	// deliveryMethod and deliveryContentType are how a delivery is sent.
	deliveryMethod      = http.MethodPost
	deliveryContentType = "application/json"
	// deliveryTimeout bounds one delivery, answer included; there are no
	// retries.
	deliveryTimeout = 10 * time.Second
	// deliveryTriggerKey and deliveryWebhookKey are the members beside the
	// call record's own that name the trigger and the webhook. The body is
	// the call record itself, without the API's envelope, and each static
	// parameter is a top-level string member named by its field_name.
	deliveryTriggerKey = "trigger"
	deliveryWebhookKey = "webhook_id"
	// sampleCall is the call of the delivery page's example: what
	// TestWebhook sends, as the web app's "Test Webhook" button sends sample
	// data. Its trigger and webhook_id are the webhook's.
	sampleCall = `{"call_id": 880001, "org_unit_id": 1002, "campaign_id": null, "provisioned_route_id": 5001,
		"caller_id": "+18015557654", "phone_number": "+18015550123", "ring_to": "+18015550100",
		"disposition": "ANSWERED", "duration": "00:03:12", "call_started": "2026-03-05T10:30:00.000Z", "tags": []}`
)

var (
	// deliveryTriggers are the triggers a recorded call fires, in the order
	// they are delivered: pre-call before post-call.
	deliveryTriggers = []string{triggerPreCall, triggerPostCall}
	// preCallOmits are the members of Get Call By ID's answer that a
	// pre-call body leaves out, the call not having ended: its duration,
	// disposition and the expansions.
	preCallOmits = []string{"duration", "disposition", "tags", "custom_sources", "recording_details", "transcription"}
)

// postCallIncludes are the Get Call By ID expansions a post-call body
// carries: tags and custom sources always, the transcription when the call
// has one. recording_details is left out: a recording link names the host
// the fake answers on, which the fake does not know outside a request.
func postCallIncludes(r *callRecord) []string {
	include := []string{"tags", "custom_sources"}
	if r.Transcription != nil {
		include = append(include, "transcription")
	}
	return include
}

// deliveryOK reports whether a receiver's status is a successful delivery:
// any 2xx.
func deliveryOK(status int) bool { return status >= 200 && status < 300 }

// deliveryBody is the body sent to w for a call whose members (a Get Call
// By ID data object) are call: the call's members, trimmed for a pre-call
// delivery, then trigger, webhook_id and the static parameters. A static
// parameter never replaces a member already there, and of two with one
// field_name the first is sent: a receiver refuses a body that names a
// member twice, and must be able to trust the call's own members.
func deliveryBody(call map[string]any, trigger string, w *webhook) ([]byte, error) {
	body := map[string]any{}
	for k, v := range call {
		if trigger != triggerPreCall || !slices.Contains(preCallOmits, k) {
			body[k] = v
		}
	}
	body[deliveryTriggerKey] = trigger
	body[deliveryWebhookKey] = w.ID
	for _, p := range w.StaticParams {
		if _, taken := body[p.FieldName]; !taken {
			body[p.FieldName] = p.StaticValue
		}
	}
	return json.Marshal(body)
}

// End of the wire format.

// maxDeliveries is how many deliveries the log keeps: the most recent.
const maxDeliveries = 1000

// maxDeliveryAnswer is how much of a receiver's answer is read (and thrown
// away) before the connection is closed.
const maxDeliveryAnswer = 64 << 10

// Delivery is one webhook delivery the fake made, or refused to make, as
// Deliveries and GET /_mock/deliveries list it.
type Delivery struct {
	// WebhookID, Trigger ("pre_call" or "post_call") and URL are the
	// webhook's when the delivery was made.
	WebhookID int64
	Trigger   string
	URL       string
	// CallID is the call delivered; for a test delivery (Test set), the
	// sample call's.
	CallID int64
	// Test is set on a delivery made by TestWebhook.
	Test bool
	// Time is the fake's clock when the delivery started.
	Time time.Time
	// Status is the HTTP status the receiver answered; 0 when it gave no
	// answer (see Error). OK is set for a 2xx, the only success.
	Status int
	OK     bool
	// Refused is set when the fake did not send the delivery at all: its
	// URL is not on a loopback address and the fake was started without
	// WithExternalDeliveries.
	Refused bool
	// Error says why there was no answer: the refusal, a timeout, a
	// connection error. It is empty when the receiver answered, whatever
	// the status.
	Error string
	// Duration is from sending the request to the end of the answer, in
	// real time, not the fake's clock.
	Duration time.Duration
	// Body is the JSON body sent, or that would have been sent for a
	// refused delivery.
	Body json.RawMessage
}

// MarshalJSON writes a delivery as GET /_mock/deliveries lists it: members
// in snake case, Time as the API writes times and Duration as a Go
// duration string ("1.5ms").
func (d Delivery) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		WebhookID int64           `json:"webhook_id"`
		Trigger   string          `json:"trigger"`
		URL       string          `json:"url"`
		CallID    int64           `json:"call_id"`
		Test      bool            `json:"test"`
		Time      string          `json:"time"`
		Status    int             `json:"status"`
		OK        bool            `json:"ok"`
		Refused   bool            `json:"refused"`
		Error     string          `json:"error,omitempty"`
		Duration  string          `json:"duration"`
		Body      json.RawMessage `json:"body"`
	}{d.WebhookID, d.Trigger, d.URL, d.CallID, d.Test, iso(d.Time), d.Status, d.OK, d.Refused, d.Error, d.Duration.String(), d.Body})
}

// WithExternalDeliveries lets the fake deliver webhooks to any URL. By
// default it contacts only loopback addresses (localhost, 127.0.0.0/8,
// ::1), so a test whose webhook names a real endpoint cannot reach it: such
// a delivery is recorded as refused. cmd/convirza-mock's -deliver-external
// flag sets this.
func WithExternalDeliveries() Option {
	return func(c *config) { c.externalDeliveries = true }
}

// withDeliveryTimeout replaces deliveryTimeout, for the test of a receiver
// that does not answer.
func withDeliveryTimeout(d time.Duration) Option {
	return func(c *config) { c.deliveryTimeout = d }
}

// withDeliveryDialer replaces how deliveries connect, for tests that must
// see whether a connection is attempted, and where, without one leaving the
// machine.
func withDeliveryDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *config) { c.deliveryDial = dial }
}

// newDeliveryClient is the client deliveries are sent with: the delivery
// timeout, no redirects followed (a 3xx is the answer), no proxy, and no
// kept-alive connections, so nothing of a delivery stays open after it.
// Unless external deliveries are allowed, the dialer refuses any address
// that is not loopback too, whatever a host name resolved to.
func newDeliveryClient(cfg config) *http.Client {
	dialer := &net.Dialer{}
	if !cfg.externalDeliveries {
		dialer.Control = loopbackOnly
	}
	dial := dialer.DialContext
	if cfg.deliveryDial != nil {
		dial = cfg.deliveryDial
	}
	return &http.Client{
		Timeout:       cmp.Or(cfg.deliveryTimeout, deliveryTimeout),
		Transport:     &http.Transport{DialContext: dial, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// loopbackOnly is a net.Dialer Control that refuses an address that is not
// loopback before the connection is attempted: the check of loopbackURL,
// again on what a name such as localhost resolved to.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	if ap, err := netip.ParseAddrPort(address); err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("convirzatest: %s is not a loopback address", address)
	}
	return nil
}

// loopbackURL reports whether raw names a loopback host: localhost, or an
// address in 127.0.0.0/8 or ::1. Other names are never resolved.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// outbound is a delivery to make, planned under the state lock and sent
// after it is released.
type outbound struct {
	webhookID    int64
	trigger, url string
	callID       int64
	test         bool
	body         []byte
	err          error // the body could not be built
}

func newOutbound(w *webhook, trigger string, call map[string]any, callID int64, test bool) outbound {
	body, err := deliveryBody(call, trigger, w)
	return outbound{webhookID: w.ID, trigger: trigger, url: w.URL, callID: callID, test: test, body: body, err: err}
}

// deliveriesOf plans the deliveries of a call that was just recorded: for
// each trigger in order, every active webhook with that trigger on the
// call's org unit or one of its ancestors (sub-groups inherit a webhook),
// in webhook id order. The state lock must be held.
func (c *call) deliveriesOf(r *callRecord) []outbound {
	hooks := filter(c.st.Webhooks, func(w *webhook) bool {
		return w.Status == statusActive && c.st.orgUnit(w.OrgUnitID) != nil && c.st.within(w.OrgUnitID, r.OrgUnitID)
	})
	slices.SortFunc(hooks, func(a, b *webhook) int { return cmp.Compare(a.ID, b.ID) })
	var out []outbound
	for _, trigger := range deliveryTriggers {
		var include []string
		if trigger == triggerPostCall {
			include = postCallIncludes(r)
		}
		for _, w := range hooks {
			if w.Trigger == trigger {
				out = append(out, newOutbound(w, trigger, c.callItem(r, include), r.ID, false))
			}
		}
	}
	return out
}

// deliver sends the planned deliveries one after the other and logs each.
// The state lock must not be held: a receiver may call the fake's API
// before it answers.
func (f *Fake) deliver(ctx context.Context, out []outbound) []Delivery {
	done := make([]Delivery, 0, len(out))
	for _, o := range out {
		d := f.send(ctx, o)
		f.deliveries.add(d)
		done = append(done, d)
	}
	return done
}

// send makes one delivery and returns its record.
func (f *Fake) send(ctx context.Context, o outbound) Delivery {
	d := Delivery{WebhookID: o.webhookID, Trigger: o.trigger, URL: o.url, CallID: o.callID, Test: o.test, Time: f.now(), Body: o.body}
	if o.err != nil {
		d.Error = fmt.Sprintf("convirzatest: building the body: %v", o.err)
		return d
	}
	if !f.cfg.externalDeliveries && !loopbackURL(o.url) {
		d.Refused = true
		d.Error = "convirzatest: not sent: the URL is not on a loopback address (WithExternalDeliveries, or -deliver-external, allows it)"
		return d
	}
	req, err := http.NewRequestWithContext(ctx, deliveryMethod, o.url, bytes.NewReader(o.body))
	if err != nil {
		d.Error = err.Error()
		return d
	}
	req.Header.Set("Content-Type", deliveryContentType)
	start := time.Now()
	res, err := f.deliveryClient.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxDeliveryAnswer))
		_ = res.Body.Close()
		d.Status, d.OK = res.StatusCode, deliveryOK(res.StatusCode)
	} else {
		d.Error = err.Error()
	}
	d.Duration = time.Since(start)
	return d
}

// deliveryLog is the log of deliveries; apart from the state lock, like the
// request log, so that listing it never waits on a handler.
type deliveryLog struct {
	mu      sync.Mutex
	entries []Delivery
}

func (l *deliveryLog) add(d Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, d)
	if n := len(l.entries) - maxDeliveries; n > 0 {
		l.entries = slices.Delete(l.entries, 0, n)
	}
}

func (l *deliveryLog) list() []Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Delivery, len(l.entries)) // not nil: GET /_mock/deliveries answers [], not null
	copy(out, l.entries)
	for i := range out {
		out[i].Body = bytes.Clone(out[i].Body) // the caller may change its copy
	}
	return out
}

func (l *deliveryLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// Deliveries returns the webhook deliveries made since the fake started or
// was last reset (Reset, ResetDeliveries), oldest first: the last 1,000.
// SimulateCall makes a call's deliveries before it returns, so they are
// listed as soon as it has.
func (f *Fake) Deliveries() []Delivery { return f.deliveries.list() }

// ResetDeliveries empties the deliveries log.
func (f *Fake) ResetDeliveries() { f.deliveries.reset() }

// ErrNoWebhook is the error of TestWebhook for a webhook id that does not
// exist.
var ErrNoWebhook = errors.New("convirzatest: no such webhook")

// TestWebhook sends the sample event of the delivery page (a post-call
// sample, trimmed as a pre-call body for a pre-call webhook) to the webhook
// with that id at once, with its static parameters, as the web app's "Test
// Webhook" button does, whatever its status. It returns the delivery, also
// in the log, and an error matching ErrNoWebhook for an unknown id.
func (f *Fake) TestWebhook(id int64) (Delivery, error) {
	return f.testWebhook(context.Background(), id)
}

func (f *Fake) testWebhook(ctx context.Context, id int64) (Delivery, error) {
	var sample map[string]any
	dec := json.NewDecoder(strings.NewReader(sampleCall))
	dec.UseNumber() // the ids stay integers in the body
	if err := dec.Decode(&sample); err != nil {
		return Delivery{}, fmt.Errorf("convirzatest: the sample call: %w", err)
	}
	n, _ := sample["call_id"].(json.Number)
	callID, _ := n.Int64()
	f.mu.Lock()
	w := f.st.Webhooks[id]
	var o outbound
	if w != nil {
		o = newOutbound(w, w.Trigger, sample, callID, true)
	}
	f.mu.Unlock()
	if w == nil {
		return Delivery{}, fmt.Errorf("%w: %d", ErrNoWebhook, id)
	}
	return f.deliver(ctx, []outbound{o})[0], nil
}
