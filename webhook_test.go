package convirza

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	jsonType = "application/json"
	formType = "application/x-www-form-urlencoded"
	// hookSecret is the static parameter value of the fixtures.
	hookSecret = "s3cret-static-value"
)

// hookRequest is a POST of body with contentType ("" for none).
func hookRequest(contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/convirza", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// parseHook parses body sent as JSON.
func parseHook(t *testing.T, body string, opts ...WebhookOption) (*WebhookEvent, error) {
	t.Helper()
	return ParseWebhook(hookRequest(jsonType, body), opts...)
}

// requireHookErr checks that err matches want and none of the other
// webhook sentinels (ErrWebhookTooLarge counts as ErrWebhookPayload).
func requireHookErr(t *testing.T, err, want error) {
	t.Helper()
	require.ErrorIs(t, err, want)
	for _, other := range []error{ErrWebhookPayload, ErrWebhookTooLarge, ErrWebhookAuth, ErrInvalidParams} {
		if other == want || (want == ErrWebhookTooLarge && other == ErrWebhookPayload) {
			continue
		}
		assert.NotErrorIs(t, err, other)
	}
}

// callFields is c's decoded fields as JSON, every Raw left out, to compare
// calls decoded from bodies spaced differently.
func callFields(t *testing.T, c Call) string {
	t.Helper()
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return string(b)
}

func TestParseWebhookJSON(t *testing.T) {
	body := golden(t, "webhook/post_call.json")
	ev, err := ParseWebhook(hookRequest(jsonType, string(body)), WithWebhookParam("auth_key", hookSecret))
	require.NoError(t, err)

	assert.Equal(t, TriggerPostCall, ev.Trigger)
	assert.Equal(t, int64(7001), ev.WebhookID)
	c := ev.Call
	want := Call{ID: 880001, OrgUnitID: 1002, CampaignID: 0 /* null */, ProvisionedRouteID: 5001,
		CallerID: "+18015557654", PhoneNumber: "+18015550123", RingTo: "+18015550100",
		Disposition: DispositionAnswered, Duration: Duration(3*time.Minute + 12*time.Second),
		Started:       time.Date(2026, 3, 5, 10, 30, 0, 0, time.UTC),
		Tags:          []Tag{{ID: 11, Name: "Qualified lead"}},
		CustomSources: map[string]string{"utm_source": "billboard"},
		Recording: &Recording{URL: "https://recordings.example.com/880001.mp3?signature=abc",
			ExpiresAt: Time{time.Unix(1773311400, 0).UTC()}},
		Transcription: "Hello, I saw your billboard.",
	}
	assert.Equal(t, callFields(t, want), callFields(t, c))

	assert.Equal(t, map[string]string{"caller_name": "Ada Lovelace", "indicator_score": "87", "auth_key": hookSecret}, ev.Params)
	assert.Equal(t, body, []byte(ev.Raw), "Raw is the body as received")

	// The call decodes as Calls.Get decodes the same object, and its Raw
	// is the call record alone: storing it does not store the secret.
	var direct Call
	require.NoError(t, json.Unmarshal(body, &direct))
	assert.Equal(t, callFields(t, direct), callFields(t, c))
	var callRaw map[string]any
	require.NoError(t, json.Unmarshal(c.Raw, &callRaw))
	assert.Len(t, callRaw, 14, "the 14 call members of the fixture")
	for _, k := range []string{"auth_key", "trigger", "webhook_id", "caller_name", "indicator_score"} {
		assert.NotContains(t, callRaw, k)
	}
}

func TestParseWebhookPreCallWithStringIDs(t *testing.T) {
	ev, err := parseHook(t, string(golden(t, "webhook/pre_call.json")))
	require.NoError(t, err)
	assert.Equal(t, TriggerPreCall, ev.Trigger)
	assert.Equal(t, int64(7002), ev.WebhookID, `"7002"`)
	assert.Equal(t, int64(880002), ev.Call.ID, `"880002"`)
	assert.Equal(t, int64(42), ev.Call.CampaignID)
	assert.Empty(t, ev.Call.RingTo)
	assert.Empty(t, ev.Call.Disposition)
	assert.Zero(t, ev.Call.Duration)
	assert.Equal(t, map[string]string{"auth_key": hookSecret}, ev.Params)
}

func TestParseWebhookFormMatchesJSON(t *testing.T) {
	fromJSON, err := parseHook(t, string(golden(t, "webhook/post_call.json")))
	require.NoError(t, err)
	form := golden(t, "webhook/post_call.form")
	ev, err := ParseWebhook(hookRequest(formType+"; charset=UTF-8", string(form)), WithWebhookParam("auth_key", hookSecret))
	require.NoError(t, err)

	assert.Equal(t, fromJSON.Trigger, ev.Trigger)
	assert.Equal(t, fromJSON.WebhookID, ev.WebhookID)
	assert.Equal(t, callFields(t, fromJSON.Call), callFields(t, ev.Call))
	assert.Equal(t, fromJSON.Params, ev.Params)
	assert.Equal(t, form, []byte(ev.Raw))
	assert.True(t, json.Valid(ev.Call.Raw), "Call.Raw of a form is JSON")
}

func TestParseWebhookFormValues(t *testing.T) {
	// A string field keeps text that reads as JSON; a nested field that is
	// not JSON decodes as empty instead of failing the delivery.
	ev, err := ParseWebhook(hookRequest(formType,
		"caller_id=12345&ring_to=%5B1%5D&disposition=%22x%22&transcription=%7Bnot+json&tags=oops&call_id=%2277%22&note=%5B1%5D&empty="))
	require.NoError(t, err)
	assert.Equal(t, "12345", ev.Call.CallerID)
	assert.Equal(t, "[1]", ev.Call.RingTo)
	assert.Equal(t, Disposition(`"x"`), ev.Call.Disposition)
	assert.Equal(t, "{not json", ev.Call.Transcription)
	assert.Nil(t, ev.Call.Tags)
	assert.Equal(t, int64(77), ev.Call.ID)
	assert.Equal(t, map[string]string{"note": "[1]", "empty": ""}, ev.Params)
}

func TestParseWebhookContentTypes(t *testing.T) {
	const obj = `{"call_id": 5}`
	for _, tc := range []struct {
		contentType, body string
		ok                bool
	}{
		{"application/json", obj, true},
		{"application/json; charset=utf-8", obj, true},
		{"Application/JSON", obj, true},
		{"application/vnd.convirza.webhook+json", obj, true},
		{"", obj, true},
		{"", " \r\n\t" + obj, true},
		{"", `["call_id"]`, false},
		{"", "call_id=5", false},
		{"", "", false},
		{"text/plain", obj, false},
		{"application/xml", obj, false},
		{"multipart/form-data; boundary=x", obj, false},
		{"application/json; =", obj, false},
		{"json", obj, false},
	} {
		t.Run(tc.contentType+" "+tc.body, func(t *testing.T) {
			ev, err := ParseWebhook(hookRequest(tc.contentType, tc.body))
			if !tc.ok {
				requireHookErr(t, err, ErrWebhookPayload)
				assert.Nil(t, ev)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, int64(5), ev.Call.ID)
		})
	}
}

func TestParseWebhookRefusesWhatIsNotOneObject(t *testing.T) {
	for _, body := range []string{
		"", " ", "null", "[]", `[{"call_id":1}]`, `"call_id"`, "42", "true",
		"{} {}", `{"call_id":1}x`, `{"call_id":1},`, `{"call_id":`, `{"call_id":1`, `{"call_id":1,}`,
		`{call_id:1}`, `{"a":1 "b":2}`, `{"a":tru}`, "{\"a\":\"\x00\"}",
	} {
		t.Run(body, func(t *testing.T) {
			ev, err := parseHook(t, body)
			requireHookErr(t, err, ErrWebhookPayload)
			assert.Nil(t, ev)
		})
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// bigBody is a 10 MB JSON object, streamed without a Content-Length.
func bigBody() *countingReader {
	const size = 10 << 20
	prefix := `{"pad":"`
	return &countingReader{r: io.MultiReader(strings.NewReader(prefix),
		io.LimitReader(repeatReader('a'), size-int64(len(prefix))-2), strings.NewReader(`"}`))}
}

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestParseWebhookSizeCap(t *testing.T) {
	at := `{"pad":"` + strings.Repeat("a", 54) + `"}` // 64 bytes
	require.Len(t, at, 64)

	_, err := ParseWebhook(hookRequest(jsonType, at), WithWebhookMaxBytes(64))
	require.NoError(t, err, "a body at the cap")

	over := hookRequest(jsonType, at+" ")
	over.ContentLength = -1 // streamed: only reading tells
	_, err = ParseWebhook(over, WithWebhookMaxBytes(64))
	requireHookErr(t, err, ErrWebhookTooLarge)
	assert.ErrorIs(t, err, ErrWebhookPayload)

	t.Run("declared length over the cap is refused unread", func(t *testing.T) {
		r := hookRequest(jsonType, "")
		body := &countingReader{r: strings.NewReader(at)}
		r.Body, r.ContentLength = io.NopCloser(body), 65
		_, err := ParseWebhook(r, WithWebhookMaxBytes(64))
		requireHookErr(t, err, ErrWebhookTooLarge)
		assert.Zero(t, body.n.Load())
	})
	t.Run("10 MB streamed, default cap", func(t *testing.T) {
		body := bigBody()
		r := hookRequest(jsonType, "")
		r.Body, r.ContentLength = io.NopCloser(body), -1
		_, err := ParseWebhook(r)
		requireHookErr(t, err, ErrWebhookTooLarge)
		assert.LessOrEqual(t, body.n.Load(), int64(DefaultWebhookMaxBytes+1))
	})
}

func TestParseWebhookBodyShorterThanContentLength(t *testing.T) {
	errs := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := ParseWebhook(r)
		errs <- err
	}))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	body := `{"call_id": 880001, "trigger": "post_call"}`
	_, err = fmt.Fprintf(conn, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		len(body)+100, body)
	require.NoError(t, err)
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())

	select {
	case err := <-errs:
		requireHookErr(t, err, ErrWebhookPayload)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never returned")
	}
}

func TestParseWebhookHostileBodies(t *testing.T) {
	t.Run("nesting deeper than encoding/json allows", func(t *testing.T) {
		deep := `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
		_, err := parseHook(t, deep)
		requireHookErr(t, err, ErrWebhookPayload)
	})
	t.Run("deep but allowed nesting stays in Params", func(t *testing.T) {
		nested := strings.Repeat("[", 500) + strings.Repeat("]", 500)
		ev, err := parseHook(t, `{"x":`+nested+`}`)
		require.NoError(t, err)
		assert.Equal(t, nested, ev.Params["x"])
	})
	t.Run("nested call field of the wrong shape", func(t *testing.T) {
		ev, err := parseHook(t, `{"call_id":7,"tags":{"a":[[[{}]]]},"recording_details":[1],"custom_sources":"x"}`)
		require.NoError(t, err)
		assert.Equal(t, int64(7), ev.Call.ID)
		assert.Nil(t, ev.Call.Tags)
		assert.Nil(t, ev.Call.Recording)
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		body := "{\"caller_name\":\"Ad\xffa\",\"call_id\":3,\"caller_id\":\"+1\xfe\"}"
		ev, err := parseHook(t, body)
		require.NoError(t, err)
		assert.Equal(t, "Ad\uFFFDa", ev.Params["caller_name"])
		assert.Equal(t, "+1\uFFFD", ev.Call.CallerID)
		assert.Equal(t, body, string(ev.Raw))
	})
	t.Run("invalid UTF-8 in the required parameter", func(t *testing.T) {
		_, err := parseHook(t, "{\"auth_key\":\"s3cret-static-valu\xff\"}", WithWebhookParam("auth_key", hookSecret))
		requireHookErr(t, err, ErrWebhookAuth)
	})
	for name, body := range map[string]string{
		"duplicate parameter, other value": `{"auth_key":"forged","auth_key":"` + hookSecret + `"}`,
		"duplicate parameter, same value":  `{"auth_key":"` + hookSecret + `","auth_key":"` + hookSecret + `"}`,
		"duplicate through an escape":      `{"auth_key":"` + hookSecret + `","auth\u005fkey":"forged"}`,
		"duplicate call field":             `{"auth_key":"` + hookSecret + `","call_id":1,"call_id":2}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseHook(t, body, WithWebhookParam("auth_key", hookSecret))
			requireHookErr(t, err, ErrWebhookPayload)
			assert.Contains(t, err.Error(), "given twice")
		})
	}
	t.Run("duplicate form field", func(t *testing.T) {
		_, err := ParseWebhook(hookRequest(formType, "auth_key=forged&auth_key="+hookSecret), WithWebhookParam("auth_key", hookSecret))
		requireHookErr(t, err, ErrWebhookPayload)
	})
	for _, form := range []string{"a=%zz", "%=1", "a=1;b=2", "a=1&b;=2"} {
		t.Run("malformed form "+form, func(t *testing.T) {
			_, err := ParseWebhook(hookRequest(formType, form))
			requireHookErr(t, err, ErrWebhookPayload)
		})
	}
	t.Run("huge and odd ids", func(t *testing.T) {
		for _, tc := range []struct {
			id   string
			want int64
		}{
			{`99999999999999999999`, 0}, {`"99999999999999999999"`, 0}, {`1e400`, 0}, {`-1e400`, 0},
			{`9223372036854775807`, 1<<63 - 1}, {`9223372036854775808`, 0}, {`7001.0`, 7001}, {`"7.001e3"`, 7001},
			{`7001.5`, 0}, {`" 7001 "`, 7001}, {`null`, 0}, {`{"id":7001}`, 0}, {`[7001]`, 0}, {`true`, 0}, {`"abc"`, 0},
		} {
			ev, err := parseHook(t, `{"webhook_id":`+tc.id+`,"call_id":`+tc.id+`,"org_unit_id":99999999999999999999999999}`)
			require.NoError(t, err, tc.id)
			assert.Equal(t, tc.want, ev.WebhookID, tc.id)
			assert.Empty(t, ev.Params, tc.id)
		}
	})
}

func TestParseWebhookParamsText(t *testing.T) {
	ev, err := parseHook(t, `{"s":"a\"b\u00e9","n":1.50e3,"neg":-0,"b":true,"z":null,"o":{"a": [1, 2]},"e":""}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"s": `a"bé`, "n": "1.50e3", "neg": "-0", "b": "true", "z": "null", "o": `{"a": [1, 2]}`, "e": "",
	}, ev.Params)
}

func TestParseWebhookTriggers(t *testing.T) {
	for sent, want := range map[string]WebhookTrigger{
		`"post_call"`: TriggerPostCall, `"pre_call"`: TriggerPreCall, `"post-call"`: TriggerPostCall,
		`"mid_call"`: "mid_call", `"Test"`: "Test", `7`: "7", `null`: "", `{}`: "",
	} {
		ev, err := parseHook(t, `{"trigger":`+sent+`}`)
		require.NoError(t, err, sent)
		assert.Equal(t, want, ev.Trigger, sent)
		assert.Empty(t, ev.Params, sent)
	}
	ev, err := parseHook(t, `{"call_id":1}`)
	require.NoError(t, err)
	assert.Empty(t, ev.Trigger, "no trigger")
	assert.Zero(t, ev.WebhookID, "no webhook id")
}

// TestParseWebhookParamsLeaveOutEveryCallField builds a delivery from
// Call's own JSON tags, so a field added to Call is covered here too.
func TestParseWebhookParamsLeaveOutEveryCallField(t *testing.T) {
	obj := map[string]any{"trigger": "post_call", "webhook_id": 1, "auth_key": hookSecret, "extra": 1}
	ct := reflect.TypeFor[Call]()
	for i := range ct.NumField() {
		if name, _, _ := strings.Cut(ct.Field(i).Tag.Get("json"), ","); name != "-" {
			obj[name] = "x"
		}
	}
	require.Greater(t, len(obj), 15)
	body, err := json.Marshal(obj)
	require.NoError(t, err)
	ev, err := parseHook(t, string(body))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"auth_key": hookSecret, "extra": "1"}, ev.Params)

	// encoding/json fills a field from a key in another case: such a key
	// is a call field too.
	ev, err = parseHook(t, `{"Call_ID":12,"CALLER_ID":"+1801","Caller_Name":"Ada"}`)
	require.NoError(t, err)
	assert.Equal(t, int64(12), ev.Call.ID)
	assert.Equal(t, "+1801", ev.Call.CallerID)
	assert.Equal(t, map[string]string{"Caller_Name": "Ada"}, ev.Params)
}

func TestParseWebhookStaticParams(t *testing.T) {
	opts := []WebhookOption{WithWebhookParam("auth_key", hookSecret), WithWebhookParam("pin", "1234")}
	for _, tc := range []struct {
		name, body   string
		wantErr      bool
		names, clean []string // in the error; not in it
	}{
		{name: "both right", body: `{"auth_key":"` + hookSecret + `","pin":"1234"}`},
		{name: "pin sent as a number", body: `{"auth_key":"` + hookSecret + `","pin":1234}`},
		{name: "pin wrong", body: `{"auth_key":"` + hookSecret + `","pin":"9999"}`, wantErr: true,
			names: []string{"wrong value for pin"}, clean: []string{"auth_key", "9999", "1234", hookSecret}},
		{name: "auth_key a prefix", body: `{"auth_key":"s3cret","pin":"1234"}`, wantErr: true,
			names: []string{"wrong value for auth_key"}, clean: []string{"pin", "s3cret-", "1234"}},
		{name: "auth_key missing", body: `{"pin":"1234"}`, wantErr: true,
			names: []string{"missing auth_key"}, clean: []string{"pin", "1234", hookSecret}},
		{name: "auth_key in another case", body: `{"Auth_Key":"` + hookSecret + `","pin":"1234"}`, wantErr: true,
			names: []string{"missing auth_key"}, clean: []string{hookSecret}},
		{name: "both wrong", body: `{"auth_key":"","pin":null}`, wantErr: true,
			names: []string{"auth_key, pin"}, clean: []string{hookSecret, "1234", "null"}},
		{name: "one missing, one wrong", body: `{"auth_key":"nope"}`, wantErr: true,
			names: []string{"missing pin", "wrong value for auth_key"}, clean: []string{hookSecret, "1234", "nope"}},
		{name: "none", body: `{}`, wantErr: true, names: []string{"missing auth_key, pin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := parseHook(t, tc.body, opts...)
			if !tc.wantErr {
				require.NoError(t, err)
				assert.Equal(t, hookSecret, ev.Params["auth_key"])
				assert.Equal(t, "1234", ev.Params["pin"])
				return
			}
			requireHookErr(t, err, ErrWebhookAuth)
			assert.Nil(t, ev)
			for _, s := range tc.names {
				assert.Contains(t, err.Error(), s)
			}
			for _, s := range tc.clean {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}
	t.Run("an empty expected value must still be sent", func(t *testing.T) {
		_, err := parseHook(t, `{}`, WithWebhookParam("flag", ""))
		requireHookErr(t, err, ErrWebhookAuth)
		_, err = parseHook(t, `{"flag":""}`, WithWebhookParam("flag", ""))
		require.NoError(t, err)
	})
	t.Run("form", func(t *testing.T) {
		_, err := ParseWebhook(hookRequest(formType, "pin=1234&auth_key="+hookSecret), opts...)
		require.NoError(t, err)
		_, err = ParseWebhook(hookRequest(formType, "pin=1234&auth_key=x"), opts...)
		requireHookErr(t, err, ErrWebhookAuth)
	})
}

func TestParseWebhookInvalidOptions(t *testing.T) {
	for name, opts := range map[string][]WebhookOption{
		"empty name":    {WithWebhookParam("", hookSecret)},
		"name twice":    {WithWebhookParam("auth_key", hookSecret), WithWebhookParam("auth_key", "other-value")},
		"zero cap":      {WithWebhookMaxBytes(0)},
		"negative cap":  {WithWebhookMaxBytes(-1)},
		"bad then good": {WithWebhookMaxBytes(-1), WithWebhookMaxBytes(10)},
	} {
		t.Run(name, func(t *testing.T) {
			body := &countingReader{r: strings.NewReader(`{"auth_key":"` + hookSecret + `"}`)}
			r := hookRequest(jsonType, "")
			r.Body = io.NopCloser(body)
			_, err := ParseWebhook(r, opts...)
			requireHookErr(t, err, ErrInvalidParams)
			assert.NotContains(t, err.Error(), hookSecret)
			assert.NotContains(t, err.Error(), "other-value")
			assert.Zero(t, body.n.Load(), "nothing read")
		})
	}
	_, err := ParseWebhook(hookRequest(jsonType, "{}"), nil, WithWebhookMaxBytes(10))
	require.NoError(t, err, "a nil option is skipped")
}

func TestParseWebhookNilBody(t *testing.T) {
	r := hookRequest(jsonType, "")
	r.Body = nil
	_, err := ParseWebhook(r)
	requireHookErr(t, err, ErrWebhookPayload)
}

// hookServer serves WebhookHandler with a handle that counts its calls,
// keeps the last event and context, and returns handleErr.
type hookServer struct {
	h         http.Handler
	calls     atomic.Int32
	last      *WebhookEvent
	lastCtx   context.Context
	handleErr error
}

func newHookServer(opts ...WebhookOption) *hookServer {
	s := &hookServer{}
	s.h = WebhookHandler(func(ctx context.Context, ev *WebhookEvent) error {
		s.calls.Add(1)
		s.last, s.lastCtx = ev, ctx
		return s.handleErr
	}, opts...)
	return s
}

func (s *hookServer) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

type hookCtxKey struct{}

func TestWebhookHandler(t *testing.T) {
	good := string(golden(t, "webhook/post_call.json"))
	opts := []WebhookOption{WithWebhookParam("auth_key", hookSecret), WithWebhookMaxBytes(4096)}
	for _, tc := range []struct {
		name      string
		req       func() *http.Request
		handleErr error
		opts      []WebhookOption
		status    int
		called    int32
	}{
		{name: "delivered", req: func() *http.Request { return hookRequest(jsonType, good) }, status: 204, called: 1},
		{name: "form", req: func() *http.Request {
			return hookRequest(formType, string(golden(t, "webhook/post_call.form")))
		}, status: 204, called: 1},
		{name: "GET", req: func() *http.Request { return httptest.NewRequest("GET", "/hooks/convirza", nil) }, status: 405},
		{name: "PUT", req: func() *http.Request {
			r := hookRequest(jsonType, good)
			r.Method = "PUT"
			return r
		}, status: 405},
		{name: "over the cap", req: func() *http.Request {
			return hookRequest(jsonType, `{"auth_key":"`+hookSecret+`","pad":"`+strings.Repeat("a", 4096)+`"}`)
		}, status: 413},
		{name: "streamed over the cap", req: func() *http.Request {
			r := hookRequest(jsonType, `{"auth_key":"`+hookSecret+`","pad":"`+strings.Repeat("a", 4096)+`"}`)
			r.ContentLength = -1
			return r
		}, status: 413},
		{name: "not an object", req: func() *http.Request { return hookRequest(jsonType, `[]`) }, status: 400},
		{name: "truncated", req: func() *http.Request { return hookRequest(jsonType, good[:len(good)/2]) }, status: 400},
		{name: "other content type", req: func() *http.Request { return hookRequest("text/plain", good) }, status: 400},
		{name: "wrong parameter", req: func() *http.Request {
			return hookRequest(jsonType, strings.Replace(good, hookSecret, "guess", 1))
		}, status: 401},
		{name: "missing parameter", req: func() *http.Request {
			return hookRequest(jsonType, strings.Replace(good, `"auth_key"`, `"other"`, 1))
		}, status: 401},
		{name: "handle fails", req: func() *http.Request { return hookRequest(jsonType, good) },
			handleErr: errors.New("database down"), status: 500, called: 1},
		{name: "invalid options", req: func() *http.Request { return hookRequest(jsonType, good) },
			opts: []WebhookOption{WithWebhookParam("", "x")}, status: 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newHookServer(append(append([]WebhookOption(nil), opts...), tc.opts...)...)
			s.handleErr = tc.handleErr
			r := tc.req().WithContext(context.WithValue(context.Background(), hookCtxKey{}, tc.name))
			w := s.serve(r)
			assert.Equal(t, tc.status, w.Code)
			assert.Equal(t, tc.called, s.calls.Load(), "handle calls")
			body := w.Body.String()
			for _, leak := range []string{hookSecret, "guess", "auth_key", "database down", "880001"} {
				assert.NotContains(t, body, leak)
			}
			switch {
			case tc.status == 204:
				assert.Empty(t, body)
				assert.Equal(t, int64(880001), s.last.Call.ID)
				assert.Equal(t, hookSecret, s.last.Params["auth_key"])
				assert.Equal(t, tc.name, s.lastCtx.Value(hookCtxKey{}), "handle gets r.Context()")
			case tc.status == 405:
				assert.Equal(t, "POST", w.Header().Get("Allow"))
			}
		})
	}
}

func TestWebhookHandlerReadsAtMostTheCapAndOneByte(t *testing.T) {
	s := newHookServer()
	body := bigBody()
	r := hookRequest(jsonType, "")
	r.Body, r.ContentLength = io.NopCloser(body), -1
	w := s.serve(r)
	assert.Equal(t, 413, w.Code)
	assert.Zero(t, s.calls.Load())
	assert.LessOrEqual(t, body.n.Load(), int64(DefaultWebhookMaxBytes+1))
}

func TestWebhookHandlerClosesTheConnectionOverTheCap(t *testing.T) {
	// A body a little over the cap: the server would drain and keep the
	// connection alive, but the rest is never read.
	var calls atomic.Int32
	srv := httptest.NewServer(WebhookHandler(func(context.Context, *WebhookEvent) error {
		calls.Add(1)
		return nil
	}, WithWebhookMaxBytes(64)))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, io.MultiReader(strings.NewReader(`{"pad":"`+strings.Repeat("a", 200)+`"}`)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", jsonType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 413, resp.StatusCode)
	assert.True(t, resp.Close, "Connection: close")
	assert.Zero(t, calls.Load())
}

func TestWebhookHandlerLogsNothing(t *testing.T) {
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)
	s := newHookServer(WithWebhookParam("auth_key", hookSecret))
	s.handleErr = errors.New("fail")
	for _, body := range []string{`{"auth_key":"` + hookSecret + `"}`, `{"auth_key":"guess"}`, `{`} {
		s.serve(hookRequest(jsonType, body))
	}
	assert.Equal(t, int32(1), s.calls.Load())
	assert.Empty(t, logged.String())
}

func TestWebhookHandlerNilBody(t *testing.T) {
	s := newHookServer()
	r := hookRequest(jsonType, "")
	r.Body = nil
	assert.Equal(t, 400, s.serve(r).Code)
	assert.Zero(t, s.calls.Load())
}

func TestWebhookHandlerOverHTTP(t *testing.T) {
	// Concurrent deliveries over a real connection, for the race detector.
	var calls atomic.Int32
	srv := httptest.NewServer(WebhookHandler(func(_ context.Context, ev *WebhookEvent) error {
		calls.Add(1)
		if ev.Call.ID != 880001 {
			return errors.New("wrong call")
		}
		return nil
	}, WithWebhookParam("auth_key", hookSecret)))
	defer srv.Close()
	body := golden(t, "webhook/post_call.json")
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			resp, err := http.Post(srv.URL, jsonType, bytes.NewReader(body))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 204 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			errs <- err
		}()
	}
	for range 16 {
		require.NoError(t, <-errs)
	}
	assert.Equal(t, int32(16), calls.Load())
}

func TestWebhookHandlerNilHandlePanics(t *testing.T) {
	assert.PanicsWithValue(t, "convirza: WebhookHandler: nil handle func", func() { WebhookHandler(nil) })
}

// FuzzParseWebhook sends arbitrary bodies under arbitrary content types:
// ParseWebhook never panics, fails only with its own errors, and any event
// it returns is consistent with the body.
func FuzzParseWebhook(f *testing.F) {
	const maxBytes = 4096
	fixtures, err := filepath.Glob(filepath.Join("testdata", "webhook", "*"))
	if err != nil || len(fixtures) == 0 {
		f.Fatal("no fixtures", err)
	}
	for _, name := range fixtures {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		ct := jsonType
		if strings.HasSuffix(name, ".form") {
			ct = formType
		}
		f.Add(ct, b)
		f.Add("", b)
	}
	for _, seed := range []struct{ ct, body string }{
		{jsonType, `{"auth_key":"` + hookSecret + `","webhook_id":"1e3","Call_ID":"7"}`},
		{jsonType, `{"auth_key":"x","auth_key":"` + hookSecret + `"}`},
		{jsonType, "{\"auth_key\":\"" + hookSecret + "\",\"n\":\"\xff\"}"},
		{jsonType, `{"auth_key":"` + hookSecret + `","x":[[[[{"a":null}]]]]}`},
		{"application/problem+json", `null`},
		{formType, "auth_key=" + hookSecret + "&tags=%5B%5D&call_id=1"},
		{formType, "auth_key=" + hookSecret + ";a=1"},
		{"text/plain", "{}"},
		{"", strings.Repeat(" ", maxBytes) + "{}"},
	} {
		f.Add(seed.ct, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		r.Header["Content-Type"] = []string{contentType}
		ev, err := ParseWebhook(r, WithWebhookParam("auth_key", hookSecret), WithWebhookMaxBytes(maxBytes))
		if err != nil {
			if ev != nil {
				t.Fatalf("an event and an error: %v", err)
			}
			if !errors.Is(err, ErrWebhookPayload) && !errors.Is(err, ErrWebhookAuth) {
				t.Fatalf("error of no webhook kind: %v", err)
			}
			if errors.Is(err, ErrWebhookTooLarge) != (len(body) > maxBytes) {
				t.Fatalf("%d bytes: %v", len(body), err)
			}
			if errors.Is(err, ErrWebhookAuth) && strings.Contains(err.Error(), hookSecret) {
				t.Fatalf("the secret in the error: %v", err)
			}
			return
		}
		if !bytes.Equal(ev.Raw, body) {
			t.Fatal("Raw is not the body")
		}
		if ev.Params["auth_key"] != hookSecret {
			t.Fatalf("accepted without the parameter: %q", ev.Params["auth_key"])
		}
		if ev.Call.Raw != nil && !json.Valid(ev.Call.Raw) {
			t.Fatalf("Call.Raw is not JSON: %q", ev.Call.Raw)
		}
		if strings.Contains(string(ev.Call.Raw), `"auth_key"`) {
			t.Fatal("the parameter in Call.Raw")
		}
		for name := range ev.Params {
			if _, isCall := webhookCallField(name); isCall || name == "trigger" || name == "webhook_id" {
				t.Fatalf("%q in Params", name)
			}
		}
		if mt := strings.ToLower(contentType); !strings.Contains(mt, "form") && !json.Valid(body) {
			t.Fatal("accepted a body that is not JSON")
		}
	})
}
