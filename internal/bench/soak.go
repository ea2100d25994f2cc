package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/devstack"
)

// The soak: a dev child with retention compressed to a minute (Hookline's
// rows and Temporal's closed workflows) takes a steady stream of deliveries
// for SoakDuration while the bench samples the size of both stores. Without
// retention they grow with every delivery; with it they level off once the
// first deliveries age out and autovacuum recycles the deleted rows' space.
// On a server running with autovacuum off (this project's CI machine), the
// bench runs a plain VACUUM of both stores after every sample instead, as
// an aggressive autovacuum would, and says so in the report.

// SoakSample is one reading of the stores during the soak.
type SoakSample struct {
	Seconds       float64 `json:"seconds"`
	Delivered     int     `json:"delivered"` // published so far × endpoints
	LiveRows      int     `json:"live_deliveries"`
	HooklineMB    float64 `json:"hookline_mb"`
	TemporalMB    float64 `json:"temporal_mb"`
	TemporalLiveW int     `json:"temporal_executions"`
}

const soakSampleEvery = 15 * time.Second

func (r *run) soak(ctx context.Context) error {
	name := r.dbName + "_soak"
	dbURL := r.pg.DatabaseURL(name)
	if !r.o.Keep {
		r.dropLater = append(r.dropLater, append([]string{name}, devstack.TemporalDatabases(dbURL)...)...)
	}
	ret := r.o.SoakRetention.String()
	dev, info, err := r.startDev(ctx, dbURL, "soak", "--retention", ret, "--temporal-retention", ret, "--retention-interval", "15s")
	if err != nil {
		return err
	}
	defer dev.stop()
	api := newAPIClient(info.apiBase, info.apiKey)
	secrets := map[string]string{}
	for i := 0; i < r.o.Endpoints; i++ {
		n := "soak" + strconv.Itoa(i)
		ep, err := api.createEndpoint(ctx, r.rcURL+"/hook/"+n, []string{"comment.created"})
		if err != nil {
			return err
		}
		secrets[n] = ep.Secret
	}
	if err := r.rc.setSecrets(ctx, secrets); err != nil {
		return err
	}
	pools := make([]*pgxpool.Pool, 3)
	for i, u := range append([]string{dbURL}, devstack.TemporalDatabases(dbURL)...) {
		if i > 0 {
			u = r.pg.DatabaseURL(u)
		}
		if pools[i], err = db.Open(ctx, u, 2); err != nil {
			return err
		}
		defer pools[i].Close()
	}

	var autovacuum string
	if err := pools[0].QueryRow(ctx, "SHOW autovacuum").Scan(&autovacuum); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	r.rep.SoakVacuum = "autovacuum"
	if autovacuum != "on" {
		r.rep.SoakVacuum = "bench"
	}

	n := r.o.SoakRate * int(r.o.SoakDuration/time.Second)
	start := time.Now()
	pubErr := make(chan error, 1)
	go func() {
		_, err := r.publishWith(ctx, api, "soak-", "comment.created", n, r.o.SoakRate)
		pubErr <- err
	}()
	var series []SoakSample
	for done := false; !done; {
		select {
		case err := <-pubErr:
			if err != nil {
				return err
			}
			done = true
		case <-time.After(soakSampleEvery):
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.rep.SoakVacuum == "bench" {
			for _, p := range pools {
				if _, err := p.Exec(ctx, "VACUUM"); err != nil {
					return fmt.Errorf("soak: vacuum: %w", err)
				}
			}
		}
		s, err := soakSample(ctx, pools)
		if err != nil {
			return err
		}
		s.Seconds, s.Delivered = time.Since(start).Seconds(), int(api.published.Load())*r.o.Endpoints
		series = append(series, s)
		r.o.Log.Info("bench: soak", "seconds", int(s.Seconds), "delivered", s.Delivered, "live", s.LiveRows,
			"hookline_mb", fmt.Sprintf("%.1f", s.HooklineMB), "temporal_mb", fmt.Sprintf("%.1f", s.TemporalMB))
	}
	r.reportSoak(series)
	return nil
}

func soakSample(ctx context.Context, pools []*pgxpool.Pool) (SoakSample, error) {
	const size = `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint FROM pg_stat_user_tables`
	var s SoakSample
	var hb, tb, vb int64
	for _, q := range []struct {
		pool *pgxpool.Pool
		sql  string
		dst  any
	}{
		{pools[0], size, &hb}, {pools[1], size, &tb}, {pools[2], size, &vb},
		{pools[0], "SELECT count(*) FROM deliveries", &s.LiveRows},
		{pools[1], "SELECT count(*) FROM executions", &s.TemporalLiveW},
	} {
		if err := q.pool.QueryRow(ctx, q.sql).Scan(q.dst); err != nil {
			return s, fmt.Errorf("soak sample: %w", err)
		}
	}
	s.HooklineMB, s.TemporalMB = float64(hb)/(1<<20), float64(tb+vb)/(1<<20)
	return s, nil
}

// reportSoak compares the stores half-way through the soak with the end.
func (r *run) reportSoak(series []SoakSample) {
	if len(series) < 2 {
		return
	}
	mid, end := series[len(series)/2], series[len(series)-1]
	rep := r.rep
	rep.SoakSeries = series
	rep.SoakSeconds = end.Seconds
	rep.SoakDeliveries = end.Delivered
	rep.SoakRetentionSeconds = r.o.SoakRetention.Seconds()
	rep.SoakHooklineMBMid, rep.SoakHooklineMBEnd = mid.HooklineMB, end.HooklineMB
	rep.SoakTemporalMBMid, rep.SoakTemporalMBEnd = mid.TemporalMB, end.TemporalMB
	rep.SoakDeliveredSecondHalf = end.Delivered - mid.Delivered
}
