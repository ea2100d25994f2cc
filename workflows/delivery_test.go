package workflows_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/workflows"
)

// runDelivery runs DeliveryWorkflow with time skipping and returns its
// result and the retry timers it set, in order.
func runDelivery(t *testing.T, f *fixture, setup func(env *testsuite.TestWorkflowEnvironment)) (workflows.DeliveryResult, []time.Duration) {
	return runDeliveryWith(t, f, workflows.DeliveryInput{DeliveryID: f.deliveryID}, setup)
}

func runDeliveryWith(t *testing.T, f *fixture, in workflows.DeliveryInput, setup func(env *testsuite.TestWorkflowEnvironment)) (workflows.DeliveryResult, []time.Duration) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	var timers []time.Duration
	env.SetOnTimerScheduledListener(func(_ string, d time.Duration) { timers = append(timers, d) })
	if setup != nil {
		setup(env)
	}
	env.ExecuteWorkflow(workflows.DeliveryWorkflow, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var res workflows.DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res, timers
}

func TestDeliveryWorkflowSchedules(t *testing.T) {
	t.Parallel()
	s := delivery.DefaultSchedule
	tests := []struct {
		name     string
		reply    func(n int, w http.ResponseWriter, body []byte)
		status   delivery.Status
		attempts int
		timers   []time.Duration
	}{
		{"success first try", status(200), delivery.Succeeded, 1, nil},
		{"success after 3 failures", func(n int, w http.ResponseWriter, _ []byte) {
			if n < 3 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}, delivery.Succeeded, 4, s[:3]},
		{"budget exhausted", status(503), delivery.DeadLetter, 8, s},
		{"410 is permanent", status(410), delivery.Failed, 1, nil},
		{"400 is permanent", status(400), delivery.Failed, 1, nil},
		{"429 retries", func(n int, w http.ResponseWriter, _ []byte) {
			if n == 0 {
				w.WriteHeader(http.StatusTooManyRequests)
			}
		}, delivery.Succeeded, 2, s[:1]},
		{"redirect is a failure", func(n int, w http.ResponseWriter, _ []byte) {
			if n == 0 {
				w.Header().Set("Location", "http://127.0.0.1:1/")
				w.WriteHeader(http.StatusFound)
			}
		}, delivery.Succeeded, 2, s[:1]},
		{"retry-after honoured", func(n int, w http.ResponseWriter, _ []byte) {
			if n == 0 {
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}, delivery.Succeeded, 2, []time.Duration{120 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.reply)
			res, timers := runDelivery(t, f, nil)
			if res.Status != tc.status || res.Attempts != tc.attempts || !slices.Equal(timers, tc.timers) {
				t.Fatalf("got %s after %d attempts, timers %v; want %s after %d, timers %v",
					res.Status, res.Attempts, timers, tc.status, tc.attempts, tc.timers)
			}
			d := f.delivery(t)
			if d.Status != tc.status || int(d.AttemptCount) != tc.attempts || f.rc.Count() != tc.attempts || d.CompletedAt == nil || d.NextAttemptAt != nil {
				t.Fatalf("row %+v, receiver hits %d", d, f.rc.Count())
			}
			atts, _ := f.q.ListAttempts(context.Background(), f.deliveryID)
			if len(atts) != tc.attempts {
				t.Fatalf("%d attempt rows", len(atts))
			}
		})
	}
}

func TestDeliveryWorkflowCancelMidBackoff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, status(500))
	res, timers := runDelivery(t, f, func(env *testsuite.TestWorkflowEnvironment) {
		// 5 s + a minute in: waiting out the 5 min delay after attempt 2.
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalCancel, nil) }, 65*time.Second)
	})
	if res.Status != delivery.Cancelled || res.Attempts != 2 || len(timers) != 2 {
		t.Fatalf("result %+v, timers %v", res, timers)
	}
	if d := f.delivery(t); d.Status != delivery.InFlight || d.AttemptCount != 2 || f.rc.Count() != 2 {
		t.Fatalf("a cancelled workflow wrote on: %+v", d)
	}
}

func TestDeliveryWorkflowWakeAfterDeactivation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, status(500))
	res, _ := runDelivery(t, f, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			if _, err := f.q.UpdateEndpoint(context.Background(), dbq.UpdateEndpointParams{
				TenantID: f.tenantID, ID: f.endpointID, Url: f.rc.URL, Events: []string{"*"}, IsActive: false, MaxInFlight: 10,
				Ordering: delivery.Unordered, OnExhausted: delivery.Block,
			}); err != nil {
				t.Error(err)
			}
			env.SignalWorkflow(workflows.SignalWake, nil)
		}, time.Minute)
	})
	if res.Status != delivery.Failed || res.Error != "endpoint disabled" || f.rc.Count() != 2 {
		t.Fatalf("result %+v after %d requests", res, f.rc.Count())
	}
}

func TestDeliveryWorkflowEndsWhenRowIsGone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, status(500))
	res, _ := runDelivery(t, f, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			if _, err := f.q.DeleteEndpoint(context.Background(), dbq.DeleteEndpointParams{TenantID: f.tenantID, ID: f.endpointID}); err != nil {
				t.Error(err)
			}
		}, time.Second)
	})
	if res.Status != delivery.Gone || f.rc.Count() != 1 {
		t.Fatalf("result %+v after %d requests", res, f.rc.Count())
	}
}

// Attempts as regular activities (RemoteAttempts) follow the same schedule.
func TestDeliveryWorkflowRemoteAttempts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(n int, w http.ResponseWriter, _ []byte) {
		if n < 2 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	res, timers := runDeliveryWith(t, f, workflows.DeliveryInput{DeliveryID: f.deliveryID, RemoteAttempts: true}, nil)
	if res.Status != delivery.Succeeded || res.Attempts != 3 || !slices.Equal(timers, delivery.DefaultSchedule[:2]) {
		t.Fatalf("result %+v, timers %v", res, timers)
	}
}
