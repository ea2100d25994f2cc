package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/ratelimit"
)

// PublishLimits are the publish rate limits: a token bucket per tenant and
// one per API key (admin tokens count against their tenant only).
type PublishLimits struct {
	Tenant, Key *ratelimit.Limiter
}

// RateLimitHeaders tell a client where it stands (IETF RateLimit fields).
type RateLimitHeaders struct {
	RateLimitLimit     string `header:"RateLimit-Limit" doc:"publishes allowed in a burst"`
	RateLimitRemaining string `header:"RateLimit-Remaining" doc:"publishes left now"`
	RateLimitReset     string `header:"RateLimit-Reset" doc:"seconds until the full burst is available again"`
}

func headersOf(d ratelimit.Decision) RateLimitHeaders {
	return RateLimitHeaders{RateLimitLimit: strconv.Itoa(d.Limit), RateLimitRemaining: strconv.Itoa(d.Remaining),
		RateLimitReset: strconv.Itoa(int((d.Reset + time.Second - 1) / time.Second))}
}

// admitPublish takes a token from the caller's key and tenant buckets, or
// refuses with 429, Retry-After and the RateLimit headers.
func (s *Server) admitPublish(ctx context.Context) (RateLimitHeaders, error) {
	if s.PublishLimits == nil {
		return RateLimitHeaders{}, nil
	}
	p := principalFrom(ctx)
	var decisions []ratelimit.Decision
	if p.Actor.Kind == audit.ActorAPIKey && s.PublishLimits.Key != nil {
		decisions = append(decisions, s.PublishLimits.Key.Allow(p.Actor.ID))
	}
	if s.PublishLimits.Tenant != nil && (len(decisions) == 0 || decisions[0].Allowed) {
		decisions = append(decisions, s.PublishLimits.Tenant.Allow(p.TenantID.String()))
	}
	var tightest ratelimit.Decision
	for i, d := range decisions {
		if i == 0 || !d.Allowed || (tightest.Allowed && d.Remaining < tightest.Remaining) {
			tightest = d
		}
	}
	h := headersOf(tightest)
	if len(decisions) == 0 || tightest.Allowed {
		return h, nil
	}
	retry := strconv.Itoa(max(1, int((tightest.RetryAfter+time.Second-1)/time.Second)))
	return h, huma.ErrorWithHeaders(huma.NewError(http.StatusTooManyRequests, "publish rate limit exceeded; retry after "+retry+" s"),
		http.Header{"Retry-After": {retry}, "RateLimit-Limit": {h.RateLimitLimit}, "RateLimit-Remaining": {h.RateLimitRemaining}, "RateLimit-Reset": {h.RateLimitReset}})
}

// admitManage takes a token from the tenant's management bucket (every
// webhook operation but publish, on every path) and sets the RateLimit
// headers, or refuses with 429 and Retry-After. It runs after the auth
// middleware, which resolved the tenant.
func (s *Server) admitManage() func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if s.ManageLimit == nil {
			next(ctx)
			return
		}
		d := s.ManageLimit.Allow(principalFrom(ctx.Context()).TenantID.String())
		h := headersOf(d)
		ctx.SetHeader("RateLimit-Limit", h.RateLimitLimit)
		ctx.SetHeader("RateLimit-Remaining", h.RateLimitRemaining)
		ctx.SetHeader("RateLimit-Reset", h.RateLimitReset)
		if !d.Allowed {
			retry := strconv.Itoa(max(1, int((d.RetryAfter+time.Second-1)/time.Second)))
			ctx.SetHeader("Retry-After", retry)
			_ = huma.WriteErr(s.api, ctx, http.StatusTooManyRequests, "management rate limit exceeded; retry after "+retry+" s")
			return
		}
		next(ctx)
	}
}
