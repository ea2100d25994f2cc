// Package api is Hookline's REST API: Huma operations on a chi router, one
// resource per file. Every tenant operation is registered twice — on the
// API-key path /v1/... and on the admin-JWT mirror
// /admin/v1/tenants/{tenant_id}/... — with the same handler; the path only
// decides how the tenant and actor are resolved (auth.go).
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/deliverylog"
	"github.com/hookline/hookline/internal/endpoint"
	"github.com/hookline/hookline/internal/portal"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/ratelimit"
	"github.com/hookline/hookline/internal/source"
	"github.com/hookline/hookline/internal/stats"
	"github.com/hookline/hookline/internal/tracing"
)

// Deps is what the API needs from the process that hosts it: the services
// its handlers call, and what authentication and readiness read.
type Deps struct {
	Pool *pgxpool.Pool // API keys, tenants, audit log, readiness
	JWT  *authn.JWTVerifier
	// Ready reports whether a delivery workflow can start now (readiness).
	Ready      func(context.Context) error
	Endpoints  *endpoint.Service
	Deliveries *deliverylog.Service
	Publisher  *publish.Publisher
	Portal     *portal.Service
	Stats      *stats.Service
	Sources    *source.Service
	// PublicURL is the base of links the API hands out (portal sessions);
	// empty: the request's own scheme and host.
	PublicURL string
	Logger    *slog.Logger
	Version   string
	// Metrics observes every request by operation; nil disables it.
	Metrics Observer
	// PublishLimits bound each tenant's and API key's publish rate (nil: none).
	PublishLimits *PublishLimits
	// ManageLimit bounds each tenant's management calls (every webhook
	// operation but publish) per second (nil: none).
	ManageLimit *ratelimit.Limiter
	// Tracing makes each request a server span (continuing an incoming
	// traceparent); nil or off: none.
	Tracing *tracing.Tracing
}

// Observer records one finished API request.
type Observer interface {
	ObserveRequest(operationID string, status int, d time.Duration)
}

// Server holds the API's dependencies; handlers are its methods.
type Server struct {
	Deps
	api    huma.API
	router chi.Router
	// authFailures rate-limits the audit rows of refused API keys.
	authFailures *ratelimit.Limiter
}

// New builds the router and registers every operation.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	redactValidationValues()
	r := chi.NewRouter()
	s := &Server{Deps: d, router: r, authFailures: ratelimit.New(1.0/60, 1)}
	r.Use(s.requestContext, s.recoverer, validQuery, jsonByDefault)

	cfg := huma.DefaultConfig("Hookline API", d.Version)
	cfg.Info.Description = apiDescription
	cfg.Info.License = &huma.License{Name: "Proprietary"}
	cfg.Servers = []*huma.Server{{URL: "http://localhost:8080", Description: "hookline dev (make run)"}}
	cfg.CreateHooks = nil // no "$schema" links in bodies: responses are exactly the documented shapes
	cfg.OpenAPIPath = "/openapi"
	cfg.DocsPath = "" // Huma's page loads its UI from a CDN; ours is embedded (docs.go)
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		schemeAPIKey: {
			Type: "http", Scheme: "bearer", BearerFormat: "hk_<id>_<secret>",
			Description: "Tenant API key. Operations under /v1 act on the key's tenant.",
		},
		schemeAdmin: {
			Type: "http", Scheme: "bearer", BearerFormat: "JWT",
			Description: "Admin JWT (HS256, or RS256/ES256/EdDSA with a configured public key). " +
				"Claims: exp (required), iss, aud, sub, permissions[], tenants[] (\"*\" = any).",
		},
	}
	cfg.Tags = []*huma.Tag{
		{Name: tagEndpoints, Description: "Webhook endpoints: where a tenant's events are delivered."},
		{Name: tagDeliveries, Description: "The delivery log: one row per (event, endpoint), each a Temporal workflow."},
		{Name: tagEvents, Description: "Publishing events for delivery."},
		{Name: tagEventTypes, Description: "The event-type catalogue: descriptions, JSON Schemas, examples."},
		{Name: tagPortal, Description: "Links to the tenant portal, the web page where a tenant manages its webhooks."},
		{Name: tagTenants, Description: "Tenant and API-key administration (admin JWT only)."},
		{Name: tagSources, Description: "Broker ingest sources: NATS JetStream and RabbitMQ messages published as events (admin JWT for all tenants)."},
		{Name: tagHealth, Description: "Liveness and readiness probes."},
	}
	s.api = humachi.New(r, cfg)
	s.registerDocs()
	s.api.UseMiddleware(operationRecorder)

	s.registerHealth()
	s.registerTenants()
	s.registerAPIKeys()
	s.registerAuditLog()
	s.registerEndpoints()
	s.registerOrdering()
	s.registerEventTypes()
	s.registerDeliveries()
	s.registerEvents()
	s.registerRouting()
	s.registerStats()
	s.registerTokens()
	s.registerVerification()
	s.registerPortal()
	s.registerPortalSessions()
	s.registerSources()
	s.mountPortal(r)
	return s
}

// Handler is the HTTP handler serving the API, its OpenAPI document and docs.
func (s *Server) Handler() http.Handler {
	if !s.Tracing.Enabled() {
		return s.router
	}
	return otelhttp.NewHandler(s.router, "http request",
		otelhttp.WithTracerProvider(s.Tracing.Provider), otelhttp.WithPropagators(s.Tracing.Propagator))
}

// API is the Huma API, for handler tests (humatest.Wrap).
func (s *Server) API() huma.API { return s.api }

// OpenAPI returns the generated OpenAPI document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

const apiDescription = `Hookline delivers your events to your customers' webhook endpoints: signed
(Standard Webhooks), retried on durable timers, dead-lettered, replayable — every
delivery its own Temporal workflow.

Two ways in, same operations:

* **/v1/...** with an API key (` + "`Authorization: Bearer hk_...`" + `): acts on the key's tenant.
* **/admin/v1/tenants/{tenant_id}/...** with an admin JWT: acts on the tenant in the path.

Errors are RFC 9457 problem details. A resource of another tenant is always 404.`

const (
	tagEndpoints  = "Webhook endpoints"
	tagDeliveries = "Deliveries"
	tagEvents     = "Events"
	tagEventTypes = "Event types"
	tagPortal     = "Portal"
	tagTenants    = "Administration"
	tagHealth     = "Health"
)

// anonymous marks an operation that needs no credentials.
var anonymous = []map[string][]string{{}}

// healthTimeout bounds readiness probes of Postgres and Temporal.
const healthTimeout = 2 * time.Second

type healthOutput struct {
	Body struct {
		Status  string            `json:"status" example:"ok" doc:"ok when every check passed"`
		Checks  map[string]string `json:"checks,omitempty" doc:"per-dependency result"`
		Version string            `json:"version,omitempty"`
	}
}

func (s *Server) registerHealth() {
	huma.Register(s.api, huma.Operation{
		OperationID: "get-health", Method: http.MethodGet, Path: "/healthz", Security: anonymous,
		Summary: "Liveness", Description: "200 while the process is up.", Tags: []string{tagHealth},
	}, func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
		out := &healthOutput{}
		out.Body.Status = "ok"
		out.Body.Version = s.Version
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-readiness", Method: http.MethodGet, Path: "/readyz", Security: anonymous,
		Summary: "Readiness", Tags: []string{tagHealth},
		Description: "200 when Postgres answers and a delivery workflow can be started now (Temporal up, search attributes usable); 503 (with the failing check) otherwise.",
		Errors:      []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
		ctx, cancel := context.WithTimeout(ctx, healthTimeout)
		defer cancel()
		out := &healthOutput{}
		out.Body.Checks = map[string]string{"postgres": "ok", "temporal": "ok"}
		failed := false
		if err := s.Pool.Ping(ctx); err != nil {
			out.Body.Checks["postgres"], failed = "unreachable", true
		}
		if s.Ready == nil {
			out.Body.Checks["temporal"], failed = "not configured", true
		} else if err := s.Ready(ctx); err != nil {
			out.Body.Checks["temporal"], failed = "not ready", true
		}
		if failed {
			return nil, huma.NewError(http.StatusServiceUnavailable, "not ready: "+summarize(out.Body.Checks))
		}
		out.Body.Status = "ok"
		return out, nil
	})
}

func summarize(checks map[string]string) string {
	msg := ""
	for _, k := range []string{"postgres", "temporal"} {
		if v := checks[k]; v != "ok" {
			if msg != "" {
				msg += ", "
			}
			msg += k + " " + v
		}
	}
	return msg
}
