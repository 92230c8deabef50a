package convirzatest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SimulatedCall is a call for SimulateCall to record, as if it had just
// ended. It names the tracking number it came in on, by route or by number;
// the rest has defaults.
//
// Over HTTP (POST /_mock/calls) it is the JSON object of its tags, with
// duration as "HH:MM:SS" (as the API writes it), a Go duration string or a
// number of seconds:
//
//	{"phone_number": "+19482013920", "caller_id": "+18015557654", "duration": "00:03:12", "disposition": "ANSWERED"}
type SimulatedCall struct {
	// ProvisionedRouteID is the route the call came in on; its number, org
	// unit, campaign and ring-to number are the call's.
	ProvisionedRouteID int64 `json:"provisioned_route_id,omitempty"`
	// PhoneNumber is the tracking number, in any format ("+18015550123",
	// "8015550123"), when ProvisionedRouteID is 0: a number held by an org
	// unit, with the route it serves, if any.
	PhoneNumber string `json:"phone_number,omitempty"`
	// CallerID defaults to DefaultCallerID.
	CallerID string `json:"caller_id,omitempty"`
	// Duration defaults to 3m12s; it is whole seconds on the wire.
	Duration time.Duration `json:"-"`
	// Disposition is one of the API's values ("ANSWERED", "NO ANSWER",
	// "BUSY", "FAILED", "VOICEMAIL", "ABANDONED", "TRANSFERRED"); default
	// "ANSWERED".
	Disposition string `json:"disposition,omitempty"`
}

// Defaults of SimulateCall.
const (
	DefaultCallerID        = "+18015557654"
	defaultSimulatedCall   = 3*time.Minute + 12*time.Second
	defaultCallDisposition = "ANSWERED"
)

// UnmarshalJSON reads a simulated call strictly: unknown members are errors.
func (sc *SimulatedCall) UnmarshalJSON(b []byte) error {
	type plain SimulatedCall
	var w struct {
		plain
		Duration json.RawMessage `json:"duration"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	*sc = SimulatedCall(w.plain)
	d, err := durationMember(w.Duration, time.Second, parseHMS)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	sc.Duration = d
	return nil
}

// parseHMS reads "HH:MM:SS", the form hms writes.
func parseHMS(s string) (time.Duration, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || (i > 0 && v > 59) {
			return 0, false
		}
		n[i] = v
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second, true
}

// SimulateCall records a call that has just ended, as the platform would
// on a tracking number, and returns it as Get Call By ID answers it (the
// "data" object, without expansions). It then appears in Get Calls List
// and Get Call By ID for callers that see its org unit. It returns an error
// when the route or number is unknown or not held by an org unit, or the
// disposition or duration is invalid.
//
// Before it returns, it delivers the call to the webhooks it fires: a
// pre-call event to every active pre_call webhook of the call's org unit
// or of one of its ancestors, then a post-call event to every such
// post_call webhook, one at a time, each once and within 10 seconds (see
// Deliveries). No lock is held meanwhile, so a receiver may call the fake.
func (f *Fake) SimulateCall(sc SimulatedCall) (json.RawMessage, error) {
	return f.simulateCall(context.Background(), sc)
}

// simulateCall is SimulateCall with a context for the deliveries: that of
// POST /_mock/calls, so a client that gives up ends them.
func (f *Fake) simulateCall(ctx context.Context, sc SimulatedCall) (json.RawMessage, error) {
	data, out, err := f.recordCall(sc)
	if err != nil {
		return nil, err
	}
	f.deliver(ctx, out)
	return data, nil
}

// recordCall records the call under the state lock and plans its
// deliveries.
func (f *Fake) recordCall(sc SimulatedCall) (json.RawMessage, []outbound, error) {
	sc.CallerID = cmp.Or(sc.CallerID, DefaultCallerID)
	sc.Disposition = cmp.Or(sc.Disposition, defaultCallDisposition)
	if sc.Duration == 0 {
		sc.Duration = defaultSimulatedCall
	}
	switch {
	case !slices.Contains(callDispositions, sc.Disposition):
		return nil, nil, fmt.Errorf("convirzatest: simulated call: disposition %q is not one of %s", sc.Disposition, strings.Join(callDispositions, ", "))
	case sc.Duration < 0:
		return nil, nil, errors.New("convirzatest: simulated call: duration is negative")
	case sc.ProvisionedRouteID == 0 && sc.PhoneNumber == "":
		return nil, nil, errors.New("convirzatest: simulated call: give phone_number or provisioned_route_id")
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	c := &call{f: f, st: f.st, now: f.now()}
	c.conversations() // seed the history first, so the new call joins it
	r, err := c.st.newCall(sc, c.now)
	if err != nil {
		return nil, nil, fmt.Errorf("convirzatest: simulated call: %w", err)
	}
	c.st.Calls[r.ID] = r
	data, err := json.Marshal(c.callItem(r, nil))
	return data, c.deliveriesOf(r), err
}

// newCall builds the record of a simulated call that ended at now.
func (s *state) newCall(sc SimulatedCall, now time.Time) (*callRecord, error) {
	var rt *provisionedRoute
	var pn *phoneNumber
	if sc.ProvisionedRouteID != 0 {
		if rt = s.Routes[sc.ProvisionedRouteID]; rt == nil {
			return nil, fmt.Errorf("provisioned route %d does not exist", sc.ProvisionedRouteID)
		}
		pn = s.PhoneNumbers[rt.PhoneNumberID]
	} else {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, sc.PhoneNumber)
		if len(digits) == 11 && digits[0] == '1' {
			digits = digits[1:]
		}
		for _, n := range s.PhoneNumbers {
			if n.Number == digits {
				pn = n
			}
		}
		if pn == nil || pn.OrgUnitID == nil {
			return nil, fmt.Errorf("phone number %q is not held by any org unit", sc.PhoneNumber)
		}
		if pn.RouteID != nil {
			rt = s.Routes[*pn.RouteID]
		}
	}
	secs := int(sc.Duration / time.Second)
	r := &callRecord{
		ID: s.newID(), CallerID: sc.CallerID, Disposition: sc.Disposition, Seconds: secs,
		Started:       now.Add(-time.Duration(secs) * time.Second).Truncate(time.Second),
		CustomSources: map[string]string{},
		HasRecording:  secs >= 15 && sc.Disposition != "ABANDONED",
	}
	if !r.Started.Before(now) {
		r.Started = r.Started.Add(-time.Second) // the calls window is [start, end): keep the call inside "now"
	}
	if pn != nil {
		r.PhoneNumber = "+1" + pn.Number
	}
	if rt != nil {
		r.OrgUnitID, r.CampaignID, r.RingTo = rt.OrgUnitID, rt.CampaignID, rt.RingTo
		r.ProvisionedRouteID = ptr(rt.ID)
		r.CallFlow = map[string]any{"name": rt.Name, "routing_type": rt.RoutingType, "provisioned_route_id": rt.ID}
	} else {
		r.OrgUnitID = *pn.OrgUnitID
	}
	return r, nil
}
