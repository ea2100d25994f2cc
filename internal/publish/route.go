package publish

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/filter"
)

// route turns the fan-out rows into the deliveries to start and the count
// of endpoints channels or a filter kept the event from. Endpoints with a
// filter are matched here, in the publish transaction: a filtered-out
// event starts no workflow.
func route(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, ev Event, to fanOut, rows []dbq.FanOutDeliveriesRow) ([]delivery.Ref, int, error) {
	var ds []delivery.Ref
	filtered := 0
	var candidates []dbq.FanOutDeliveriesRow
	for _, r := range rows {
		switch {
		case r.DeliveryID != nil:
			ds = append(ds, delivery.Ref{ID: *r.DeliveryID, TenantID: tenantID, EndpointID: r.EndpointID, EventType: ev.Type})
		case !r.IsActive:
		case r.ChannelOk != nil && !*r.ChannelOk:
			filtered++
		default:
			candidates = append(candidates, r)
		}
	}
	if len(candidates) == 0 {
		return ds, filtered, nil
	}
	doc := filter.Document{Type: ev.Type, Channels: ev.Channels}
	var err error
	if doc.Data, err = filter.DecodeData(ev.Payload); err != nil {
		return nil, 0, err
	}
	var matched, unmatched []uuid.UUID
	for _, r := range candidates {
		f, err := to.filters.get(r.EndpointID, r.UpdatedAt, r.Filter)
		if err == nil && f.Match(doc) {
			matched = append(matched, r.EndpointID)
		} else {
			// A stored filter that no longer compiles matches nothing.
			unmatched = append(unmatched, r.EndpointID)
		}
	}
	routed, err := q.RouteFiltered(ctx, dbq.RouteFilteredParams{TenantID: tenantID, EventID: ev.ID, Unmatched: nonNil(unmatched),
		Matched: nonNil(matched), EventType: ev.Type})
	if err != nil {
		return nil, 0, err
	}
	for _, r := range routed {
		ds = append(ds, delivery.Ref{ID: r.ID, TenantID: tenantID, EndpointID: r.EndpointID, EventType: ev.Type})
	}
	return ds, filtered + len(unmatched), nil
}

// maxCachedFilters bounds Filters; past it the cache starts over.
const maxCachedFilters = 10_000

// Filters caches compiled endpoint filters by endpoint and version (its
// updated_at), so a publish compiles none of them again. A nil *Filters
// compiles every time (operational events, which are rare).
type Filters struct {
	mu sync.Mutex
	m  map[filterKey]*filter.Filter
}

type filterKey struct {
	id      uuid.UUID
	version time.Time
}

func (c *Filters) get(id uuid.UUID, version time.Time, raw []byte) (*filter.Filter, error) {
	if c == nil {
		return filter.Compile(raw)
	}
	k := filterKey{id, version}
	c.mu.Lock()
	f, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := filter.Compile(raw)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedFilters {
		c.m = map[filterKey]*filter.Filter{}
	}
	c.m[k] = f
	return f, nil
}
