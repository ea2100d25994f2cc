package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/devstack"
	"github.com/hookline/hookline/internal/secretbox"
)

// The split topology: Temporal (`hookline dev --temporal-only`), `hookline
// serve` and two `hookline worker` processes, on databases of their own.
// TopologyEvents × Endpoints deliveries are published; once a quarter have
// succeeded one worker is SIGKILLed. Every delivery must still succeed and
// reach the receiver, and both workers must have made attempts.

// topologyProcs are the split topology's processes.
type topologyProcs struct {
	temporal, serve *child
	workers         [2]*child
	metrics         [2]string // each worker's /metrics URL
	api             *apiClient
	pool            *pgxpool.Pool
	// How to start Temporal and a worker again (the chaos phase).
	temporalArgs []string
	env          []string
	dbName       string
}

func (p *topologyProcs) stop() {
	for _, c := range []*child{p.workers[0], p.workers[1], p.serve, p.temporal} {
		if c != nil {
			c.stop()
		}
	}
	if p.pool != nil {
		p.pool.Close()
	}
}

func (r *run) startTopology(ctx context.Context, suffix string, extraEnv ...string) (*topologyProcs, error) {
	name := r.dbName + suffix
	if err := devstack.EnsureDatabase(ctx, r.pg.ServerURL, name); err != nil {
		return nil, err
	}
	if !r.o.Keep {
		r.dropLater = append(r.dropLater, append([]string{name}, devstack.TemporalDatabases(r.pg.DatabaseURL(name))...)...)
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	dbURL := r.pg.DatabaseURL(name)
	temporalAddr, apiAddr := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	p := &topologyProcs{dbName: name, temporalArgs: []string{"dev", "--temporal-only", "--database-url", dbURL,
		"--data-dir", filepath.Join(r.dir, "topo"), "--temporal-address", temporalAddr, "--ui-addr", "", "--log-level", "error"}}
	fail := func(err error) (*topologyProcs, error) { p.stop(); return nil, err }
	if p.temporal, err = r.startChild(ctx, "temporal (dev --temporal-only)", p.temporalArgs, "Temporal is ready"); err != nil {
		return fail(err)
	}
	adminSecret := secretbox.NewKey()
	p.env = append([]string{"DATABASE_URL=" + dbURL, "HOOKLINE_ENCRYPTION_KEY=" + secretbox.NewKey(), "HOOKLINE_ADMIN_JWT_SECRET=" + adminSecret,
		"HOOKLINE_TEMPORAL_ADDRESS=" + temporalAddr, "HOOKLINE_ALLOW_HTTP=true", "HOOKLINE_ALLOWED_CIDRS=127.0.0.0/8", "HOOKLINE_LOG_LEVEL=error", "HOOKLINE_DB_MAX_CONNS=8"}, extraEnv...)
	if p.serve, err = r.startChild(ctx, "hookline serve", []string{"serve"}, "", append(p.env, "HOOKLINE_HTTP_ADDR="+apiAddr, "HOOKLINE_PUBLIC_URL=http://"+apiAddr)...); err != nil {
		return fail(err)
	}
	if err := waitHTTP(ctx, "hookline serve", "http://"+apiAddr+"/readyz"); err != nil {
		return fail(err)
	}
	for i := range p.workers {
		p.metrics[i] = fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[2+i])
		if err := r.startTopoWorker(ctx, p, i); err != nil {
			return fail(err)
		}
	}
	token, err := authn.MintHS256(authn.JWTConfig{HMACSecret: []byte(adminSecret), Issuer: "hookline", Audience: "hookline-admin"},
		"bench", []string{"*"}, authn.AllPermissions, time.Hour, time.Now())
	if err != nil {
		return fail(err)
	}
	if p.api, err = newTenant(ctx, newAPIClient("http://"+apiAddr, token), "topology"); err != nil {
		return fail(err)
	}
	if p.pool, err = db.Open(ctx, dbURL, 2); err != nil {
		return fail(err)
	}
	return p, nil
}

// startTopoWorker starts worker i of p (again) and waits for its probes.
func (r *run) startTopoWorker(ctx context.Context, p *topologyProcs, i int) error {
	addr := strings.TrimSuffix(strings.TrimPrefix(p.metrics[i], "http://"), "/metrics")
	c, err := r.startChild(ctx, "hookline worker", []string{"worker"}, "", append(p.env, "HOOKLINE_METRICS_ADDR="+addr)...)
	if err != nil {
		return err
	}
	p.workers[i] = c
	return waitHTTP(ctx, "hookline worker", p.metrics[i])
}

func (r *run) topology(ctx context.Context) error {
	p, err := r.startTopology(ctx, "_topo")
	if err != nil {
		return err
	}
	defer p.stop()
	secrets := map[string]string{}
	for i := 0; i < r.o.Endpoints; i++ {
		name := "topo" + strconv.Itoa(i)
		ep, err := p.api.createEndpoint(ctx, r.rcURL+"/hook/"+name, []string{"comment.created"})
		if err != nil {
			return err
		}
		secrets[name] = ep.Secret
	}
	if err := r.rc.setSecrets(ctx, secrets); err != nil {
		return err
	}
	if err := r.rc.reset(ctx); err != nil {
		return err
	}
	want := r.o.TopologyEvents * r.o.Endpoints
	succeeded := func() (n int, err error) {
		err = p.pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE status = 'succeeded'").Scan(&n)
		return n, err
	}

	scrapeCtx, stopScrape := context.WithCancel(ctx)
	attempts := &workerAttempts{}
	var scrapers sync.WaitGroup
	scrapers.Add(1)
	go func() { defer scrapers.Done(); attempts.scrape(scrapeCtx, p.metrics) }()
	defer func() { stopScrape(); scrapers.Wait() }()

	start := time.Now()
	pubErr := make(chan error, 1)
	go func() {
		_, err := r.publishWith(ctx, p.api, "topo-", "comment.created", r.o.TopologyEvents, 0)
		pubErr <- err
	}()
	var killedAt time.Time
	var killedAfter int
	err = waitFor(ctx, 10*time.Minute, "split-topology deliveries", func() (bool, error) {
		n, err := succeeded()
		if err != nil {
			return false, err
		}
		if killedAt.IsZero() && n >= want/4 {
			p.workers[0].kill()
			killedAt, killedAfter = time.Now(), n
			r.o.Log.Info("bench: topology: worker 1 SIGKILLed", "succeeded", n, "of", want)
		}
		return n >= want, nil
	})
	if err != nil {
		return err
	}
	if err := <-pubErr; err != nil {
		return err
	}
	doneAt := time.Now()
	stopScrape()
	scrapers.Wait()
	r.rep.TopologyDeliveriesPerSecond = float64(want) / doneAt.Sub(start).Seconds()
	r.rep.TopologyKilledAfter = killedAfter
	r.rep.TopologyRecoverySeconds = doneAt.Sub(killedAt).Seconds()
	return r.checkTopology(ctx, p, attempts, want)
}

// checkTopology compares the deliveries with what the receiver saw.
func (r *run) checkTopology(ctx context.Context, p *topologyProcs, attempts *workerAttempts, want int) error {
	st, err := r.rc.stats(ctx, true)
	if err != nil {
		return err
	}
	rows, err := p.pool.Query(ctx, "SELECT id::text FROM deliveries")
	if err != nil {
		return err
	}
	lost, total := 0, 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		total++
		if _, ok := st.Arrivals[id]; !ok {
			lost++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rep := r.rep
	rep.TopologyDeliveries = total
	rep.TopologyLost = lost + (want - total)
	rep.TopologyDuplicates = st.Duplicates
	rep.TopologyBadSignatures = st.BadSignatures
	a := attempts.get()
	rep.TopologyAttemptsKilledWorker, rep.TopologyAttemptsSurvivor = a[0], a[1]
	var problems []string
	if rep.TopologyLost > 0 {
		problems = append(problems, fmt.Sprintf("%d deliveries lost", rep.TopologyLost))
	}
	if st.BadSignatures > 0 {
		problems = append(problems, fmt.Sprintf("%d bad signatures", st.BadSignatures))
	}
	if a[0] == 0 || a[1] == 0 {
		problems = append(problems, fmt.Sprintf("attempts not split across the workers (%d, %d)", a[0], a[1]))
	}
	if len(problems) > 0 {
		return errors.New("split topology: " + strings.Join(problems, "; "))
	}
	return nil
}

// workerAttempts keeps the last hookline_delivery_attempts_total each worker
// reported: a killed worker's count is what it said before it died.
type workerAttempts struct {
	mu sync.Mutex
	n  [2]int
}

func (w *workerAttempts) get() [2]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *workerAttempts) scrape(ctx context.Context, urls [2]string) {
	for {
		for i, u := range urls {
			if n, err := attemptsTotal(ctx, u); err == nil {
				w.mu.Lock()
				w.n[i] = n
				w.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// attemptsTotal sums hookline_delivery_attempts_total over its labels.
func attemptsTotal(ctx context.Context, url string) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	total := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "hookline_delivery_attempts_total") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			total += v
		}
	}
	return int(total), sc.Err()
}
