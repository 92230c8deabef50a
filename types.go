package convirza

import (
	"encoding/json"
	"strconv"
	"time"
)

// Bool is a boolean the API sometimes sends as a string: it decodes true,
// false, "Yes", "No", "true", "false", 1 and 0, and encodes as a JSON boolean.
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bool) UnmarshalJSON(data []byte) error {
	text, ok := scalarBytes(data)
	if !ok {
		text = []byte(scalarText(data))
	}
	v, _ := parseBoolBytes(text)
	*b = Bool(v)
	return nil
}

// Time is a point in time the API sends either as an ISO-8601 string or as a
// Unix time in seconds. It encodes as RFC 3339.
type Time struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler. An empty or unreadable value
// leaves the zero time.
func (t *Time) UnmarshalJSON(data []byte) error {
	// A Unix time is read from the bytes, without a string.
	if b, ok := scalarBytes(data); ok && len(b) > 0 && len(b) <= 32 {
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			t.Time = unixTime(n)
			return nil
		}
	}
	t.Time, _ = parseTime(scalarText(data))
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time)
}

// Duration is a length of time the API sends as "HH:MM:SS" or as a number of
// seconds. It encodes as "HH:MM:SS".
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var v time.Duration
	b, ok := scalarBytes(data)
	done := false
	if ok && len(b) <= 32 {
		v, _, done = parseClock(string(b)) // short: converted on the stack
	}
	if !done {
		v, _ = parseDuration(scalarText(data))
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	s := int64(time.Duration(d) / time.Second)
	return []byte(strconv.Quote(pad2(s/3600) + ":" + pad2(s/60%60) + ":" + pad2(s%60))), nil
}

// String returns the duration in Go's notation, such as "3m21s".
func (d Duration) String() string { return time.Duration(d).String() }

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// Created is the answer to a create: the new record's id, read from whichever
// id key the server used ("userId", "orgUnitId", "id", ...).
type Created struct {
	ID  int64
	Raw json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Created) UnmarshalJSON(data []byte) error {
	c.Raw = append(c.Raw[:0], data...)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		// A bare id.
		c.ID, _ = parseInt(scalarText(data))
		return nil
	}
	c.ID = idFrom(obj)
	return nil
}

// idFrom finds the id in a create or delete answer: the key "id", or the one
// key that ends in "Id" or "_id".
func idFrom(obj map[string]json.RawMessage) int64 {
	if raw, ok := obj["id"]; ok {
		if n, ok := parseInt(scalarText(raw)); ok {
			return n
		}
	}
	for k, raw := range obj {
		if len(k) > 2 && (k[len(k)-2:] == "Id" || k[len(k)-3:] == "_id") {
			if n, ok := parseInt(scalarText(raw)); ok {
				return n
			}
		}
	}
	return 0
}
