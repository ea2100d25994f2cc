package endpoint

import (
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/delivery"
)

// maxWokenWaiters bounds the waiting deliveries one change of an endpoint's
// ordering rules wakes at once; the others ask again at their fallback.
const maxWokenWaiters = 10_000

// orderingOf checks a new endpoint's ordering rules and fills in defaults.
func orderingOf(o delivery.Ordering, x delivery.OnExhausted) (delivery.Ordering, delivery.OnExhausted, error) {
	if o == "" {
		o = delivery.Unordered
	}
	if x == "" {
		x = delivery.Block
	}
	if !o.Valid() {
		return o, x, invalidOrdering(o)
	}
	if !x.Valid() {
		return o, x, invalidOnExhausted(x)
	}
	return o, x, nil
}

func invalidOrdering(o delivery.Ordering) error {
	return apperr.Invalid("body.ordering", string(o), `ordering is "none" or "ordered"`)
}

func invalidOnExhausted(x delivery.OnExhausted) error {
	return apperr.Invalid("body.on_exhausted", string(x), `on_exhausted is "block" or "skip"`)
}

// stopsBlocking reports whether an update ends the endpoint's blocking of
// keys on failed heads (on_exhausted to skip, or ordering to none): those
// heads are then released for good, so switching back cannot block a key on
// a failure its later deliveries already passed.
func stopsBlocking(cur dbq.WebhookEndpoint, next dbq.UpdateEndpointParams) bool {
	blocked := func(o delivery.Ordering, x delivery.OnExhausted) bool {
		return o == delivery.Ordered && x == delivery.Block
	}
	return blocked(cur.Ordering, cur.OnExhausted) && !blocked(next.Ordering, next.OnExhausted)
}
