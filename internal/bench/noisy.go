package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
)

// noisy measures fair share: tenant B's publish→delivered latency alone,
// then while tenant A has NoisyEvents × NoisyEndpoints deliveries outstanding
// to endpoints that accept the request and never answer.
func (r *run) noisy(ctx context.Context) error {
	a, err := r.newTenant(ctx, "noisy-a")
	if err != nil {
		return err
	}
	b, err := r.newTenant(ctx, "noisy-b")
	if err != nil {
		return err
	}
	ep, err := b.createEndpoint(ctx, r.rcURL+"/hook/noisyb", []string{"member.joined"})
	if err != nil {
		return err
	}
	if err := r.rc.setSecrets(ctx, map[string]string{"noisyb": ep.Secret}); err != nil {
		return err
	}
	// "Alone" is B's steady state: the previous phase's work has drained
	// (the parked deliveries re-gate for a minute after they park) and a
	// first round has warmed B's path (connections, caches, sticky cache).
	if err := r.quiesce(ctx, 90*time.Second); err != nil {
		return err
	}
	if _, err := r.measureTenant(ctx, b, "noisy-warm-"); err != nil {
		return err
	}
	solo, err := r.measureTenant(ctx, b, "noisy-solo-")
	if err != nil {
		return err
	}
	for i := 0; i < r.o.NoisyEndpoints; i++ {
		if _, err := a.createEndpoint(ctx, r.rcURL+"/hang/a"+strconv.Itoa(i), []string{"reaction.added"}); err != nil {
			return err
		}
	}
	// While A's burst is published, B publishes too (the worst moment:
	// A's 2,000 workflows start and meet the gate).
	var burst []time.Duration
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		_, err := r.publishWith(gctx, a, "noisy-a-", "reaction.added", r.o.NoisyEvents, 0)
		return err
	})
	g.Go(func() (err error) {
		burst, err = r.measureTenant(gctx, b, "noisy-burst-")
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	// B publishes once every delivery of A is outstanding: an attempt
	// hanging on its receiver, or waiting (for capacity, the tenant's share
	// or the breaker) on a timer.
	want := r.o.NoisyEvents * r.o.NoisyEndpoints
	err = waitFor(ctx, 5*time.Minute, "tenant A's deliveries to hang or wait", func() (bool, error) {
		var n int
		err := r.pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE event_id LIKE 'noisy-a-%' "+
			"AND (next_attempt_at > now() OR EXISTS (SELECT 1 FROM delivery_leases l WHERE l.delivery_id = deliveries.id AND l.lease_until > now()))").Scan(&n)
		return n >= want, err
	})
	if err != nil {
		return err
	}
	loaded, err := r.measureTenant(ctx, b, "noisy-load-")
	if err != nil {
		return err
	}
	var outstanding, inFlight int
	err = r.pool.QueryRow(ctx, "SELECT count(*) FILTER (WHERE status IN ('pending', 'in_flight')), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM delivery_leases l WHERE l.delivery_id = deliveries.id AND l.lease_until > now())) "+
		"FROM deliveries WHERE event_id LIKE 'noisy-a-%'").Scan(&outstanding, &inFlight)
	if err != nil {
		return err
	}
	rep := r.rep
	rep.NoisySoloP50Ms, rep.NoisySoloP99Ms = percentile(solo, 50), percentile(solo, 99)
	rep.NoisyP50Ms, rep.NoisyP99Ms = percentile(loaded, 50), percentile(loaded, 99)
	rep.NoisyBurstP50Ms, rep.NoisyBurstP99Ms = percentile(burst, 50), percentile(burst, 99)
	rep.NoisyOutstanding, rep.NoisyInFlight = outstanding, inFlight
	return nil
}

// measureTenant publishes NoisyProbe events of tenant c at 10/s to its one
// endpoint and returns each publish→delivered latency (arrival at the receiver).
func (r *run) measureTenant(ctx context.Context, c *apiClient, prefix string) ([]time.Duration, error) {
	published, err := r.publishWith(ctx, c, prefix, "member.joined", r.o.NoisyProbe, 10)
	if err != nil {
		return nil, err
	}
	ds, err := r.waitDelivered(ctx, prefix, r.o.NoisyProbe, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	l, err := r.latencies(ctx, published, ds)
	return l.first, err
}

// newTenant creates a tenant and an API key with the admin token and returns
// a client acting as that tenant.
func (r *run) newTenant(ctx context.Context, name string) (*apiClient, error) {
	return newTenant(ctx, newAPIClient(r.api.base, r.adminToken), name)
}

// newTenant creates a tenant and its API key with admin, an admin-token client.
func newTenant(ctx context.Context, admin *apiClient, name string) (*apiClient, error) {
	var t struct {
		ID string `json:"id"`
	}
	if err := admin.do(ctx, http.MethodPost, "/admin/v1/tenants", map[string]any{"name": name}, &t); err != nil {
		return nil, err
	}
	var k struct {
		Key string `json:"key"`
	}
	err := admin.do(ctx, http.MethodPost, "/admin/v1/tenants/"+t.ID+"/api-keys",
		map[string]any{"name": "bench", "permissions": []string{"manage_webhooks", "publish_events"}}, &k)
	if err != nil {
		return nil, fmt.Errorf("api key for %s: %w", name, err)
	}
	return newAPIClient(admin.base, k.Key), nil
}

// quiesce waits, up to limit, until the dev child uses under a fifth of a
// core over two seconds.
func (r *run) quiesce(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c0, err := cpuTime(r.devPID)
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
		c1, err := cpuTime(r.devPID)
		if err != nil {
			return err
		}
		if c1-c0 < 400*time.Millisecond {
			return nil
		}
	}
	r.o.Log.Info("bench: the dev child is still busy; measuring anyway", "waited", limit)
	return nil
}
