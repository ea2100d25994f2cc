package api

import (
	"bytes"
	"encoding/json"

	"github.com/danielgtaylor/huma/v2"
)

// JSONDoc is a JSON object kept as its bytes, or null.
type JSONDoc json.RawMessage

// MarshalJSON writes the document, or null.
func (d JSONDoc) MarshalJSON() ([]byte, error) {
	if len(d) == 0 {
		return []byte("null"), nil
	}
	return json.RawMessage(d).MarshalJSON()
}

// UnmarshalJSON keeps the bytes (null: empty).
func (d *JSONDoc) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*d = nil
		return nil
	}
	*d = append((*d)[:0], b...)
	return nil
}

// Schema documents it as an open JSON object or null.
func (JSONDoc) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, Nullable: true, AdditionalProperties: true}
}

// OptionalDoc is a PUT field that tells absent (keep), null (remove) and a
// JSON object apart.
type OptionalDoc struct {
	Set   bool
	Value *json.RawMessage // nil: null
}

// UnmarshalJSON notes the field was sent.
func (o *OptionalDoc) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Value = nil
		return nil
	}
	v := json.RawMessage(append([]byte(nil), b...))
	o.Value = &v
	return nil
}

// Schema documents it as an open JSON object or null.
func (OptionalDoc) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, Nullable: true, AdditionalProperties: true}
}
