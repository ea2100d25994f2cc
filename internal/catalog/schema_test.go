package catalog

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/hookline/hookline/internal/apperr"
)

const commentSchema = `{
	"type": "object",
	"required": ["comment_id", "author"],
	"properties": {
		"comment_id": {"type": "string"},
		"author": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
		"tags": {"type": "array", "items": {"type": "string"}},
		"score": {"type": "integer", "minimum": 0}
	}
}`

func TestValidatePayload(t *testing.T) {
	t.Parallel()
	sch, err := Compile([]byte(commentSchema))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		payload string
		fields  []string // failing locations; none: valid
	}{
		{"valid", `{"comment_id":"c1","author":{"id":"u1"},"tags":["a"],"score":3}`, nil},
		{"missing required", `{"author":{"id":"u1"}}`, []string{"body.payload/comment_id"}},
		{"missing nested and top-level", `{"author":{}}`, []string{"body.payload/author/id", "body.payload/comment_id"}},
		{"wrong type", `{"comment_id":42,"author":{"id":"u1"}}`, []string{"body.payload/comment_id"}},
		{"nested", `{"comment_id":"c1","author":{"id":7}}`, []string{"body.payload/author/id"}},
		{"array item", `{"comment_id":"c1","author":{"id":"u1"},"tags":["a",2,"b"]}`, []string{"body.payload/tags/1"}},
		{"several at once", `{"comment_id":1,"author":{},"score":-1}`, []string{"body.payload/author/id", "body.payload/comment_id", "body.payload/score"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(sch, []byte(tc.payload), "body.payload")
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("valid payload refused: %v", err)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != apperr.KindInvalid {
				t.Fatalf("Validate = %v, want a 422", err)
			}
			var got []string
			for _, d := range e.Details {
				got = append(got, d.Field)
				if d.Msg == "" {
					t.Errorf("%s has no message", d.Field)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("failing locations %v, want %v", got, tc.fields)
			}
		})
	}
}

// A schema cannot reach outside itself: no file, no URL.
func TestCompileRefusesExternalReferences(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`{"$ref":"file:///etc/passwd"}`, `{"$ref":"https://example.com/s.json"}`, `{"type":`, `{"type":"no-such-type"}`} {
		if _, err := Compile([]byte(s)); err == nil {
			t.Errorf("compiled %s", s)
		}
	}
}

// Validation never panics, and what it accepts matches the schema's
// required fields.
func FuzzValidatePayload(f *testing.F) {
	sch, err := Compile([]byte(commentSchema))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"comment_id":"c1","author":{"id":"u1"}}`))
	f.Add([]byte(`{"comment_id":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"tags":[1,{"a":null}],"author":{"id":"x"},"comment_id":"\u0000"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := Validate(sch, payload, "body.payload")
		if err != nil {
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != apperr.KindInvalid {
				t.Fatalf("non-422 error: %v", err)
			}
			return
		}
		var v struct {
			CommentID *string `json:"comment_id"`
			Author    *struct {
				ID *string `json:"id"`
			} `json:"author"`
		}
		if json.Unmarshal(payload, &v) != nil || v.CommentID == nil || v.Author == nil || v.Author.ID == nil {
			t.Fatalf("accepted %q", payload)
		}
	})
}
