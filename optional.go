package convirza

import "encoding/json"

// Optional is a three-state request field for PATCH bodies: left out (the
// zero value: the server leaves the field unchanged), set to JSON null
// (Null), or set to a value (Set). Fields of this type carry the
// `omitzero` JSON option, so an unset field never reaches the wire.
//
//	convirza.PatchUserParams{
//		FirstName:   convirza.Set("Ada"),          // "first_name": "Ada"
//		ExtID:       convirza.Null[string](),      // "user_ext_id": null
//		                                           // last_name: not sent
//	}
type Optional[T any] struct {
	value T
	state optionalState
}

type optionalState uint8

const (
	unset optionalState = iota
	null
	present
)

// Set returns an Optional that sends v.
func Set[T any](v T) Optional[T] { return Optional[T]{value: v, state: present} }

// Null returns an Optional that sends JSON null, clearing the field.
func Null[T any]() Optional[T] { return Optional[T]{state: null} }

// IsZero reports whether the field is left out; encoding/json's omitzero
// calls it.
func (o Optional[T]) IsZero() bool { return o.state == unset }

// IsNull reports whether the field is sent as null.
func (o Optional[T]) IsNull() bool { return o.state == null }

// Get returns the value and whether one is set (false for unset and null).
func (o Optional[T]) Get() (T, bool) { return o.value, o.state == present }

// MarshalJSON encodes null or the value. An unset field is omitted by its
// `omitzero` tag before this is called; alone it encodes as null.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if o.state != present {
		return []byte("null"), nil
	}
	return json.Marshal(o.value)
}

// UnmarshalJSON reads null as Null and anything else as Set.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*o = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Set(v)
	return nil
}
