package api_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/workflows"
)

// tokenServer is an OAuth2 token endpoint issuing tok-1, tok-2, …; the
// receiver accepts only tokens it issued that were not revoked.
type tokenServer struct {
	*httptest.Server
	fetches   atomic.Int32
	expiresIn int
	fail      atomic.Bool
	mu        sync.Mutex
	valid     map[string]bool
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn, valid: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != "client-1" || secret != "client-secret-xyz" || r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "hooks:write" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if ts.fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		tok := fmt.Sprintf("tok-%d", ts.fetches.Add(1))
		ts.mu.Lock()
		ts.valid[tok] = true
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": ts.expiresIn})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) revokeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.valid = map[string]bool{}
}

func (ts *tokenServer) accepts(h string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.valid[strings.TrimPrefix(h, "Bearer ")]
}

func oauth2Auth(ts *tokenServer) map[string]any {
	return map[string]any{"type": "oauth2_client_credentials", "token_url": ts.URL + "/token", "client_id": "client-1",
		"client_secret": "client-secret-xyz", "scopes": []string{"hooks:write"}}
}

// OAuth2 against a real token endpoint: 50 deliveries share one token; a
// receiver's 401 drops it and the same attempt succeeds with a fresh one; a
// failing token endpoint is auth_error, retried, and never shows a secret.
func TestOAuth2ClientCredentials(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ts := newTokenServer(t, 3600)
	rc := hooklinetest.NewReceiver(t)
	rc.SetHandler(func(_ int, w http.ResponseWriter, r *http.Request, _ []byte) {
		if !ts.accepts(r.Header.Get("Authorization")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"comment.created"}, "auth": oauth2Auth(ts)})
	if a := ep.Auth; a == nil || a.Type != "oauth2_client_credentials" || a.ClientID != "client-1" || a.AuthMethod != "client_secret_basic" {
		t.Fatalf("auth shown as %s", show(ep.Auth))
	}
	id := ep.ID.String()
	publishN(t, env, env.A, 50)
	env.Eventually(60*time.Second, "50 deliveries", func() bool { return rc.Count() >= 50 })
	for _, d := range deliveriesOf(t, env, env.A, id, "?limit=100") {
		env.WaitDelivery(d.ID.String(), "succeeded", 30*time.Second)
	}
	if n := ts.fetches.Load(); n != 1 {
		t.Fatalf("50 deliveries fetched %d tokens, want 1", n)
	}

	// The token is revoked at the receiver: 401, one refetch, success — all
	// in attempt 1.
	ts.revokeAll()
	d := publishOne(t, env, env.A, id)
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)
	if _, n := env.Delivery(d.ID.String()); n != 1 || ts.fetches.Load() != 2 {
		t.Fatalf("after a 401: %d attempts, %d token fetches; want 1 and 2", n, ts.fetches.Load())
	}

	// The token endpoint fails: auth_error, retried on the schedule, then dead_letter.
	ts.revokeAll()
	ts.fail.Store(true)
	d = publishOne(t, env, env.A, id)
	env.WaitDelivery(d.ID.String(), "dead_letter", 30*time.Second)
	det := deliveryDetail(t, env, env.A, id, d.ID.String())
	if len(det.Attempts) != 3 || det.LastError == nil || !strings.HasPrefix(*det.LastError, "auth_error: token endpoint answered HTTP 500") {
		t.Fatalf("failing token endpoint: %d attempts, last_error %v", len(det.Attempts), det.LastError)
	}
	body := string(env.Do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries/"+d.ID.String(), env.A.Key, nil).Body) +
		string(env.Do(http.MethodGet, "/v1/webhooks/"+id, env.A.Key, nil).Body) + env.LogText()
	if strings.Contains(body, "client-secret-xyz") || strings.Contains(body, "tok-1") {
		t.Fatal("a client secret or token was shown or logged")
	}
}

// An expired token is fetched again.
func TestOAuth2TokenExpiryRefetches(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ts := newTokenServer(t, 1) // cached for 0.9 s
	rc := hooklinetest.NewReceiver(t)
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"*"}, "auth": oauth2Auth(ts)})
	d := publishOne(t, env, env.A, ep.ID.String())
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)
	time.Sleep(time.Second) // the token's own lifetime: nothing to signal
	d = publishOne(t, env, env.A, ep.ID.String())
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)
	if n := ts.fetches.Load(); n != 2 {
		t.Fatalf("%d token fetches across an expiry, want 2", n)
	}
	if h := rc.Requests()[1].Header.Get("Authorization"); h != "Bearer tok-2" {
		t.Fatalf("second delivery sent %q", h)
	}
}

// Mutual TLS: a receiver requiring a client certificate from its CA gets
// one from an endpoint configured with a pair it issued, and refuses one
// without; a mismatched pair or an expired certificate is 422 at save. No
// secret of an OAuth2 + mTLS endpoint reaches a workflow history.
func TestMutualTLSAndNoSecretInHistories(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ca := hooklinetest.NewCA(t, "receiver CA")
	good := hooklinetest.Issue(t, &ca, "hookline-client", time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
	stranger := hooklinetest.Issue(t, nil, "stranger", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	expired := hooklinetest.Issue(t, &ca, "old", time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))

	var peers sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peers.Store(r.TLS.PeerCertificates[0].Subject.CommonName, true)
		w.WriteHeader(http.StatusNoContent)
	}))
	pool := x509.NewCertPool()
	pool.AddCert(ca.X509)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	serverCA := hooklinetest.PEM(srv.Certificate())

	ts := newTokenServer(t, 3600)
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": srv.URL + "/in", "events": []string{"*"}, "auth": oauth2Auth(ts),
		"tls": map[string]any{"client_cert_pem": good.CertPEM, "client_key_pem": good.KeyPEM, "ca_cert_pem": serverCA}})
	if ep.TLS == nil || !strings.Contains(ep.TLS.ClientCertSubject, "hookline-client") || len(ep.TLS.ClientCertSHA256) != 64 ||
		!ep.TLS.ClientCertNotAfter.Equal(good.X509.NotAfter.UTC()) {
		t.Fatalf("tls shown as %s", show(ep.TLS))
	}
	d := publishOne(t, env, env.A, ep.ID.String())
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)
	if _, ok := peers.Load("hookline-client"); !ok {
		t.Fatal("the receiver saw no client certificate")
	}

	// A certificate the receiver's CA did not issue: the handshake fails.
	other := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": srv.URL + "/in", "events": []string{"*"}, "retry_schedule": []string{"1s"},
		"tls": map[string]any{"client_cert_pem": stranger.CertPEM, "client_key_pem": stranger.KeyPEM, "ca_cert_pem": serverCA}})
	env.WaitDelivery(publishOne(t, env, env.A, other.ID.String()).ID.String(), "dead_letter", 30*time.Second)
	if _, ok := peers.Load("stranger"); ok {
		t.Fatal("the receiver accepted a certificate of another CA")
	}

	for name, tlsBody := range map[string]map[string]any{
		"mismatched pair": {"client_cert_pem": good.CertPEM, "client_key_pem": stranger.KeyPEM},
		"expired":         {"client_cert_pem": expired.CertPEM, "client_key_pem": expired.KeyPEM},
		"bad ca":          {"client_cert_pem": good.CertPEM, "client_key_pem": good.KeyPEM, "ca_cert_pem": "not a pem"},
	} {
		r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": srv.URL, "events": []string{"*"}, "tls": tlsBody})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"location":"body.tls.`) {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	shown := string(env.Do(http.MethodGet, "/v1/webhooks/"+ep.ID.String(), env.A.Key, nil).Body)
	if strings.Contains(shown, "PRIVATE KEY") || strings.Contains(shown, "client-secret-xyz") {
		t.Fatal("get shows a key or secret")
	}

	hist, runs := tenantHistories(t, env, env.A)
	if runs < 2 || !strings.Contains(hist, d.ID.String()) {
		t.Fatalf("histories (%d runs) do not hold the delivery: the search would prove nothing", runs)
	}
	keyBody := strings.Split(good.KeyPEM, "\n")[1]
	for what, needle := range map[string]string{"client secret": "client-secret-xyz", "token": "tok-1", "client key": keyBody, "certificate": strings.Split(good.CertPEM, "\n")[1]} {
		if strings.Contains(hist, needle) {
			t.Errorf("%s found in a workflow history", what)
		}
	}
	var plain int
	if err := env.Pool.QueryRow(t.Context(), `SELECT count(*) FROM webhook_endpoints WHERE position(convert_to('client-secret-xyz', 'UTF8') in coalesce(secrets_ciphertext, ''::bytea)) > 0
		OR auth::text LIKE '%client-secret%' OR tls::text LIKE '%PRIVATE%'`).Scan(&plain); err != nil || plain != 0 {
		t.Fatalf("secrets stored in the clear (%d rows, %v)", plain, err)
	}
}

// A client certificate is announced once at 30 days before expiry and once
// at 7, to the tenant's endpoints subscribed to endpoint.tls_expiring.
func TestTLSExpiringAnnounced(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"endpoint.tls_expiring"}})
	ca := hooklinetest.NewCA(t, "ca")
	soon := hooklinetest.Issue(t, &ca, "soon", time.Now().Add(-time.Hour), time.Now().Add(5*24*time.Hour))
	later := hooklinetest.Issue(t, &ca, "later", time.Now().Add(-time.Hour), time.Now().Add(20*24*time.Hour))
	far := hooklinetest.Issue(t, &ca, "far", time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
	ids := map[string]string{}
	for name, c := range map[string]hooklinetest.Cert{"soon": soon, "later": later, "far": far} {
		ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "https://hooks.example.com/" + name, "events": []string{"member.joined"},
			"tls": map[string]any{"client_cert_pem": c.CertPEM, "client_key_pem": c.KeyPEM}})
		ids[ep.ID.String()] = name
	}
	reconcile := func() int {
		t.Helper()
		run, err := env.Temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.ReconcileWorkflow)
		if err != nil {
			t.Fatal(err)
		}
		var rec activities.ReconcileResult
		if err := run.Get(t.Context(), &rec); err != nil {
			t.Fatal(err)
		}
		return rec.TLSExpiring
	}
	if n := reconcile(); n != 2 {
		t.Fatalf("first sweep announced %d certificates, want 2", n)
	}
	if n := reconcile(); n != 0 { // each threshold is announced once
		t.Fatalf("second sweep announced %d certificates again", n)
	}
	env.Eventually(20*time.Second, "two announcements", func() bool { return rc.Count() >= 2 })
	got := map[string]int{}
	for _, r := range rc.Requests() {
		var ev struct {
			Type string `json:"type"`
			Data struct {
				EndpointID string `json:"endpoint_id"`
				DaysLeft   int    `json:"days_left"`
				SHA256     string `json:"client_cert_sha256"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.Body, &ev); err != nil || ev.Type != "endpoint.tls_expiring" || len(ev.Data.SHA256) != 64 {
			t.Fatalf("announcement %s (%v)", r.Body, err)
		}
		got[ids[ev.Data.EndpointID]] = ev.Data.DaysLeft
	}
	if len(rc.Requests()) != 2 || got["soon"] != 4 || got["later"] != 19 {
		t.Fatalf("announcements %v from %d requests; want soon (4 days left) and later (19)", got, rc.Count())
	}
}
