package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/signing"
)

// baselines measure, against the same receiver with the same signed bodies,
// (a) a plain worker pool with no persistence — the machine's HTTP limit —
// and (b) a durable Postgres queue (insert, claim with FOR UPDATE SKIP
// LOCKED, POST, record) — what webhook services without Temporal do. They
// live here only, never in the product path.
func (r *run) baselines(ctx context.Context) error {
	secrets := r.secrets
	n := r.o.Events * r.o.Endpoints
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	post := func(ctx context.Context, endpoint, msgID string, body []byte) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.rcURL+"/hook/"+endpoint, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if err := signing.SetHeaders(req.Header, msgID, time.Now(), body, secrets[endpoint]); err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}

	// (a) plain pool.
	if err := r.rc.reset(ctx); err != nil {
		return err
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for i := 0; i < r.o.Events; i++ {
		body := envelope("plain-"+strconv.Itoa(i), i)
		for e := 0; e < r.o.Endpoints; e++ {
			g.Go(func() error { return post(gctx, "ep"+strconv.Itoa(e), uuid.NewString(), body) })
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	r.rep.BaselineDeliveriesPerSecond = float64(n) / time.Since(start).Seconds()

	// (b) durable queue.
	if err := r.rc.reset(ctx); err != nil {
		return err
	}
	if _, err := r.pool.Exec(ctx, `
		CREATE TABLE bench_events (id text PRIMARY KEY, body bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
		CREATE TABLE bench_queue (id uuid PRIMARY KEY, event_id text NOT NULL REFERENCES bench_events, endpoint text NOT NULL,
			status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,
			created_at timestamptz NOT NULL DEFAULT now(), completed_at timestamptz);
		CREATE INDEX bench_queue_pending ON bench_queue (created_at) WHERE status = 'pending';
		CREATE TABLE bench_attempts (queue_id uuid NOT NULL, n int NOT NULL, status_code int, started_at timestamptz NOT NULL, duration_ms int NOT NULL)`); err != nil {
		return err
	}
	var done atomic.Int64
	start = time.Now()
	qctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	workers, wctx := errgroup.WithContext(qctx)
	for w := 0; w < 32; w++ {
		workers.Go(func() error { return r.queueWorker(wctx, post, &done) })
	}
	producers, pctx := errgroup.WithContext(ctx)
	producers.SetLimit(r.o.Concurrency)
	for i := 0; i < r.o.Events; i++ {
		producers.Go(func() error {
			return r.enqueue(pctx, "durable-"+strconv.Itoa(i), envelope("durable-"+strconv.Itoa(i), i))
		})
	}
	if err := producers.Wait(); err != nil {
		return err
	}
	err := waitFor(ctx, 10*time.Minute, "durable baseline", func() (bool, error) { return done.Load() >= int64(n), nil })
	elapsed := time.Since(start)
	stopWorkers()
	if werr := workers.Wait(); werr != nil && werr != context.Canceled {
		return werr
	}
	if err != nil {
		return err
	}
	r.rep.DurableBaselineDeliveriesPerSecond = float64(n) / elapsed.Seconds()
	if r.rep.BaselineDeliveriesPerSecond > 0 {
		r.rep.RatioToBaseline = r.rep.DeliveriesPerSecond / r.rep.BaselineDeliveriesPerSecond
	}
	if r.rep.DurableBaselineDeliveriesPerSecond > 0 {
		r.rep.RatioToDurableBaseline = r.rep.DeliveriesPerSecond / r.rep.DurableBaselineDeliveriesPerSecond
	}
	_, err = r.pool.Exec(ctx, "DROP TABLE bench_attempts, bench_queue, bench_events")
	return err
}

// enqueue is the baseline's publish: the event (stored once) and one queue
// row per endpoint, in one transaction.
func (r *run) enqueue(ctx context.Context, id string, body []byte) error {
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO bench_events (id, body) VALUES ($1, $2)", id, body); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO bench_queue (id, event_id, endpoint)
			SELECT gen_random_uuid(), $1, 'ep' || g FROM generate_series(0, $2 - 1) g`, id, r.o.Endpoints)
		return err
	})
}

// queueWorker claims pending rows, POSTs them and records the outcome.
func (r *run) queueWorker(ctx context.Context, post func(context.Context, string, string, []byte) error, done *atomic.Int64) error {
	for ctx.Err() == nil {
		claimed := 0
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT q.id, q.endpoint, e.body FROM bench_queue q JOIN bench_events e ON e.id = q.event_id
				WHERE q.status = 'pending' ORDER BY q.created_at LIMIT 10 FOR UPDATE OF q SKIP LOCKED`)
			if err != nil {
				return err
			}
			type job struct {
				id       uuid.UUID
				endpoint string
				body     []byte
			}
			var jobs []job
			for rows.Next() {
				var j job
				if err := rows.Scan(&j.id, &j.endpoint, &j.body); err != nil {
					return err
				}
				jobs = append(jobs, j)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for _, j := range jobs {
				t := time.Now()
				code := 204
				if err := post(ctx, j.endpoint, j.id.String(), j.body); err != nil {
					code = 0
				}
				if _, err := tx.Exec(ctx, "INSERT INTO bench_attempts (queue_id, n, status_code, started_at, duration_ms) VALUES ($1, 1, $2, $3, $4)",
					j.id, code, t, time.Since(t).Milliseconds()); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, "UPDATE bench_queue SET status = 'succeeded', attempts = 1, completed_at = now() WHERE id = $1", j.id); err != nil {
					return err
				}
			}
			claimed = len(jobs)
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		done.Add(int64(claimed))
		if claimed == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	return nil
}

// envelope is the body Hookline sends for bench event i.
func envelope(id string, i int) []byte {
	payload, _ := json.Marshal(samplePayload(i))
	return delivery.Envelope(id, "comment.created", time.Now(), payload)
}
