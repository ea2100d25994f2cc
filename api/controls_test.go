package api_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/receiver"
)

// publishOne publishes one comment.created event and returns its delivery
// to endpointID.
func publishOne(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, endpointID string) api.Delivery {
	t.Helper()
	id := "evt_" + uuid.NewString()
	if r := env.Do(http.MethodPost, "/v1/events", tenant.Key, map[string]any{"id": id, "type": "comment.created", "payload": map[string]any{"n": 1}}); r.Status != http.StatusAccepted {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	ds := deliveriesOf(t, env, tenant, endpointID, "?limit=1") // newest first
	if len(ds) != 1 || ds[0].EventID != id {
		t.Fatalf("no delivery of %s to %s: %s", id, endpointID, show(ds))
	}
	return ds[0]
}

func deliveryDetail(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, endpointID, id string) api.DeliveryDetail {
	t.Helper()
	r := env.Do(http.MethodGet, "/v1/webhooks/"+endpointID+"/deliveries/"+id, tenant.Key, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get delivery: %d %s", r.Status, r.Body)
	}
	return decode[api.DeliveryDetail](t, r)
}

// Custom headers and basic/bearer auth arrive; sensitive values are
// write-only; a PATCH merges headers (null removes one); the attempt lists
// the header names sent, never a value.
func TestHeadersAndStaticAuthArrive(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{
		"url": rc.URL + "/hook", "events": []string{"*"},
		"headers": map[string]any{"X-Region": "eu-west", "X-Api-Key": "key-value-123"},
		"auth":    map[string]any{"type": "bearer", "token": "bearer-token-abc"},
	})
	rc.SetSecrets(ep.Secret)
	id := ep.ID.String()

	d := publishOne(t, env, env.A, id)
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)
	got := rc.Requests()[0].Header
	if got.Get("X-Region") != "eu-west" || got.Get("X-Api-Key") != "key-value-123" || got.Get("Authorization") != "Bearer bearer-token-abc" {
		t.Fatalf("receiver headers: %v", got)
	}
	if !rc.Requests()[0].Verified[0] {
		t.Fatal("custom headers broke the signature")
	}
	det := deliveryDetail(t, env, env.A, id, d.ID.String())
	names := det.Attempts[0].RequestHeaders
	for _, want := range []string{"authorization", "x-api-key", "x-region", "webhook-signature", "content-type"} {
		if !slices.Contains(names, want) {
			t.Fatalf("attempt request_headers %v lack %s", names, want)
		}
	}

	for _, r := range []hooklinetest.Response{
		env.Do(http.MethodGet, "/v1/webhooks/"+id, env.A.Key, nil),
		env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil),
		env.Do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries/"+d.ID.String(), env.A.Key, nil),
		env.Do(http.MethodGet, "/v1/audit-log", env.A.Key, nil),
	} {
		if strings.Contains(string(r.Body), "key-value-123") || strings.Contains(string(r.Body), "bearer-token-abc") {
			t.Fatalf("a secret value was shown: %s", r.Body)
		}
	}
	shown := endpointOf(t, env, env.A, id)
	if shown.Headers["X-Region"] != "eu-west" || len(shown.Headers) != 1 || !slices.Equal(shown.SensitiveHeaders, []string{"X-Api-Key"}) ||
		shown.Auth == nil || shown.Auth.Type != "bearer" {
		t.Fatalf("get: %s", show(shown))
	}

	// Merge: one removed, one added, the sensitive one kept; auth switched to basic.
	upd := env.Do(http.MethodPatch, "/v1/webhooks/"+id, env.A.Key, map[string]any{
		"headers": map[string]any{"X-Region": nil, "X-Team": "core"},
		"auth":    map[string]any{"type": "basic", "username": "hook", "password": "pa:ss word"},
	})
	m := decode[api.Endpoint](t, upd)
	if upd.Status != http.StatusOK || len(m.Headers) != 1 || m.Headers["X-Team"] != "core" || !slices.Equal(m.SensitiveHeaders, []string{"X-Api-Key"}) ||
		m.Auth.Type != "basic" || m.Auth.Username != "hook" || strings.Contains(string(upd.Body), "pa:ss") {
		t.Fatalf("patch: %d %s", upd.Status, upd.Body)
	}
	d = publishOne(t, env, env.A, id)
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)
	got = rc.Requests()[1].Header
	if got.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("hook:pa:ss word")) ||
		got.Get("X-Team") != "core" || got.Get("X-Region") != "" || got.Get("X-Api-Key") != "key-value-123" {
		t.Fatalf("after patch, receiver headers: %v", got)
	}
	// Moving to another host must not carry the credentials along: auth and
	// each sensitive header are sent again (or removed) in the same PATCH.
	for field, body := range map[string]map[string]any{
		"body.auth":              {"url": "https://elsewhere.example.com/in"},
		"body.headers.X-Api-Key": {"url": "https://elsewhere.example.com/in", "auth": map[string]any{"type": "bearer", "token": "t2"}},
	} {
		if r := env.Do(http.MethodPatch, "/v1/webhooks/"+id, env.A.Key, body); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(string(r.Body), `"location":"`+field+`"`) {
			t.Fatalf("move without %s: %d %s", field, r.Status, r.Body)
		}
	}
	if r := env.Do(http.MethodPatch, "/v1/webhooks/"+id, env.A.Key, map[string]any{"url": rc.URL + "/other-path"}); r.Status != http.StatusOK {
		t.Fatalf("same host, other path: %d %s", r.Status, r.Body)
	}
	// auth null removes it; headers may then set Authorization themselves.
	upd = env.Do(http.MethodPatch, "/v1/webhooks/"+id, env.A.Key, map[string]any{"auth": nil, "headers": map[string]any{"Authorization": "Token t1"}})
	if m := decode[api.Endpoint](t, upd); upd.Status != http.StatusOK || m.Auth != nil || !slices.Contains(m.SensitiveHeaders, "Authorization") {
		t.Fatalf("auth null: %d %s", upd.Status, upd.Body)
	}
}

// Each forbidden header and each malformed one is refused with a 422 that
// names body.headers.<name>, and nothing is written.
func TestHeaderRulesAreEnforced(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	forbidden := []string{"Host", "Content-Length", "content-type", "Transfer-Encoding", "Connection", "TE", "Upgrade", "Expect",
		"Keep-Alive", "User-Agent", "Proxy-Authorization", "traceparent", "tracestate", "baggage",
		"Webhook-Id", "X-Hookline-Tenant", "X-Forwarded-For", "Sec-Fetch-Mode"}
	type tc struct {
		name    string
		body    map[string]any
		locator string
	}
	var cases []tc
	for _, h := range forbidden {
		cases = append(cases, tc{h, map[string]any{"headers": map[string]any{h: "x"}}, "body.headers." + h})
	}
	many := map[string]any{}
	for i := range 21 {
		many["X-H"+string(rune('a'+i))] = "v"
	}
	cases = append(cases,
		tc{"crlf", map[string]any{"headers": map[string]any{"X-Evil": "a\r\nInjected: 1"}}, "body.headers.X-Evil"},
		tc{"nul", map[string]any{"headers": map[string]any{"X-Evil": "a\x00b"}}, "body.headers.X-Evil"},
		tc{"not a token", map[string]any{"headers": map[string]any{"X Bad": "v"}}, "body.headers.X Bad"},
		tc{"long value", map[string]any{"headers": map[string]any{"X-Long": strings.Repeat("v", 4097)}}, "body.headers.X-Long"},
		tc{"too many", map[string]any{"headers": many}, "body.headers"},
		tc{"authorization with auth", map[string]any{"headers": map[string]any{"Authorization": "x"}, "auth": map[string]any{"type": "bearer", "token": "t"}}, "body.headers.Authorization"},
		tc{"basic without password", map[string]any{"auth": map[string]any{"type": "basic", "username": "u"}}, "body.auth.password"},
		tc{"bearer with a username", map[string]any{"auth": map[string]any{"type": "bearer", "token": "t", "username": "u"}}, "body.auth.username"},
		tc{"oauth2 private token_url", map[string]any{"auth": map[string]any{"type": "oauth2_client_credentials", "token_url": "https://10.0.0.1/token", "client_id": "c", "client_secret": "s"}}, "body.auth.token_url"},
		tc{"schedule too short", map[string]any{"retry_schedule": []string{"500ms"}}, "body.retry_schedule[0]"},
		tc{"schedule too long", map[string]any{"retry_schedule": []string{"1s", "25h"}}, "body.retry_schedule[1]"},
		tc{"schedule empty", map[string]any{"retry_schedule": []string{}}, "body.retry_schedule"},
		tc{"timeout", map[string]any{"timeout_seconds": 31}, "body.timeout_seconds"},
	)
	for _, c := range cases {
		body := map[string]any{"url": "https://hooks.example.com/in", "events": []string{"*"}}
		for k, v := range c.body {
			body[k] = v
		}
		r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, body)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"location":"`+c.locator+`"`) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// Huma's own validation (before any handler) must not echo a secret.
	for _, body := range []map[string]any{
		{"url": "https://hooks.example.com/in", "events": []string{"*"}, "unknown": 1, "auth": map[string]any{"type": "basic", "username": "u", "password": "pw-secret-1"}},
		{"url": "https://hooks.example.com/in", "events": []string{"*"}, "auth": map[string]any{"type": "bearer", "token": strings.Repeat("tk-secret-", 500)}},
		{"url": "https://hooks.example.com/in", "events": []string{"*"}, "auth": map[string]any{"type": "bearer", "token": "tk-secret-2", "nope": true}},
	} {
		r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, body)
		if r.Status != http.StatusUnprocessableEntity || strings.Contains(string(r.Body), "secret-") {
			t.Fatalf("refused body echoed a secret: %d %s", r.Status, r.Body)
		}
	}
	if n := len(decode[struct{ Data []api.Endpoint }](t, env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil)).Data); n != 0 {
		t.Fatalf("%d endpoints written by refused creates", n)
	}
	// The same rules on PATCH.
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "https://hooks.example.com/in", "events": []string{"*"}})
	if r := env.Do(http.MethodPatch, "/v1/webhooks/"+ep.ID.String(), env.A.Key, map[string]any{"headers": map[string]any{"Host": "x"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), `"location":"body.headers.Host"`) {
		t.Fatalf("patch forbidden header: %d %s", r.Status, r.Body)
	}
}

// A per-endpoint schedule of two 1 s delays makes three attempts, then
// dead_letter; a 2 s timeout ends a hanging receiver's attempt as timeout
// well before the deployment's 5 s.
func TestRetryScheduleAndTimeoutPerEndpoint(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	rc.SetHandler(receiver.Status(http.StatusInternalServerError))
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"*"}, "retry_schedule": []string{"1s", "1000ms"}})
	if !slices.Equal(ep.RetrySchedule, []string{"1s", "1s"}) {
		t.Fatalf("retry_schedule shown as %v", ep.RetrySchedule)
	}
	d := publishOne(t, env, env.A, ep.ID.String())
	env.WaitDelivery(d.ID.String(), "dead_letter", 30*time.Second)
	if _, n := env.Delivery(d.ID.String()); n != 3 || rc.Count() != 3 {
		t.Fatalf("%d attempts recorded, %d received; want 3", n, rc.Count())
	}

	hang := hooklinetest.NewReceiver(t)
	hang.SetHandler(func(_ int, _ http.ResponseWriter, r *http.Request, _ []byte) { <-r.Context().Done() })
	slow := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": hang.URL, "events": []string{"*"}, "timeout_seconds": 2, "retry_schedule": []string{"1s"}})
	d = publishOne(t, env, env.A, slow.ID.String())
	env.WaitDelivery(d.ID.String(), "dead_letter", 30*time.Second)
	det := deliveryDetail(t, env, env.A, slow.ID.String(), d.ID.String())
	a := det.Attempts[0]
	if a.Error == nil || *a.Error != "timeout" || a.DurationMs < 1900 || a.DurationMs > 4500 {
		t.Fatalf("attempt 1: error %v after %d ms, want timeout after ~2 s", a.Error, a.DurationMs)
	}
	// null resets both to the deployment's.
	upd := env.Do(http.MethodPatch, "/v1/webhooks/"+slow.ID.String(), env.A.Key, map[string]any{"retry_schedule": nil, "timeout_seconds": nil})
	if m := decode[api.Endpoint](t, upd); upd.Status != http.StatusOK || m.RetrySchedule != nil || m.TimeoutSeconds != nil {
		t.Fatalf("reset: %d %s", upd.Status, upd.Body)
	}
}
