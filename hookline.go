// Package hookline is the composition root: New wires the services, the
// activities, the worker and the API from one Options struct. cmd/hookline
// and the end-to-end test bundle (hooklinetest) both build Hookline through
// it, so what the tests run is what production runs.
package hookline

import (
	"cmp"
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/broker"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/deliverylog"
	"github.com/hookline/hookline/internal/endpoint"
	"github.com/hookline/hookline/internal/idempotency"
	"github.com/hookline/hookline/internal/metrics"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/oauth2cc"
	"github.com/hookline/hookline/internal/portal"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/ratelimit"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/source"
	"github.com/hookline/hookline/internal/stats"
	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/workflows"
)

// Options are everything Hookline is built from.
type Options struct {
	Pool      *pgxpool.Pool
	Box       *secretbox.Box
	Temporal  client.Client
	TaskQueue string // default workflows.DefaultTaskQueue
	// Guard checks endpoint URLs at the API and guards the delivery dialer.
	Guard *netguard.Guard
	// DeliveryGuard, when set, guards the dialer instead (tests: the API
	// accepts a URL the worker must refuse, as for a name resolving to
	// loopback).
	DeliveryGuard *netguard.Guard
	AllowHTTP     bool
	// BrokerDestinations are the host:port pairs endpoints may deliver to
	// over nats:// and amqp:// (none: such URLs are refused).
	BrokerDestinations []string
	JWT                *authn.JWTVerifier // nil: admin routes answer 401
	Retry              delivery.RetryPolicy
	Flow               delivery.FlowPolicy // zero fields: delivery.DefaultFlow's
	DeliveryTimeout    time.Duration       // default 15 s
	ReconcileAfter     time.Duration       // default 30 s
	Retention          time.Duration       // default 30 days
	RemoteAttempts     bool
	// ProbeRunsWorkflow: this process runs a worker (dev, worker), so the
	// readiness probe waits for its workflow to finish, not just to start.
	ProbeRunsWorkflow bool
	RecoverBatch      int // deliveries a recovery replays per batch (0: workflows.RecoverBatch)
	MaxEndpoints      int // per tenant (0: endpoint.DefaultMaxEndpoints)
	// PublishRate and PublishRatePerKey bound publishes per second (bursts
	// of one second's worth) per tenant and per API key; 0: DefaultPublishRate.
	PublishRate, PublishRatePerKey float64
	// ManageRate bounds each tenant's management calls per second (bursts
	// of two seconds' worth); 0: DefaultManageRate.
	ManageRate float64
	// MaxPending caps each tenant's open deliveries: past it REST publishes
	// answer 429 (0: DefaultMaxPending); counted every PendingEvery (0: 5 s).
	MaxPending   int64
	PendingEvery time.Duration
	PublicURL    string // base of links the API hands out; empty: the request's host
	Version      string
	Metrics      *metrics.Metrics // nil: none
	Tracing      *tracing.Tracing // nil: off
	Logger       *slog.Logger     // nil: discard
}

// App is a wired Hookline: its services, activities and workflow client.
type App struct {
	opts       Options
	Dispatcher *workflows.Dispatcher
	Publisher  *publish.Publisher
	Endpoints  *endpoint.Service
	Deliveries *deliverylog.Service
	Portal     *portal.Service
	Sources    *source.Service
	// SourceRunner consumes the ingest sources; every process that runs a
	// worker runs it (RunSources).
	SourceRunner *source.Runner
	Activities   *activities.Activities
	// Readiness backs /readyz and the dev stack's "ready".
	Readiness *workflows.Readiness
	limits    *api.PublishLimits
	manage    *ratelimit.Limiter
}

// DefaultPublishRate is HOOKLINE_PUBLISH_RATE's default (events/s).
const DefaultPublishRate = 500

// DefaultManageRate is HOOKLINE_MANAGE_RATE's default (calls/s per tenant).
const DefaultManageRate = 100

// DefaultMaxPending is HOOKLINE_MAX_PENDING_DELIVERIES's default.
const DefaultMaxPending = 1_000_000

func limiter(perSecond float64) *ratelimit.Limiter {
	if perSecond <= 0 {
		perSecond = DefaultPublishRate
	}
	return ratelimit.New(perSecond, max(1, int(perSecond)))
}

// New wires Hookline from o.
func New(o Options) *App {
	o.defaults()
	disp := &workflows.Dispatcher{Client: o.Temporal, TaskQueue: o.TaskQueue, Logger: o.Logger, RemoteAttempts: o.RemoteAttempts, RecoverBatch: o.RecoverBatch}
	idem := &idempotency.Store{Pool: o.Pool, Box: o.Box}
	pub := &publish.Publisher{Pool: o.Pool, Starter: disp, Idem: idem, Logger: o.Logger, Tracer: o.Tracing.Tracer(),
		Backlog: &publish.Backlog{Pool: o.Pool, Max: cmp.Or(o.MaxPending, DefaultMaxPending), Every: cmp.Or(o.PendingEvery, 5*time.Second), Logger: o.Logger}}
	dialGuard := o.Guard
	if o.DeliveryGuard != nil {
		dialGuard = o.DeliveryGuard
	}
	sender := func(timeout time.Duration) *delivery.Sender {
		return &delivery.Sender{Client: dialGuard.Client(netguard.ClientOptions{Timeout: timeout}), UserAgent: "Hookline/" + o.Version}
	}
	a := &App{
		opts:       o,
		Dispatcher: disp,
		Publisher:  pub,
		Endpoints: &endpoint.Service{Pool: o.Pool, Box: o.Box, Guard: o.Guard, AllowHTTP: o.AllowHTTP, Idem: idem, Workflows: disp,
			Publisher: pub, MaxEndpoints: o.MaxEndpoints, BrokerHosts: o.BrokerDestinations},
		Deliveries:   &deliverylog.Service{Pool: o.Pool, Publisher: pub, Workflows: disp},
		Portal:       &portal.Service{Pool: o.Pool},
		Sources:      &source.Service{Pool: o.Pool, Box: o.Box},
		SourceRunner: &source.Runner{Pool: o.Pool, Box: o.Box, Publisher: pub, Logger: o.Logger},
		Readiness:    &workflows.Readiness{Dispatcher: disp, RunWorkflow: o.ProbeRunsWorkflow},
		limits:       &api.PublishLimits{Tenant: limiter(o.PublishRate), Key: limiter(o.PublishRatePerKey)},
		manage:       ratelimit.New(cmp.Or(o.ManageRate, DefaultManageRate), max(1, int(2*cmp.Or(o.ManageRate, DefaultManageRate)))),
	}
	// An attempt's own deadline (its endpoint's timeout, else the
	// deployment's) bounds it; the clients allow the largest.
	maxTimeout := time.Duration(endpoint.MaxTimeout) * time.Second
	a.Activities = &activities.Activities{
		Pool: o.Pool, Box: o.Box, Sender: sender(maxTimeout), ChallengeSender: sender(workflows.VerifyTimeout),
		Brokers:         &broker.Publisher{Allowed: o.BrokerDestinations, Name: "Hookline/" + o.Version},
		DeliveryTimeout: o.DeliveryTimeout, Tracer: o.Tracing.Tracer(), Propagator: o.Tracing.Propagator,
		TLSClients: &delivery.Clients{New: func(cfg *tls.Config) *http.Client {
			return dialGuard.Client(netguard.ClientOptions{Timeout: maxTimeout, TLS: cfg})
		}},
		// Token URLs pass the same guard as deliveries.
		Tokens: oauth2cc.New(dialGuard.Client(netguard.ClientOptions{Timeout: maxTimeout})),
		Policy: o.Retry, Flow: o.Flow, Publisher: pub, Endpoints: a.Endpoints, Workflows: disp,
		ReconcileAfter: o.ReconcileAfter, Retention: o.Retention, Logger: o.Logger,
	}
	if o.Metrics != nil {
		a.Activities.Metrics = o.Metrics
		pub.Faults = o.Metrics
	}
	return a
}

func (o *Options) defaults() {
	if o.TaskQueue == "" {
		o.TaskQueue = workflows.DefaultTaskQueue
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Tracing == nil {
		o.Tracing = tracing.Off()
	}
	if o.Retry.Schedule == nil {
		o.Retry.Schedule = delivery.DefaultSchedule
	}
	if o.DeliveryTimeout == 0 {
		o.DeliveryTimeout = 15 * time.Second
	}
	if o.ReconcileAfter == 0 {
		o.ReconcileAfter = 30 * time.Second
	}
	if o.Retention == 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	def := delivery.DefaultFlow()
	set := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Flow.TenantMaxInFlight == 0 {
		o.Flow.TenantMaxInFlight = def.TenantMaxInFlight
	}
	if o.Flow.BreakerThreshold == 0 {
		o.Flow.BreakerThreshold = def.BreakerThreshold
	}
	set(&o.Flow.BreakerCooldown, def.BreakerCooldown)
	set(&o.Flow.BreakerMaxCooldown, def.BreakerMaxCooldown)
	set(&o.Flow.DisableAfter, def.DisableAfter)
	// A lease outlives the attempt's HTTP timeout, so only a dead worker's expires.
	set(&o.Flow.Lease, max(def.Lease, o.DeliveryTimeout+30*time.Second))
}

// API builds the REST API over the app's services.
func (a *App) API() *api.Server {
	d := api.Deps{
		Pool: a.opts.Pool, JWT: a.opts.JWT, Ready: a.Readiness.Check, Endpoints: a.Endpoints,
		Deliveries: a.Deliveries, Publisher: a.Publisher, Portal: a.Portal, Sources: a.Sources, Stats: &stats.Service{Pool: a.opts.Pool}, PublicURL: a.opts.PublicURL,
		Logger: a.opts.Logger, Version: a.opts.Version, Tracing: a.opts.Tracing, PublishLimits: a.limits, ManageLimit: a.manage,
	}
	if a.opts.Metrics != nil {
		d.Metrics = a.opts.Metrics
	}
	return api.New(d)
}

// Worker builds a Temporal worker on the app's task queue with every
// Hookline workflow and activity registered.
func (a *App) Worker(o worker.Options) worker.Worker {
	w := worker.New(a.opts.Temporal, a.opts.TaskQueue, o)
	workflows.Register(w, a.Activities)
	return w
}

// TaskQueue is the task queue the app's workflows run on.
func (a *App) TaskQueue() string { return a.opts.TaskQueue }

// Close closes the broker connections the deliveries opened. Call it once
// the worker has stopped.
func (a *App) Close() { a.Activities.Brokers.Close() }
