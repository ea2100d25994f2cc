package api

import (
	"context"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/source"
)

// Source is a broker ingest source with its status and counters.
type Source struct {
	Name      string     `json:"name" example:"orders"`
	Kind      string     `json:"kind" enum:"nats,rabbitmq" example:"nats"`
	URL       string     `json:"url" example:"nats://127.0.0.1:4222" doc:"the broker URL; a password in it is shown as ***"`
	Subject   string     `json:"subject,omitempty" example:"orders.>" doc:"nats: the subject consumed (JetStream)"`
	Queue     string     `json:"queue,omitempty" doc:"rabbitmq: the queue consumed"`
	TenantID  *uuid.UUID `json:"tenant_id,omitempty" doc:"the tenant every message publishes to; absent: each message names its tenant_id"`
	Status    string     `json:"status" enum:"connected,error" doc:"whether workers consume it (the last report of any worker)"`
	LastError *string    `json:"last_error,omitempty" doc:"why it is in error"`
	StatusAt  *time.Time `json:"status_at,omitempty" doc:"when a worker last reported its status"`
	Received  int64      `json:"received" doc:"messages taken from the broker (redeliveries included)"`
	Published int64      `json:"published" doc:"events published (a redelivered message publishes once)"`
	Rejected  int64      `json:"rejected" doc:"bad messages rejected to the dead letter"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func toSource(s source.Source) Source {
	return Source{
		Name: s.Name, Kind: string(s.Kind), URL: s.URL, Subject: s.Subject, Queue: s.Queue, TenantID: s.TenantID,
		Status: string(s.Status), LastError: s.LastError, StatusAt: s.StatusAt,
		Received: s.Received, Published: s.Published, Rejected: s.Rejected, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

type sourceNameInput struct {
	Name string `path:"name" maxLength:"63" example:"orders" doc:"the source's name"`
}

type sourcePutInput struct {
	Name string `path:"name" maxLength:"63" example:"orders" doc:"the source's name: a–z, 0–9, _ and -"`
	Body struct {
		Kind     string     `json:"kind" enum:"nats,rabbitmq" example:"nats"`
		URL      string     `json:"url" maxLength:"2048" example:"nats://127.0.0.1:4222" doc:"nats:// or tls:// (nats); amqp:// or amqps:// with credentials and vhost (rabbitmq); sealed at rest"`
		Subject  string     `json:"subject,omitempty" maxLength:"255" example:"orders.>" doc:"nats: the subject to consume; a stream capturing it is created when none exists"`
		Queue    string     `json:"queue,omitempty" maxLength:"200" doc:"rabbitmq: the queue to consume; declared (with <queue>.dead-letter) when it does not exist"`
		TenantID *uuid.UUID `json:"tenant_id,omitempty" doc:"bind the source to one tenant; absent: each message names its tenant_id"`
	}
}

type sourceOutput struct {
	Status int
	Body   Source
}

type sourceListOutput struct {
	Body struct {
		Data []Source `json:"data"`
	}
}

type sourceDeleteOutput struct{}

const tagSources = "Sources"

func (s *Server) registerSources() {
	const who = " Admin JWT with `manage_tenants` for all tenants (\"*\")."
	schema := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(Source{}), true, "Source")
	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		Responses: map[string]*huma.Response{"201": {
			Description: "Created: workers start consuming it within seconds.",
			Content:     map[string]*huma.MediaType{"application/json": {Schema: schema}},
		}},
		OperationID: "put-source", Method: http.MethodPut, Path: "/admin/v1/sources/{name}",
		Summary: "Create or replace an ingest source", Tags: []string{tagSources},
		Description: "Workers consume the source (a JetStream durable pull consumer `hookline-<name>`, or the RabbitMQ " +
			"queue with manual acks), competing across workers, and publish each message as an event: the publish " +
			"body (plus `tenant_id` when the source is unbound) or a CloudEvents 1.0 structured JSON event (`id`, " +
			"`type`, `data`, extension `tenantid`). A message is acked after its event commits; the same id publishes " +
			"once; a bad message is rejected once to the dead letter and counted. 201 when created, 200 when replaced " +
			"(workers reconnect with the new settings within seconds)." + who,
		Errors: []int{http.StatusUnprocessableEntity},
	}, s.putSource)
	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		OperationID: "get-source", Method: http.MethodGet, Path: "/admin/v1/sources/{name}",
		Summary: "Get an ingest source", Tags: []string{tagSources},
		Description: "The source with its `status` (`connected` | `error`, with `last_error`) and counters." + who,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *sourceNameInput) (*sourceOutput, error) {
		if err := requireAllTenants(ctx, "reading sources"); err != nil {
			return nil, err
		}
		src, err := s.Sources.Get(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		return &sourceOutput{Status: http.StatusOK, Body: toSource(src)}, nil
	})
	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		OperationID: "list-sources", Method: http.MethodGet, Path: "/admin/v1/sources",
		Summary: "List ingest sources", Tags: []string{tagSources},
		Description: "Every source by name, with status and counters." + who,
	}, s.listSources)
	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		OperationID: "delete-source", Method: http.MethodDelete, Path: "/admin/v1/sources/{name}",
		Summary: "Delete an ingest source", Tags: []string{tagSources}, DefaultStatus: http.StatusNoContent,
		Description: "Workers stop consuming it within seconds; messages left in the broker stay there." + who,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *sourceNameInput) (*sourceDeleteOutput, error) {
		if err := requireAllTenants(ctx, "deleting a source"); err != nil {
			return nil, err
		}
		return &sourceDeleteOutput{}, s.Sources.Delete(ctx, globalCaller(ctx), in.Name)
	})
}

func (s *Server) putSource(ctx context.Context, in *sourcePutInput) (*sourceOutput, error) {
	if err := requireAllTenants(ctx, "managing sources"); err != nil {
		return nil, err
	}
	b := in.Body
	src, created, err := s.Sources.Put(ctx, globalCaller(ctx), in.Name, source.PutInput{
		Kind: source.Kind(b.Kind), URL: b.URL, Subject: b.Subject, Queue: b.Queue, TenantID: b.TenantID,
	})
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return &sourceOutput{Status: status, Body: toSource(src)}, nil
}

func (s *Server) listSources(ctx context.Context, _ *struct{}) (*sourceListOutput, error) {
	if err := requireAllTenants(ctx, "reading sources"); err != nil {
		return nil, err
	}
	all, err := s.Sources.List(ctx)
	if err != nil {
		return nil, err
	}
	out := &sourceListOutput{}
	out.Body.Data = make([]Source, len(all))
	for i, src := range all {
		out.Body.Data[i] = toSource(src)
	}
	return out, nil
}
