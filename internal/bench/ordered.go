package bench

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// orderedType is the event type only the ordered phase publishes and only
// its endpoint subscribes to, so neither it nor the other phases see the
// other's deliveries.
const orderedType = "order.updated"

// orderedPath is the ordered endpoint's receiver name: POST /hook/ordered.
const orderedPath = "ordered"

// orderedSizes are the events of the ordered phase's two runs: over 100
// keys, and on one key.
func orderedSizes(quick bool) (keys100, key1 int) {
	if quick {
		return 1000, 300
	}
	return 5000, 1000
}

// ordered measures ordered delivery (DESIGN §9.3): one endpoint with
// "ordering":"ordered" (its other settings the defaults, max_in_flight
// included) at a receiver answering at once, events spread round-robin
// over 100 keys, then all on one key. Each key's events are published one
// after the other, so publish order is the order they must arrive in; the
// receiver's first arrival of each delivery says the order they did.
func (r *run) ordered(ctx context.Context) error {
	admin := newAPIClient(r.api.base, r.adminToken)
	if err := admin.do(ctx, http.MethodPut, "/admin/v1/event-types/"+orderedType,
		map[string]any{"description": "An order changed (the bench's ordered phase)."}, nil); err != nil {
		return err
	}
	var ep endpoint
	if err := r.api.do(ctx, http.MethodPost, "/v1/webhooks", map[string]any{"url": r.rcURL + "/hook/" + orderedPath,
		"events": []string{orderedType}, "ordering": "ordered"}, &ep); err != nil {
		return err
	}
	if err := r.rc.setSecrets(ctx, map[string]string{orderedPath: ep.Secret}); err != nil {
		return err
	}
	// Warm up the ordered paths (queries, the worker's cache) off the clock.
	if warm, err := r.orderedRun(ctx, "ordered-warm-", 50, 5); err != nil {
		return err
	} else if warm.outOfOrder > 0 {
		r.o.Log.Warn("bench: ordered warm-up delivered out of order", "receipts", warm.outOfOrder)
	}
	n100, n1 := orderedSizes(r.o.Quick)
	many, err := r.orderedRun(ctx, "ordered-k100-", n100, 100)
	if err != nil {
		return err
	}
	one, err := r.orderedRun(ctx, "ordered-k1-", n1, 1)
	if err != nil {
		return err
	}
	rep := r.rep
	rep.OrderedDeliveries100Keys, rep.OrderedDeliveriesPerSecond100Keys = many.deliveries, many.perSecond
	rep.OrderedDeliveries1Key, rep.OrderedDeliveriesPerSecond1Key = one.deliveries, one.perSecond
	rep.OrderedOutOfOrder = many.outOfOrder + one.outOfOrder
	return nil
}

// orderedResult is one run of the ordered phase.
type orderedResult struct {
	deliveries int
	perSecond  float64 // from the first publish to the last receipt
	outOfOrder int     // receipts that arrived before an earlier-published one of their key
}

// orderedRun publishes n events (ids prefix…) to the ordered endpoint,
// event i on key i mod keys, waits until all are delivered and checks the
// order each key's deliveries arrived in.
func (r *run) orderedRun(ctx context.Context, prefix string, n, keys int) (orderedResult, error) {
	// Arrivals from this run only (the receiver keeps every first arrival).
	if err := r.rc.reset(ctx); err != nil {
		return orderedResult{}, err
	}
	publishers := min(r.o.Concurrency, keys)
	// What each event id stands for: its key and place in it.
	sent := make(map[string]receipt, n)
	for i := range n {
		sent[orderedEventID(prefix, i, keys)] = receipt{key: orderedKey(prefix, i, keys), seq: i / keys}
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for p := range publishers {
		// Publisher p owns keys p, p+publishers, …: each key's events go
		// one at a time, in order, from one goroutine.
		g.Go(func() error {
			for i := p; i < n; i++ {
				if i%keys%publishers != p {
					continue
				}
				payload := samplePayload(i)
				key := orderedKey(prefix, i, keys)
				payload["ordering_key"], payload["seq"] = key, i/keys
				if err := r.publishOrdered(gctx, orderedEventID(prefix, i, keys), key, payload); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return orderedResult{}, err
	}
	published := time.Since(start)
	ds, err := r.waitDelivered(ctx, prefix, n, 10*time.Minute)
	if err != nil {
		return orderedResult{}, err
	}
	st, err := r.rc.stats(ctx, true)
	if err != nil {
		return orderedResult{}, err
	}
	if st.Duplicates > 0 || st.BadSignatures > 0 {
		r.o.Log.Warn("bench: ordered run", "prefix", prefix, "duplicates", st.Duplicates, "bad_signatures", st.BadSignatures)
	}
	rs := make([]receipt, 0, len(ds))
	var last int64
	for _, d := range ds {
		at, ok := st.Arrivals[d.id]
		if !ok {
			return orderedResult{}, fmt.Errorf("delivery %s (event %s) succeeded but never reached the receiver", d.id, d.eventID)
		}
		rc, ok := sent[d.eventID]
		if !ok {
			return orderedResult{}, fmt.Errorf("delivery %s of an event the bench did not publish: %s", d.id, d.eventID)
		}
		rc.at = at
		rs = append(rs, rc)
		last = max(last, at)
	}
	res := orderedResult{
		deliveries: len(ds),
		perSecond:  float64(len(ds)) / time.Unix(0, last).Sub(start).Seconds(),
		outOfOrder: outOfOrder(rs),
	}
	r.o.Log.Info("bench: ordered run", "prefix", prefix, "events", n, "keys", keys, "publishers", publishers,
		"published_in", published.Round(time.Millisecond), "last_receipt_after", time.Unix(0, last).Sub(start).Round(time.Millisecond),
		"deliveries_per_second", int(res.perSecond), "out_of_order", res.outOfOrder)
	return res, nil
}

// publishOrdered publishes one event of orderedType on an ordering key
// (apiClient.publish sends none).
func (r *run) publishOrdered(ctx context.Context, id, key string, payload map[string]any) error {
	body := map[string]any{"id": id, "type": orderedType, "payload": payload, "ordering_key": key}
	if err := r.api.do(ctx, http.MethodPost, "/v1/events", body, nil); err != nil {
		return err
	}
	r.api.published.Add(1)
	return nil
}

// orderedKey is event i's key: round-robin over keys, named after the run
// (prefix) so that no two runs share a key.
func orderedKey(prefix string, i, keys int) string { return fmt.Sprintf("%s%03d", prefix, i%keys) }

// orderedEventID is event i's id: its key and its place in the key.
func orderedEventID(prefix string, i, keys int) string {
	return fmt.Sprintf("%s-%06d", orderedKey(prefix, i, keys), i/keys)
}

// receipt is one delivery of an ordered run: its key, its place in the
// key's publish order, and when it first reached the receiver (unix ns).
type receipt struct {
	key string
	seq int
	at  int64
}

// outOfOrder counts the receipts that arrived before (or at the same
// instant as) a receipt of the same key published earlier.
func outOfOrder(rs []receipt) int {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b receipt) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq)) })
	bad := 0
	var latest int64 // the latest arrival so far in the current key
	for i, x := range s {
		if i > 0 && x.key == s[i-1].key && x.at <= latest {
			bad++
		}
		if i == 0 || x.key != s[i-1].key {
			latest = x.at
		} else {
			latest = max(latest, x.at)
		}
	}
	return bad
}
