package publish

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/filter"
)

// RouteReason says why an endpoint subscribed to an event's type did or
// did not get a delivery of it.
type RouteReason string

// The route reasons.
const (
	RouteMatched  RouteReason = "matched"
	RouteChannels RouteReason = "channels" // the endpoint has channels the event shares none of
	RouteFilter   RouteReason = "filter"   // the endpoint's filter did not match
	RouteInactive RouteReason = "inactive" // the endpoint was inactive at publish time
)

// Route is one subscribed endpoint's fate.
type Route struct {
	EndpointID uuid.UUID
	Matched    bool
	Reason     RouteReason
	DeliveryID *uuid.UUID
}

// Routing explains where an event went: every endpoint subscribed to its
// type when it was published (and not deleted since).
type Routing struct {
	EventID, Type string
	Endpoints     []Route
}

// Routing explains event id of the tenant; another tenant's is not found.
func (p *Publisher) Routing(ctx context.Context, tenantID uuid.UUID, id string) (Routing, error) {
	q := db.Q(p.Pool)
	ev, err := q.GetEvent(ctx, dbq.GetEventParams{TenantID: tenantID, ID: id})
	if db.IsNotFound(err) {
		return Routing{}, apperr.NotFound("event")
	}
	if err != nil {
		return Routing{}, err
	}
	rows, err := q.GetEventRouting(ctx, dbq.GetEventRoutingParams{TenantID: tenantID, EventID: id})
	if err != nil {
		return Routing{}, err
	}
	out := Routing{EventID: ev.ID, Type: ev.Type, Endpoints: make([]Route, len(rows))}
	for i, r := range rows {
		out.Endpoints[i] = Route{EndpointID: r.EndpointID, Matched: r.Matched, Reason: RouteReason(r.Reason), DeliveryID: r.DeliveryID}
	}
	return out, nil
}

// TestFilter matches a filter against an event as publish would. On no
// match, reason is the JSON pointer (in the filter) of the first condition
// that failed. A bad filter is a 422 naming body.filter/<pointer>.
func TestFilter(raw json.RawMessage, typ string, channels []string, data json.RawMessage) (matched bool, reason string, err error) {
	f, err := filter.Compile(raw)
	if err != nil {
		return false, "", filter.ToInvalid(err, "body.filter")
	}
	if err := ValidChannels("body.event.channels", channels, MaxEventChannels); err != nil {
		return false, "", err
	}
	doc := filter.Document{Type: typ, Channels: channels}
	if doc.Data, err = filter.DecodeData(data); err != nil {
		return false, "", apperr.Invalid("body.event.data", nil, "data must be JSON")
	}
	ok, at := f.Explain(doc)
	return ok, at, nil
}
