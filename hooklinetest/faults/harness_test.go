// Harness of the fault suite: counting, publishing like a careful producer,
// worker child processes and the Postgres restart.

package faults

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/devstack"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/signing"
)

// tally is what every scenario reports.
type tally struct {
	published, delivered, missing, duplicates, attempts, badSignatures int
	cause                                                              string
}

func (tl tally) String() string {
	return fmt.Sprintf("published %d, delivered %d (unique webhook-id), missing %d, duplicates %d (%s), attempts %d, bad signatures %d",
		tl.published, tl.delivered, tl.missing, tl.duplicates, tl.cause, tl.attempts, tl.badSignatures)
}

// notSucceeded counts env's deliveries in any state but succeeded.
func notSucceeded(t *testing.T, env *hooklinetest.Env) int {
	t.Helper()
	var n int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM deliveries WHERE status <> 'succeeded'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// count compares the deliveries of endpoint with what rc received.
func count(t *testing.T, env *hooklinetest.Env, endpointID string, rc *hooklinetest.Receiver, cause string) tally {
	t.Helper()
	ctx := context.Background()
	var tl tally
	tl.cause = cause
	rows, err := env.Pool.Query(ctx, "SELECT id::text, status, attempt_count FROM deliveries WHERE endpoint_id = $1", endpointID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for rows.Next() {
		var id, status string
		var n int
		if err := rows.Scan(&id, &status, &n); err != nil {
			t.Fatal(err)
		}
		want[id] = true
		tl.published++
		tl.attempts += n
	}
	seen := map[string]int{}
	for _, r := range rc.Requests() {
		seen[r.Header.Get(signing.HeaderID)]++
		if len(r.Verified) == 0 || !r.Verified[0] {
			tl.badSignatures++
		}
	}
	if tl.badSignatures != 0 {
		t.Errorf("%d requests failed Standard Webhooks verification", tl.badSignatures)
	}
	for id := range want {
		if seen[id] == 0 {
			tl.missing++
		}
	}
	tl.delivered = len(seen)
	for _, n := range seen {
		tl.duplicates += n - 1
	}
	return tl
}

func newEndpoint(t *testing.T, env *hooklinetest.Env, rc *hooklinetest.Receiver, events []string) string {
	t.Helper()
	r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": rc.URL + "/hook", "events": events})
	if r.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	m := r.Map(t)
	rc.SetSecrets(m["secret"].(string))
	return m["id"].(string)
}

// publishAll publishes n events like a careful producer: a failed request is
// retried with the same event id, which publishing is idempotent on. It
// returns how many requests failed and were retried.
func publishAll(t *testing.T, env *hooklinetest.Env, prefix string, n int) int {
	t.Helper()
	var g errgroup.Group
	var retried atomic.Int64
	g.SetLimit(8)
	for i := 0; i < n; i++ {
		g.Go(func() error {
			body := map[string]any{"id": prefix + strconv.Itoa(i), "type": "comment.created", "payload": map[string]any{"i": i}}
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
				if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, body); r.Status < 300 {
					return nil
				}
				retried.Add(1)
				time.Sleep(100 * time.Millisecond)
			}
			return fmt.Errorf("publish %s%d kept failing", prefix, i)
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return int(retried.Load())
}

func waitAllFinal(t *testing.T, env *hooklinetest.Env, endpointID string, timeout time.Duration) {
	t.Helper()
	env.Eventually(timeout, "every delivery to finish", func() bool {
		var open int
		err := env.Pool.QueryRow(context.Background(),
			"SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND status IN ('pending','in_flight')", endpointID).Scan(&open)
		return err == nil && open == 0 // an unreachable database is not "all final"
	})
}

// pgRestartCommand is `pg_ctl restart` for the server env's database lives
// on (devstack.PostgresRestartCommand); skipped when that is not this machine.
func pgRestartCommand(t *testing.T, _ *hooklinetest.Env) *exec.Cmd {
	t.Helper()
	ctx := context.Background()
	admin, err := db.Open(ctx, dbtest.ServerURL(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	cmd, err := devstack.PostgresRestartCommand(ctx, admin)
	if errors.Is(err, devstack.ErrRemotePostgres) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// startWorker runs a Hookline worker for env in a child process (this test
// binary), stopped when the test ends.
func startWorker(t *testing.T, env *hooklinetest.Env) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"HOOKLINE_FAULTS_WORKER=1",
		"FAULTS_DATABASE_URL="+env.DatabaseURL(),
		"FAULTS_TEMPORAL="+env.TemporalHostPort(),
		"FAULTS_NAMESPACE="+env.Namespace,
		"FAULTS_TASK_QUEUE="+env.TaskQueue,
		"FAULTS_KEY="+base64.StdEncoding.EncodeToString(hooklinetest.EncryptionKey()),
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd
}

// childWorker is the worker process of startWorker.
func childWorker() int {
	ctx := context.Background()
	pool, err := db.Open(ctx, os.Getenv("FAULTS_DATABASE_URL"), 8)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child worker:", err)
		return 1
	}
	key, _ := secretbox.ParseKey(os.Getenv("FAULTS_KEY"))
	box, _ := secretbox.New(key)
	c, err := client.Dial(client.Options{HostPort: os.Getenv("FAULTS_TEMPORAL"), Namespace: os.Getenv("FAULTS_NAMESPACE")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child worker:", err)
		return 1
	}
	app := hookline.New(hookline.Options{
		Pool: pool, Box: box, Temporal: c, TaskQueue: os.Getenv("FAULTS_TASK_QUEUE"),
		Guard: netguard.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}), AllowHTTP: true,
		Retry: delivery.RetryPolicy{Schedule: hooklinetest.DefaultSchedule()}, DeliveryTimeout: 5 * time.Second,
		ReconcileAfter: time.Nanosecond, Version: "faults",
	})
	// The ingest sources too, as `hookline worker` runs them.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = app.SourceRunner.Run(ctx) }()
	if err := app.Worker(worker.Options{}).Run(worker.InterruptCh()); err != nil {
		fmt.Fprintln(os.Stderr, "child worker:", err)
		return 1
	}
	return 0
}
