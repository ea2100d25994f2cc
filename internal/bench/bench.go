// Package bench is `hookline bench`: it starts Hookline (`hookline dev` as a
// child process, so its CPU and memory can be read on their own) and a
// signature-checking receiver (another child), drives load through the REST
// API, and measures delivery throughput and latency, two baselines in the same
// run, delivery-log paging over a large table, and the cost of parked retries.
package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/devstack"
)

// Options size a run.
type Options struct {
	Events       int
	Endpoints    int
	Concurrency  int // concurrent publishers
	Rate         int // events/s of the fixed-rate phase (× Endpoints deliveries/s)
	RateDuration time.Duration
	PagingRows   int
	Parked       int
	ParkedWindow time.Duration
	Quick        bool
	DatabaseURL  string // Postgres server to use; empty: like hookline dev
	Exe          string // the hookline binary (os.Executable)
	Keep         bool   // keep the bench databases
	Log          *slog.Logger
	// DevArgs are extra flags for the hookline dev child (tuning experiments).
	DevArgs []string
	// Phases to run (all when empty; --quick leaves out soak): throughput,
	// oauth2, ordered, rate, floor, schema, baselines, paging, stats, parked, brokers, soak, noisy, traced, topology, chaos.
	Phases []string
	// Noisy neighbour: tenant A's NoisyEvents to NoisyEndpoints hanging
	// endpoints; tenant B's latency over NoisyProbe events.
	NoisyEvents, NoisyEndpoints, NoisyProbe int
	// TopologyEvents × Endpoints deliveries go through the split topology.
	TopologyEvents int
	// The soak: SoakRate events/s for SoakDuration with retention
	// compressed to SoakRetention (Hookline's and Temporal's). Not part of
	// a --quick run unless --phases names it.
	SoakRate      int
	SoakDuration  time.Duration
	SoakRetention time.Duration
	// The chaos phase: ChaosRate events/s for ChaosDuration, a fault every
	// ChaosGapMin–ChaosGapMax; a Postgres restart among them only with
	// ChaosPostgresRestart. Not part of any run unless --phases names it.
	ChaosRate                int
	ChaosDuration            time.Duration
	ChaosGapMin, ChaosGapMax time.Duration
	ChaosPostgresRestart     bool
}

// Defaults fills unset sizes: a full run, or a smoke run with Quick.
func (o *Options) Defaults() {
	full := map[bool]Options{
		false: {Events: 2000, Endpoints: 5, Concurrency: 16, Rate: 10, RateDuration: 20 * time.Second, PagingRows: 1_000_000, Parked: 20_000, ParkedWindow: 30 * time.Second,
			NoisyEvents: 100, NoisyEndpoints: 20, NoisyProbe: 100, TopologyEvents: 400,
			SoakRate: 10, SoakDuration: 6 * time.Minute, SoakRetention: time.Minute},
		true: {Events: 200, Endpoints: 5, Concurrency: 16, Rate: 10, RateDuration: 5 * time.Second, PagingRows: 100_000, Parked: 500, ParkedWindow: 10 * time.Second,
			NoisyEvents: 100, NoisyEndpoints: 20, NoisyProbe: 30, TopologyEvents: 400,
			SoakRate: 10, SoakDuration: 4 * time.Minute, SoakRetention: time.Minute},
	}[o.Quick]
	set := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	set(&o.Events, full.Events)
	set(&o.Endpoints, full.Endpoints)
	set(&o.Concurrency, full.Concurrency)
	set(&o.Rate, full.Rate)
	set(&o.PagingRows, full.PagingRows)
	set(&o.Parked, full.Parked)
	set(&o.NoisyEvents, full.NoisyEvents)
	set(&o.NoisyEndpoints, full.NoisyEndpoints)
	set(&o.NoisyProbe, full.NoisyProbe)
	set(&o.TopologyEvents, full.TopologyEvents)
	set(&o.SoakRate, full.SoakRate)
	if o.SoakDuration == 0 {
		o.SoakDuration = full.SoakDuration
	}
	if o.SoakRetention == 0 {
		o.SoakRetention = full.SoakRetention
	}
	set(&o.ChaosRate, 20)
	if o.ChaosDuration == 0 {
		o.ChaosDuration = 30 * time.Minute
	}
	if o.ChaosGapMin == 0 {
		o.ChaosGapMin, o.ChaosGapMax = time.Minute, 3*time.Minute
	}
	o.ChaosGapMax = max(o.ChaosGapMax, o.ChaosGapMin)
	if o.RateDuration == 0 {
		o.RateDuration = full.RateDuration
	}
	if o.ParkedWindow == 0 {
		o.ParkedWindow = full.ParkedWindow
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
}

type run struct {
	o      Options
	rep    *Report
	dir    string
	api    *apiClient
	rc     receiverClient
	rcURL  string
	pool   *pgxpool.Pool
	cost   costs
	pg     *devstack.Postgres
	dbName string
	// dropLater are further databases to drop at the end (unless Keep).
	dropLater []string
	devPID    int
	// temporalAddr is the dev child's Temporal frontend.
	temporalAddr string
	tenantID     string
	adminToken   string
	secrets      map[string]string // receiver path name → endpoint secret
}

// Run performs a whole bench run and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.Defaults()
	start := time.Now()
	r := &run{o: o, rep: newReport(o)}
	dir, err := os.MkdirTemp("", "hookline-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r.dir = dir

	pg, err := devstack.FindPostgres(ctx, o.DatabaseURL, dir, o.Log)
	if err != nil {
		return nil, err
	}
	defer pg.Stop()
	name := fmt.Sprintf("hookline_bench_%d", time.Now().Unix())
	if err := devstack.EnsureDatabase(ctx, pg.ServerURL, name); err != nil {
		return nil, err
	}
	if !o.Keep {
		defer func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			dbs := append(append([]string{name}, devstack.TemporalDatabases(pg.DatabaseURL(name))...), r.dropLater...)
			if err := devstack.DropDatabases(ctx, pg.ServerURL, dbs...); err != nil {
				o.Log.Warn("bench: dropping databases", "err", err)
			}
		}()
	}
	dbURL := pg.DatabaseURL(name)
	r.pg, r.dbName = pg, name

	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	rcAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	r.rc, r.rcURL = receiverClient{base: "http://" + rcAddr}, "http://"+rcAddr
	rc, err := r.startChild(ctx, "receiver", []string{"bench-receiver", "--addr", rcAddr}, "")
	if err != nil {
		return nil, err
	}
	defer rc.stop()
	if err := waitHTTP(ctx, "receiver", r.rcURL+"/_stats"); err != nil {
		return nil, err
	}

	// Parked deliveries must all be waiting on a timer while CPU is
	// measured: a first retry 10 minutes out keeps them there.
	dev, info, err := r.startDev(ctx, dbURL, "dev", append([]string{"--retry-schedule", "10m,1h,2h,5h,10h,10h,10h"}, o.DevArgs...)...)
	if err != nil {
		return nil, err
	}
	defer dev.stop()
	r.devPID = dev.cmd.Process.Pid
	r.temporalAddr = info.temporalAddr
	r.api = newAPIClient(info.apiBase, info.apiKey)
	r.tenantID, r.adminToken = info.tenantID, info.adminToken

	if r.pool, err = db.Open(ctx, dbURL, 8); err != nil {
		return nil, err
	}
	defer r.pool.Close()
	tdbs := devstack.TemporalDatabases(dbURL)
	r.cost.hookline = r.pool
	if r.cost.temporal, err = db.Open(ctx, pg.DatabaseURL(tdbs[0]), 2); err != nil {
		return nil, err
	}
	defer r.cost.temporal.Close()
	if r.cost.visibility, err = db.Open(ctx, pg.DatabaseURL(tdbs[1]), 2); err != nil {
		return nil, err
	}
	defer r.cost.visibility.Close()
	r.cost.postmaster = findPostmaster(ctx, r.pool)

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"throughput", r.throughput},
		{"oauth2", r.oauth2},
		{"ordered", r.ordered},
		{"rate", r.fixedRate},
		// After rate: its backlog of visibility work would disturb the
		// fixed-rate latencies.
		{"floor", r.floor},
		{"schema", r.schema},
		{"baselines", r.baselines},
		{"paging", r.paging},
		{"stats", r.stats},
		{"parked", r.parked},
		{"brokers", r.brokers},
		{"soak", r.soak},
		// It leaves 2,000 deliveries hanging.
		{"noisy", r.noisy},
		// Last: the dev child is stopped first, to leave Postgres connections
		// and CPU to the split topology's four processes.
		// Its own dev child, on fresh databases: the main one is stopped
		// first (two embedded Temporal servers exceed Postgres's default
		// connection limit).
		{"traced", func(ctx context.Context) error {
			dev.stop()
			r.devPID = 0
			return r.traced(ctx)
		}},
		{"topology", func(ctx context.Context) error {
			dev.stop()
			r.devPID = 0
			return r.topology(ctx)
		}},
		{"chaos", func(ctx context.Context) error {
			dev.stop()
			r.devPID = 0
			return r.chaos(ctx)
		}},
	}
	if err := r.setupEndpoints(ctx); err != nil {
		return nil, err
	}
	for _, s := range steps {
		if len(o.Phases) > 0 && !slices.Contains(o.Phases, s.name) {
			continue
		}
		if len(o.Phases) == 0 && (o.Quick && s.name == "soak" || s.name == "chaos") {
			continue // minutes long: only when named
		}
		o.Log.Info("bench: " + s.name)
		t := time.Now()
		if err := s.fn(ctx); err != nil {
			return r.rep, fmt.Errorf("%s: %w", s.name, err)
		}
		o.Log.Info("bench: "+s.name+" done", "took", time.Since(t).Round(100*time.Millisecond))
	}
	r.rep.DurationSec = time.Since(start).Seconds()
	if r.rep.FloorWorkflowsPerSecond > 0 {
		r.rep.RatioToFloor = r.rep.DeliveriesPerSecond / r.rep.FloorWorkflowsPerSecond
	}
	return r.rep, nil
}

// devInfo is how to reach a hookline dev child.
type devInfo struct {
	apiBase, apiKey, tenantID, adminToken, temporalAddr string
}

// startDev runs `hookline dev` on databaseURL (created by dev when missing)
// with its data in r.dir/dataDir and the given extra flags, quiet and
// without the Web UI, and waits until it is ready.
func (r *run) startDev(ctx context.Context, databaseURL, dataDir string, extra ...string) (*child, devInfo, error) {
	return r.startDevEnv(ctx, databaseURL, dataDir, nil, extra...)
}

// startDevEnv is startDev with variables added to the child's environment.
func (r *run) startDevEnv(ctx context.Context, databaseURL, dataDir string, env []string, extra ...string) (*child, devInfo, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, devInfo{}, err
	}
	apiAddr, temporalAddr := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	dir := filepath.Join(r.dir, dataDir)
	// The rate limits are abuse guards, not what is measured: the paging
	// phase lists, and the brokers phase publishes, faster than a tenant
	// is allowed to.
	args := append([]string{"dev", "--manage-rate", "100000", "--publish-rate", "100000", "--publish-rate-per-key", "100000", "--database-url", databaseURL, "--data-dir", dir,
		"--http-addr", apiAddr, "--temporal-address", temporalAddr, "--ui-addr", "", "--log-level", "error"}, extra...)
	c, err := r.startChild(ctx, "hookline dev ("+dataDir+")", args, "Hookline dev is ready", env...)
	if err != nil {
		return nil, devInfo{}, err
	}
	vals := config.ReadEnvFile(filepath.Join(dir, config.DevEnvFile))
	return c, devInfo{apiBase: "http://" + apiAddr, apiKey: vals["HOOKLINE_API_KEY"], tenantID: vals["HOOKLINE_TENANT_ID"],
		adminToken: vals["HOOKLINE_ADMIN_TOKEN"], temporalAddr: temporalAddr}, nil
}

// child is a process the bench started.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// stop asks the child to stop (SIGINT) and kills it after a minute.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// kill ends the child with SIGKILL, as a crash would.
func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// startChild runs the hookline binary with args (and env added to the
// bench's); when ready is set it waits for that line on stdout.
func (r *run) startChild(ctx context.Context, what string, args []string, ready string, env ...string) (*child, error) {
	cmd := exec.Command(r.o.Exe, args...)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	readyc := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := ready == ""
		if signalled {
			close(readyc)
		}
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), ready) {
				signalled = true
				close(readyc)
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(c.done)
	}()
	select {
	case <-readyc:
		return c, nil
	case <-c.done:
		return nil, fmt.Errorf("%s exited before it was ready", what)
	case <-time.After(5 * time.Minute):
		c.stop()
		return nil, fmt.Errorf("%s not ready after 5 minutes", what)
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	}
}

// waitHTTP polls url until it answers 200.
func waitHTTP(ctx context.Context, what, url string) error {
	return waitFor(ctx, 2*time.Minute, what+" to answer", func() (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

func freePorts(n int) ([]int, error) {
	out := make([]int, n)
	for i := range out {
		p, err := devstack.FreePort()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for " + what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
