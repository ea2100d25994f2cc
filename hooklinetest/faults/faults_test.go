// Package faults holds the fault-injection suite: a worker SIGKILLed
// mid-attempt, Postgres connections terminated and the server restarted
// mid-run, a publisher that dies between commit and workflow start, and
// hostile receivers. Every scenario prints published / delivered / missing /
// duplicates / attempts (go test -v). `make test` runs it small; `make
// faults` runs it with HOOKLINE_FAULT_EVENTS=500.
package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/signing"
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

// A worker SIGKILLed after the receiver got the request but before the
// attempt was recorded: once a worker runs again the delivery completes,
// redelivered with the same webhook-id.
func TestWorkerKilledMidAttempt(t *testing.T) {
	env := hooklinetest.New(t, hooklinetest.Options{NoWorker: true})
	rc := hooklinetest.NewReceiver(t)
	killed := make(chan struct{})
	var once sync.Once
	rc.SetHandler(func(n int, w http.ResponseWriter, r *http.Request, _ []byte) {
		if n == 0 {
			once.Do(func() { close(killed) })
			<-r.Context().Done() // the worker dies holding this request
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
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
	if status, _ := env.Delivery(firstID); status != delivery.Succeeded {
		t.Fatalf("the interrupted delivery is %s", status)
	}
	if n := notSucceeded(t, env); n != 0 {
		t.Fatalf("%d deliveries not succeeded after the restart", n)
	}
}

// Postgres connections are terminated again and again while deliveries run:
// nothing is lost and nothing stays in_flight once the database is reachable.
func TestPostgresConnectionsTerminated(t *testing.T) {
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	ep := newEndpoint(t, env, rc, []string{"*"})
	ctx, stop := context.WithCancel(context.Background())
	var kills int
	done := make(chan struct{})
	go func() {
		defer close(done)
		admin, err := db.Open(context.Background(), dbtest.ServerURL(), 1)
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
	if n := notSucceeded(t, env); n != 0 {
		t.Fatalf("%d deliveries not succeeded after recovery", n)
	}
}

// The Postgres server restarts while events are published and delivered:
// publishes refused meanwhile are retried by the producer, attempts that
// could not be recorded are retried by the activity, nothing is lost and
// nothing stays in_flight. Opt-in, because it restarts the server every test
// database lives on: CI and `make faults` set HOOKLINE_FAULT_PG_RESTART=1.
func TestPostgresServerRestarted(t *testing.T) {
	if os.Getenv("HOOKLINE_FAULT_PG_RESTART") == "" {
		t.Skip("restarts the Postgres server: set HOOKLINE_FAULT_PG_RESTART=1 (make faults and CI do)")
	}
	env := hooklinetest.New(t)
	restart := pgRestartCommand(t, env)
	rc := hooklinetest.NewReceiver(t)
	ep := newEndpoint(t, env, rc, []string{"*"})
	started, restarted := make(chan struct{}), make(chan error, 1)
	go func() {
		defer close(restarted)
		for deadline := time.Now().Add(time.Minute); rc.Count() == 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				close(started)
				restarted <- errors.New("no delivery arrived before the restart")
				return
			}
		}
		close(started)
		if out, err := restart.CombinedOutput(); err != nil {
			restarted <- fmt.Errorf("%s: %v: %s", restart, err, out)
		}
	}()
	n := events()
	retried := publishAll(t, env, "pgrestart-a-", n/2)
	<-started
	retried += publishAll(t, env, "pgrestart-b-", n-n/2)
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	waitAllFinal(t, env, ep, 3*time.Minute)
	tl := count(t, env, ep, rc, "attempt posted while the server went down, retried")
	t.Logf("Postgres server restarted (%d publish requests refused and retried): %s", retried, tl)
	notDone := notSucceeded(t, env)
	if tl.missing != 0 || tl.published != n || notDone != 0 {
		t.Fatalf("%s; %d deliveries not succeeded", tl, notDone)
	}
}

// The API dies between the publish commit and the workflow starts: the
// reconcile workflow (run by its schedule in production) delivers everything.
func TestPublisherDiesBeforeStart(t *testing.T) {
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	ep := newEndpoint(t, env, rc, []string{"*"})
	ctx := context.Background()
	for i := 0; i < events(); i++ {
		err := db.Tx(ctx, env.Pool, func(q *dbq.Queries) error {
			_, _, err := env.App.Publisher.WriteTx(ctx, q, env.A.ID, publish.Event{ID: "orphan-" + strconv.Itoa(i), Type: "member.joined", Payload: json.RawMessage(`{}`)})
			return err // committed; the process "dies" before starting the workflow
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for started := -1; started != 0; {
		run, err := env.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.ReconcileWorkflow)
		if err != nil {
			t.Fatal(err)
		}
		var res activities.ReconcileResult
		if err := run.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		started = res.Started
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
	env := hooklinetest.New(t) // retries after 1 s and 2 s; HTTP timeout 5 s
	tests := []struct {
		name     string
		handler  func(n int, w http.ResponseWriter, r *http.Request, body []byte)
		final    string
		attempts int
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
			rc := hooklinetest.NewReceiver(t)
			rc.SetHandler(tc.handler)
			ep := newEndpoint(t, env, rc, []string{"reaction.added"})
			env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "reaction.added", "payload": map[string]any{}})
			waitAllFinal(t, env, ep, time.Minute)
			var status string
			_ = env.Pool.QueryRow(context.Background(), "SELECT status FROM deliveries WHERE endpoint_id = $1", ep).Scan(&status)
			tl := count(t, env, ep, rc, "retried after the failure")
			t.Logf("%s: %s, final %s", tc.name, tl, status)
			if status != tc.final || tl.attempts != tc.attempts || tl.missing != 0 {
				t.Fatalf("final %s, %s", status, tl)
			}
		})
		// The endpoint stays; unsubscribe it so the next case's event does not reach it.
		_, _ = env.Pool.Exec(context.Background(), "UPDATE webhook_endpoints SET is_active = false WHERE tenant_id = $1", env.A.ID)
	}
}
