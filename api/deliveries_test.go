package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/workflows"
)

type endpointFixture struct {
	id     string
	secret string
	rc     *hooklinetest.Receiver
}

func newEndpoint(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, events []string, active bool) endpointFixture {
	t.Helper()
	rc := hooklinetest.NewReceiver(t)
	ep := createEndpoint(t, env, env.Paths(tenant)[0], map[string]any{"url": rc.URL + "/hook", "events": events, "is_active": active})
	rc.SetSecrets(ep.Secret)
	return endpointFixture{id: ep.ID.String(), secret: ep.Secret, rc: rc}
}

func deliveriesOf(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, endpointID, query string) []api.Delivery {
	t.Helper()
	r := env.Do(http.MethodGet, "/v1/webhooks/"+endpointID+"/deliveries"+query, tenant.Key, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list deliveries: %d %s", r.Status, r.Body)
	}
	return decode[deliveryPage](t, r).Data
}

// deliveryRows counts the delivery rows of an endpoint, whatever their tenant.
func deliveryRows(t *testing.T, env *hooklinetest.Env, endpointID string) int {
	t.Helper()
	var n int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM deliveries WHERE endpoint_id = $1", endpointID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPublishDeliversSignedPayloadToSubscribersOnly(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	subscribed := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	wildcard := newEndpoint(t, env, env.A, []string{"*"}, true)
	inactive := newEndpoint(t, env, env.A, []string{"comment.created"}, false)
	other := newEndpoint(t, env, env.A, []string{"member.joined"}, true)
	foreign := newEndpoint(t, env, env.B, []string{"*"}, true)

	payload := `{"comment_id":"c_1",  "body":"<b>héllo</b> & bye","n":[1,2.50]}`
	raw := `{"id":"evt_42","type":"comment.created","payload":` + payload + `}`
	r := env.Do(http.MethodPost, "/v1/events", env.A.Key, raw)
	if res := decode[publish.Result](t, r); r.Status != http.StatusAccepted || res.Deliveries != 2 || res.ID != "evt_42" {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	for _, f := range []endpointFixture{subscribed, wildcard} {
		env.Eventually(20*time.Second, "delivery to "+f.id, func() bool { return f.rc.Count() == 1 })
		req := f.rc.Requests()[0]
		if !req.Verified[0] {
			t.Fatalf("official standardwebhooks library rejected the signature: %v", req.Header)
		}
		if !strings.Contains(string(req.Body), `"data":`+payload+`}`) {
			t.Fatalf("payload not delivered byte for byte: %s", req.Body)
		}
		var envelope struct {
			ID, Type string
		}
		_ = json.Unmarshal(req.Body, &envelope)
		if envelope.ID != "evt_42" || envelope.Type != "comment.created" || !strings.HasPrefix(req.Header.Get("User-Agent"), "Hookline/") {
			t.Fatalf("envelope: %s %v", req.Body, req.Header)
		}
	}
	// Wait for the write-back, then check the log.
	for _, f := range []endpointFixture{subscribed, wildcard} {
		var ds []api.Delivery
		env.Eventually(10*time.Second, "succeeded in the log", func() bool {
			ds = deliveriesOf(t, env, env.A, f.id, "")
			return len(ds) == 1 && ds[0].Status == delivery.Succeeded
		})
		if ds[0].AttemptCount != 1 || !intIs(ds[0].LastStatusCode, 204) || ds[0].CompletedAt == nil {
			t.Fatalf("delivery row: %s", show(ds[0]))
		}
		if got := f.rc.Requests()[0].Header.Get("webhook-id"); got != ds[0].ID.String() {
			t.Fatalf("webhook-id %q is not the delivery id %s", got, ds[0].ID)
		}
		det := env.Do(http.MethodGet, "/v1/webhooks/"+f.id+"/deliveries/"+ds[0].ID.String(), env.A.Key, nil)
		atts := decode[api.DeliveryDetail](t, det).Attempts
		if det.Status != http.StatusOK || len(atts) != 1 || !intIs(atts[0].StatusCode, 204) || !strings.Contains(string(det.Body), `"payload":{"comment_id":"c_1"`) {
			t.Fatalf("get delivery: %d %s", det.Status, det.Body)
		}
	}

	// Publishing the same id again creates nothing new.
	again := env.Do(http.MethodPost, "/admin/v1/tenants/"+env.A.ID.String()+"/events", env.A.AdminToken, raw)
	if again.Status != http.StatusOK || decode[publish.Result](t, again).Deliveries != 2 {
		t.Fatalf("re-publish: %d %s", again.Status, again.Body)
	}
	// Nothing is sent without a delivery row, and publishing writes its rows
	// before it answers: the rows alone show who can ever receive the event.
	for name, f := range map[string]endpointFixture{"inactive": inactive, "unsubscribed": other, "other tenant": foreign} {
		if n := deliveryRows(t, env, f.id); n != 0 || f.rc.Count() != 0 {
			t.Errorf("%s endpoint has %d delivery rows and received %d requests", name, n, f.rc.Count())
		}
	}
	var rows int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM deliveries").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || deliveryRows(t, env, subscribed.id) != 1 || deliveryRows(t, env, wildcard.id) != 1 {
		t.Fatalf("re-publish created deliveries: %d rows in all", rows)
	}
	if subscribed.rc.Count() != 1 || wildcard.rc.Count() != 1 {
		t.Fatalf("re-publish delivered again")
	}
}

func TestRetryDeadLetterAndReplay(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t) // retry schedule 1s, 2s: three attempts
	flaky := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	flaky.rc.SetHandler(func(n int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		if n < 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	down := newEndpoint(t, env, env.A, []string{"comment.deleted"}, true)
	failing := true
	down.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	gone := newEndpoint(t, env, env.A, []string{"member.joined"}, true)
	gone.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusGone) })

	for _, typ := range []string{"comment.created", "comment.deleted", "member.joined"} {
		if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": typ, "payload": map[string]any{"t": typ}}); r.Status != http.StatusAccepted {
			t.Fatalf("publish %s: %d %s", typ, r.Status, r.Body)
		}
	}
	only := func(f endpointFixture) api.Delivery {
		ds := deliveriesOf(t, env, env.A, f.id, "")
		if len(ds) != 1 {
			t.Fatalf("endpoint has %d deliveries", len(ds))
		}
		return ds[0]
	}
	env.WaitDelivery(only(flaky).ID.String(), "succeeded", 30*time.Second)
	env.WaitDelivery(only(down).ID.String(), "dead_letter", 30*time.Second)
	env.WaitDelivery(only(gone).ID.String(), "failed", 30*time.Second)

	if d := only(flaky); d.AttemptCount != 3 || flaky.rc.Count() != 3 {
		t.Fatalf("flaky: %s, %d requests", show(d), flaky.rc.Count())
	}
	ids := map[string]bool{}
	for _, r := range flaky.rc.Requests() {
		ids[r.Header.Get("webhook-id")] = true
	}
	if len(ids) != 1 {
		t.Fatalf("webhook-id changed across retries: %v", ids)
	}
	if d := only(down); d.AttemptCount != 3 || !intIs(d.LastStatusCode, 503) || d.NextAttemptAt != nil {
		t.Fatalf("dead letter row: %s", show(d))
	}
	if d := only(gone); d.AttemptCount != 1 || !intIs(d.LastStatusCode, 410) || gone.rc.Count() != 1 {
		t.Fatalf("410 row: %s", show(d))
	}

	// Replays: succeeded → 422; dead_letter → a new delivery, delivered with a new webhook-id.
	flakyID := only(flaky).ID.String()
	if r := env.Do(http.MethodPost, "/v1/webhooks/"+flaky.id+"/deliveries/"+flakyID+"/replay", env.A.Key, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("replay succeeded: %d %s", r.Status, r.Body)
	}
	if _, err := env.Pool.Exec(context.Background(), "UPDATE deliveries SET status = 'in_flight' WHERE id = $1", flakyID); err != nil {
		t.Fatal(err)
	}
	if r := env.Do(http.MethodPost, "/v1/webhooks/"+flaky.id+"/deliveries/"+flakyID+"/replay", env.A.Key, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("replay in_flight: %d %s", r.Status, r.Body)
	}
	failing = false
	deadID := only(down).ID.String()
	rep := env.Do(http.MethodPost, "/admin/v1/tenants/"+env.A.ID.String()+"/webhooks/"+down.id+"/deliveries/"+deadID+"/replay", env.A.AdminToken, nil)
	rm := decode[api.Delivery](t, rep)
	if rep.Status != http.StatusAccepted || rm.ReplayOf == nil || rm.ReplayOf.String() != deadID || rm.ID.String() == deadID || rm.Status != delivery.Pending {
		t.Fatalf("replay: %d %s", rep.Status, rep.Body)
	}
	env.WaitDelivery(rm.ID.String(), "succeeded", 20*time.Second)
	last := down.rc.Requests()[down.rc.Count()-1]
	if last.Header.Get("webhook-id") != rm.ID.String() || !last.Verified[0] {
		t.Fatalf("replayed request: %v", last.Header)
	}
}

func TestBlockedAddressFailsDelivery(t *testing.T) {
	t.Parallel()
	// The API accepts the loopback URL (as it would a hostname that resolves
	// to loopback); the worker's dialer must refuse it.
	env := hooklinetest.New(t, hooklinetest.Options{DeliveryCIDRs: []netip.Prefix{}})
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{}})
	var d *api.Delivery
	env.Eventually(20*time.Second, "blocked delivery to fail", func() bool {
		ds := deliveriesOf(t, env, env.A, f.id, "")
		if len(ds) == 1 {
			d = &ds[0]
		}
		return d != nil && d.Status == delivery.Failed
	})
	if f.rc.Count() != 0 || d.LastError == nil || !strings.Contains(*d.LastError, "blocked address") || d.AttemptCount != 1 {
		t.Fatalf("blocked delivery: %s, %d requests", show(d), f.rc.Count())
	}
	if strings.Contains(*d.LastError, "127.0.0.1") {
		t.Fatalf("last_error shows the tenant the resolved address: %q", *d.LastError)
	}
}

func TestRotationSignsWithBothSecretsDuringGrace(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	rot := env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/rotate-secret", env.A.Key, map[string]any{"grace_period_seconds": 600})
	newSecret := decode[rotatedSecret](t, rot).Secret
	f.rc.SetSecrets(newSecret, f.secret)
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"n": 1}})
	env.Eventually(20*time.Second, "delivery", func() bool { return f.rc.Count() == 1 })
	req := f.rc.Requests()[0]
	if !req.Verified[0] || !req.Verified[1] || len(strings.Fields(req.Header.Get("webhook-signature"))) != 2 {
		t.Fatalf("during grace: verified %v, signature %q", req.Verified, req.Header.Get("webhook-signature"))
	}

	// A second rotation within the grace period keeps the first replaced
	// secret signing too: receivers still on it lose nothing.
	rot = env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/rotate-secret", env.A.Key, map[string]any{"grace_period_seconds": 600})
	third := decode[rotatedSecret](t, rot).Secret
	f.rc.SetSecrets(third, newSecret, f.secret)
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"n": 2}})
	env.Eventually(20*time.Second, "delivery", func() bool { return f.rc.Count() == 2 })
	req = f.rc.Requests()[1]
	if !req.Verified[0] || !req.Verified[1] || !req.Verified[2] || len(strings.Fields(req.Header.Get("webhook-signature"))) != 3 {
		t.Fatalf("after a second rotation in grace: verified %v", req.Verified)
	}

	// Grace 0: every earlier secret stops signing at once.
	rot = env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/rotate-secret", env.A.Key, map[string]any{"grace_period_seconds": 0})
	newest := decode[rotatedSecret](t, rot).Secret
	f.rc.SetSecrets(newest, third, newSecret)
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"n": 3}})
	env.Eventually(20*time.Second, "delivery", func() bool { return f.rc.Count() == 3 })
	req = f.rc.Requests()[2]
	if !req.Verified[0] || req.Verified[1] || req.Verified[2] {
		t.Fatalf("after grace 0: verified %v", req.Verified)
	}

	// Four earlier secrets in grace is the bound: a fifth rotation is 409.
	for i := 0; i < 4; i++ {
		if r := env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/rotate-secret", env.A.Key, nil); r.Status != http.StatusOK {
			t.Fatalf("rotation %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	if r := env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/rotate-secret", env.A.Key, nil); r.Status != http.StatusConflict {
		t.Fatalf("fifth rotation in grace: %d %s", r.Status, r.Body)
	}
}

func TestTestEventReachesInactiveEndpoint(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"comment.created"}, false)
	for i, p := range env.Paths(env.A) {
		r := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+f.id+"/test", p.Token, nil)
		m := decode[api.Delivery](t, r)
		if r.Status != http.StatusAccepted || m.EventType != "webhook.test" || m.EndpointID.String() != f.id {
			t.Fatalf("%s: %d %s", p.Name, r.Status, r.Body)
		}
		env.WaitDelivery(m.ID.String(), "succeeded", 20*time.Second)
		if f.rc.Count() != i+1 || !strings.Contains(string(f.rc.Requests()[i].Body), `"type":"webhook.test"`) {
			t.Fatalf("test event not received")
		}
	}
	// Each test send is audited, by the actor of its path.
	var audited int
	if err := env.Pool.QueryRow(t.Context(), "SELECT count(DISTINCT actor_kind) FROM audit_log WHERE action = 'webhook_endpoint.tested' AND target_id = $1", f.id).Scan(&audited); err != nil || audited != 2 {
		t.Fatalf("test sends audited by %d actor kinds, want 2 (%v)", audited, err)
	}
}

// Purge and delete cancel the workflows of deliveries still waiting.
func TestPurgeAndDeleteCancelWorkflows(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{time.Hour}})
	for _, action := range []string{"purge", "delete"} {
		f := newEndpoint(t, env, env.A, []string{"*"}, true)
		f.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		for i := 0; i < 3; i++ {
			env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"i": i}})
		}
		var ids []uuid.UUID
		env.Eventually(30*time.Second, "three deliveries waiting for a retry", func() bool {
			ids = ids[:0]
			ds := deliveriesOf(t, env, env.A, f.id, "?status=in_flight")
			for _, d := range ds {
				ids = append(ids, d.ID)
			}
			return len(ds) == 3
		})
		if action == "purge" {
			r := env.Do(http.MethodDelete, "/v1/webhooks/"+f.id+"/deliveries", env.A.Key, nil)
			if r.Status != http.StatusOK || decode[purgeResult](t, r).Deleted != 3 {
				t.Fatalf("purge: %d %s", r.Status, r.Body)
			}
		} else if r := env.Do(http.MethodDelete, "/v1/webhooks/"+f.id, env.A.Key, nil); r.Status != http.StatusOK {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		for _, id := range ids {
			wfID := workflows.DeliveryWorkflowID(id)
			env.Eventually(15*time.Second, action+" to end "+wfID, func() bool {
				desc, err := env.Temporal.DescribeWorkflowExecution(context.Background(), wfID, "")
				return err == nil && desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
			})
			var res workflows.DeliveryResult
			if err := env.Temporal.GetWorkflow(context.Background(), wfID, "").Get(context.Background(), &res); err != nil || res.Status != delivery.Cancelled {
				t.Fatalf("%s: workflow result %+v, %v", action, res, err)
			}
		}
		if n := deliveryRows(t, env, f.id); n != 0 {
			t.Fatalf("%s left %d deliveries", action, n)
		}
	}
}

// Deactivating an endpoint wakes its waiting deliveries, which then fail at once.
func TestDeactivationFailsWaitingDeliveries(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{time.Hour}})
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	f.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusBadGateway) })
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{}})
	var id string
	env.Eventually(20*time.Second, "delivery waiting", func() bool {
		ds := deliveriesOf(t, env, env.A, f.id, "?status=in_flight")
		if len(ds) == 1 {
			id = ds[0].ID.String()
		}
		return id != ""
	})
	env.Do(http.MethodPatch, "/v1/webhooks/"+f.id, env.A.Key, map[string]any{"is_active": false})
	env.WaitDelivery(id, "failed", 15*time.Second)
	var lastErr string
	_ = env.Pool.QueryRow(context.Background(), "SELECT last_error FROM deliveries WHERE id = $1", id).Scan(&lastErr)
	if lastErr != "endpoint disabled" || f.rc.Count() != 1 {
		t.Fatalf("last_error %q, %d requests", lastErr, f.rc.Count())
	}
}
