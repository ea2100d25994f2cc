package api_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/authn"
)

// After a full scenario — create (with an Idempotency-Key), rotate, deliver,
// verify, replay, test — no endpoint secret or API key appears in the audit
// log, the logs, any Temporal workflow history, or any database row in the
// clear; secrets are stored as ciphertext.
func TestSecretHygiene(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ctx := context.Background()
	rc := hooklinetest.NewReceiver(t)
	var failing atomic.Bool // read by the receiver's goroutines
	failing.Store(true)
	rc.SetHandler(func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.Contains(string(body), `"webhook.verification"`) {
			hooklinetest.Echo(n, w, r, body)
			return
		}
		if failing.Load() {
			w.WriteHeader(http.StatusGone)
		}
	})
	cr := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": rc.URL, "events": []string{"*"}}, "Idempotency-Key", "hygiene-1")
	ep := decode[api.EndpointWithSecret](t, cr)
	id := ep.ID.String()
	secrets := []string{ep.Secret}
	rot := decode[rotatedSecret](t, env.Do(http.MethodPost, "/v1/webhooks/"+id+"/rotate-secret", env.A.Key, nil))
	secrets = append(secrets, rot.Secret)
	rc.SetSecrets(secrets...)

	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"n": 1}})
	var failed string
	env.Eventually(20*time.Second, "delivery to fail", func() bool {
		if ds := deliveriesOf(t, env, env.A, id, "?status=failed"); len(ds) == 1 {
			failed = ds[0].ID.String()
		}
		return failed != ""
	})
	failing.Store(false)
	rep := decode[api.Delivery](t, env.Do(http.MethodPost, "/v1/webhooks/"+id+"/deliveries/"+failed+"/replay", env.A.Key, nil))
	env.WaitDelivery(rep.ID.String(), "succeeded", 20*time.Second)
	if v := env.Do(http.MethodPost, "/v1/webhooks/"+id+"/verify", env.A.Key, nil); !strings.Contains(string(v.Body), `"verified":true`) {
		t.Fatalf("verify: %s", v.Body)
	}
	tst := decode[api.Delivery](t, env.Do(http.MethodPost, "/v1/webhooks/"+id+"/test", env.A.Key, nil))
	env.WaitDelivery(tst.ID.String(), "succeeded", 20*time.Second)
	if last := rc.Requests()[rc.Count()-1]; !last.Verified[0] || !last.Verified[1] {
		t.Fatalf("deliveries during the grace period must verify with both secrets: %v", last.Verified)
	}

	_, keySecret, _ := authn.ParseAPIKey(env.A.Key)
	needles := map[string]string{"API key": env.A.Key, "API key secret": keySecret}
	for i, s := range secrets {
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		needles["endpoint secret "+string(rune('1'+i))] = s
		needles["endpoint secret base64 "+string(rune('1'+i))] = strings.TrimPrefix(s, "whsec_")
		needles["endpoint secret hex "+string(rune('1'+i))] = hex.EncodeToString(raw)
	}
	haystacks := map[string]string{"logs": env.LogText()}

	// Every table, every row, as text (bytea shows as hex).
	var db strings.Builder
	for _, table := range []string{"tenants", "api_keys", "webhook_endpoints", "events", "deliveries", "delivery_attempts", "idempotency_keys", "audit_log"} {
		var s string
		if err := env.Pool.QueryRow(ctx, "SELECT coalesce(string_agg(x::text, E'\\n'), '') FROM "+table+" x").Scan(&s); err != nil {
			t.Fatal(err)
		}
		db.WriteString(s)
	}
	haystacks["database"] = db.String()

	// Every workflow history of the tenant.
	hist, runs := tenantHistories(t, env, env.A)
	if runs < 4 {
		t.Fatalf("found %d workflows of the tenant, want deliveries, replay, test and verification", runs)
	}
	haystacks["temporal histories"] = hist

	// Positive controls: the searches do see what is there.
	if !strings.Contains(string(cr.Body), secrets[0]) || !strings.Contains(haystacks["temporal histories"], `"delivery_id":"`+failed+`"`) ||
		!strings.Contains(haystacks["database"], failed) || !strings.Contains(haystacks["logs"], "delivery attempt") {
		t.Fatalf("a haystack does not contain what it should; the search would prove nothing: %v %v %v %v",
			strings.Contains(string(cr.Body), secrets[0]), strings.Contains(haystacks["temporal histories"], `"delivery_id":"`+failed+`"`),
			strings.Contains(haystacks["database"], failed), strings.Contains(haystacks["logs"], "delivery attempt"))
	}
	for where, text := range haystacks {
		for what, needle := range needles {
			if strings.Contains(text, needle) {
				t.Errorf("%s found in %s", what, where)
			}
		}
	}
	var plain int
	if err := env.Pool.QueryRow(ctx, "SELECT count(*) FROM webhook_endpoints WHERE position(convert_to('whsec_', 'UTF8') in secret_ciphertext) > 0").Scan(&plain); err != nil || plain != 0 {
		t.Fatalf("secret stored in the clear (%d rows, %v)", plain, err)
	}
}

// payloadsOf returns the raw payload bytes an event carries (inputs, results,
// signals, markers), which protojson shows only in base64.
func payloadsOf(e *historypb.HistoryEvent) [][]byte {
	var out [][]byte
	b, _ := protojson.Marshal(e)
	// Collect every "data" field value: payload data is base64 there.
	s := string(b)
	for {
		i := strings.Index(s, `"data":"`)
		if i < 0 {
			return out
		}
		s = s[i+8:]
		j := strings.IndexByte(s, '"')
		if j < 0 {
			return out
		}
		if raw, err := base64.StdEncoding.DecodeString(s[:j]); err == nil {
			out = append(out, raw)
		}
		s = s[j:]
	}
}

// tenantHistories is every workflow history of the tenant as text, with
// payloads decoded, and the number of runs read.
func tenantHistories(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant) (string, int) {
	t.Helper()
	ctx := context.Background()
	resp, err := env.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: env.Namespace, Query: `HooklineTenantId = "` + tenant.ID.String() + `"`,
	})
	if err != nil {
		t.Fatal(err)
	}
	var hist strings.Builder
	for _, ex := range resp.Executions {
		var events []*historypb.HistoryEvent
		it := env.Temporal.GetWorkflowHistory(ctx, ex.Execution.WorkflowId, ex.Execution.RunId, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		b, _ := protojson.Marshal(&historypb.History{Events: events})
		hist.Write(b)
		// Payloads are base64 in protojson; decode them to search the JSON.
		for _, e := range events {
			for _, p := range payloadsOf(e) {
				hist.Write(p)
			}
		}
	}
	return hist.String(), len(resp.Executions)
}
