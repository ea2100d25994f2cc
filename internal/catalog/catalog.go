// Package catalog is the event-type catalogue: which types exist, which
// endpoints may subscribe to and producers may publish.
package catalog

import (
	"context"
	"slices"
	"strconv"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
)

// Wildcard subscribes an endpoint to every event type.
const Wildcard = "*"

// TestEventType is the reserved type of test deliveries.
const TestEventType = "webhook.test"

// Subscribable lists the type names an endpoint can subscribe to.
func Subscribable(ctx context.Context, q *dbq.Queries) ([]string, error) {
	return q.ListSubscribableEventTypes(ctx)
}

// ValidateSubscriptions checks an endpoint's subscriptions (at field):
// known, not reserved, or "*", and not deprecated unless already in kept
// (the endpoint's current subscriptions: deprecating a type must not lock
// its subscribers out of editing their endpoints). Duplicates are dropped,
// the order kept.
func ValidateSubscriptions(ctx context.Context, q *dbq.Queries, field string, events, kept []string) ([]string, error) {
	if len(events) == 0 {
		return nil, apperr.Invalid(field, events, "subscribe to at least one event type (or \"*\")")
	}
	var out []string
	for _, e := range events {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	types, err := q.GetEventTypes(ctx, out)
	if err != nil {
		return nil, err
	}
	known := map[string]dbq.EventType{}
	for _, t := range types {
		known[t.Name] = t
	}
	for i, e := range events {
		if e == Wildcard {
			continue
		}
		t, ok := known[e]
		loc := field + "[" + strconv.Itoa(i) + "]"
		switch {
		case !ok:
			return nil, apperr.Invalid(loc, e, "unknown event type %q; see list-webhook-event-types", e)
		case t.Reserved:
			return nil, apperr.Invalid(loc, e, "event type %q is reserved and cannot be subscribed to", e)
		case t.Deprecated && !slices.Contains(kept, e):
			return nil, apperr.Invalid(loc, e, "event type %q is deprecated", e)
		}
	}
	return out, nil
}

// Publishable loads the type a producer publishes: unknown or reserved
// types are refused (422 at body.type).
func Publishable(ctx context.Context, q *dbq.Queries, name string) (dbq.EventType, error) {
	types, err := q.GetEventTypes(ctx, []string{name})
	if err != nil {
		return dbq.EventType{}, err
	}
	if len(types) == 0 {
		return dbq.EventType{}, apperr.Invalid("body.type", name, "unknown event type %q; see list-webhook-event-types", name)
	}
	if types[0].Reserved || types[0].Operational {
		return dbq.EventType{}, apperr.Invalid("body.type", name, "event type %q is reserved for Hookline", name)
	}
	return types[0], nil
}

// Example returns a type's example payload (for a test delivery): 422 at
// field when the type is unknown or has none.
func Example(ctx context.Context, q *dbq.Queries, field, name string) (string, []byte, error) {
	types, err := q.GetEventTypes(ctx, []string{name})
	if err != nil {
		return "", nil, err
	}
	if len(types) == 0 || types[0].Reserved {
		return "", nil, apperr.Invalid(field, name, "unknown event type %q; see list-event-types", name)
	}
	if types[0].Example == nil {
		return "", nil, apperr.Invalid(field, name, "event type %q has no example to send; an admin sets one with put-event-type", name)
	}
	return name, types[0].Example, nil
}
