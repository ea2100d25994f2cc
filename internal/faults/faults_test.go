// Package faults holds the fault-injection suite: a worker SIGKILLed
// mid-attempt, Postgres connections terminated mid-run, a publisher that dies
// between commit and workflow start, and hostile receivers. Every scenario
// prints published / delivered / missing / duplicates / attempts (go test -v).
// `make test` runs it small; `make faults` runs it with HOOKLINE_FAULT_EVENTS=500.
package faults

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/testenv"
	"github.com/hookline/hookline/workflows"
)

func TestMain(m *testing.M) {
	if os.Getenv("HOOKLINE_FAULTS_WORKER") != "" {
		os.Exit(childWorker())
	}
	os.Exit(m.Run())
}

// events is how many events each scenario publishes.
func events() int {
	if n, err := strconv.Atoi(os.Getenv("HOOKLINE_FAULT_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 20
}

// tally is what every scenario reports.
type tally struct {
	published, delivered, missing, duplicates, attempts int
	cause                                               string
}

func (tl tally) String() string {
	return fmt.Sprintf("published %d, delivered %d (unique webhook-id), missing %d, duplicates %d (%s), attempts %d",
		tl.published, tl.delivered, tl.missing, tl.duplicates, tl.cause, tl.attempts)
}

// count compares the deliveries of endpoint with what rc received.
func count(t *testing.T, env *testenv.Env, endpointID string, rc *testenv.Receiver, cause string) tally {
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

func newEndpoint(t *testing.T, env *testenv.Env, rc *testenv.Receiver, events []string) string {
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
// retried with the same event id, which publishing is idempotent on.
func publishAll(t *testing.T, env *testenv.Env, prefix string, n int) {
	t.Helper()
	var g errgroup.Group
	g.SetLimit(8)
	for i := 0; i < n; i++ {
		g.Go(func() error {
			body := map[string]any{"id": prefix + strconv.Itoa(i), "type": "comment.created", "payload": map[string]any{"i": i}}
			for try := 0; try < 50; try++ {
				if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, body); r.Status < 300 {
					return nil
				}
				time.Sleep(100 * time.Millisecond)
			}
			return fmt.Errorf("publish %s%d kept failing", prefix, i)
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func waitAllFinal(t *testing.T, env *testenv.Env, endpointID string, timeout time.Duration) {
	t.Helper()
	env.Eventually(timeout, "every delivery to finish", func() bool {
		var open int
		_ = env.Pool.QueryRow(context.Background(),
			"SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND status IN ('pending','in_flight')", endpointID).Scan(&open)
		return open == 0
	})
}

// A worker SIGKILLed after the receiver got the request but before the
// attempt was recorded: once a worker runs again the delivery completes,
// redelivered with the same webhook-id.
func TestWorkerKilledMidAttempt(t *testing.T) {
	env := testenv.New(t, testenv.Options{NoWorker: true})
	rc := testenv.NewReceiver(t)
	killed := make(chan struct{})
	var once sync.Once
	rc.Handler = func(n int, w http.ResponseWriter, r *http.Request, _ []byte) {
		if n == 0 {
			once.Do(func() { close(killed) })
			<-r.Context().Done() // the worker dies holding this request
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	ep := newEndpoint(t, env, rc, []string{"*"})
	first := startWorker(t, env)
	publishAll(t, env, "kill-", events())
	select {
	case <-killed:
	case <-time.After(60 * time.Second):
		t.Fatal("no request reached the receiver")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	startWorker(t, env)
	waitAllFinal(t, env, ep, 3*time.Minute)

	tl := count(t, env, ep, rc, "worker killed mid-attempt, attempt retried")
	t.Logf("worker SIGKILL: %s", tl)
	firstID := rc.Requests()[0].Header.Get(signing.HeaderID)
	redelivered := 0
	for _, r := range rc.Requests()[1:] {
		if r.Header.Get(signing.HeaderID) == firstID {
			redelivered++
		}
	}
	if tl.missing != 0 || tl.delivered != tl.published || redelivered == 0 {
		t.Fatalf("%s; the killed attempt was redelivered %d times with its webhook-id", tl, redelivered)
	}
	var status string
	_ = env.Pool.QueryRow(context.Background(), "SELECT status FROM deliveries WHERE id = $1", firstID).Scan(&status)
	if status != activities.StatusSucceeded {
		t.Fatalf("the interrupted delivery is %s", status)
	}
}

// Postgres connections are terminated again and again while deliveries run:
// nothing is lost and nothing stays in_flight once the database is reachable.
func TestPostgresConnectionsTerminated(t *testing.T) {
	env := testenv.New(t)
	rc := testenv.NewReceiver(t)
	ep := newEndpoint(t, env, rc, []string{"*"})
	ctx, stop := context.WithCancel(context.Background())
	var kills int
	done := make(chan struct{})
	go func() {
		defer close(done)
		admin, err := db.Open(context.Background(), testenv.ServerURLFor(env), 1)
		if err != nil {
			return
		}
		defer admin.Close()
		dbName := env.Pool.Config().ConnConfig.Database
		for ctx.Err() == nil {
			var n int
			_ = admin.QueryRow(context.Background(),
				"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", dbName).Scan(&n)
			kills += n
			time.Sleep(150 * time.Millisecond)
		}
	}()
	publishAll(t, env, "pgkill-", events())
	time.Sleep(2 * time.Second)
	stop()
	<-done
	waitAllFinal(t, env, ep, 3*time.Minute)
	tl := count(t, env, ep, rc, "attempt posted, connection killed before it was recorded")
	t.Logf("pg_terminate_backend (%d connections killed): %s", kills, tl)
	if tl.missing != 0 || tl.published != events() || kills == 0 {
		t.Fatalf("%s, %d kills", tl, kills)
	}
	var open int
	_ = env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM deliveries WHERE status <> 'succeeded'").Scan(&open)
	if open != 0 {
		t.Fatalf("%d deliveries not succeeded after recovery", open)
	}
}

// The API dies between the publish commit and the workflow starts: the
// reconcile workflow (run by its schedule in production) delivers everything.
func TestPublisherDiesBeforeStart(t *testing.T) {
	env := testenv.New(t)
	rc := testenv.NewReceiver(t)
	ep := newEndpoint(t, env, rc, []string{"*"})
	ctx := context.Background()
	for i := 0; i < events(); i++ {
		err := db.Tx(ctx, env.Pool, func(q *dbq.Queries) error {
			_, _, err := publish.WriteTx(ctx, q, env.A.ID, publish.Event{ID: "orphan-" + strconv.Itoa(i), Type: "member.joined", Payload: json.RawMessage(`{}`)})
			return err // committed; the process "dies" before starting the workflow
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // past ReconcileAfter (1 s in tests)
	for n := -1; n != 0; {
		run, err := env.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.ReconcileWorkflow)
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Get(ctx, &n); err != nil {
			t.Fatal(err)
		}
	}
	waitAllFinal(t, env, ep, 2*time.Minute)
	tl := count(t, env, ep, rc, "none expected")
	t.Logf("publisher died before workflow start: %s", tl)
	if tl.missing != 0 || tl.duplicates != 0 || tl.published != events() {
		t.Fatal(tl)
	}
}

// Receivers that hang past the timeout, reset connections, answer 503 with
// Retry-After, or answer 410.
func TestHostileReceivers(t *testing.T) {
	env := testenv.New(t) // retries after 1 s and 2 s; HTTP timeout 5 s
	tests := []struct {
		name        string
		handler     func(n int, w http.ResponseWriter, r *http.Request, body []byte)
		final       string
		minAttempts int
	}{
		{"hangs past the timeout once", func(n int, w http.ResponseWriter, r *http.Request, _ []byte) {
			if n == 0 {
				select {
				case <-r.Context().Done():
				case <-time.After(7 * time.Second):
				}
				return
			}
		}, "succeeded", 2},
		{"resets the connection once", func(n int, w http.ResponseWriter, _ *http.Request, _ []byte) {
			if n == 0 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // RST, not FIN
					}
					_ = conn.Close()
				}
			}
		}, "succeeded", 2},
		{"503 with Retry-After", func(n int, w http.ResponseWriter, _ *http.Request, _ []byte) {
			if n == 0 {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}, "succeeded", 2},
		{"410 Gone", func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusGone) }, "failed", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := testenv.NewReceiver(t)
			rc.Handler = tc.handler
			ep := newEndpoint(t, env, rc, []string{"reaction.added"})
			env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "reaction.added", "payload": map[string]any{}})
			waitAllFinal(t, env, ep, time.Minute)
			var status string
			_ = env.Pool.QueryRow(context.Background(), "SELECT status FROM deliveries WHERE endpoint_id = $1", ep).Scan(&status)
			tl := count(t, env, ep, rc, "retried after the failure")
			t.Logf("%s: %s, final %s", tc.name, tl, status)
			if status != tc.final || tl.attempts < tc.minAttempts || tl.missing != 0 {
				t.Fatalf("final %s, %s", status, tl)
			}
		})
		// The endpoint stays; unsubscribe it so the next case's event does not reach it.
		_, _ = env.Pool.Exec(context.Background(), "UPDATE webhook_endpoints SET is_active = false WHERE tenant_id = $1", env.A.ID)
	}
}

// startWorker runs a Hookline worker for env in a child process (this test
// binary), stopped when the test ends.
func startWorker(t *testing.T, env *testenv.Env) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"HOOKLINE_FAULTS_WORKER=1",
		"FAULTS_DATABASE_URL="+env.DatabaseURL(),
		"FAULTS_TEMPORAL="+env.TemporalHostPort(),
		"FAULTS_NAMESPACE="+env.Namespace,
		"FAULTS_TASK_QUEUE="+env.TaskQueue,
		"FAULTS_KEY="+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
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
	guard := netguard.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	disp := &workflows.Dispatcher{Client: c, TaskQueue: os.Getenv("FAULTS_TASK_QUEUE")}
	acts := &activities.Activities{
		Pool: pool, Box: box, HTTP: guard.Client(netguard.ClientOptions{Timeout: 5 * time.Second}),
		ChallengeHTTP: guard.Client(netguard.ClientOptions{Timeout: 5 * time.Second}),
		Policy:        activities.RetryPolicy{Schedule: []time.Duration{time.Second, 2 * time.Second}},
		Publisher:     &publish.Publisher{Pool: pool, Starter: disp}, UserAgent: "Hookline/faults",
		ReconcileAfter: time.Second, RetentionDays: 30,
	}
	w := worker.New(c, disp.TaskQueue, worker.Options{})
	workflows.Register(w, acts)
	if err := w.Run(worker.InterruptCh()); err != nil {
		fmt.Fprintln(os.Stderr, "child worker:", err)
		return 1
	}
	return 0
}
