package api

import (
	"encoding/json"

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
