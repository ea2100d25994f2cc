package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db/dbtest"
)

// queryCounter counts the queries a pool runs.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Scrapes read the last count: 100 concurrent ones run no query at all
// (they used to run one count(*) each, enough to drain a small pool).
func TestBacklogScrapesRunNoQuery(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig(dbtest.New(t).Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	qc := &queryCounter{}
	cfg.ConnConfig.Tracer = qc
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m := New()
	m.WatchBacklog(t.Context(), pool, time.Hour)
	h := m.Handler()
	scrape := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rec.Body.String()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(scrape(), "hookline_deliveries_waiting_retry 0") {
		if time.Now().After(deadline) {
			t.Fatal("the backlog was never counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := qc.n.Load()
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); scrape() }()
	}
	wg.Wait()
	if n := qc.n.Load() - before; n != 0 {
		t.Fatalf("100 scrapes ran %d queries", n)
	}
}
