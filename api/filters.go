package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/publish"
)

type testFilterInput struct {
	Body struct {
		Filter JSONDoc `json:"filter" doc:"the filter to try (as an endpoint's filter)"`
		Event  struct {
			Type     string   `json:"type" minLength:"1" maxLength:"255" example:"order.paid"`
			Channels []string `json:"channels,omitempty" maxItems:"5"`
			Data     Payload  `json:"data"`
		} `json:"event"`
	}
}

type testFilterOutput struct {
	Body struct {
		Matched bool   `json:"matched"`
		Reason  string `json:"reason,omitempty" doc:"on no match: the JSON pointer, in the filter, of the first condition that failed"`
	}
}

// EndpointRoute is one subscribed endpoint's fate in get-event-routing.
type EndpointRoute struct {
	EndpointID uuid.UUID  `json:"endpoint_id"`
	Matched    bool       `json:"matched"`
	Reason     string     `json:"reason" enum:"matched,channels,filter,inactive"`
	DeliveryID *uuid.UUID `json:"delivery_id,omitempty"`
}

type eventRoutingInput struct {
	EventID string `path:"event_id" maxLength:"255" doc:"the event's id"`
}

type eventRoutingOutput struct {
	Body struct {
		EventID   string          `json:"event_id"`
		Type      string          `json:"type"`
		Endpoints []EndpointRoute `json:"endpoints"`
	}
}

func (s *Server) registerRouting() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "test-filter", Method: http.MethodPost, Path: "/filters/test",
		Summary: "Try a filter against an event", Tags: []string{tagEvents},
		Description: "Matches `filter` (the grammar of an endpoint's filter) against `{\"type\",\"channels\",\"data\"}` " +
			"exactly as publishing would. A bad filter is 422 naming `body.filter/<json pointer>`.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, s.testFilter)
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "get-event-routing", Method: http.MethodGet, Path: "/events/{event_id}/routing",
		Summary: "Explain where an event went", Tags: []string{tagEvents},
		Description: "Every endpoint subscribed to the event's type when it was published: `matched` with its " +
			"`delivery_id`, or why not — `channels` (it shares none of the endpoint's channels), `filter` (the " +
			"endpoint's filter did not match) or `inactive`.",
		Errors: []int{http.StatusNotFound},
	}, s.eventRouting)
}

func (s *Server) testFilter(_ context.Context, in *testFilterInput) (*testFilterOutput, error) {
	ev := in.Body.Event
	ok, reason, err := publish.TestFilter(json.RawMessage(in.Body.Filter), ev.Type, ev.Channels, json.RawMessage(ev.Data))
	if err != nil {
		return nil, err
	}
	out := &testFilterOutput{}
	out.Body.Matched, out.Body.Reason = ok, reason
	return out, nil
}

func (s *Server) eventRouting(ctx context.Context, in *eventRoutingInput) (*eventRoutingOutput, error) {
	r, err := s.Publisher.Routing(ctx, callerFrom(ctx).TenantID, in.EventID)
	if err != nil {
		return nil, err
	}
	out := &eventRoutingOutput{}
	out.Body.EventID, out.Body.Type = r.EventID, r.Type
	out.Body.Endpoints = make([]EndpointRoute, len(r.Endpoints))
	for i, e := range r.Endpoints {
		out.Body.Endpoints[i] = EndpointRoute{EndpointID: e.EndpointID, Matched: e.Matched, Reason: string(e.Reason), DeliveryID: e.DeliveryID}
	}
	return out, nil
}
