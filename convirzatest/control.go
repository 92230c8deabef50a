package convirzatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The control paths let a test suite in any language drive the fake over
// HTTP as Go tests drive it through its methods. They live under /_mock on
// the auth root, outside the API: they need no token, are not logged, no
// fault applies to them, and they take and give plain JSON (no envelope;
// errors use the API's error body). Unknown members and query parameters
// are refused with 400.
const (
	controlRoot  = "/_mock"
	adminPrefix  = controlRoot + "/"
	maxFaultBody = 64 << 10 // a control body larger than this is refused (413)...
	maxStateBody = 64 << 20 // ...except PUT /_mock/state, which takes a whole snapshot
	clockLayout  = time.RFC3339Nano
)

// controlRoute is one control operation. path may hold one "{id}" segment,
// which serve gets as arg.
type controlRoute struct {
	method, path, help string
	serve              func(f *Fake, r *http.Request, arg string) (status int, reply any, err *apiError)
}

// controlRoutes is the table of control operations, in the order GET /_mock
// lists them.
var controlRoutes = []controlRoute{
	{"GET", controlRoot, "this index of the control paths", serveIndex},
	{"POST", controlRoot + "/reset", "back to the state the process started with: records, tokens, faults, request log, clock; 204", serveReset},
	{"GET", FaultsPath, "the pending faults, a JSON array", serveFaultList},
	{"POST", FaultsPath, `add one fault: {"method":"POST","path":"/v3/users","times":1,"status":503}; 201 with the fault`, serveFaultAdd},
	{"DELETE", FaultsPath, "clear every fault; 204", serveFaultClear},
	{"GET", controlRoot + "/requests", "the request log, oldest first; ?method=POST&path=/v3/users filters (path globs as for faults)", serveRequestList},
	{"GET", controlRoot + "/requests/count", `{"count": N} of the request log, with the same filters`, serveRequestCount},
	{"DELETE", controlRoot + "/requests", "clear the request log; 204", serveRequestClear},
	{"GET", controlRoot + "/clock", `{"now": RFC 3339}: the fake's time`, serveClock},
	{"POST", controlRoot + "/clock", `{"advance": "36h"} or {"set": "2026-03-01T00:00:00Z"}; answers {"now": ...}`, serveClockMove},
	{"POST", controlRoot + "/tokens/expire", "every access token issued so far expires (refresh tokens stay valid); 204", serveExpireTokens},
	{"GET", controlRoot + "/state", "the whole state, as a snapshot", serveSnapshot},
	{"PUT", controlRoot + "/state", "replace the state with a snapshot; 204", serveRestore},
	{"POST", controlRoot + "/calls", `record a call that just ended: {"phone_number" or "provisioned_route_id", "caller_id", "duration": "00:03:12", "disposition": "ANSWERED"}; delivers it to the webhooks it fires, then answers 201 with the call`, serveSimulateCall},
	{"GET", controlRoot + "/deliveries", "the webhook deliveries, oldest first (the last 1,000): webhook_id, trigger, url, status or error, duration, body", serveDeliveryList},
	{"DELETE", controlRoot + "/deliveries", "clear the deliveries log; 204", serveDeliveryClear},
	{"POST", controlRoot + "/webhooks/{id}/test", "send the sample event to that webhook now, like the web app's Test Webhook button; 200 with the delivery", serveTestWebhook},
}

// serveControl serves the control paths. It reports false for any other
// path.
func (f *Fake) serveControl(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != controlRoot && !strings.HasPrefix(r.URL.Path, adminPrefix) {
		return false
	}
	info := &reqInfo{id: newUUID(), now: f.now()}
	var allowed []string
	for _, cr := range f.controls {
		arg, ok := matchControl(cr.path, r.URL.Path)
		if !ok {
			continue
		}
		if cr.method != r.Method {
			allowed = append(allowed, cr.method)
			continue
		}
		status, reply, err := cr.serve(f, r, arg)
		switch {
		case err != nil:
			errorResponse(info, err).write(w)
		case reply == nil:
			w.Header().Set("X-Request-Id", info.id)
			w.WriteHeader(status)
		default:
			if raw, ok := reply.(json.RawMessage); ok {
				(&response{status: status, header: jsonHeader(info.id), body: append(raw, '\n')}).write(w)
			} else {
				jsonResponse(status, info.id, reply).write(w)
			}
		}
		return true
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		errorResponse(info, errorf(http.StatusMethodNotAllowed, "%s %s: use %s", r.Method, r.URL.Path, strings.Join(allowed, " or "))).write(w)
		return true
	}
	errorResponse(info, errorf(http.StatusNotFound, "no route for %s %s; GET %s lists the control paths", r.Method, r.URL.Path, controlRoot)).write(w)
	return true
}

// matchControl matches a control path against pattern, whose one "{id}"
// segment, if any, matches any non-empty segment and is returned.
func matchControl(pattern, p string) (string, bool) {
	before, after, ok := strings.Cut(pattern, "{id}")
	if !ok {
		return "", p == pattern
	}
	if !strings.HasPrefix(p, before) || !strings.HasSuffix(p, after) || len(p) <= len(before)+len(after) {
		return "", false
	}
	arg := p[len(before) : len(p)-len(after)]
	return arg, !strings.Contains(arg, "/")
}

// decodeStrict decodes exactly one JSON value from data into v; unknown
// members and anything after the value are errors, so a misspelt member
// cannot turn into a request that silently does something else.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// readControl reads a control body of at most limit bytes into a new T. An
// empty body is the zero T unless required.
func readControl[T any](r *http.Request, limit int64, required bool) (T, *apiError) {
	var v T
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	switch {
	case err != nil:
		return v, errorf(http.StatusBadRequest, "request body could not be read")
	case int64(len(body)) > limit:
		return v, errorf(http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", limit)
	case len(bytes.TrimSpace(body)) == 0 && !required:
		return v, nil
	}
	if err := decodeStrict(body, &v); err != nil {
		return v, errorf(http.StatusBadRequest, "body: %s", strings.TrimPrefix(err.Error(), "convirzatest: "))
	}
	return v, nil
}

// noBody refuses a body on an operation that takes none, other than {}.
func noBody(r *http.Request) *apiError {
	_, err := readControl[struct{}](r, maxFaultBody, false)
	return err
}

// queryOnly refuses query parameters other than the names given.
func queryOnly(r *http.Request, names ...string) *apiError {
	for k := range r.URL.Query() {
		if !slices.Contains(names, k) {
			if len(names) == 0 {
				return errorf(http.StatusBadRequest, "unknown query parameter %q: this path takes none", k)
			}
			return errorf(http.StatusBadRequest, "unknown query parameter %q: use %s", k, strings.Join(names, ", "))
		}
	}
	return nil
}

// bare checks that a request carries neither a body nor a query.
func bare(r *http.Request) *apiError {
	if err := queryOnly(r); err != nil {
		return err
	}
	return noBody(r)
}

// controlHelp is one row of GET /_mock.
type controlHelp struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Help   string `json:"help"`
}

func serveIndex(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	out := make([]controlHelp, len(f.controls))
	for i, cr := range f.controls {
		out[i] = controlHelp{cr.method, cr.path, cr.help}
	}
	return http.StatusOK, out, nil
}

func serveReset(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	f.Reset()
	return http.StatusNoContent, nil, nil
}

func serveFaultList(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, f.Faults(), nil
}

func serveFaultAdd(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := queryOnly(r); err != nil {
		return 0, nil, err
	}
	ft, err := readControl[Fault](r, maxFaultBody, true)
	if err != nil {
		return 0, nil, err
	}
	ft, verr := ft.validate()
	if verr != nil {
		return 0, nil, errorf(http.StatusBadRequest, "%s", strings.TrimPrefix(verr.Error(), "convirzatest: "))
	}
	_ = f.InjectFault(ft) // valid: checked above
	return http.StatusCreated, ft, nil
}

func serveFaultClear(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	f.ClearFaults()
	return http.StatusNoContent, nil, nil
}

// requestFilter reads the filter of GET /_mock/requests and its count.
func requestFilter(r *http.Request) ([]RequestFilter, *apiError) {
	if err := queryOnly(r, "method", "path"); err != nil {
		return nil, err
	}
	if err := noBody(r); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	flt := RequestFilter{Method: q.Get("method"), Path: q.Get("path")}
	if flt.Path != "" {
		if _, err := path.Match(flt.Path, "/"); err != nil || flt.Path[0] != '/' {
			return nil, errorf(http.StatusBadRequest, "path %q is neither a path nor a path.Match pattern starting with /", flt.Path)
		}
	}
	return []RequestFilter{flt}, nil
}

func serveRequestList(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	flt, err := requestFilter(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, f.Requests(flt...), nil
}

func serveRequestCount(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	flt, err := requestFilter(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]int{"count": len(f.Requests(flt...))}, nil
}

func serveRequestClear(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	f.ResetRequests()
	return http.StatusNoContent, nil, nil
}

// clockReply is the body of GET and POST /_mock/clock.
type clockReply struct {
	Now string `json:"now"`
}

func serveClock(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, clockReply{iso(f.Now())}, nil
}

func serveClockMove(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := queryOnly(r); err != nil {
		return 0, nil, err
	}
	move, err := readControl[struct {
		Advance *string `json:"advance"`
		Set     *string `json:"set"`
	}](r, maxFaultBody, true)
	if err != nil {
		return 0, nil, err
	}
	var now time.Time
	switch {
	case (move.Advance == nil) == (move.Set == nil):
		return 0, nil, errorf(http.StatusBadRequest, `give one of "advance" (a Go duration: "36h") and "set" (RFC 3339)`)
	case move.Advance != nil:
		d, perr := time.ParseDuration(*move.Advance)
		if perr != nil {
			return 0, nil, errorf(http.StatusBadRequest, "advance: %v", perr)
		}
		now = f.AdvanceClock(d)
	default:
		t, perr := time.Parse(time.RFC3339Nano, *move.Set)
		if perr != nil {
			return 0, nil, errorf(http.StatusBadRequest, "set: %q is not an RFC 3339 time", *move.Set)
		}
		now = f.SetClock(t)
	}
	return http.StatusOK, clockReply{iso(now)}, nil
}

func serveExpireTokens(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	f.ExpireAccessTokens()
	return http.StatusNoContent, nil, nil
}

func serveSnapshot(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	data, err := f.Snapshot()
	if err != nil {
		return 0, nil, errorf(http.StatusInternalServerError, "snapshot: %v", err)
	}
	return http.StatusOK, json.RawMessage(data), nil
}

func serveRestore(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := queryOnly(r); err != nil {
		return 0, nil, err
	}
	// Read in full before Restore takes the lock: a slow client must not
	// hold up the others.
	data, err := readControl[json.RawMessage](r, maxStateBody, true)
	if err != nil {
		return 0, nil, err
	}
	if rerr := f.Restore(data); rerr != nil {
		return 0, nil, errorf(http.StatusBadRequest, "%s", strings.TrimPrefix(rerr.Error(), "convirzatest: "))
	}
	return http.StatusNoContent, nil, nil
}

func serveSimulateCall(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := queryOnly(r); err != nil {
		return 0, nil, err
	}
	sc, err := readControl[SimulatedCall](r, maxFaultBody, true)
	if err != nil {
		return 0, nil, err
	}
	// The deliveries are made before the answer, so GET /_mock/deliveries
	// lists them as soon as the client has it.
	data, serr := f.simulateCall(r.Context(), sc)
	if serr != nil {
		return 0, nil, errorf(http.StatusBadRequest, "%s", strings.TrimPrefix(serr.Error(), "convirzatest: "))
	}
	return http.StatusCreated, data, nil
}

func serveDeliveryList(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, f.Deliveries(), nil
}

func serveDeliveryClear(f *Fake, r *http.Request, _ string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	f.ResetDeliveries()
	return http.StatusNoContent, nil, nil
}

func serveTestWebhook(f *Fake, r *http.Request, arg string) (int, any, *apiError) {
	if err := bare(r); err != nil {
		return 0, nil, err
	}
	id, perr := strconv.ParseInt(arg, 10, 64)
	if perr != nil || id <= 0 {
		return 0, nil, errorf(http.StatusBadRequest, "webhook id %q is not a positive integer", arg)
	}
	d, err := f.testWebhook(r.Context(), id)
	switch {
	case errors.Is(err, ErrNoWebhook):
		return 0, nil, errorf(http.StatusNotFound, "webhook %d does not exist", id)
	case err != nil:
		return 0, nil, errorf(http.StatusInternalServerError, "%v", err)
	}
	return http.StatusOK, d, nil
}
