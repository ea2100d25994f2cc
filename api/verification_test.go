package api_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/endpoint"
	"github.com/hookline/hookline/workflows"
)

func TestVerifyEchoBothPaths(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	f.rc.SetHandler(hooklinetest.Echo)
	for i, p := range env.Paths(env.A) {
		r := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+f.id+"/verify", p.Token, nil)
		if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"verified":true,"status_code":200}` {
			t.Fatalf("%s: %d %s", p.Name, r.Status, r.Body)
		}
		req := f.rc.Requests()[i]
		if !req.Verified[0] || !strings.Contains(string(req.Body), `"type":"webhook.verification"`) || !strings.Contains(string(req.Body), `"endpoint_id":"`+f.id+`"`) {
			t.Fatalf("challenge request: verified %v, body %s", req.Verified, req.Body)
		}
	}
	ep := decode[api.Endpoint](t, env.Do(http.MethodGet, "/v1/webhooks/"+f.id, env.A.Key, nil))
	if ep.VerifiedAt == nil || ep.LastVerificationReason != nil {
		t.Fatalf("endpoint after verification: %s", show(ep))
	}
	var audits int
	_ = env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE action = 'webhook_endpoint.verified' AND target_id = $1", f.id).Scan(&audits)
	if audits != 2 {
		t.Fatalf("%d verification audit rows, want 2", audits)
	}
	// The run is a workflow operators can find by endpoint.
	env.Eventually(10*time.Second, "verification runs in visibility", func() bool {
		resp, err := env.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: env.Namespace, Query: `WorkflowType = "VerifyEndpointWorkflow" AND HooklineEndpointId = "` + f.id + `"`,
		})
		return err == nil && len(resp.Executions) == 2
	})
	// A changed URL clears verified_at.
	upd := decode[api.Endpoint](t, env.Do(http.MethodPatch, "/v1/webhooks/"+f.id, env.A.Key, map[string]any{"url": f.rc.URL + "/moved"}))
	if upd.VerifiedAt != nil {
		t.Fatalf("verified_at kept after URL change: %s", show(upd))
	}
}

func TestVerifyFailureReasons(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "http://" + closed.Addr().String() + "/hook"
	closed.Close()
	tests := []struct {
		name    string
		handler func(int, http.ResponseWriter, *http.Request, []byte)
		url     string
		want    string
	}{
		{"wrong challenge", func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
			_, _ = w.Write([]byte(`{"challenge":"not-it"}`))
		}, "", `{"verified":false,"reason":"challenge_mismatch","status_code":200}`},
		{"not json", func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
			_, _ = w.Write([]byte(`ok!`))
		}, "", `{"verified":false,"reason":"invalid_json","status_code":200}`},
		{"500", func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
			w.WriteHeader(http.StatusInternalServerError)
		}, "", `{"verified":false,"reason":"http_status","status_code":500}`},
		{"connection refused", nil, closedURL, `{"verified":false,"reason":"connection_error"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newEndpoint(t, env, env.A, []string{"*"}, true)
			f.rc.SetHandler(tc.handler)
			if tc.url != "" {
				env.Do(http.MethodPatch, "/v1/webhooks/"+f.id, env.A.Key, map[string]any{"url": tc.url})
			}
			r := env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/verify", env.A.Key, nil)
			if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != tc.want {
				t.Fatalf("%d %s, want %s", r.Status, r.Body, tc.want)
			}
			ep := decode[api.Endpoint](t, env.Do(http.MethodGet, "/v1/webhooks/"+f.id, env.A.Key, nil))
			if ep.VerifiedAt != nil || ep.LastVerificationReason == nil || ep.LastVerificationAt == nil {
				t.Fatalf("endpoint after failure: %s", show(ep))
			}
		})
	}
}

// A receiver that sleeps past 30 s gets `timeout`, decided by the workflow
// timer: the API answers after about 30 s, without waiting for the receiver.
func TestVerifyTimeoutEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 30 s of wall time")
	}
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.rc.SetHandler(func(_ int, w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-time.After(60 * time.Second):
		case <-release:
		case <-r.Context().Done():
		}
	})
	p := env.Paths(env.A)[1]
	start := time.Now()
	r := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+f.id+"/verify", p.Token, nil)
	took := time.Since(start)
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"verified":false,"reason":"timeout"}` {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	// Well before the receiver answers (60 s): the 30 s workflow timer
	// decided (the margin absorbs a busy shared test server).
	if took > 45*time.Second {
		t.Fatalf("verify answered after %s; the 30 s workflow timer should have decided", took)
	}
	t.Logf("timeout answered after %s", took.Round(100*time.Millisecond))
}

// A URL changed while its challenge runs is not marked verified: the answer
// came from the old URL.
func TestVerifyURLChangedDuringChallenge(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	challenged, release := make(chan struct{}), make(chan struct{})
	f.rc.SetHandler(func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		close(challenged)
		<-release
		hooklinetest.Echo(n, w, r, body)
	})
	got := make(chan hooklinetest.Response, 1)
	go func() { got <- env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/verify", env.A.Key, nil) }()
	<-challenged
	other := hooklinetest.NewReceiver(t)
	if r := env.Do(http.MethodPatch, "/v1/webhooks/"+f.id, env.A.Key, map[string]any{"url": other.URL + "/never-challenged"}); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	close(release)
	r := <-got
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"verified":false,"reason":"url_changed"}` {
		t.Fatalf("verify across a URL change: %d %s", r.Status, r.Body)
	}
	if ep := decode[api.Endpoint](t, env.Do(http.MethodGet, "/v1/webhooks/"+f.id, env.A.Key, nil)); ep.VerifiedAt != nil {
		t.Fatalf("the new, never-challenged URL is marked verified: %s", show(ep))
	}
}

// Twenty verify calls at once share one run: one challenge reaches the
// receiver, every call answers its result, one audit row is written.
func TestParallelVerifiesSendOneChallenge(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	release := make(chan struct{})
	f.rc.SetHandler(func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		<-release // hold the first challenge until every call is in
		hooklinetest.Echo(n, w, r, body)
	})
	var wg sync.WaitGroup
	results := make(chan hooklinetest.Response, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/verify", env.A.Key, nil)
		}()
	}
	env.Eventually(20*time.Second, "the challenge to arrive", func() bool { return f.rc.Count() >= 1 })
	time.Sleep(time.Second) // let the other calls join the run (there is no signal for "joined")
	close(release)
	wg.Wait()
	close(results)
	for r := range results {
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"verified":true`) {
			t.Fatalf("a verify call: %d %s", r.Status, r.Body)
		}
	}
	if n := f.rc.Count(); n != 1 {
		t.Fatalf("%d challenges for 20 parallel verifies, want 1", n)
	}
	var audits int
	_ = env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE action = 'webhook_endpoint.verified' AND target_id = $1", f.id).Scan(&audits)
	if audits != 1 {
		t.Fatalf("%d verification audit rows, want 1", audits)
	}
}

// Anyone who can reach the Temporal frontend can start a verification
// workflow with any input; its outcome is recorded only for a request the
// API wrote, so a hand-started run with an invented request writes no audit
// row in anyone's name and marks nothing verified.
func TestForgedVerificationRecordsNothing(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	f.rc.SetHandler(hooklinetest.Echo)
	forged := endpoint.VerifyInput{TenantID: env.A.ID, EndpointID: uuid.MustParse(f.id), RequestRef: uuid.New()}
	run, err := env.Temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: "forged-verify-" + f.id, TaskQueue: env.TaskQueue,
	}, workflows.VerifyEndpointWorkflow, forged)
	if err != nil {
		t.Fatal(err)
	}
	var res endpoint.VerifyResult
	if err := run.Get(context.Background(), &res); err != nil || !res.Verified {
		t.Fatalf("the forged run: %+v, %v (the challenge itself is real)", res, err)
	}
	var audits int
	var verifiedAt *time.Time
	if err := env.Pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM audit_log WHERE action = 'webhook_endpoint.verified'), "+
		"(SELECT verified_at FROM webhook_endpoints WHERE id = $1)", f.id).Scan(&audits, &verifiedAt); err != nil {
		t.Fatal(err)
	}
	if audits != 0 || verifiedAt != nil {
		t.Fatalf("a forged run wrote %d audit rows, verified_at %v", audits, verifiedAt)
	}
	// The API's own call records under its caller.
	if r := env.Do(http.MethodPost, "/v1/webhooks/"+f.id+"/verify", env.A.Key, nil); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	var actor string
	if err := env.Pool.QueryRow(context.Background(), "SELECT actor_kind FROM audit_log WHERE action = 'webhook_endpoint.verified' AND target_id = $1", f.id).Scan(&actor); err != nil || actor != "api_key" {
		t.Fatalf("the API's verification audited as %q, %v", actor, err)
	}
}
