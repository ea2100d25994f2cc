package api

import (
	"encoding/json"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

// OptionalInt is a PATCH field that tells absent (keep), null (remove) and a
// value apart.
type OptionalInt struct {
	Set   bool // present in the body
	Value *int // nil: null
}

// UnmarshalJSON notes the field was sent.
func (o *OptionalInt) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Schema documents it as a nullable integer of 1–10000 (a rate limit).
func (OptionalInt) Schema(huma.Registry) *huma.Schema {
	lo, hi := 1.0, 10000.0
	return &huma.Schema{Type: huma.TypeInteger, Nullable: true, Minimum: &lo, Maximum: &hi}
}

// Nullable is a PATCH field that tells absent (keep), null (remove) and a
// value apart, for any JSON type.
type Nullable[T any] struct {
	Set   bool
	Value *T // nil: null
}

// UnmarshalJSON notes the field was sent.
func (o *Nullable[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Schema documents it as T's schema, or null.
func (Nullable[T]) Schema(r huma.Registry) *huma.Schema { return nullableOf[T](r) }

// nullableOf is T's schema inline, made nullable.
func nullableOf[T any](r huma.Registry) *huma.Schema {
	s := *r.Schema(reflect.TypeFor[T](), false, "")
	s.Nullable = true
	return &s
}

// HeaderPatch is an RFC 7396 merge patch of headers: a null value removes
// that header.
type HeaderPatch map[string]*string

// Schema documents it as an object of nullable strings.
func (HeaderPatch) Schema(huma.Registry) *huma.Schema {
	n := 20
	return &huma.Schema{Type: huma.TypeObject, MaxProperties: &n, AdditionalProperties: &huma.Schema{Type: huma.TypeString, Nullable: true}}
}
