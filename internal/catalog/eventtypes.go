package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
)

// List returns the catalogue (reserved types aside), by name.
func List(ctx context.Context, q *dbq.Queries) ([]dbq.EventType, error) {
	return q.ListEventTypes(ctx)
}

// Get returns one event type.
func Get(ctx context.Context, q *dbq.Queries, name string) (dbq.EventType, error) {
	t, err := q.GetEventType(ctx, name)
	if db.IsNotFound(err) {
		return t, apperr.NotFound("event type")
	}
	return t, err
}

// typeName is what an event type may be called: dotted lowercase words.
var typeName = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// Optional is a field of a Put: absent (keep), null, or a value.
type Optional[T any] struct {
	Set   bool
	Value *T
}

// PutInput changes or creates a type; absent fields keep their value (a new
// type: empty description, no schema, no example, not deprecated).
type PutInput struct {
	Description *string
	Schema      Optional[json.RawMessage]
	Example     Optional[json.RawMessage]
	Deprecated  *bool
}

// Put creates or updates a producer event type. The schema must compile
// (JSON Schema 2020-12) and the example must satisfy it; Hookline's own types
// (reserved, operational) cannot be changed.
func Put(ctx context.Context, pool *pgxpool.Pool, c audit.Caller, name string, in PutInput) (dbq.EventType, error) {
	if len(name) > 255 || !typeName.MatchString(name) {
		return dbq.EventType{}, apperr.Invalid("path.name", name, "an event type name is dotted lowercase words, e.g. comment.created")
	}
	var out dbq.EventType
	err := db.Tx(ctx, pool, func(q *dbq.Queries) error {
		cur, err := q.GetEventTypes(ctx, []string{name})
		if err != nil {
			return err
		}
		next := dbq.PutEventTypeParams{Name: name}
		if len(cur) > 0 {
			if cur[0].Reserved || cur[0].Operational {
				return apperr.Invalid("path.name", name, "event type %q is Hookline's own and cannot be changed", name)
			}
			next.Description, next.Schema, next.Example, next.Deprecated = cur[0].Description, cur[0].Schema, cur[0].Example, cur[0].Deprecated
		}
		if err := apply(&next, in); err != nil {
			return err
		}
		if out, err = q.PutEventType(ctx, next); err != nil {
			return err
		}
		// The catalogue is every tenant's: a global audit row (schema and
		// example by whether they are set, not their content).
		return c.Record(ctx, q, "event_type.put", "event_type", name, map[string]any{
			"created": len(cur) == 0, "description": out.Description, "deprecated": out.Deprecated,
			"has_schema": len(out.Schema) > 0, "has_example": len(out.Example) > 0,
		})
	})
	return out, err
}

// apply sets in's fields on p and checks schema and example together.
func apply(p *dbq.PutEventTypeParams, in PutInput) error {
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Deprecated != nil {
		p.Deprecated = *in.Deprecated
	}
	if in.Schema.Set {
		p.Schema = raw(in.Schema.Value)
	}
	if in.Example.Set {
		p.Example = raw(in.Example.Value)
	}
	if p.Example != nil && !isObject(p.Example) {
		return apperr.Invalid("body.example", nil, "an example is a JSON object, as every payload is")
	}
	if p.Schema == nil {
		return nil
	}
	sch, err := Compile(p.Schema)
	if err != nil {
		return apperr.Invalid("body.schema", nil, "not a valid JSON Schema (2020-12): %s", err.Error())
	}
	if p.Example != nil {
		return Validate(sch, p.Example, "body.example")
	}
	return nil
}

func raw(v *json.RawMessage) []byte {
	if v == nil || bytes.Equal(bytes.TrimSpace(*v), []byte("null")) {
		return nil
	}
	return *v
}

func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
