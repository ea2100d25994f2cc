package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/apperr"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		ev    Event
		field string // empty: valid
	}{
		{"valid", Event{ID: "e1", Type: "comment.created", Payload: json.RawMessage(`{"a":1}`)}, ""},
		{"generated id", Event{Type: "comment.created", Payload: json.RawMessage(` {"a":1} `)}, ""},
		{"array payload", Event{Type: "t", Payload: json.RawMessage(`[1]`)}, "body.payload"},
		{"string payload", Event{Type: "t", Payload: json.RawMessage(`"x"`)}, "body.payload"},
		{"broken payload", Event{Type: "t", Payload: json.RawMessage(`{"a":`)}, "body.payload"},
		{"empty payload", Event{Type: "t"}, "body.payload"},
		{"huge payload", Event{Type: "t", Payload: json.RawMessage(`{"a":"` + strings.Repeat("x", MaxPayloadBytes) + `"}`)}, "body.payload"},
		{"id with space", Event{ID: "a b", Type: "t", Payload: json.RawMessage(`{}`)}, "body.id"},
		{"id too long", Event{ID: strings.Repeat("x", 256), Type: "t", Payload: json.RawMessage(`{}`)}, "body.id"},
		{"no type", Event{Payload: json.RawMessage(`{}`)}, "body.type"},
		{"invalid UTF-8 in payload", Event{Type: "t", Payload: json.RawMessage("{\"a\":\"\xff\"}")}, "body.payload"},
		{"invalid UTF-8 in type", Event{Type: "comment.\xff", Payload: json.RawMessage(`{}`)}, "body.type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			err := Validate(&ev)
			if tc.field == "" {
				if err != nil || ev.ID == "" {
					t.Fatalf("Validate = %v, id %q", err, ev.ID)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Field != tc.field {
				t.Fatalf("Validate = %v, want an error on %s", err, tc.field)
			}
		})
	}
}

// Validate never panics; what it accepts is a JSON object within the size
// limit with a printable id.
func FuzzValidate(f *testing.F) {
	f.Add("e1", "comment.created", []byte(`{"a":1}`))
	f.Add("", "x", []byte(`[]`))
	f.Add("é", "", []byte(`{`))
	f.Add("id", "t", []byte("{\"a\":\"\x00\"}"))
	f.Fuzz(func(t *testing.T, id, typ string, payload []byte) {
		ev := Event{ID: id, Type: typ, Payload: payload}
		if Validate(&ev) != nil {
			return
		}
		p := bytes.TrimSpace(ev.Payload)
		if len(p) == 0 || p[0] != '{' || !json.Valid(p) || len(p) > MaxPayloadBytes || !utf8.Valid(p) {
			t.Fatalf("accepted payload %q", payload)
		}
		if !utf8.ValidString(ev.Type) {
			t.Fatalf("accepted type %q", ev.Type)
		}
		if ev.ID == "" || len(ev.ID) > 255 || strings.ContainsAny(ev.ID, " \t\r\n") {
			t.Fatalf("accepted id %q", ev.ID)
		}
	})
}
