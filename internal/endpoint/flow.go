package endpoint

import (
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
)

// Flow-control bounds of an endpoint.
const (
	DefaultMaxInFlight = 10
	MaxMaxInFlight     = 100
	MaxRateLimit       = 10_000
)

// Health is how an endpoint is doing, from its breaker and its last attempts.
type Health string

const (
	// Healthy: no failed attempt since the last success.
	Healthy Health = "healthy"
	// Failing: attempts failed since failing_since (the breaker may be open).
	Failing Health = "failing"
	// Disabled: switched off, by its tenant or by Hookline (disabled_reason).
	Disabled Health = "disabled"
)

// HealthOf derives an endpoint's health.
func HealthOf(e dbq.WebhookEndpoint) Health {
	switch {
	case !e.IsActive:
		return Disabled
	case e.FailingSince != nil || e.BreakerOpenUntil != nil:
		return Failing
	}
	return Healthy
}

// RateLimit sets or removes an endpoint's rate limit in a Patch.
type RateLimit struct {
	PerSecond *int // nil: no limit
}

func validateMaxInFlight(field string, n *int) error {
	if n != nil && (*n < 1 || *n > MaxMaxInFlight) {
		return apperr.Invalid(field, *n, "max_in_flight must be between 1 and %d", MaxMaxInFlight)
	}
	return nil
}

func validateRateLimit(field string, n *int) error {
	if n != nil && (*n < 1 || *n > MaxRateLimit) {
		return apperr.Invalid(field, *n, "rate_limit must be between 1 and %d deliveries per second, or null for none", MaxRateLimit)
	}
	return nil
}

func int32Ptr(n *int) *int32 {
	if n == nil {
		return nil
	}
	v := int32(*n)
	return &v
}
