package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/delivery"
)

// A verification challenge passes the flow gate as attempts do: while its
// endpoint's max_in_flight, or its tenant's share, is taken by attempts the
// receiver is holding, the challenge waits; once they end it goes and the
// endpoint is verified. Attempts and challenges together never exceed
// either bound.
func TestVerifyWaitsForTheFlowGate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		tenantCap  int
		busy       map[string]any // the endpoint whose attempts hang
		sameAsBusy bool           // verify the busy endpoint itself
	}{
		{name: "endpoint max_in_flight", tenantCap: 50, busy: map[string]any{"max_in_flight": 1}, sameAsBusy: true},
		{name: "tenant share", tenantCap: 2, busy: map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := hooklinetest.New(t, hooklinetest.Options{Flow: delivery.FlowPolicy{TenantMaxInFlight: tc.tenantCap}})
			release := make(chan struct{})
			hold := func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
				if bytes.Contains(body, []byte(`"webhook.verification"`)) {
					hooklinetest.Echo(n, w, r, body)
					return
				}
				<-release // an attempt the receiver holds
				w.WriteHeader(http.StatusNoContent)
			}
			busy := hooklinetest.NewReceiver(t)
			busy.SetHandler(hold)
			body := map[string]any{"url": busy.URL + "/hook", "events": []string{"comment.created"}}
			for k, v := range tc.busy {
				body[k] = v
			}
			busyID := createEndpoint(t, env, env.Paths(env.A)[0], body).ID.String()
			target, rc := busyID, busy
			if !tc.sameAsBusy {
				rc = hooklinetest.NewReceiver(t)
				rc.SetHandler(hold)
				target = createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL + "/hook", "events": []string{"comment.updated"}}).ID.String()
			}
			holding := 1
			if !tc.sameAsBusy {
				holding = tc.tenantCap
			}
			publishN(t, env, env.A, holding)
			env.Eventually(20*time.Second, "the receiver to hold the attempts", func() bool { return busy.Count() >= holding })

			got := make(chan hooklinetest.Response, 1)
			before := rc.Count()
			go func() { got <- env.Do(http.MethodPost, "/v1/webhooks/"+target+"/verify", env.A.Key, nil) }()
			time.Sleep(1500 * time.Millisecond) // the challenge would have arrived by now
			if n := rc.Count() - before; n != 0 {
				t.Fatalf("%d challenges sent past a full gate", n)
			}
			close(release)
			r := <-got
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"verified":true`) {
				t.Fatalf("verify: %d %s", r.Status, r.Body)
			}
			if n := rc.Count() - before; n != 1 {
				t.Fatalf("%d challenges, want 1", n)
			}
			waitAll(t, env, env.A, busyID, holding, delivery.Succeeded, 30*time.Second)
		})
	}
}
