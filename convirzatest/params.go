package convirzatest

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// object is a JSON request body decoded one member at a time, so that
// handlers can tell "absent" from "null" from a value (PATCH needs all
// three) and report a wrong type against the field that has it. Getters
// collect errors; err returns them as one 400.
type object struct {
	m    map[string]json.RawMessage
	errs []fieldError
}

// object decodes the body as a JSON object. Anything else (empty, malformed,
// an array, null) is a 400 on the field "body".
func (c *call) object() (*object, *apiError) {
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil, invalid(fieldError{"body", "a JSON object is required"})
	}
	if err := json.Unmarshal(c.body, &m); err != nil || m == nil {
		return nil, invalid(fieldError{"body", "must be a JSON object"})
	}
	return &object{m: m}, nil
}

// fail records a validation error, once per field.
func (o *object) fail(field, msg string) {
	if !slices.ContainsFunc(o.errs, func(e fieldError) bool { return e.Field == field }) {
		o.errs = append(o.errs, fieldError{field, msg})
	}
}

// err returns the collected errors as a 400, or nil.
func (o *object) err() *apiError {
	if len(o.errs) == 0 {
		return nil
	}
	return invalid(o.errs...)
}

// given reports whether the member was sent with a value other than null.
func (o *object) given(name string) bool { return o.has(name) && !o.isNull(name) }

// has reports whether the member was sent, null included.
func (o *object) has(name string) bool { _, ok := o.m[name]; return ok }

// isNull reports whether the member was sent as JSON null.
func (o *object) isNull(name string) bool {
	raw, ok := o.m[name]
	return ok && string(bytes.TrimSpace(raw)) == "null"
}

// value decodes a member into v. It returns false when the member is absent
// or null, or has the wrong type (then it records typeMsg against the field).
func (o *object) value(name string, v any, typeMsg string) bool {
	if !o.has(name) || o.isNull(name) {
		return false
	}
	if err := json.Unmarshal(o.m[name], v); err != nil {
		o.fail(name, typeMsg)
		return false
	}
	return true
}

func (o *object) str(name string) (string, bool) {
	var s string
	ok := o.value(name, &s, "must be a string")
	return s, ok
}

// int accepts JSON integers only: 1.5, "1" and 1e400 are type errors.
func (o *object) int(name string) (int64, bool) {
	var n int64
	ok := o.value(name, &n, "must be an integer")
	return n, ok
}

func (o *object) boolean(name string) (bool, bool) {
	var b bool
	ok := o.value(name, &b, "must be a boolean")
	return b, ok
}

// strs accepts an array of strings or a single string (read as a one-element
// array): the docs never show a non-null value for such fields.
func (o *object) strs(name string) ([]string, bool) {
	if !o.has(name) || o.isNull(name) {
		return nil, false
	}
	var one string
	if json.Unmarshal(o.m[name], &one) == nil {
		return []string{one}, true
	}
	var many []string
	ok := o.value(name, &many, "must be an array of strings or a string")
	if ok && many == nil {
		many = []string{}
	}
	return many, ok
}

// text reads a required, non-blank string.
func (o *object) text(name string) (string, bool) {
	if !o.has(name) || o.isNull(name) {
		o.fail(name, "is required")
		return "", false
	}
	s, ok := o.str(name)
	if ok && strings.TrimSpace(s) == "" {
		o.fail(name, "must not be empty")
		return "", false
	}
	return s, ok
}

// query reads query parameters with the same error collection as object. An
// empty value (?limit=) counts as absent.
type query struct {
	v    url.Values
	errs []fieldError
}

func (c *call) query() *query { return &query{v: c.r.URL.Query()} }

func (q *query) err() *apiError {
	if len(q.errs) == 0 {
		return nil
	}
	return invalid(q.errs...)
}

func (q *query) str(name string) string { return q.v.Get(name) }

// int reads an integer in [lo, hi], or def when absent.
func (q *query) int(name string, def, lo, hi int64) int64 {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		q.errs = append(q.errs, fieldError{name, "must be an integer"})
	case n < lo || n > hi:
		msg := "must be between " + strconv.FormatInt(lo, 10) + " and " + strconv.FormatInt(hi, 10)
		if hi == math.MaxInt64 {
			msg = "must be at least " + strconv.FormatInt(lo, 10)
		}
		q.errs = append(q.errs, fieldError{name, msg})
	default:
		return n
	}
	return def
}

// enum reads one of the allowed values (case-sensitive, like the API's
// enums), or def when absent.
func (q *query) enum(name, def string, allowed ...string) string {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	if !slices.Contains(allowed, s) {
		q.errs = append(q.errs, fieldError{name, "must be one of: " + strings.Join(allowed, ", ")})
		return def
	}
	return s
}

// paging reads limit (1..200, default def) and offset (>= 0, default 0): the
// documented pagination rules P1 and P2.
func (q *query) paging(def int64) (limit, offset int) {
	l := q.int("limit", def, 1, 200)
	o := q.int("offset", 0, 0, math.MaxInt64)
	return int(l), int(min(o, math.MaxInt32)) // an offset that large is past any list
}

// pathID parses the {name} path segment as an id. A segment that is not a
// positive integer is a 400, like any malformed parameter, and comes before
// the 404 for ids that do not exist.
func (c *call) pathID(name string) (int64, *apiError) {
	n, err := strconv.ParseInt(c.r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid(fieldError{name, "must be a positive integer"})
	}
	return n, nil
}

// idAndBody reads what PUT and PATCH /…/{id} start with: the {id} path
// segment, then the body with decode. A malformed id is a 400 that comes
// before the body's.
func idAndBody[B any](c *call, patch bool, decode func(patch bool) (B, *apiError)) (int64, B, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		var none B
		return 0, none, err
	}
	b, err := decode(patch)
	return id, b, err
}

// notFound is the 404 for an id that does not exist or lies outside the
// caller's scope; the two are indistinguishable on purpose (S1).
func notFound(what string) *apiError {
	return errorf(http.StatusNotFound, "%s not found", what)
}

// field is one decoded body member: whether it was sent, whether it was null,
// and its value otherwise. PATCH applies exactly the members that were sent.
type field[T any] struct {
	set, null bool
	v         T
}

// Body members of create, PUT and PATCH. On create and PUT (patch false) a
// required member must be present, and null counts as absent on a member
// that is not nullable; on PATCH every member is optional, and null is
// refused where the field is not nullable.

// member reads a member that is not nullable with read (o.str, o.int...).
func member[T any](o *object, name string, required, patch bool, read func(string) (T, bool)) (f field[T]) {
	switch {
	case !o.has(name) || (o.isNull(name) && !patch):
		if required && !patch {
			o.fail(name, "is required")
		}
	case o.isNull(name):
		o.fail(name, "must not be null")
	default:
		f.v, f.set = read(name)
	}
	return f
}

// nullable reads a member that null clears: null is then sent, and null.
func nullable[T any](o *object, name string, read func(string) (T, bool)) (f field[T]) {
	if o.isNull(name) {
		return field[T]{set: true, null: true}
	}
	f.v, f.set = read(name)
	return f
}

// textMember reads a non-blank string.
func textMember(o *object, name string, required, patch bool) field[string] {
	f := member(o, name, required, patch, o.str)
	if f.set && strings.TrimSpace(f.v) == "" {
		o.fail(name, "must not be empty")
		f.set = false
	}
	return f
}

// idMember reads a positive integer.
func idMember(o *object, name string, required, patch bool) field[int64] {
	return positive(o, name, member(o, name, required, patch, o.int))
}

// nullableIDMember reads a positive integer that null clears.
func nullableIDMember(o *object, name string) field[int64] {
	return positive(o, name, nullable(o, name, o.int))
}

func positive(o *object, name string, f field[int64]) field[int64] {
	if f.set && !f.null && f.v <= 0 {
		o.fail(name, "must be a positive integer")
		f.set = false
	}
	return f
}

// enumMember reads one of the allowed values (case-sensitive).
func enumMember(o *object, name string, patch bool, allowed ...string) field[string] {
	f := member(o, name, false, patch, o.str)
	if f.set && !slices.Contains(allowed, f.v) {
		o.fail(name, "must be one of: "+strings.Join(allowed, ", "))
		f.set = false
	}
	return f
}

// statusMember reads a record's status: active or inactive.
func statusMember(o *object, name string, patch bool) field[string] {
	f := member(o, name, false, patch, o.str)
	o.wantStatus(name, f)
	return f
}

// wantStatus refuses a status other than active or inactive.
func (o *object) wantStatus(name string, f field[string]) {
	if f.set && f.v != statusActive && f.v != statusInactive {
		o.fail(name, "must be active or inactive")
	}
}

// requireChange is X1: a PATCH body must name one of fields at least. It is
// checked last, so it adds nothing to a body that already has errors.
func (o *object) requireChange(fields []string) {
	if len(o.errs) == 0 && !slices.ContainsFunc(fields, o.has) {
		o.fail("body", "must change at least one field")
	}
}

// setValue writes a member that is not nullable onto a record field: the
// value when it was sent, else (when full: create and PUT) def.
func setValue[T any](dst *T, f field[T], full bool, def T) {
	switch {
	case f.set:
		*dst = f.v
	case full:
		*dst = def
	}
}

// setNullable writes a nullable member onto a record field: the value, or
// nil when it was null, or (when full) nil when it was not sent.
func setNullable[T any](dst **T, f field[T], full bool) {
	switch {
	case f.set && !f.null:
		*dst = &f.v
	case f.set || full:
		*dst = nil
	}
}
