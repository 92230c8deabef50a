package convirza

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// encodeQuery turns a params struct (or a pointer to one; nil gives nil)
// into query values. Fields are named by their `url:"name"` tag; a field
// with ",omitempty" is left out at its zero value. Pointers are followed,
// times are written as RFC 3339 in UTC, and slices repeat the key unless
// the tag says ",comma" (one comma-joined value). Fields without a url tag
// are not part of the query.
func encodeQuery(params any) url.Values {
	v := reflect.ValueOf(params)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	q := url.Values{}
	addStruct(q, v)
	return q
}

type queryField struct {
	name      string
	index     int
	omitEmpty bool
	comma     bool
	embedded  bool
}

var queryCache sync.Map // reflect.Type -> []queryField

func queryFields(t reflect.Type) []queryField {
	if f, ok := queryCache.Load(t); ok {
		return f.([]queryField)
	}
	var out []queryField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("url")
		if sf.Anonymous && !ok && sf.Type.Kind() == reflect.Struct {
			out = append(out, queryField{index: i, embedded: true})
			continue
		}
		if !ok || tag == "-" || !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		out = append(out, queryField{
			name:      name,
			index:     i,
			omitEmpty: strings.Contains(opts, "omitempty"),
			comma:     strings.Contains(opts, "comma"),
		})
	}
	queryCache.Store(t, out)
	return out
}

func addStruct(q url.Values, v reflect.Value) {
	for _, f := range queryFields(v.Type()) {
		fv := v.Field(f.index)
		if f.embedded {
			addStruct(q, fv)
			continue
		}
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		for fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				break
			}
			fv = fv.Elem()
		}
		if fv.Kind() == reflect.Pointer {
			continue // a nil pointer: nothing to send
		}
		if fv.Kind() == reflect.Slice {
			vals := make([]string, fv.Len())
			for i := range vals {
				vals[i] = queryValue(fv.Index(i))
			}
			if f.comma {
				q.Set(f.name, strings.Join(vals, ","))
			} else {
				q[f.name] = append(q[f.name], vals...)
			}
			continue
		}
		q.Set(f.name, queryValue(fv))
	}
}

func queryValue(v reflect.Value) string {
	if t, ok := v.Interface().(time.Time); ok {
		return t.UTC().Format(time.RFC3339)
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}

// pathf builds a request path from a format whose verbs are all %v, escaping
// each argument as one path segment: an id can never reach another path,
// whatever it holds ("../", "%2F", "?", "#"). It is built in one allocation
// (ids are written as digits, which need no escaping); a format with any
// other verb goes through fmt.
func pathf(format string, args ...any) string {
	var b strings.Builder
	b.Grow(len(format) + 20*len(args))
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if i+1 >= len(format) || format[i+1] != 'v' || n >= len(args) {
			return pathfSlow(format, args)
		}
		i++
		switch a := args[n].(type) {
		case int64:
			var digits [20]byte
			b.Write(strconv.AppendInt(digits[:0], a, 10))
		case int:
			var digits [20]byte
			b.Write(strconv.AppendInt(digits[:0], int64(a), 10))
		case string:
			b.WriteString(escapeSegment(a))
		default:
			b.WriteString(escapeSegment(fmt.Sprint(a)))
		}
		n++
	}
	if n != len(args) {
		return pathfSlow(format, args)
	}
	return b.String()
}

// pathfSlow is pathf through fmt, for formats with other verbs (and for
// fmt's report of a mismatch between verbs and arguments).
func pathfSlow(format string, args []any) string {
	escaped := make([]any, len(args))
	for i, a := range args {
		escaped[i] = escapeSegment(fmt.Sprint(a))
	}
	return fmt.Sprintf(format, escaped...)
}

func escapeSegment(s string) string {
	switch s {
	case ".", "..":
		return strings.ReplaceAll(s, ".", "%2E")
	}
	return url.PathEscape(s)
}
