package bench

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"golang.org/x/sync/errgroup"
)

// samplePayload is what every bench event carries (~300 bytes of JSON).
func samplePayload(i int) map[string]any {
	return map[string]any{
		"comment_id": fmt.Sprintf("c_%08d", i), "thread_id": "t_0001", "author": map[string]any{"id": "u_42", "name": "Ada"},
		"body":       "Looks good to me — shipping it. Thanks for the careful review of the retry schedule!",
		"created_at": "2026-11-27T09:00:00Z", "reactions": []string{"+1", "rocket"},
	}
}

// setupEndpoints creates the endpoints deliveries go to (all subscribed to
// comment.created) and registers their secrets with the receiver.
func (r *run) setupEndpoints(ctx context.Context) error {
	secrets := map[string]string{}
	for i := 0; i < r.o.Endpoints; i++ {
		name := "ep" + strconv.Itoa(i)
		ep, err := r.api.createEndpoint(ctx, r.rcURL+"/hook/"+name, []string{"comment.created"})
		if err != nil {
			return err
		}
		secrets[name] = ep.Secret
	}
	r.secrets = secrets
	return r.rc.setSecrets(ctx, secrets)
}

// publishAll publishes events prefix-0..n-1, from r.o.Concurrency goroutines
// (or at a fixed rate when rate > 0), and returns when each was published.
func (r *run) publishAll(ctx context.Context, prefix, typ string, n, rate int) (map[string]time.Time, error) {
	return r.publishWith(ctx, r.api, prefix, typ, n, rate)
}

// publishWith is publishAll as the tenant of client c.
func (r *run) publishWith(ctx context.Context, c *apiClient, prefix, typ string, n, rate int) (map[string]time.Time, error) {
	var mu sync.Mutex
	at := make(map[string]time.Time, n)
	pub := func(i int) error {
		id := prefix + strconv.Itoa(i)
		t := time.Now()
		if err := c.publish(ctx, id, typ, samplePayload(i)); err != nil {
			return err
		}
		mu.Lock()
		at[id] = t
		mu.Unlock()
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	if rate > 0 {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for i := 0; i < n; i++ {
			select {
			case <-gctx.Done():
				return nil, g.Wait()
			case <-tick.C:
			}
			g.Go(func() error { return pub(i) })
		}
		return at, g.Wait()
	}
	g.SetLimit(r.o.Concurrency)
	for i := 0; i < n; i++ {
		g.Go(func() error { return pub(i) })
	}
	return at, g.Wait()
}

type deliveryRow struct {
	id, eventID string
	completed   time.Time
}

// waitDelivered waits until every delivery of events with prefix succeeded.
func (r *run) waitDelivered(ctx context.Context, prefix string, want int, timeout time.Duration) ([]deliveryRow, error) {
	err := waitFor(ctx, timeout, fmt.Sprintf("%d deliveries of %s*", want, prefix), func() (bool, error) {
		var n int
		err := r.pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE event_id LIKE $1 AND status = 'succeeded'", prefix+"%").Scan(&n)
		return n >= want, err
	})
	if err != nil {
		return nil, err
	}
	rows, err := r.pool.Query(ctx, "SELECT id::text, event_id, completed_at FROM deliveries WHERE event_id LIKE $1", prefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deliveryRow
	for rows.Next() {
		var d deliveryRow
		if err := rows.Scan(&d.id, &d.eventID, &d.completed); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

type latencies struct {
	first, succeeded []time.Duration
	end              time.Time // last completion
}

func (r *run) latencies(ctx context.Context, published map[string]time.Time, ds []deliveryRow) (latencies, error) {
	st, err := r.rc.stats(ctx, true)
	if err != nil {
		return latencies{}, err
	}
	var l latencies
	for _, d := range ds {
		p := published[d.eventID]
		if arr, ok := st.Arrivals[d.id]; ok {
			l.first = append(l.first, time.Unix(0, arr).Sub(p))
		}
		l.succeeded = append(l.succeeded, d.completed.Sub(p))
		if d.completed.After(l.end) {
			l.end = d.completed
		}
	}
	return l, nil
}

// throughput publishes Events at full speed to Endpoints endpoints.
func (r *run) throughput(ctx context.Context) error {
	// Warm up connections, caches and the worker's sticky cache.
	warm, err := r.publishAll(ctx, "warm-", "comment.created", 20, 0)
	if err != nil {
		return err
	}
	if _, err := r.waitDelivered(ctx, "warm-", len(warm)*r.o.Endpoints, time.Minute); err != nil {
		return err
	}
	if err := r.rc.reset(ctx); err != nil {
		return err
	}
	before, err := r.snapshot(ctx, false)
	if err != nil {
		return err
	}
	start := time.Now()
	published, err := r.publishAll(ctx, "full-", "comment.created", r.o.Events, 0)
	if err != nil {
		return err
	}
	want := r.o.Events * r.o.Endpoints
	ds, err := r.waitDelivered(ctx, "full-", want, 10*time.Minute)
	if err != nil {
		return err
	}
	after, err := r.snapshot(ctx, true)
	if err != nil {
		return err
	}
	l, err := r.latencies(ctx, published, ds)
	if err != nil {
		return err
	}
	st, err := r.rc.stats(ctx, false)
	if err != nil {
		return err
	}
	rep := r.rep
	rep.Deliveries = len(ds)
	rep.DeliveriesPerSecond = float64(len(ds)) / l.end.Sub(start).Seconds()
	rep.P50FirstAttemptMs, rep.P95FirstAttemptMs, rep.P99FirstAttemptMs = percentile(l.first, 50), percentile(l.first, 95), percentile(l.first, 99)
	rep.P50SucceededMs, rep.P95SucceededMs, rep.P99SucceededMs = percentile(l.succeeded, 50), percentile(l.succeeded, 95), percentile(l.succeeded, 99)
	rep.CPUSeconds = (after.devCPU - before.devCPU).Seconds()
	n := len(ds)
	rep.CPUMsPerDelivery = msPer(after.devCPU-before.devCPU, n)
	rep.CPUMsPerDeliveryHookline = rep.CPUMsPerDelivery
	rep.CPUMsPerDeliveryPostgres = msPer(after.pgCPU-before.pgCPU, n)
	rep.BytesPerDeliveryHookline = perUnit(before.hooklineBytes, after.hooklineBytes, n)
	rep.BytesPerDeliveryTemporal = perUnit(before.temporalBytes, after.temporalBytes, n)
	rep.VisibilityWritesPerDelivery = perUnit(before.visibilityWrites, after.visibilityWrites, n)
	rep.HistoryWritesPerDelivery = perUnit(before.historyWrites, after.historyWrites, n)
	rep.TemporalRowWritesPerDelivery = perUnit(before.temporalWrites, after.temporalWrites, n)
	if rep.HistoryEventsPerDelivery, err = r.deliveryHistoryEvents(ctx, ds); err != nil {
		return err
	}
	_, rep.PeakRSSMB, _ = memory(r.devPID)
	rep.Duplicates, rep.BadSignatures = st.Duplicates, st.BadSignatures
	return nil
}

// deliveryHistoryEvents is the mean history length of up to 20 of ds's
// workflows (ids as the README documents them: delivery/<id>).
func (r *run) deliveryHistoryEvents(ctx context.Context, ds []deliveryRow) (float64, error) {
	tc, err := client.Dial(client.Options{HostPort: r.temporalAddr, Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return 0, fmt.Errorf("dial temporal: %w", err)
	}
	defer tc.Close()
	return historyEvents(ctx, tc, func(i int) string { return "delivery/" + ds[i].id }, min(len(ds), 20))
}

// fixedRate publishes Rate events/s for RateDuration.
func (r *run) fixedRate(ctx context.Context) error {
	n := r.o.Rate * int(r.o.RateDuration/time.Second)
	published, err := r.publishAll(ctx, "rate-", "comment.created", n, r.o.Rate)
	if err != nil {
		return err
	}
	ds, err := r.waitDelivered(ctx, "rate-", n*r.o.Endpoints, 5*time.Minute)
	if err != nil {
		return err
	}
	l, err := r.latencies(ctx, published, ds)
	if err != nil {
		return err
	}
	rep := r.rep
	rep.RateEventsPerSecond, rep.RateDeliveries = r.o.Rate, len(ds)
	rep.RateDeliveriesPerSecond = r.o.Rate * r.o.Endpoints
	rep.RateP50FirstAttemptMs, rep.RateP95FirstAttemptMs, rep.RateP99FirstAttemptMs = percentile(l.first, 50), percentile(l.first, 95), percentile(l.first, 99)
	rep.RateP99SucceededMs = percentile(l.succeeded, 99)
	_, rep.PeakRSSMB, _ = memory(r.devPID)
	return nil
}

// parked leaves Parked deliveries waiting on a retry timer (the bench runs
// Hookline with a 10-minute first retry) against a receiver answering 503,
// then measures Hookline's CPU and memory while they wait.
func (r *run) parked(ctx context.Context) error {
	if _, err := r.api.createEndpoint(ctx, r.rcURL+"/fail/parked", []string{"member.joined"}); err != nil {
		return err
	}
	if _, err := r.publishAll(ctx, "parked-", "member.joined", r.o.Parked, 0); err != nil {
		return err
	}
	// Parked: waiting on a timer, for a retry or (once the endpoint's
	// breaker opened) in the queue behind it.
	err := waitFor(ctx, 10*time.Minute, "parked deliveries to wait on a timer", func() (bool, error) {
		var n int
		err := r.pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE event_id LIKE 'parked-%' AND status IN ('pending', 'in_flight') AND next_attempt_at > now()").Scan(&n)
		return n >= r.o.Parked, err
	})
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the last workflow tasks settle
	cpu0, _ := cpuTime(r.devPID)
	t0 := time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.o.ParkedWindow):
	}
	cpu1, _ := cpuTime(r.devPID)
	rep := r.rep
	rep.ParkedRetries = r.o.Parked
	rep.ParkedWindowSec = time.Since(t0).Seconds()
	rep.ParkedCPUPercent = 100 * (cpu1 - cpu0).Seconds() / rep.ParkedWindowSec
	rep.ParkedRSSMB, _, _ = memory(r.devPID)
	return nil
}
