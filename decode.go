package convirza

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// decodeModel decodes the JSON object data into v, a pointer to a local alias
// of a model struct (so that the model's own UnmarshalJSON is not called
// again), and keeps a copy of data in *raw so that no field the server sends
// is lost.
//
// The fast path is a plain json.Unmarshal. Only when a field's type drifted
// from the model (an id sent as "123", a time in another layout) does it fall back
// to decoding field by field, coercing what can be coerced and leaving the
// rest at its zero value: one odd field never fails a whole call.
func decodeModel(data []byte, v any, raw *json.RawMessage) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	*raw = append((*raw)[:0], data...)
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	// Declared here, not above: errors.As makes it escape, and a
	// successful decode should not pay for its allocation.
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return err
	}
	return decodeLenient(data, reflect.ValueOf(v).Elem())
}

// jsonField is a struct field reachable by a JSON key.
type jsonField struct {
	name  string
	index []int
}

var fieldCache sync.Map // reflect.Type -> []jsonField

// jsonFields lists the JSON keys of struct type t, following embedded structs.
func jsonFields(t reflect.Type) []jsonField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]jsonField)
	}
	var out []jsonField
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct && name == "" {
				walk(sf.Type, idx)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			out = append(out, jsonField{name: name, index: idx})
		}
	}
	walk(t, nil)
	fieldCache.Store(t, out)
	return out
}

// decodeLenient decodes the object data into the struct v one field at a
// time, coercing drifted scalars.
func decodeLenient(data []byte, v reflect.Value) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	for _, f := range jsonFields(v.Type()) {
		raw, ok := obj[f.name]
		if !ok {
			for k, r := range obj {
				if strings.EqualFold(k, f.name) {
					raw, ok = r, true
					break
				}
			}
		}
		if !ok {
			continue
		}
		fv := v.FieldByIndex(f.index)
		if json.Unmarshal(raw, fv.Addr().Interface()) == nil {
			continue
		}
		fv.SetZero()
		coerce(raw, fv)
	}
	return nil
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// coerce sets fv from a scalar raw of another JSON type, when it can.
func coerce(raw json.RawMessage, fv reflect.Value) bool {
	if fv.Kind() == reflect.Pointer {
		nv := reflect.New(fv.Type().Elem())
		if !coerce(raw, nv.Elem()) {
			return false
		}
		fv.Set(nv)
		return true
	}
	text := scalarText(raw)
	switch {
	case fv.Type() == timeType:
		t, ok := parseTime(text)
		if ok {
			fv.Set(reflect.ValueOf(t))
		}
		return ok
	case fv.Type() == durationType:
		d, ok := parseDuration(text)
		if ok {
			fv.SetInt(int64(d))
		}
		return ok
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(text)
		return true
	case reflect.Bool:
		b, ok := parseBool(text)
		fv.SetBool(b)
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := parseInt(text)
		if ok && !fv.OverflowInt(n) {
			fv.SetInt(n)
			return true
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := parseInt(text)
		if ok && n >= 0 && !fv.OverflowUint(uint64(n)) {
			fv.SetUint(uint64(n))
			return true
		}
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if err == nil {
			fv.SetFloat(f)
			return true
		}
	case reflect.Slice:
		// A single value where a list was expected: a list of one.
		if fv.Type().Elem().Kind() == reflect.String && text != "" && raw[0] != '[' && raw[0] != '{' {
			fv.Set(reflect.ValueOf([]string{text}).Convert(fv.Type()))
			return true
		}
	}
	return false
}

// scalarText returns the text of a JSON string, or the literal of a number or
// boolean. Objects, arrays and null give "".
func scalarText(raw json.RawMessage) string {
	b, ok := scalarBytes(raw)
	if ok {
		return string(b)
	}
	var s string
	if json.Unmarshal(bytes.TrimSpace(raw), &s) == nil {
		return strings.TrimSpace(s)
	}
	return ""
}

// scalarBytes is scalarText without an allocation, for every value but a
// string with escapes (ok false: the caller unquotes it).
func scalarBytes(raw []byte) (b []byte, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, true
	}
	switch raw[0] {
	case '"':
		inner := raw[1:max(len(raw)-1, 1)]
		if len(raw) < 2 || raw[len(raw)-1] != '"' || bytes.IndexByte(inner, '\\') >= 0 || !utf8.Valid(inner) {
			return nil, false
		}
		return bytes.TrimSpace(inner), true
	case '{', '[', 'n':
		return nil, true
	}
	return raw, true
}

func parseInt(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f), true
	}
	switch strings.ToLower(s) {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	return 0, false
}

func parseBool(s string) (bool, bool) {
	return parseBoolBytes([]byte(s))
}

// parseBoolBytes reads the spellings of a boolean, ignoring case.
func parseBoolBytes(b []byte) (bool, bool) {
	for _, w := range [...]string{"true", "yes", "y", "1", "on"} {
		if len(b) == len(w) && bytes.EqualFold(b, []byte(w)) {
			return true, true
		}
	}
	for _, w := range [...]string{"false", "no", "n", "0", "off", ""} {
		if len(b) == len(w) && bytes.EqualFold(b, []byte(w)) {
			return false, true
		}
	}
	return false, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
	time.RFC1123,
}

// parseTime reads ISO-8601 and related layouts, and Unix times in seconds
// (or milliseconds, for values too large to be seconds).
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return unixTime(n), true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// unixTime is a Unix time in seconds, or in milliseconds for values too
// large to be seconds.
func unixTime(n int64) time.Time {
	if n > 1e12 || n < -1e12 {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// parseDuration reads "HH:MM:SS" (or "MM:SS"), a number of seconds, or a Go
// duration string such as "3m21s".
func parseDuration(s string) (time.Duration, bool) {
	if d, ok, done := parseClock(s); done {
		return d, ok
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// parseClock reads the forms of parseDuration other than Go's ("HH:MM:SS",
// "MM:SS", seconds); done is false for anything else. It keeps no
// reference to s, so a caller may pass a string converted on the stack.
func parseClock(s string) (d time.Duration, ok, done bool) {
	if s == "" {
		return 0, false, true
	}
	if strings.Contains(s, ":") {
		if strings.Count(s, ":") > 2 {
			return 0, false, true
		}
		var total float64
		for rest, more := s, true; more; {
			var p string
			p, rest, more = strings.Cut(rest, ":")
			f, err := strconv.ParseFloat(p, 64)
			if err != nil || f < 0 {
				return 0, false, true
			}
			total = total*60 + f
		}
		return time.Duration(total * float64(time.Second)), true, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Second)), true, true
	}
	return 0, false, false
}
