// Package hooklinetest is the end-to-end test bundle: a fresh Postgres
// database, a real in-process Temporal server (temporaltest) with a Hookline
// worker on a task queue of the test's own, the API behind httptest, and two
// tenants with API keys and admin tokens. Hookline is built by hookline.New,
// exactly as the binary builds it.
package hooklinetest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/metrics"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/tenancy"
	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/workflows"
)

// Tenant is a test tenant with its credentials.
type Tenant struct {
	ID         uuid.UUID
	Key        string // API key with both permissions
	AdminToken string // admin JWT covering only this tenant, manage_webhooks + publish_events
}

// Env is one test's running Hookline.
type Env struct {
	t         testing.TB
	Pool      *pgxpool.Pool
	JWT       authn.JWTConfig
	Temporal  client.Client
	Namespace string
	TaskQueue string
	Metrics   *metrics.Metrics
	App       *hookline.App
	URL       string
	logs      *syncWriter // everything the API and worker logged
	contract  *contract
	A, B      Tenant
	// SuperToken is an admin JWT for every tenant with every permission.
	SuperToken string
}

// Options adjust an Env.
type Options struct {
	// AllowedCIDRs exempted from the SSRF guard; default loopback.
	AllowedCIDRs []netip.Prefix
	// DeliveryCIDRs, when set, replace AllowedCIDRs for the worker's dialer
	// only: the API then accepts a loopback URL the deliveries must refuse,
	// as with a hostname that resolves to loopback.
	DeliveryCIDRs []netip.Prefix
	// Schedule of retries; default 1s, 2s (fast e2e tests).
	Schedule []time.Duration
	// NoWorker leaves the task queue without a worker (fault tests run
	// their own in a child process).
	NoWorker bool
	// Flow overrides flow-control settings (zero fields: defaults).
	Flow delivery.FlowPolicy
	// PublicURL is the base of links the API hands out (default: the request's host).
	PublicURL string
	// Tracing exports spans (default off); the Temporal client gets its
	// interceptors.
	Tracing *tracing.Tracing
	// PublishRate per tenant and per key (events/s; default Hookline's).
	PublishRate float64
	// ManageRate per tenant (management calls/s; default 1,000 here, ten
	// times Hookline's: tests page and poll faster than a tenant may).
	ManageRate float64
	// MaxPending open deliveries per tenant (default Hookline's), counted
	// every 100 ms here.
	MaxPending int64
	// BrokerDestinations are the host:port pairs nats:// and amqp://
	// endpoints may name (default none).
	BrokerDestinations []string
}

var (
	serverOnce sync.Once
	server     *temporaltest.TestServer
)

// sharedServer starts one Temporal server per test binary: starting one takes
// seconds, and tests are isolated by database and task queue anyway.
func sharedServer(t testing.TB) *temporaltest.TestServer {
	serverOnce.Do(func() {
		server = temporaltest.NewServer()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		attrs := map[string]enumspb.IndexedValueType{}
		for _, n := range workflows.SearchAttributeNames() {
			attrs[n] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
		if _, err := server.GetDefaultClient().OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: server.GetDefaultNamespace(), SearchAttributes: attrs,
		}); err != nil {
			panic(fmt.Sprintf("testenv: add search attributes: %v", err))
		}
	})
	return server
}

// New starts an Env; everything stops when the test ends.
func New(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.AllowedCIDRs == nil {
		o.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	if o.Schedule == nil {
		o.Schedule = DefaultSchedule()
	}
	ts := sharedServer(t)
	box, err := secretbox.New(EncryptionKey())
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{
		t: t, Pool: dbtest.New(t), Namespace: ts.GetDefaultNamespace(),
		TaskQueue: "hookline-test-" + uuid.NewString(), logs: &syncWriter{w: &bytes.Buffer{}},
		JWT: authn.JWTConfig{HMACSecret: []byte("test-secret-test-secret-test-secret!"), Issuer: "hookline", Audience: "hookline-admin", Leeway: time.Second},
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Metrics = metrics.New()
	e.Temporal = testClient(t, ts, log, e.Metrics, o.Tracing)
	e.App = hookline.New(e.appOptions(t, o, box, log))
	t.Cleanup(e.App.Close) // after the worker stops (cleanups run last first)
	e.App.Activities.TestSignals.Init()
	if !o.NoWorker {
		w := e.App.Worker(worker.Options{})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	if o.MaxPending > 0 { // the cap's counter, as serve runs it (only when a test sets one)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); e.App.Publisher.Backlog.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	apiServer := e.App.API()
	e.contract = newContract(t, apiServer.OpenAPI())
	srv := httptest.NewServer(apiServer.Handler())
	t.Cleanup(srv.Close)
	e.URL = srv.URL

	e.SuperToken = e.Mint([]string{"*"}, authn.AllPermissions, time.Hour)
	e.A = e.NewTenant("tenant-a")
	e.B = e.NewTenant("tenant-b")
	return e
}

// Reopen builds a second Hookline on the Env's database and Temporal server
// with another keyring (as after a restart with new HOOKLINE_ENCRYPTION_KEYS),
// on a task queue of its own with a running worker.
func (e *Env) Reopen(t testing.TB, box *secretbox.Box) *hookline.App {
	t.Helper()
	o := e.appOptions(t, Options{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Schedule: DefaultSchedule()}, box, slog.New(slog.NewJSONHandler(e.logs, nil)))
	o.TaskQueue = "hookline-test-" + uuid.NewString()
	app := hookline.New(o)
	w := app.Worker(worker.Options{})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return app
}

// testClient is a Temporal client of the test's own, so the worker logs (with
// workflow ids) into the Env's log and its SDK metrics into the Env's registry.
func testClient(t testing.TB, ts *temporaltest.TestServer, log *slog.Logger, m *metrics.Metrics, tr *tracing.Tracing) client.Client {
	interceptors, err := tr.ClientInterceptors()
	if err != nil {
		t.Fatal(err)
	}
	tc, err := client.Dial(client.Options{
		HostPort: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace(),
		Logger: sdklog.NewStructuredLogger(log), MetricsHandler: m.TemporalHandler(), Interceptors: interceptors,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	return tc
}

// appOptions are the Env's hookline.Options.
func (e *Env) appOptions(t testing.TB, o Options, box *secretbox.Box, log *slog.Logger) hookline.Options {
	verifier, err := authn.NewJWTVerifier(e.JWT)
	if err != nil {
		t.Fatal(err)
	}
	var dialGuard *netguard.Guard
	if o.DeliveryCIDRs != nil {
		dialGuard = netguard.New(o.DeliveryCIDRs)
	}
	return hookline.Options{
		Pool: e.Pool, Box: box, Temporal: e.Temporal, TaskQueue: e.TaskQueue, Guard: netguard.New(o.AllowedCIDRs),
		DeliveryGuard: dialGuard, AllowHTTP: true, BrokerDestinations: o.BrokerDestinations, JWT: verifier, Retry: delivery.RetryPolicy{Schedule: o.Schedule}, Flow: o.Flow,
		// Reconcile (run only when a test starts it) takes any open delivery
		// as overdue: tests need not wait for one to age.
		DeliveryTimeout: 5 * time.Second, ReconcileAfter: time.Nanosecond, Version: "test", Metrics: e.Metrics, Logger: log,
		RecoverBatch: 10, // tests recover a few dozen deliveries, still in several batches
		PublicURL:    o.PublicURL, Tracing: o.Tracing, PublishRate: o.PublishRate, PublishRatePerKey: o.PublishRate, ManageRate: cmp.Or(o.ManageRate, 1000), MaxPending: o.MaxPending, PendingEvery: 100 * time.Millisecond,
	}
}

// Signals are the worker's test signals (initialised for every Env).
func (e *Env) Signals() *activities.TestSignals { return &e.App.Activities.TestSignals }

// TemporalHostPort is the frontend of the shared test server.
func (e *Env) TemporalHostPort() string { return server.GetFrontendHostPort() }

// EncryptionKey is the secretbox key of every Env: a worker run in another
// process needs it to open the endpoint secrets.
func EncryptionKey() []byte { return bytes.Repeat([]byte{7}, 32) }

// DefaultSchedule is an Env's retry schedule unless Options.Schedule is set.
func DefaultSchedule() []time.Duration { return []time.Duration{time.Second, 2 * time.Second} }

// DatabaseURL is the connection string of the Env's database.
func (e *Env) DatabaseURL() string { return e.Pool.Config().ConnString() }

// NewTenant creates a tenant with an API key and a tenant-scoped admin token.
func (e *Env) NewTenant(name string) Tenant {
	e.t.Helper()
	ctx := context.Background()
	actor := audit.Actor{Kind: audit.ActorSystem, ID: "testenv"}
	tn, err := tenancy.CreateTenant(ctx, e.Pool, actor, "", name)
	if err != nil {
		e.t.Fatal(err)
	}
	k, err := tenancy.CreateAPIKey(ctx, e.Pool, actor, "", tn.ID, "test", authn.KeyPermissions)
	if err != nil {
		e.t.Fatal(err)
	}
	return Tenant{ID: tn.ID, Key: k.Token, AdminToken: e.Mint([]string{tn.ID.String()}, authn.KeyPermissions, time.Hour)}
}

// NewKey creates another API key for tenant with the given permissions.
func (e *Env) NewKey(tenant uuid.UUID, perms ...string) string {
	e.t.Helper()
	k, err := tenancy.CreateAPIKey(context.Background(), e.Pool, audit.Actor{Kind: audit.ActorSystem, ID: "testenv"}, "", tenant, "extra", perms)
	if err != nil {
		e.t.Fatal(err)
	}
	return k.Token
}

// Mint signs an admin token with the Env's HS256 secret.
func (e *Env) Mint(tenants, perms []string, ttl time.Duration) string {
	e.t.Helper()
	tok, err := authn.MintHS256(e.JWT, "admin@test", tenants, perms, ttl, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// Response is an HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response %s: %v", r.Status, r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request with a bearer token (empty for none); body is marshalled
// unless it is a string or []byte.
func (e *Env) Do(method, path, token string, body any, headers ...string) Response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.contract.check(e.t, req, resp.StatusCode, resp.Header, b)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Path is how a tenant's operation is addressed on either auth path.
type Path struct {
	Name   string
	Prefix string // "/v1" or "/admin/v1/tenants/<id>"
	Token  string
}

// Paths returns tenant's two ways in: API key on /v1, admin JWT on the mirror.
func (e *Env) Paths(t Tenant) []Path {
	return []Path{
		{Name: "api-key", Prefix: "/v1", Token: t.Key},
		{Name: "admin", Prefix: "/admin/v1/tenants/" + t.ID.String(), Token: t.AdminToken},
	}
}

// Delivery reads a delivery row's status and attempt count.
func (e *Env) Delivery(id string) (status delivery.Status, attempts int) {
	e.t.Helper()
	err := e.Pool.QueryRow(context.Background(), "SELECT status, attempt_count FROM deliveries WHERE id = $1", id).Scan(&status, &attempts)
	if err != nil {
		e.t.Fatalf("delivery %s: %v", id, err)
	}
	return status, attempts
}

// WaitDelivery waits until delivery id has status.
func (e *Env) WaitDelivery(id string, status delivery.Status, timeout time.Duration) {
	e.t.Helper()
	e.Eventually(timeout, "delivery "+id+" to be "+string(status), func() bool {
		s, _ := e.Delivery(id)
		return s == status
	})
}

// Eventually polls cond until it holds or timeout passes.
func (e *Env) Eventually(timeout time.Duration, what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// LogText returns everything the API and worker logged so far.
func (e *Env) LogText() string {
	e.logs.mu.Lock()
	defer e.logs.mu.Unlock()
	return e.logs.w.String()
}
