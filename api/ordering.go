package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/delivery"
)

// EndpointOrdering is how an endpoint orders its deliveries (DESIGN §9.3).
type EndpointOrdering struct {
	Ordering    delivery.Ordering    `json:"ordering" enum:"none,ordered" doc:"ordered: the deliveries of one ordering_key go one at a time, in publish order"`
	OnExhausted delivery.OnExhausted `json:"on_exhausted" enum:"block,skip" doc:"when an ordered key's head fails or dead-letters: block holds the key until unblock-key; skip lets the next go at once"`
}

// OrderingCreateBody sets the ordering rules of a new endpoint.
type OrderingCreateBody struct {
	Ordering    delivery.Ordering    `json:"ordering,omitempty" enum:"none,ordered" doc:"none (default) or ordered"`
	OnExhausted delivery.OnExhausted `json:"on_exhausted,omitempty" enum:"block,skip" doc:"block (default) or skip"`
}

// OrderingPatchBody changes them.
type OrderingPatchBody struct {
	Ordering    *delivery.Ordering    `json:"ordering,omitempty" enum:"none,ordered"`
	OnExhausted *delivery.OnExhausted `json:"on_exhausted,omitempty" enum:"block,skip" doc:"changing it wakes the key's waiting deliveries to ask again"`
}

// BlockedKey is an ordered key held back by its failed head.
type BlockedKey struct {
	OrderingKey  string    `json:"ordering_key"`
	DeliveryID   uuid.UUID `json:"delivery_id" doc:"the head: the failed or dead-lettered delivery holding the key"`
	BlockedSince time.Time `json:"blocked_since"`
	Waiting      int       `json:"waiting" doc:"deliveries of the key waiting behind the head"`
}

type blockedKeysOutput struct {
	Body struct {
		Data []BlockedKey `json:"data"`
	}
}

type unblockInput struct {
	EndpointPath
	Body struct {
		OrderingKey string                 `json:"ordering_key" maxLength:"128" doc:"the blocked key (\"\" is a key too)"`
		Action      delivery.UnblockAction `json:"action" enum:"skip,retry" doc:"skip: leave the head failed and let the key move on; retry: attempt the head again (a replay in its place) on a fresh schedule"`
	}
}

type unblockOutput struct {
	Body struct {
		OrderingKey string                 `json:"ordering_key"`
		Action      delivery.UnblockAction `json:"action"`
		DeliveryID  uuid.UUID              `json:"delivery_id" doc:"the head that was blocked"`
		RetryID     *uuid.UUID             `json:"retry_delivery_id,omitempty" doc:"retry: the new delivery that takes the head's place"`
	}
}

func (s *Server) registerOrdering() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-blocked-keys", Method: http.MethodGet, Path: "/webhooks/{endpoint_id}/ordering",
		Summary: "List blocked ordering keys", Tags: []string{tagEndpoints},
		Description: "The ordering keys of an ordered endpoint whose head delivery failed or dead-lettered and, with " +
			"`on_exhausted: block`, holds the key's later deliveries back (oldest first, at most 1,000).",
		Errors: []int{http.StatusNotFound},
	}, s.listBlockedKeys)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "unblock-key", Method: http.MethodPost, Path: "/webhooks/{endpoint_id}/ordering/unblock",
		Summary: "Unblock an ordering key", Tags: []string{tagEndpoints}, DefaultStatus: http.StatusAccepted,
		Description: "`skip` leaves the blocked head as it is and lets the key's next delivery go; `retry` attempts " +
			"the head again (a replay, `replay_of` the head, in its place) on a fresh retry schedule, and the key moves " +
			"on once it succeeds. 409 when the key is not blocked.",
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, s.unblockKey)
}

func (s *Server) listBlockedKeys(ctx context.Context, in *EndpointPath) (*blockedKeysOutput, error) {
	keys, err := s.Deliveries.BlockedKeys(ctx, callerFrom(ctx), in.EndpointID)
	if err != nil {
		return nil, err
	}
	out := &blockedKeysOutput{}
	out.Body.Data = make([]BlockedKey, len(keys))
	for i, k := range keys {
		out.Body.Data[i] = BlockedKey(k)
	}
	return out, nil
}

func (s *Server) unblockKey(ctx context.Context, in *unblockInput) (*unblockOutput, error) {
	u, err := s.Deliveries.Unblock(ctx, callerFrom(ctx), in.EndpointID, in.Body.OrderingKey, in.Body.Action)
	if err != nil {
		return nil, err
	}
	out := &unblockOutput{}
	out.Body.OrderingKey, out.Body.Action, out.Body.DeliveryID, out.Body.RetryID = in.Body.OrderingKey, in.Body.Action, u.Head, u.Retry
	return out, nil
}
