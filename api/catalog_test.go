package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/workflows"
)

type eventTypeList struct {
	Data []api.EventType `json:"data"`
}

// problemLocations lists the failing locations a problem document names.
func problemLocations(t *testing.T, r hooklinetest.Response) []string {
	t.Helper()
	var p struct {
		Errors []struct {
			Location string `json:"location"`
		} `json:"errors"`
	}
	r.JSON(t, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}

const reactionSchema = `{"type":"object","required":["reaction","by"],"properties":{
	"reaction":{"type":"string","enum":["+1","heart"]},
	"by":{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}},
	"targets":{"type":"array","items":{"type":"integer"}}}}`

// The catalogue on both paths; put-event-type for admins of every tenant
// only; its schema validates every publish, on REST and on ingest, naming
// each failing location; deprecated types are still published and flagged.
func TestEventTypeSchemas(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	put := func(token string, body string) hooklinetest.Response {
		return env.Do(http.MethodPut, "/admin/v1/event-types/reaction.added", token, body)
	}
	if r := put(env.Mint([]string{env.A.ID.String()}, []string{"manage_tenants"}, time.Hour), `{"deprecated":true}`); r.Status != http.StatusForbidden {
		t.Fatalf("a tenant-scoped admin changed the shared catalogue: %d %s", r.Status, r.Body)
	}
	if r := put(env.A.AdminToken, `{}`); r.Status != http.StatusForbidden {
		t.Fatalf("without manage_tenants: %d", r.Status)
	}
	bad := map[string]string{
		`{"schema":{"type":"nope"}}`:                                 "body.schema",
		`{"schema":{"$ref":"file:///etc/passwd"}}`:                   "body.schema",
		`{"schema":` + reactionSchema + `,"example":{"reaction":1}}`: "body.example",
		`{"example":[1]}`:                                            "body.example",
	}
	for body, loc := range bad {
		if r := put(env.SuperToken, body); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"location":"`+loc) {
			t.Errorf("PUT %s: %d %s", body, r.Status, r.Body)
		}
	}
	if r := env.Do(http.MethodPut, "/admin/v1/event-types/endpoint.disabled", env.SuperToken, `{"deprecated":true}`); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("changed an operational type: %d", r.Status)
	}
	r := put(env.SuperToken, `{"description":"A reaction.","schema":`+reactionSchema+`,"example":{"reaction":"+1","by":{"id":"u1"}}}`)
	if et := decode[api.EventType](t, r); r.Status != http.StatusOK || et.Name != "reaction.added" || len(et.Schema) == 0 || len(et.Example) == 0 {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	for _, p := range env.Paths(env.A) {
		r := env.Do(http.MethodGet, p.Prefix+"/event-types/reaction.added", p.Token, nil)
		if et := decode[api.EventType](t, r); r.Status != http.StatusOK || et.Description != "A reaction." || !strings.Contains(string(et.Schema), `"required"`) {
			t.Fatalf("%s get: %d %s", p.Name, r.Status, r.Body)
		}
		if r := env.Do(http.MethodGet, p.Prefix+"/event-types/no.such", p.Token, nil); r.Status != http.StatusNotFound {
			t.Fatalf("%s get unknown: %d", p.Name, r.Status)
		}
	}

	f := newEndpoint(t, env, env.A, []string{"reaction.added"}, true)
	publish := func(payload string) hooklinetest.Response {
		return env.Do(http.MethodPost, "/v1/events", env.A.Key, `{"type":"reaction.added","payload":`+payload+`}`)
	}
	if r := publish(`{"reaction":"+1","by":{"id":"u1"},"targets":[1,2]}`); r.Status != http.StatusAccepted {
		t.Fatalf("valid payload: %d %s", r.Status, r.Body)
	}
	r = publish(`{"reaction":"boo","by":{},"targets":[1,"x"]}`)
	locs := strings.Join(problemLocations(t, r), " ")
	for _, want := range []string{"body.payload/reaction", "body.payload/by", "body.payload/targets/1"} {
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(locs, want) {
			t.Fatalf("invalid payload: %d, locations %q, want %s", r.Status, locs, want)
		}
	}
	// Ingest validates the same way: the invalid event is rejected alone.
	signalIngest(t, env, env.A, []workflows.IngestEvent{
		{ID: "ing-ok", Type: "reaction.added", Payload: json.RawMessage(`{"reaction":"heart","by":{"id":"u2"}}`)},
		{ID: "ing-bad", Type: "reaction.added", Payload: json.RawMessage(`{"reaction":"heart"}`)},
	})
	if got := waitIngested(t, env, 2); got.Published != 1 || got.Rejected != 1 {
		t.Fatalf("ingest with a schema: %+v", got)
	}
	waitAll(t, env, env.A, f.id, 2, "succeeded", 30*time.Second)

	// Deprecated: still published, flagged in the list, refused for new subscriptions.
	if r := put(env.SuperToken, `{"deprecated":true}`); r.Status != http.StatusOK || !decode[api.EventType](t, r).Deprecated || len(decode[api.EventType](t, r).Schema) == 0 {
		t.Fatalf("deprecate (schema kept): %d %s", r.Status, r.Body)
	}
	if r := publish(`{"reaction":"heart","by":{"id":"u3"}}`); r.Status != http.StatusAccepted {
		t.Fatalf("publish a deprecated type: %d %s", r.Status, r.Body)
	}
	list := decode[eventTypeList](t, env.Do(http.MethodGet, "/admin/v1/tenants/"+env.A.ID.String()+"/event-types", env.A.AdminToken, nil))
	flagged := false
	for _, et := range list.Data {
		flagged = flagged || (et.Name == "reaction.added" && et.Deprecated)
		if et.Name == "webhook.test" {
			t.Fatal("the list shows a reserved type")
		}
	}
	if !flagged {
		t.Fatalf("list does not flag the deprecated type: %s", show(list))
	}
	if r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": f.rc.URL, "events": []string{"reaction.added"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("subscribing to a deprecated type: %d", r.Status)
	}
	// An endpoint already subscribed keeps editing its list (the portal
	// always sends events); another one cannot add the type.
	if r := env.Do(http.MethodPatch, "/v1/webhooks/"+f.id, env.A.Key, map[string]any{"events": []string{"reaction.added", "comment.created"}}); r.Status != http.StatusOK {
		t.Fatalf("editing an endpoint that keeps its deprecated subscription: %d %s", r.Status, r.Body)
	}
	g := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	if r := env.Do(http.MethodPatch, "/v1/webhooks/"+g.id, env.A.Key, map[string]any{"events": []string{"comment.created", "reaction.added"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), `"location":"body.events[1]"`) {
		t.Fatalf("adding a deprecated type by PATCH: %d %s", r.Status, r.Body)
	}
}

// A typed test delivery carries the type's example; a type without one is 422.
func TestTestDeliveryWithExample(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, false) // inactive: test deliveries go out anyway
	if r := env.Do(http.MethodPut, "/admin/v1/event-types/comment.created", env.SuperToken, `{"example":{"comment_id":"c_example"}}`); r.Status != http.StatusOK {
		t.Fatalf("put example: %d %s", r.Status, r.Body)
	}
	for i, p := range env.Paths(env.A) {
		r := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+f.id+"/test", p.Token, map[string]string{"event_type": "comment.created"})
		d := decode[api.Delivery](t, r)
		if r.Status != http.StatusAccepted || d.EventType != "comment.created" {
			t.Fatalf("%s: %d %s", p.Name, r.Status, r.Body)
		}
		env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)
		req := f.rc.Requests()[i]
		if !req.Verified[0] || !strings.Contains(string(req.Body), `"data":{"comment_id": "c_example"}`) && !strings.Contains(string(req.Body), `"data":{"comment_id":"c_example"}`) {
			t.Fatalf("%s: test delivery body %s", p.Name, req.Body)
		}
		if r := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+f.id+"/test", p.Token, map[string]string{"event_type": "member.joined"}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(string(r.Body), `"location":"body.event_type"`) {
			t.Fatalf("%s: a type without an example: %d %s", p.Name, r.Status, r.Body)
		}
	}
}

// Recover replays every failed and dead-lettered delivery in the window, in
// several batches, as new deliveries; one audit row carries the count.
func TestRecoverReplaysWindowInBatches(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t) // recover batches of 10 here
	ctx := context.Background()
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	// 25 failures and 3 dead letters in the window, one failure before it,
	// one success and one pending in it: written directly, as the outcome of
	// earlier runs.
	if _, err := env.Pool.Exec(ctx, `INSERT INTO events (tenant_id, id, type, payload, occurred_at) VALUES ($1, 'old-ev', 'comment.created', '{"n":1}', now())`, env.A.ID); err != nil {
		t.Fatal(err)
	}
	_, err := env.Pool.Exec(ctx, `
		INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type, status, attempt_count, created_at)
		SELECT gen_random_uuid(), $1, $2, 'old-ev', 'comment.created',
		       CASE WHEN g <= 25 THEN 'failed' WHEN g <= 28 THEN 'dead_letter' WHEN g = 29 THEN 'succeeded' ELSE 'pending' END,
		       1, now() - interval '2 hours' + g * interval '1 second'
		FROM generate_series(1, 30) g`, env.A.ID, f.id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type, status, attempt_count, created_at)
		VALUES (gen_random_uuid(), $1, $2, 'old-ev', 'comment.created', 'failed', 1, now() - interval '5 hours')`, env.A.ID, f.id); err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-3 * time.Hour)
	for _, p := range env.Paths(env.A) {
		for body, loc := range map[string]string{
			`{"since":"` + time.Now().Add(time.Hour).Format(time.RFC3339) + `"}`:                                            "body.since",
			`{"since":"` + time.Now().Add(-100*24*time.Hour).Format(time.RFC3339) + `"}`:                                    "body.until",
			`{"since":"` + since.Format(time.RFC3339) + `","until":"` + since.Add(-time.Minute).Format(time.RFC3339) + `"}`: "body.since",
		} {
			if r := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+f.id+"/recover", p.Token, body); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), loc) {
				t.Fatalf("%s recover %s: %d %s", p.Name, body, r.Status, r.Body)
			}
		}
	}
	p := env.Paths(env.A)[1]
	r := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+f.id+"/recover", p.Token, map[string]any{"since": since})
	var rec struct {
		ID         string `json:"id"`
		Deliveries int    `json:"deliveries"`
	}
	r.JSON(t, &rec)
	if r.Status != http.StatusAccepted || rec.Deliveries != 28 {
		t.Fatalf("recover: %d %s", r.Status, r.Body)
	}
	run := env.Temporal.GetWorkflow(ctx, "recover/"+rec.ID, "")
	var res workflows.RecoverResult
	if err := run.Get(ctx, &res); err != nil || res.Replayed != 28 {
		t.Fatalf("recover workflow: %+v %v", res, err)
	}
	waitAll(t, env, env.A, f.id, 28+1, "succeeded", time.Minute) // the replays and the earlier success
	var replays, batches, audits int
	_ = env.Pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE recovery_id = $1 AND replay_of IS NOT NULL", rec.ID).Scan(&replays)
	_ = env.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_log WHERE action = 'webhook_endpoint.recovered' AND details->>'deliveries' = '28'").Scan(&audits)
	hist := env.Temporal.GetWorkflowHistory(ctx, "recover/"+rec.ID, "", false, 0)
	for hist.HasNext() {
		ev, err := hist.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetActivityTaskScheduledEventAttributes() != nil {
			batches++
		}
	}
	if replays != 28 || audits != 1 || batches < 3 || f.rc.Count() != 28 {
		t.Fatalf("%d replays, %d audit rows, %d batches, %d requests", replays, audits, batches, f.rc.Count())
	}
}

// A delivery walked to dead_letter emits delivery.dead_lettered to the
// tenant's endpoints that subscribe to it by name: not to "*" endpoints,
// not to the endpoint it is about, not to another tenant.
func TestDeadLetterEmitsOperationalEvent(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{200 * time.Millisecond}}) // 2 attempts
	failing := newEndpoint(t, env, env.A, []string{"comment.created", "delivery.dead_lettered"}, true)
	failing.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusBadGateway) })
	ops := newEndpoint(t, env, env.A, []string{"delivery.dead_lettered"}, true)
	wildcard := newEndpoint(t, env, env.A, []string{"*"}, true)
	otherTenant := newEndpoint(t, env, env.B, []string{"delivery.dead_lettered"}, true)
	r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"n": 1}})
	if r.Status != http.StatusAccepted {
		t.Fatal(r.Status)
	}
	dead := waitAll(t, env, env.A, failing.id, 1, "dead_letter", 30*time.Second)[0]
	env.Eventually(20*time.Second, "delivery.dead_lettered at the subscribed endpoint", func() bool { return ops.rc.Count() == 1 })
	req := ops.rc.Requests()[0]
	var body struct {
		Type string `json:"type"`
		Data struct {
			DeliveryID     string `json:"delivery_id"`
			EndpointID     string `json:"endpoint_id"`
			EventType      string `json:"event_type"`
			Attempts       int    `json:"attempts"`
			LastStatusCode *int   `json:"last_status_code"`
		} `json:"data"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil || !req.Verified[0] {
		t.Fatalf("operational event %s (%v)", req.Body, err)
	}
	d := body.Data
	if body.Type != "delivery.dead_lettered" || d.DeliveryID != dead.ID.String() || d.EndpointID != failing.id || d.EventType != "comment.created" ||
		d.Attempts != 2 || d.LastStatusCode == nil || *d.LastStatusCode != http.StatusBadGateway {
		t.Fatalf("payload: %s", req.Body)
	}
	// The wildcard endpoint got the original event only; the failing endpoint
	// got its two attempts only; tenant B nothing.
	waitAll(t, env, env.A, wildcard.id, 1, "succeeded", 20*time.Second)
	waitAll(t, env, env.A, ops.id, 1, "succeeded", 20*time.Second)
	if wildcard.rc.Count() != 1 || failing.rc.Count() != 2 || otherTenant.rc.Count() != 0 || deliveryRows(t, env, failing.id) != 1 {
		t.Fatalf("requests: wildcard %d, failing %d, other tenant %d", wildcard.rc.Count(), failing.rc.Count(), otherTenant.rc.Count())
	}
}

// No loops: when the delivery of a delivery.dead_lettered event dead-letters
// in turn, nothing more is emitted.
func TestDeadLetteredOperationalEventEmitsNothing(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{200 * time.Millisecond}}) // 2 attempts
	fail := func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusBadGateway) }
	source := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	source.rc.SetHandler(fail)
	brokenOps := newEndpoint(t, env, env.A, []string{"delivery.dead_lettered"}, true)
	brokenOps.rc.SetHandler(fail)
	ops := newEndpoint(t, env, env.A, []string{"delivery.dead_lettered"}, true)
	if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"n": 1}}); r.Status != http.StatusAccepted {
		t.Fatal(r.Status)
	}
	waitAll(t, env, env.A, source.id, 1, "dead_letter", 30*time.Second)
	opDead := waitAll(t, env, env.A, brokenOps.id, 1, "dead_letter", 30*time.Second)[0]
	// Its workflow has ended: whatever its last attempt emits is written.
	if err := env.Temporal.GetWorkflow(context.Background(), workflows.DeliveryWorkflowID(opDead.ID), "").Get(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	waitAll(t, env, env.A, ops.id, 1, "succeeded", 20*time.Second)
	var emitted int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'delivery.dead_lettered'", env.A.ID).Scan(&emitted); err != nil {
		t.Fatal(err)
	}
	if emitted != 1 || ops.rc.Count() != 1 || brokenOps.rc.Count() != 2 {
		t.Fatalf("delivery.dead_lettered events %d (want 1: the source's), ops endpoint got %d, broken ops endpoint %d", emitted, ops.rc.Count(), brokenOps.rc.Count())
	}
}

// Changes to what every tenant shares are audited as rows of no tenant:
// the global log lists an event type put and an admin token revoked, with
// the admin who did it; no tenant's log shows them; only an admin of every
// tenant may read it.
func TestGlobalAuditLog(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	if r := env.Do(http.MethodPut, "/admin/v1/event-types/invoice.paid", env.SuperToken, `{"description":"an invoice was paid","example":{"id":"in_1"}}`); r.Status != http.StatusOK {
		t.Fatalf("put event type: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodPost, "/admin/v1/tokens/jti-to-revoke/revoke", env.SuperToken, nil); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	r := env.Do(http.MethodGet, "/admin/v1/audit-log", env.SuperToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("global log: %d %s", r.Status, r.Body)
	}
	got := decode[auditPage](t, r).Data
	if len(got) != 2 || got[0].Action != "admin_token.revoked" || got[0].TargetID != "jti-to-revoke" ||
		got[1].Action != "event_type.put" || got[1].TargetID != "invoice.paid" || got[1].ActorKind != "admin" {
		t.Fatalf("global log: %s", r.Body)
	}
	var details map[string]any
	if err := json.Unmarshal(got[1].Details, &details); err != nil || details["has_example"] != true || details["created"] != true {
		t.Fatalf("event_type.put details: %s (%v)", got[1].Details, err)
	}
	for _, tenant := range []hooklinetest.Tenant{env.A, env.B} {
		page := decode[auditPage](t, env.Do(http.MethodGet, "/admin/v1/tenants/"+tenant.ID.String()+"/audit-log", env.SuperToken, nil))
		for _, e := range page.Data {
			if e.Action == "event_type.put" || e.Action == "admin_token.revoked" {
				t.Fatalf("tenant %s's log shows a global row: %+v", tenant.ID, e)
			}
		}
	}
	if r := env.Do(http.MethodGet, "/admin/v1/audit-log", env.A.AdminToken, nil); r.Status != http.StatusForbidden {
		t.Fatalf("a one-tenant admin reads the global log: %d", r.Status)
	}
	if r := env.Do(http.MethodGet, "/admin/v1/audit-log", env.A.Key, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("an API key reads the global log: %d", r.Status)
	}
}
