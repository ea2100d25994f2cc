package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/catalog"
)

type eventTypesOutput struct {
	Body []string `example:"[\"comment.created\",\"comment.deleted\",\"comment.updated\",\"member.joined\",\"reaction.added\"]"`
}

// EventType is a type of event in the catalogue.
type EventType struct {
	Name        string  `json:"name" example:"comment.created"`
	Description string  `json:"description"`
	Schema      JSONDoc `json:"schema" doc:"JSON Schema (2020-12) every payload of this type satisfies; null: any object"`
	Example     JSONDoc `json:"example" doc:"an example payload (it satisfies the schema); test-webhook-endpoint sends it"`
	Deprecated  bool    `json:"deprecated" doc:"still published and delivered, but new subscriptions are refused"`
}

func toEventType(t dbq.EventType) EventType {
	return EventType{Name: t.Name, Description: t.Description, Schema: JSONDoc(t.Schema), Example: JSONDoc(t.Example), Deprecated: t.Deprecated}
}

type eventTypeListOutput struct {
	Body struct {
		Data []EventType `json:"data"`
	}
}

// EventTypePath names an event type.
type EventTypePath struct {
	Name string `path:"name" maxLength:"255" example:"comment.created"`
}

type eventTypeOutput struct {
	Body EventType
}

type eventTypePutInput struct {
	EventTypePath
	Body struct {
		Description *string     `json:"description,omitempty" maxLength:"1024"`
		Schema      OptionalDoc `json:"schema,omitempty" doc:"JSON Schema 2020-12; null removes it; absent keeps it"`
		Example     OptionalDoc `json:"example,omitempty" doc:"an example payload, which must satisfy the schema; null removes it"`
		Deprecated  *bool       `json:"deprecated,omitempty"`
	}
}

func (s *Server) registerEventTypes() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-webhook-event-types", Method: http.MethodGet, Path: "/webhooks/event-types",
		Summary: "List event type names", Tags: []string{tagEndpoints},
		Description: "The event types an endpoint can subscribe to, as a JSON array of names. Deprecated and " +
			"reserved types (webhook.test) are left out; \"*\" subscribes to all but the operational ones " +
			"(endpoint.disabled, delivery.dead_lettered), which an endpoint receives only by naming them.",
	}, func(ctx context.Context, _ *struct{}) (*eventTypesOutput, error) {
		names, err := catalog.Subscribable(ctx, db.Q(s.Pool))
		if err != nil {
			return nil, err
		}
		return &eventTypesOutput{Body: names}, nil
	})

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-event-types", Method: http.MethodGet, Path: "/event-types",
		Summary: "List event types", Tags: []string{tagEventTypes},
		Description: "The catalogue: every event type with its description, schema, example and deprecation.",
	}, func(ctx context.Context, _ *struct{}) (*eventTypeListOutput, error) {
		rows, err := catalog.List(ctx, db.Q(s.Pool))
		if err != nil {
			return nil, err
		}
		out := &eventTypeListOutput{}
		out.Body.Data = make([]EventType, len(rows))
		for i, t := range rows {
			out.Body.Data[i] = toEventType(t)
		}
		return out, nil
	})

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "get-event-type", Method: http.MethodGet, Path: "/event-types/{name}",
		Summary: "Get an event type", Tags: []string{tagEventTypes}, Errors: []int{http.StatusNotFound},
		Description: "One event type with its description, JSON Schema and example payload (either may be null).",
	}, func(ctx context.Context, in *EventTypePath) (*eventTypeOutput, error) {
		t, err := catalog.Get(ctx, db.Q(s.Pool), in.Name)
		if err != nil {
			return nil, err
		}
		return &eventTypeOutput{Body: toEventType(t)}, nil
	})

	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		OperationID: "put-event-type", Method: http.MethodPut, Path: "/admin/v1/event-types/{name}",
		Summary: "Create or change an event type", Tags: []string{tagEventTypes},
		Description: "Creates the type or changes the fields given (absent fields keep their value). `schema` is a " +
			"JSON Schema 2020-12 (no external `$ref`); publishing then validates every payload against it, naming " +
			"each failing location. An `example` must satisfy the schema. Admin JWT with `manage_tenants` for all " +
			"tenants (\"*\"): the catalogue is shared.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, s.putEventType)
}

func (s *Server) putEventType(ctx context.Context, in *eventTypePutInput) (*eventTypeOutput, error) {
	if err := requireAllTenants(ctx, "changing the shared catalogue"); err != nil {
		return nil, err
	}
	b := in.Body
	t, err := catalog.Put(ctx, s.Pool, globalCaller(ctx), in.Name, catalog.PutInput{
		Description: b.Description, Deprecated: b.Deprecated,
		Schema: catalog.Optional[json.RawMessage](b.Schema), Example: catalog.Optional[json.RawMessage](b.Example),
	})
	if err != nil {
		return nil, err
	}
	return &eventTypeOutput{Body: toEventType(t)}, nil
}
