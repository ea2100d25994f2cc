package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookline/hookline/internal/devstack"
)

// The chaos phase (`make chaos`): the split topology (Temporal, serve, two
// workers) delivers ChaosRate events/s to one endpoint for ChaosDuration
// while a random fault strikes every ChaosGap (uniform between its two
// values). Every delivery must succeed exactly once; the report gives,
// per fault kind, the p99 publish → success delay of the deliveries
// published while it lasted, minus that of the deliveries published with
// no fault about.

// chaosFault is one kind of fault: it runs for as long as it lasts.
type chaosFault struct {
	kind string
	run  func(ctx context.Context) error
}

// chaosWindow is when one fault lasted.
type chaosWindow struct {
	kind       string
	start, end time.Time
}

// chaosSettle is how long after a fault ends its effects still count as
// its own (a restarted process warming up, a retry it caused).
const chaosSettle = 30 * time.Second

func (r *run) chaos(ctx context.Context) error {
	// A retry schedule that heals within minutes: the phase must end.
	p, err := r.startTopology(ctx, "_chaos", "HOOKLINE_RETRY_SCHEDULE=5s,30s,1m,2m,5m,10m,30m")
	if err != nil {
		return err
	}
	defer p.stop()
	ep, err := p.api.createEndpoint(ctx, r.rcURL+"/hook/chaos0", []string{"comment.created"})
	if err != nil {
		return err
	}
	if err := r.rc.setSecrets(ctx, map[string]string{"chaos0": ep.Secret}); err != nil {
		return err
	}
	if err := r.rc.reset(ctx); err != nil {
		return err
	}
	faults, err := r.chaosFaults(ctx, p)
	if err != nil {
		return err
	}
	start := time.Now()
	pubCtx, stopPub := context.WithTimeout(ctx, r.o.ChaosDuration)
	defer stopPub()
	var published, failed atomic.Int64
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); r.chaosPublish(pubCtx, p.api, &published, &failed) }()
	windows := r.chaosStrike(pubCtx, faults)
	<-pubDone
	want := int(published.Load())
	r.o.Log.Info("bench: chaos: publishing done; waiting for every delivery", "published", want, "faults", len(windows))
	if err := waitFor(ctx, 30*time.Minute, "chaos deliveries", func() (bool, error) {
		var n int
		err := p.pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE status = 'succeeded'").Scan(&n)
		return n >= want, err
	}); err != nil {
		return err
	}
	rep := r.rep
	rep.ChaosDurationSec, rep.ChaosRate, rep.ChaosDeliveries, rep.ChaosPublishRetries = time.Since(start).Seconds(), r.o.ChaosRate, want, int(failed.Load())
	rep.ChaosGapMinSec, rep.ChaosGapMaxSec = r.o.ChaosGapMin.Seconds(), r.o.ChaosGapMax.Seconds()
	return r.chaosReport(ctx, p, windows)
}

// chaosPublish publishes ChaosRate events/s until ctx ends, each like a
// careful producer: a failed request is sent again with the same id.
func (r *run) chaosPublish(ctx context.Context, api *apiClient, published, failed *atomic.Int64) {
	tick := time.NewTicker(time.Second / time.Duration(r.o.ChaosRate))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		wg.Go(func() {
			id := fmt.Sprintf("chaos-%d", i)
			// The producer keeps trying after the phase's publishing ends.
			pctx := context.WithoutCancel(ctx)
			for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
				if err := api.publish(pctx, id, "comment.created", samplePayload(i)); err == nil {
					published.Add(1)
					return
				}
				failed.Add(1)
			}
			r.o.Log.Warn("bench: chaos: a publish kept failing for 5 minutes", "id", id)
		})
	}
}

// chaosStrike runs a random fault every ChaosGap until ctx ends.
func (r *run) chaosStrike(ctx context.Context, faults []chaosFault) []chaosWindow {
	var windows []chaosWindow
	for {
		gap := r.o.ChaosGapMin + time.Duration(rand.Int64N(int64(r.o.ChaosGapMax-r.o.ChaosGapMin)+1))
		select {
		case <-ctx.Done():
			return windows
		case <-time.After(gap):
		}
		f := faults[rand.IntN(len(faults))]
		w := chaosWindow{kind: f.kind, start: time.Now()}
		r.o.Log.Info("bench: chaos: fault", "kind", f.kind)
		if err := f.run(context.WithoutCancel(ctx)); err != nil {
			r.o.Log.Warn("bench: chaos: fault failed", "kind", f.kind, "err", err)
		}
		w.end = time.Now()
		windows = append(windows, w)
	}
}

// chaosFaults are the fault kinds this machine can inflict: a Postgres
// restart only when allowed (HOOKLINE_FAULT_PG_RESTART=1, as the fault
// suite) and the server's data directory is here.
func (r *run) chaosFaults(ctx context.Context, p *topologyProcs) ([]chaosFault, error) {
	dbs := append([]string{p.dbName}, devstack.TemporalDatabases(r.pg.DatabaseURL(p.dbName))...)
	hold := func(d time.Duration) error { time.Sleep(d); return nil }
	receiver := func(mode string) func(context.Context) error {
		return func(ctx context.Context) error {
			if err := r.rc.setMode(ctx, "chaos0", mode); err != nil {
				return err
			}
			_ = hold(time.Minute)
			return r.rc.setMode(ctx, "chaos0", "")
		}
	}
	faults := []chaosFault{
		{"worker_kill", func(ctx context.Context) error {
			i := rand.IntN(len(p.workers))
			p.workers[i].kill()
			_ = hold(5 * time.Second)
			return r.startTopoWorker(ctx, p, i)
		}},
		{"connection_kill", func(ctx context.Context) error {
			_, err := r.pool.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()", dbs)
			return err
		}},
		{"temporal_stop", func(ctx context.Context) error { // stopped for 30 s under load
			p.temporal.stop()
			_ = hold(30 * time.Second)
			c, err := r.startChild(ctx, "temporal (dev --temporal-only)", p.temporalArgs, "Temporal is ready")
			p.temporal = c
			return err
		}},
		{"receiver_hang", receiver("hang")},
		{"receiver_fail", receiver("fail")},
	}
	if r.o.ChaosPostgresRestart {
		restart, err := devstack.PostgresRestartCommand(ctx, r.pool)
		if err != nil {
			return nil, fmt.Errorf("postgres restart requested but impossible here: %w", err)
		}
		faults = append(faults, chaosFault{"postgres_restart", func(context.Context) error {
			// The same command each time (its server log appends): asking
			// the restarting server again would fail.
			cmd := exec.Command(restart.Args[0], restart.Args[1:]...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				return fmt.Errorf("pg_ctl restart: %w: %s", err, out)
			}
			return nil
		}})
	}
	return faults, nil
}

// chaosReport fills the report: what was delivered, lost and received
// twice, and each fault kind's added p99 delay.
func (r *run) chaosReport(ctx context.Context, p *topologyProcs, windows []chaosWindow) error {
	st, err := r.rc.stats(ctx, false)
	if err != nil {
		return err
	}
	rep := r.rep
	rep.ChaosDelivered, rep.ChaosDuplicates2xx = st.Answered2xx, st.Duplicates2xx
	rep.ChaosLost = max(rep.ChaosDeliveries-st.Answered2xx, 0)
	rows, err := p.pool.Query(ctx, `SELECT d.created_at, min(a.started_at + a.duration_ms * interval '1 ms')
		FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id AND a.status_code BETWEEN 200 AND 299
		GROUP BY d.id`)
	if err != nil {
		return err
	}
	delays := map[string][]float64{}
	for rows.Next() {
		var created, done time.Time
		if err := rows.Scan(&created, &done); err != nil {
			return err
		}
		kind := "none"
		for _, w := range windows {
			if !created.Before(w.start) && created.Before(w.end.Add(chaosSettle)) {
				kind = w.kind
			}
		}
		delays[kind] = append(delays[kind], float64(done.Sub(created).Milliseconds()))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	base := p99(delays["none"])
	rep.ChaosBaselineP99Ms = base
	for _, w := range windows {
		*rep.chaosKind(w.kind).faults++
	}
	for kind, ds := range delays {
		if kind != "none" {
			*rep.chaosKind(kind).addedP99 = max(p99(ds)-base, 0)
		}
	}
	return nil
}

func p99(ds []float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Float64s(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*0.99))]
}
