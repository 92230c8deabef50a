package convirza

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// The delivery wire format, as api/webhook-delivery.md assumes it. Convirza
// documents none of it, so every fact the receiver relies on is here and
// nowhere else: correcting one is a one-line change.
const (
	// webhookMethod is the method of a delivery.
	webhookMethod = http.MethodPost
	// webhookJSONType and webhookFormType are the content types of a
	// delivery; a type ending in webhookJSONSuffix is read as JSON too, and
	// a delivery without a content type is read as JSON when it starts
	// with webhookSniffJSON.
	webhookJSONType   = "application/json"
	webhookJSONSuffix = "+json"
	webhookFormType   = "application/x-www-form-urlencoded"
	webhookSniffJSON  = '{'
	// webhookTriggerKey and webhookIDKey are the members beside the call
	// record's own that name the trigger and the webhook.
	webhookTriggerKey = "trigger"
	webhookIDKey      = "webhook_id"
	// The call record is the body itself (no envelope), its members those
	// of Call; static parameters are top-level members named by their
	// field_name. See webhookCallFields.
)

// DefaultWebhookMaxBytes is the largest delivery body ParseWebhook and
// WebhookHandler read unless WithWebhookMaxBytes says otherwise.
const DefaultWebhookMaxBytes = 1 << 20

// Errors of ParseWebhook, matched with errors.Is. Their messages name the
// parameters that failed, never a value expected or received.
var (
	// ErrWebhookPayload matches a delivery whose body cannot be read as
	// one: a content type other than JSON or form, a JSON body that is not
	// one object, a malformed form, a member given twice, a body cut short
	// or over the size cap.
	ErrWebhookPayload = errors.New("convirza: webhook payload not understood")
	// ErrWebhookTooLarge matches a body over the size cap
	// (WithWebhookMaxBytes). It also matches ErrWebhookPayload.
	ErrWebhookTooLarge = fmt.Errorf("%w: body too large", ErrWebhookPayload)
	// ErrWebhookAuth matches a delivery that lacks a static parameter
	// required with WithWebhookParam, or carries another value for it.
	ErrWebhookAuth = errors.New("convirza: webhook authentication failed")
)

// WebhookEvent is one delivery of a webhook.
type WebhookEvent struct {
	// Trigger is when the webhook fired, kept as sent when it is neither
	// TriggerPreCall nor TriggerPostCall ("" when the delivery has none).
	Trigger WebhookTrigger
	// WebhookID is the webhook that fired, from a number or a string; 0
	// when the delivery has none or it is not an int64.
	WebhookID int64
	// Call is the call record, decoded as Calls.Get decodes it. Its Raw
	// holds the call members only (for a form body, as a JSON object built
	// from them), so storing it does not store the static parameters.
	Call Call
	// Params holds every top-level member that is neither a Call field nor
	// the trigger or webhook id: the static parameters, and anything else
	// Convirza adds. A string member is its text; any other value its JSON
	// text (a number as sent, an object as JSON).
	Params map[string]string
	// Raw is the body as received. For a form-encoded delivery it is the
	// form, not JSON.
	Raw json.RawMessage
}

// WebhookOption configures ParseWebhook and WebhookHandler.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	maxBytes int64
	params   []webhookParam
	err      error // the first invalid option
}

type webhookParam struct {
	name string
	// sum is the SHA-256 of the expected value: comparing digests of equal
	// length keeps even the value's length out of the comparison's timing.
	sum [sha256.Size]byte
}

// WithWebhookParam requires every delivery to carry the static parameter
// name with value, as the webhook's StaticParams define it. It is how a
// receiver authenticates a delivery, since Convirza signs nothing. Give it
// once per parameter; an empty name, or a name given twice, makes
// ParseWebhook fail with an error matching ErrInvalidParams.
func WithWebhookParam(name, value string) WebhookOption {
	return func(c *webhookConfig) {
		switch {
		case name == "":
			c.fail(invalidf("webhook parameter: empty name"))
		case c.requires(name):
			c.fail(invalidf("webhook parameter %q given twice", name))
		default:
			c.params = append(c.params, webhookParam{name: name, sum: sha256.Sum256([]byte(value))})
		}
	}
}

// WithWebhookMaxBytes sets the largest body read (DefaultWebhookMaxBytes
// by default). A larger one is an error matching ErrWebhookTooLarge. A
// value of 0 or less makes ParseWebhook fail with an error matching
// ErrInvalidParams.
func WithWebhookMaxBytes(n int64) WebhookOption {
	return func(c *webhookConfig) {
		if n <= 0 {
			c.fail(invalidf("webhook max bytes %d: must be positive", n))
			return
		}
		c.maxBytes = n
	}
}

func (c *webhookConfig) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *webhookConfig) requires(name string) bool {
	for _, p := range c.params {
		if p.name == name {
			return true
		}
	}
	return false
}

func newWebhookConfig(opts []WebhookOption) *webhookConfig {
	c := &webhookConfig{maxBytes: DefaultWebhookMaxBytes}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// ParseWebhook reads one delivery from r: a JSON object
// (application/json, any +json type, or no content type and a body that
// starts with "{") or a form (application/x-www-form-urlencoded, nested
// objects such as tags as JSON text). It reads at most the size cap and
// one byte more, checks every parameter required with WithWebhookParam in
// constant time, and decodes the call as tolerantly as Calls.Get. It does
// not check the method, and does not close r.Body.
//
// Errors match ErrWebhookPayload (ErrWebhookTooLarge over the cap),
// ErrWebhookAuth, or ErrInvalidParams for invalid options.
func ParseWebhook(r *http.Request, opts ...WebhookOption) (*WebhookEvent, error) {
	return newWebhookConfig(opts).parse(r)
}

func (c *webhookConfig) parse(r *http.Request) (*WebhookEvent, error) {
	if c.err != nil {
		return nil, c.err
	}
	if r.ContentLength > c.maxBytes {
		return nil, c.tooLarge()
	}
	body, err := c.readBody(r.Body)
	if err != nil {
		return nil, err
	}
	members, form, err := webhookMembers(r.Header.Get("Content-Type"), body)
	if err != nil {
		return nil, err
	}
	if err := c.authenticate(members); err != nil {
		return nil, err
	}
	return newWebhookEvent(members, form, body)
}

func (c *webhookConfig) tooLarge() error {
	return fmt.Errorf("%w (more than %d bytes)", ErrWebhookTooLarge, c.maxBytes)
}

// readBody reads at most maxBytes+1 bytes: one past the cap tells a body
// at the cap from a longer one.
func (c *webhookConfig) readBody(rc io.Reader) ([]byte, error) {
	if rc == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(rc, c.maxBytes+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || int64(len(body)) > c.maxBytes:
		return nil, c.tooLarge()
	case err != nil:
		return nil, fmt.Errorf("%w: reading the body: %w", ErrWebhookPayload, err)
	}
	return body, nil
}

// webhookMember is one top-level member of a delivery.
type webhookMember struct {
	name string
	// value is the member as JSON; for a form field, a JSON string.
	value json.RawMessage
	// text is the member as Params shows it.
	text string
}

// webhookMembers splits a body into its top-level members, in order; form
// tells whether it was a form.
func webhookMembers(contentType string, body []byte) (members []webhookMember, form bool, err error) {
	mediaType := ""
	if contentType != "" {
		mediaType, _, err = mime.ParseMediaType(contentType)
		if err != nil {
			return nil, false, fmt.Errorf("%w: content type: %w", ErrWebhookPayload, err)
		}
	}
	lead := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case mediaType == webhookJSONType || strings.HasSuffix(mediaType, webhookJSONSuffix):
	case mediaType == webhookFormType:
		members, err = formMembers(body)
		return members, true, err
	case mediaType == "" && len(lead) > 0 && lead[0] == webhookSniffJSON:
	case mediaType == "":
		return nil, false, fmt.Errorf("%w: no content type, and the body is not a JSON object", ErrWebhookPayload)
	default:
		return nil, false, fmt.Errorf("%w: content type %q is neither JSON nor a form", ErrWebhookPayload, mediaType)
	}
	members, err = jsonMembers(body)
	return members, false, err
}

// jsonMembers reads a body that must be exactly one JSON object. A member
// given twice is refused rather than resolved: a proxy that checked the
// first and a receiver that used the last would disagree on the sender.
func jsonMembers(body []byte) ([]webhookMember, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	notObject := fmt.Errorf("%w: the body is not one JSON object", ErrWebhookPayload)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, notObject
	}
	var members []webhookMember
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, notObject
		}
		name := tok.(string) // inside an object, Token returns keys as strings
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, fmt.Errorf("%w: member %q: %w", ErrWebhookPayload, name, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: member %q given twice", ErrWebhookPayload, name)
		}
		seen[name] = true
		text := string(value)
		if value[0] == '"' {
			_ = json.Unmarshal(value, &text) // valid: Decode checked it
		}
		members = append(members, webhookMember{name: name, value: value, text: text})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, notObject
	}
	return members, nil
}

// formMembers reads a form body. A field given twice is refused, for the
// reason jsonMembers gives.
func formMembers(body []byte) ([]webhookMember, error) {
	var members []webhookMember
	seen := map[string]bool{}
	for field := range strings.SplitSeq(string(body), "&") {
		if field == "" {
			continue
		}
		k, v, _ := strings.Cut(field, "=")
		name, err1 := url.QueryUnescape(k)
		text, err2 := url.QueryUnescape(v)
		// A semicolon is refused as url.ParseQuery refuses it: some
		// parsers split fields on it, and they would see other fields.
		if err := errors.Join(err1, err2); err != nil || strings.Contains(field, ";") {
			return nil, fmt.Errorf("%w: malformed form field", ErrWebhookPayload)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: form field %q given twice", ErrWebhookPayload, name)
		}
		seen[name] = true
		value, _ := json.Marshal(text) // a string always marshals
		members = append(members, webhookMember{name: name, value: value, text: text})
	}
	return members, nil
}

// authenticate checks every required parameter, all of them whatever the
// first one gave, so the time taken does not tell which one failed.
func (c *webhookConfig) authenticate(members []webhookMember) error {
	var missing, wrong []string
	for _, p := range c.params {
		got, found := "", false
		for _, m := range members {
			if m.name == p.name {
				got, found = m.text, true
			}
		}
		sum := sha256.Sum256([]byte(got))
		match := subtle.ConstantTimeCompare(sum[:], p.sum[:]) == 1
		switch {
		case !found:
			missing = append(missing, p.name)
		case !match:
			wrong = append(wrong, p.name)
		}
	}
	if missing == nil && wrong == nil {
		return nil
	}
	var why []string
	if missing != nil {
		why = append(why, "missing "+strings.Join(missing, ", "))
	}
	if wrong != nil {
		why = append(why, "wrong value for "+strings.Join(wrong, ", "))
	}
	return fmt.Errorf("%w: static parameters: %s", ErrWebhookAuth, strings.Join(why, "; "))
}

// newWebhookEvent sorts the members into the call record, the trigger, the
// webhook id and Params, and decodes the call.
func newWebhookEvent(members []webhookMember, form bool, body []byte) (*WebhookEvent, error) {
	ev := &WebhookEvent{Params: map[string]string{}, Raw: body}
	call := []byte{'{'}
	for _, m := range members {
		switch field, isCall := webhookCallField(m.name); {
		case isCall:
			if len(call) > 1 {
				call = append(call, ',')
			}
			call = append(call, quoteJSON(m.name)...)
			call = append(call, ':')
			if form && !field.isString && json.Valid([]byte(m.text)) {
				// A form carries nested objects, numbers and null as JSON
				// text; a string field keeps its text as sent.
				call = append(call, m.text...)
			} else {
				call = append(call, m.value...)
			}
		case m.name == webhookTriggerKey:
			_ = json.Unmarshal(m.value, &ev.Trigger) // it never fails
		case m.name == webhookIDKey:
			ev.WebhookID = webhookInt(m.text)
		default:
			ev.Params[m.name] = m.text
		}
	}
	call = append(call, '}')
	if err := json.Unmarshal(call, &ev.Call); err != nil {
		return nil, fmt.Errorf("%w: the call record: %w", ErrWebhookPayload, err)
	}
	return ev, nil
}

// webhookInt reads an id sent as a number or a string; 0 if it is not an
// int64.
func webhookInt(text string) int64 {
	text = strings.TrimSpace(text)
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n
	}
	// 7001.0 or 7.001e3; the bound keeps the conversion exact.
	if f, err := strconv.ParseFloat(text, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return int64(f)
	}
	return 0
}

func quoteJSON(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// callField is a member of the call record.
type callField struct {
	name string
	// isString is true for a field of string kind, whose form value is
	// its text even when it reads as JSON ("12345").
	isString bool
}

// webhookCallFields are the JSON names of Call's fields, read from its
// tags once, so a field added to Call is never mistaken for a parameter.
var webhookCallFields = sync.OnceValue(func() []callField {
	var out []callField
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
			case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
				walk(f.Type)
			case f.IsExported():
				if name == "" {
					name = f.Name
				}
				out = append(out, callField{name: name, isString: f.Type.Kind() == reflect.String})
			}
		}
	}
	walk(reflect.TypeFor[Call]())
	return out
})

// webhookCallField reports whether a member named name fills a Call
// field. Like encoding/json, it matches names regardless of case.
func webhookCallField(name string) (callField, bool) {
	for _, f := range webhookCallFields() {
		if f.name == name {
			return f, true
		}
	}
	for _, f := range webhookCallFields() {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return callField{}, false
}

// WebhookHandler serves the deliveries of a webhook: it parses each with
// ParseWebhook and the same options, and passes the event to handle with
// the request's context. It answers 405 to a method other than POST, 413
// to a body over the cap (it reads at most the cap and one byte more),
// 400 to a body that does not parse, 401 when a required parameter is
// missing or wrong, 500 when the options are invalid or handle returns an
// error, and 204 otherwise. handle is called only for an authenticated
// delivery. Error answers carry the status text alone, and nothing is
// logged, so neither the body nor a parameter leaks.
//
// A nil handle panics, as http.Handle does for a nil handler.
func WebhookHandler(handle func(context.Context, *WebhookEvent) error, opts ...WebhookOption) http.Handler {
	if handle == nil {
		panic("convirza: WebhookHandler: nil handle func")
	}
	cfg := newWebhookConfig(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != webhookMethod {
			w.Header().Set("Allow", webhookMethod)
			webhookAnswer(w, http.StatusMethodNotAllowed)
			return
		}
		if r.Body != nil {
			// Past the cap the server closes the connection instead of
			// draining what the sender still has.
			r.Body = http.MaxBytesReader(w, r.Body, cfg.maxBytes)
		}
		ev, err := cfg.parse(r)
		switch {
		case errors.Is(err, ErrInvalidParams):
			webhookAnswer(w, http.StatusInternalServerError)
		case errors.Is(err, ErrWebhookTooLarge):
			webhookAnswer(w, http.StatusRequestEntityTooLarge)
		case errors.Is(err, ErrWebhookAuth):
			webhookAnswer(w, http.StatusUnauthorized)
		case err != nil:
			webhookAnswer(w, http.StatusBadRequest)
		case handle(r.Context(), ev) != nil:
			webhookAnswer(w, http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
}

func webhookAnswer(w http.ResponseWriter, status int) {
	http.Error(w, http.StatusText(status), status)
}
