// Package stats serves an endpoint's delivery stats (get-webhook-stats)
// from the per-minute rollup the attempt activity writes (endpoint_stats):
// counts per bucket and attempt-duration percentiles from a fixed
// histogram, so a window costs one row per active minute, however many
// deliveries it held.
package stats

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/endpoint"
)

// Bounds are the upper bounds (ms) of the duration histogram's buckets
// l1…l12. The last two end just past the common timeouts (15 s default,
// 30 s maximum), so an endpoint whose attempts time out reports ~15 or
// ~30 s, not a bucket's midpoint; the last also takes anything longer.
var Bounds = [12]float64{10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 15500, 30500}

// Bucket is the histogram bucket (1-based) of an attempt that took d.
func Bucket(d time.Duration) int {
	ms := float64(d) / float64(time.Millisecond)
	for i, b := range Bounds {
		if ms <= b {
			return i + 1
		}
	}
	return len(Bounds)
}

// Sizes a stats bucket may have, and the most buckets a window may span.
var Sizes = map[string]time.Duration{"1m": time.Minute, "1h": time.Hour, "1d": 24 * time.Hour}

// MaxBuckets bounds a window.
const MaxBuckets = 1000

// Counts are one bucket's (or the window's) figures.
type Counts struct {
	Start      time.Time
	Attempts   int64
	Succeeded  int64
	Failed     int64
	DeadLetter int64
	// P50Ms and P99Ms are attempt-duration percentiles, interpolated in
	// the histogram bucket they fall in (0 without attempts).
	P50Ms, P99Ms float64
	hist         [12]int64
}

func (c *Counts) add(o Counts) {
	c.Attempts += o.Attempts
	c.Succeeded += o.Succeeded
	c.Failed += o.Failed
	c.DeadLetter += o.DeadLetter
	for i := range c.hist {
		c.hist[i] += o.hist[i]
	}
}

// percentile of the histogram: linear within the bucket q falls in.
func (c Counts) percentile(q float64) float64 {
	var n int64
	for _, v := range c.hist {
		n += v
	}
	if n == 0 {
		return 0
	}
	rank := q * float64(n)
	var seen int64
	for i, v := range c.hist {
		if v > 0 && float64(seen+v) >= rank {
			lo := 0.0
			if i > 0 {
				lo = Bounds[i-1]
			}
			return lo + (Bounds[i]-lo)*(rank-float64(seen))/float64(v)
		}
		seen += v
	}
	return Bounds[len(Bounds)-1]
}

func (c *Counts) finish() { c.P50Ms, c.P99Ms = c.percentile(0.50), c.percentile(0.99) }

// Window is the answer: every bucket of [since, until), and the totals.
type Window struct {
	Buckets []Counts
	Totals  Counts
}

// Service reads endpoint stats.
type Service struct {
	Pool *pgxpool.Pool
	Now  func() time.Time // nil: time.Now
}

// Get returns the endpoint's stats in [since, until) by bucket size
// ("1m", "1h", "1d"); zero times default to the last 24 hours.
func (s *Service) Get(ctx context.Context, c audit.Caller, endpointID uuid.UUID, since, until time.Time, size string) (Window, error) {
	step, ok := Sizes[size]
	if !ok {
		return Window{}, apperr.Invalid("query.bucket", size, "bucket is 1m, 1h or 1d")
	}
	if until.IsZero() {
		until = s.now()
	}
	if since.IsZero() {
		since = until.Add(-24 * time.Hour)
	}
	since, until = since.UTC().Truncate(step), until.UTC()
	if !since.Before(until) {
		return Window{}, apperr.Invalid("query.since", since, "since must be before until")
	}
	// Compared before dividing: a window of centuries would overflow.
	if until.Sub(since) > time.Duration(MaxBuckets)*step {
		return Window{}, apperr.Invalid("query.since", since, "the window spans more than %d buckets of %s", MaxBuckets, size)
	}
	n := int((until.Sub(since) + step - 1) / step)
	q := db.Q(s.Pool)
	if _, err := endpoint.Load(ctx, q, c.TenantID, endpointID); err != nil {
		return Window{}, err
	}
	rows, err := s.rows(ctx, q, c.TenantID, endpointID, since, until, step)
	if err != nil {
		return Window{}, err
	}
	w := Window{Buckets: make([]Counts, n)}
	for i := range w.Buckets {
		w.Buckets[i].Start = since.Add(time.Duration(i) * step)
	}
	for _, r := range rows {
		i := int(r.BucketStart.Sub(since) / step)
		if i < 0 || i >= n {
			continue
		}
		w.Buckets[i].add(Counts{Attempts: r.Attempts, Succeeded: r.Succeeded, Failed: r.Failed, DeadLetter: r.DeadLetter,
			hist: [12]int64{r.L1, r.L2, r.L3, r.L4, r.L5, r.L6, r.L7, r.L8, r.L9, r.L10, r.L11, r.L12}})
	}
	for i := range w.Buckets {
		w.Buckets[i].finish()
		w.Totals.add(w.Buckets[i])
	}
	w.Totals.Start = since
	w.Totals.finish()
	return w, nil
}

// rows reads the minute rollup for 1m buckets and the hourly one for
// longer buckets (a month by day is 720 rows, not 43,200).
func (s *Service) rows(ctx context.Context, q *dbq.Queries, tenantID, endpointID uuid.UUID, since, until time.Time, step time.Duration) ([]dbq.EndpointStatsRow, error) {
	bucket := pgtype.Interval{Microseconds: step.Microseconds(), Valid: true}
	if step < time.Hour {
		return q.EndpointStats(ctx, dbq.EndpointStatsParams{Bucket: bucket, Since: since, TenantID: tenantID, EndpointID: endpointID, Until: until})
	}
	hourly, err := q.EndpointStatsHourly(ctx, dbq.EndpointStatsHourlyParams{Bucket: bucket, Since: since, TenantID: tenantID, EndpointID: endpointID, Until: until})
	out := make([]dbq.EndpointStatsRow, len(hourly))
	for i, h := range hourly {
		out[i] = dbq.EndpointStatsRow(h)
	}
	return out, err
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
