package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/catalog"
)

type eventTypesOutput struct {
	Body []string `example:"[\"comment.created\",\"comment.deleted\",\"comment.updated\",\"member.joined\",\"reaction.added\"]"`
}

func (s *Server) registerEventTypes() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-webhook-event-types", Method: http.MethodGet, Path: "/webhooks/event-types",
		Summary: "List event types", Tags: []string{tagEndpoints},
		Description: "The event types an endpoint can subscribe to, as a JSON array of names. Deprecated and " +
			"reserved types (webhook.test) are left out; \"*\" subscribes to all.",
	}, func(ctx context.Context, _ *struct{}) (*eventTypesOutput, error) {
		names, err := catalog.Subscribable(ctx, db.Q(s.Pool))
		if err != nil {
			return nil, err
		}
		return &eventTypesOutput{Body: names}, nil
	})
}
