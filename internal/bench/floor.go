package bench

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"
)

// The floor: what the embedded Temporal server can do at best with one
// workflow per unit of work. Each workflow is the least a delivery could be
// (eager start, one no-op local activity, complete), run by a worker in the
// bench process against the same server as Hookline, with as many starts in
// flight as the throughput phase has (publishers × endpoints).

// floorCounter records when each floor workflow's activity ran.
type floorCounter struct {
	mu   sync.Mutex
	n    int
	last time.Time
}

func (c *floorCounter) Noop(context.Context) error {
	c.mu.Lock()
	c.n++
	c.last = time.Now()
	c.mu.Unlock()
	return nil
}

func (c *floorCounter) state() (int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.last
}

// FloorWorkflow runs one no-op local activity.
func FloorWorkflow(ctx workflow.Context) error {
	var c *floorCounter
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteLocalActivity(ctx, c.Noop).Get(ctx, nil)
}

func (r *run) floor(ctx context.Context) error {
	tc, err := client.Dial(client.Options{HostPort: r.temporalAddr, Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return fmt.Errorf("dial temporal: %w", err)
	}
	defer tc.Close()
	queue := fmt.Sprintf("hookline-bench-floor-%d", time.Now().UnixNano())
	counter := &floorCounter{}
	// The worker's settings are hookline dev's.
	w := worker.New(tc, queue, worker.Options{
		MaxConcurrentWorkflowTaskExecutionSize: 200, MaxConcurrentWorkflowTaskPollers: 8,
	})
	w.RegisterWorkflow(FloorWorkflow)
	w.RegisterActivity(counter)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()

	n := r.o.Events * r.o.Endpoints
	startAll := func(prefix string, n int) error {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(r.o.Concurrency * r.o.Endpoints)
		for i := 0; i < n; i++ {
			g.Go(func() error {
				_, err := tc.ExecuteWorkflow(gctx, client.StartWorkflowOptions{
					ID: fmt.Sprintf("%s-%s%d", queue, prefix, i), TaskQueue: queue, EnableEagerStart: true,
				}, FloorWorkflow)
				return err
			})
		}
		return g.Wait()
	}
	waitRan := func(want int) (time.Time, error) {
		var last time.Time
		err := waitFor(ctx, 10*time.Minute, fmt.Sprintf("%d floor workflows", want), func() (bool, error) {
			var got int
			got, last = counter.state()
			return got >= want, nil
		})
		return last, err
	}
	warm := 100
	if err := startAll("warm-", warm); err != nil {
		return err
	}
	if _, err := waitRan(warm); err != nil {
		return err
	}
	before, err := r.snapshot(ctx, false)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := startAll("run-", n); err != nil {
		return err
	}
	end, err := waitRan(warm + n)
	if err != nil {
		return err
	}
	after, err := r.snapshot(ctx, true)
	if err != nil {
		return err
	}
	events, err := historyEvents(ctx, tc, func(i int) string { return fmt.Sprintf("%s-run-%d", queue, i) }, min(n, 20))
	if err != nil {
		return err
	}
	rep := r.rep
	rep.FloorWorkflows = n
	rep.FloorWorkflowsPerSecond = float64(n) / end.Sub(start).Seconds()
	rep.FloorHistoryEvents = events
	rep.FloorVisibilityWrites = perUnit(before.visibilityWrites, after.visibilityWrites, n)
	rep.FloorHistoryWrites = perUnit(before.historyWrites, after.historyWrites, n)
	rep.FloorCPUMsPerWorkflow = msPer(after.devCPU-before.devCPU+after.selfCPU-before.selfCPU, n)
	rep.FloorCPUMsPostgres = msPer(after.pgCPU-before.pgCPU, n)
	rep.FloorBytesTemporal = perUnit(before.temporalBytes, after.temporalBytes, n)
	return nil
}

// historyEvents is the mean length of the histories of n workflows.
func historyEvents(ctx context.Context, tc client.Client, id func(int) string, n int) (float64, error) {
	total := 0
	for i := 0; i < n; i++ {
		it := tc.GetWorkflowHistory(ctx, id(i), "", false, 0)
		for it.HasNext() {
			if _, err := it.Next(); err != nil {
				return 0, fmt.Errorf("history of %s: %w", id(i), err)
			}
			total++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return float64(total) / float64(n), nil
}
