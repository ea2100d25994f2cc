package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/devstack"
)

// statsMinutes spreads statsDeliveries over 30 days of per-minute rollup rows.
const (
	statsMinutes    = 30 * 24 * 60
	statsDeliveries = 1_000_000
)

// stats loads a month of an endpoint's rollup (1 M deliveries, one row per
// minute) and times get-webhook-stats through the API over a day by hour, an
// hour by minute and the month by day.
func (r *run) stats(ctx context.Context) error {
	ep, err := r.api.createEndpoint(ctx, r.rcURL+"/hook/stats", []string{"reaction.added"})
	if err != nil {
		return err
	}
	per := statsDeliveries / statsMinutes // deliveries a minute; the rest in the last
	_, err = r.pool.Exec(ctx, `INSERT INTO endpoint_stats (tenant_id, endpoint_id, minute, attempts, succeeded, failed, dead_letter, l2, l3, l4, l6)
		SELECT $1, $2, date_trunc('minute', now()) - make_interval(mins => m), $3 + $3/10, $3 - 2, 1, 1, $3/2, $3/4, $3/4, $3/10
		FROM generate_series(0, $4 - 1) AS m`, uuid.MustParse(r.tenantID), uuid.MustParse(ep.ID), per, statsMinutes)
	if err != nil {
		return fmt.Errorf("load stats rows: %w", err)
	}
	// The hourly rollup the attempts would have written beside them.
	_, err = r.pool.Exec(ctx, `INSERT INTO endpoint_stats_hourly (tenant_id, endpoint_id, hour, attempts, succeeded, failed, dead_letter, l2, l3, l4, l6)
		SELECT tenant_id, endpoint_id, date_trunc('hour', minute), sum(attempts), sum(succeeded), sum(failed), sum(dead_letter), sum(l2), sum(l3), sum(l4), sum(l6)
		FROM endpoint_stats WHERE endpoint_id = $1 GROUP BY 1, 2, 3`, uuid.MustParse(ep.ID))
	if err != nil {
		return fmt.Errorf("load hourly stats rows: %w", err)
	}
	if _, err := r.pool.Exec(ctx, "ANALYZE endpoint_stats, endpoint_stats_hourly"); err != nil {
		return err
	}
	now := time.Now().UTC()
	windows := []url.Values{
		{"bucket": {"1h"}, "since": {now.Add(-24 * time.Hour).Format(time.RFC3339)}},
		{"bucket": {"1m"}, "since": {now.Add(-time.Hour).Format(time.RFC3339)}},
		{"bucket": {"1d"}, "since": {now.Add(-30 * 24 * time.Hour).Format(time.RFC3339)}},
	}
	var ds []time.Duration
	for k := 0; k < pagingSamples+20; k++ {
		var out struct {
			Totals struct{ Attempts int } `json:"totals"`
		}
		t := time.Now()
		if err := r.api.do(ctx, http.MethodGet, "/v1/webhooks/"+ep.ID+"/stats?"+windows[k%len(windows)].Encode(), nil, &out); err != nil {
			return err
		}
		if k >= 20 {
			ds = append(ds, time.Since(t))
		}
		if out.Totals.Attempts == 0 {
			return fmt.Errorf("stats of the loaded endpoint are empty")
		}
	}
	r.rep.StatsDeliveries, r.rep.StatsP50Ms, r.rep.StatsP99Ms = statsDeliveries, percentile(ds, 50), percentile(ds, 99)
	return nil
}

// traced is throughput again, on a second dev child exporting every span
// (OTLP/HTTP to the receiver process, which drops them): what tracing costs.
func (r *run) traced(ctx context.Context) error {
	name := r.dbName + "_traced"
	if err := devstack.EnsureDatabase(ctx, r.pg.ServerURL, name); err != nil {
		return err
	}
	dbURL := r.pg.DatabaseURL(name)
	r.dropLater = append(r.dropLater, append([]string{name}, devstack.TemporalDatabases(dbURL)...)...)
	dev, info, err := r.startDevEnv(ctx, dbURL, "traced", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + r.rcURL, "OTEL_SERVICE_NAME=hookline-bench"})
	if err != nil {
		return err
	}
	defer dev.stop()
	c := newAPIClient(info.apiBase, info.apiKey)
	secrets := map[string]string{}
	for i := 0; i < r.o.Endpoints; i++ {
		n := "traced" + strconv.Itoa(i)
		ep, err := c.createEndpoint(ctx, r.rcURL+"/hook/"+n, []string{"comment.created"})
		if err != nil {
			return err
		}
		secrets[n] = ep.Secret
	}
	if err := r.rc.setSecrets(ctx, secrets); err != nil {
		return err
	}
	pool, err := db.Open(ctx, dbURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	count := func(prefix string) (int, error) {
		var n int
		err := pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE event_id LIKE $1 AND status = 'succeeded'", prefix+"%").Scan(&n)
		return n, err
	}
	if _, err := r.publishWith(ctx, c, "traced-warm-", "comment.created", 20, 0); err != nil {
		return err
	}
	if err := waitFor(ctx, time.Minute, "traced warm-up", func() (bool, error) { n, err := count("traced-warm-"); return n >= 20*r.o.Endpoints, err }); err != nil {
		return err
	}
	before, err := r.rc.stats(ctx, false)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := r.publishWith(ctx, c, "traced-", "comment.created", r.o.Events, 0); err != nil {
		return err
	}
	want := r.o.Events * r.o.Endpoints
	if err := waitFor(ctx, 10*time.Minute, "traced deliveries", func() (bool, error) { n, err := count("traced-"); return n >= want, err }); err != nil {
		return err
	}
	var end time.Time
	if err := pool.QueryRow(ctx, "SELECT max(completed_at) FROM deliveries WHERE event_id LIKE 'traced-%'").Scan(&end); err != nil {
		return err
	}
	r.rep.TracedDeliveriesPerSecond = float64(want) / end.Sub(start).Seconds()
	time.Sleep(6 * time.Second) // the batch exporter's interval: count what it sent
	after, err := r.rc.stats(ctx, false)
	if err != nil {
		return err
	}
	r.rep.TracedSpanExports = after.TraceExports - before.TraceExports
	return nil
}
