package convirza

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"sync"
)

// This file reads answers in one pass over a buffered body. encoding/json
// scans a value once to find its end and once more to check it before an
// UnmarshalJSON method sees it, at every level: an item of a list, inside
// "users", inside "data", inside the envelope, was scanned six times before
// its model decoded it. Here the envelope and the list keys are walked by a
// small validating scanner that hands each value straight to its final
// decoder, so a model's bytes are scanned once here and then only by the
// json.Unmarshal that decodes them.

// maxScanDepth is encoding/json's nesting limit.
const maxScanDepth = 10000

// scanError is a body that is not valid JSON.
type scanError struct {
	msg string
	off int
}

func (e *scanError) Error() string {
	return e.msg + " at offset " + strconv.Itoa(e.off)
}

var errScanEOF = errors.New("unexpected end of JSON input")

func scanFail(b []byte, i int, what string) error {
	if i >= len(b) {
		return errScanEOF
	}
	return &scanError{msg: "invalid character " + strconv.QuoteRune(rune(b[i])) + " " + what, off: i}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue checks the JSON value that starts at b[i] (after white space)
// and returns the offset just past it. It accepts exactly what
// encoding/json accepts.
func skipValue(b []byte, i int) (int, error) {
	return skipValueDepth(b, i, 0)
}

func skipValueDepth(b []byte, i, depth int) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, errScanEOF
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		if depth++; depth > maxScanDepth {
			return i, &scanError{msg: "exceeded max depth", off: i}
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		for {
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != '"' {
				return i, scanFail(b, i, "looking for beginning of object key string")
			}
			var err error
			if i, err = skipString(b, i); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, scanFail(b, i, "after object key")
			}
			if i, err = skipValueDepth(b, i+1, depth); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errScanEOF
			}
			switch b[i] {
			case ',':
				i++
			case '}':
				return i + 1, nil
			default:
				return i, scanFail(b, i, "after object key:value pair")
			}
		}
	case c == '[':
		if depth++; depth > maxScanDepth {
			return i, &scanError{msg: "exceeded max depth", off: i}
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		for {
			var err error
			if i, err = skipValueDepth(b, i, depth); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errScanEOF
			}
			switch b[i] {
			case ',':
				i++
			case ']':
				return i + 1, nil
			default:
				return i, scanFail(b, i, "after array element")
			}
		}
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return skipNumber(b, i)
	}
	return i, scanFail(b, i, "looking for beginning of value")
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	for k := range len(lit) {
		if i+k >= len(b) {
			return i + k, errScanEOF
		}
		if b[i+k] != lit[k] {
			return i + k, scanFail(b, i+k, "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

// plainByte marks the bytes that stand for themselves inside a string: all
// but the quote, the backslash and the control characters.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// specialIn8 reports whether any of the eight bytes of x is a quote, a
// backslash or a control character (below 0x20), with the exact
// "has a zero byte" and "has a byte below n" bit tricks.
func specialIn8(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	bs := x ^ (lo * '\\')
	return ((q-lo)&^q|(bs-lo)&^bs|(x-lo*0x20)&^x)&hi != 0
}

// skipString checks the string that starts at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	i++
	for i < len(b) {
		// Most bytes are plain: eight at a time while none of them is a
		// quote, a backslash or a control character, then one table
		// look-up each.
		for i+8 <= len(b) && !specialIn8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			i++
			if i >= len(b) {
				return i, errScanEOF
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				for k := 1; k <= 4; k++ {
					if i+k >= len(b) {
						return i + k, errScanEOF
					}
					if !isHex(b[i+k]) {
						return i + k, scanFail(b, i+k, "in \\u hexadecimal character escape")
					}
				}
				i += 5
			default:
				return i, scanFail(b, i, "in string escape code")
			}
		case c < 0x20:
			return i, scanFail(b, i, "in string literal")
		default:
			i++
		}
	}
	return i, errScanEOF
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func skipNumber(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, errScanEOF
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return i, scanFail(b, i, "in numeric literal")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) {
			return i, errScanEOF
		}
		if !isDigit(b[i]) {
			return i, scanFail(b, i, "after decimal point in numeric literal")
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) {
			return i, errScanEOF
		}
		if !isDigit(b[i]) {
			return i, scanFail(b, i, "in exponent of numeric literal")
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i, nil
}

// walkObject reads the object that starts at b[i] (after white space),
// calling field for each key with the offset of its value; field returns
// the offset just past the value. walkObject returns the offset just past
// the object. A null is an object without keys.
func walkObject(b []byte, i int, field func(key []byte, b []byte, i int) (int, error)) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, errScanEOF
	}
	if b[i] == 'n' {
		return skipLiteral(b, i, "null")
	}
	if b[i] != '{' {
		return i, errNotObject
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return i, scanFail(b, i, "looking for beginning of object key string")
		}
		start := i
		var err error
		if i, err = skipString(b, i); err != nil {
			return i, err
		}
		key := b[start+1 : i-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(b[start:i], &s); err != nil {
				return i, err
			}
			key = []byte(s)
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, scanFail(b, i, "after object key")
		}
		if i, err = field(key, b, skipSpace(b, i+1)); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, errScanEOF
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return i + 1, nil
		default:
			return i, scanFail(b, i, "after object key:value pair")
		}
	}
}

// errNotObject is returned by walkObject for a value that is neither an
// object nor null; callers fall back to encoding/json for its error.
var errNotObject = errors.New("not an object")

// keyIs reports whether a JSON key names the field name, with the
// case-insensitive match encoding/json uses.
func keyIs(key []byte, name string) bool {
	return string(key) == name || len(key) == len(name) && bytes.EqualFold(key, []byte(name))
}

// dataDecoder is a target that reads its value from a body in place, in one
// pass (a list page). decodeData decodes the value at b[i] (after white
// space) and returns the offset just past it.
type dataDecoder interface {
	decodeData(b []byte, i int) (int, error)
}

// decodeInto decodes the value at b[i] into out, as encoding/json would
// decode it into a field of type any holding out, and returns the offset
// just past it.
func decodeInto(b []byte, i int, out any) (int, error) {
	if d, ok := out.(dataDecoder); ok {
		return d.decodeData(b, i)
	}
	end, err := skipValue(b, i)
	if err != nil {
		return end, err
	}
	i = skipSpace(b, i)
	v := b[i:end]
	if v[0] == 'n' {
		// A null leaves out as it is, unless out points at a pointer,
		// which becomes nil.
		if rv := reflect.ValueOf(out); rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Pointer {
			rv.Elem().SetZero()
		}
		return end, nil
	}
	return end, decodeValue(v, out)
}

// decodeValue decodes one checked value into the pointer out: through its
// UnmarshalJSON when it has one (the check is done), else with
// json.Unmarshal.
func decodeValue(v []byte, out any) error {
	if u, ok := out.(json.Unmarshaler); ok {
		return u.UnmarshalJSON(v)
	}
	return unmarshal(v, out)
}

// spanPool recycles the element offsets of decodeList.
var spanPool = sync.Pool{New: func() any { s := make([]int, 0, 2*MaxLimit+2); return &s }}

// decodeList decodes the array at b[i] into *dst, allocating the slice once
// at its final length, and returns the offset just past the array. A null
// sets *dst to nil; any other value is left to encoding/json, for its error.
func decodeList[T any](b []byte, i int, dst *[]T) (int, error) {
	i = skipSpace(b, i)
	if i < len(b) && b[i] == 'n' {
		*dst = nil
		return skipLiteral(b, i, "null")
	}
	if i >= len(b) || b[i] != '[' {
		end, err := skipValue(b, i)
		if err != nil {
			return end, err
		}
		return end, json.Unmarshal(b[i:end], dst)
	}
	sp := spanPool.Get().(*[]int)
	defer spanPool.Put(sp)
	spans := (*sp)[:0]
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		for {
			start := skipSpace(b, i)
			end, err := skipValueDepth(b, start, 1)
			if err != nil {
				return end, err
			}
			spans = append(spans, start, end)
			i = skipSpace(b, end)
			if i >= len(b) {
				return i, errScanEOF
			}
			if b[i] == ']' {
				i++
				break
			}
			if b[i] != ',' {
				return i, scanFail(b, i, "after array element")
			}
			i++
		}
	}
	*sp = spans
	items := make([]T, len(spans)/2)
	for k := range items {
		if err := decodeValue(b[spans[2*k]:spans[2*k+1]], &items[k]); err != nil {
			return i, err
		}
	}
	*dst = items
	return i, nil
}
