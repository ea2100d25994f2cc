package delivery

import "time"

// FlowPolicy is how attempts are metered: per endpoint (max_in_flight and
// rate_limit live on the endpoint), per tenant, and by the circuit breaker.
type FlowPolicy struct {
	// TenantMaxInFlight bounds a tenant's attempts running at once across
	// all its endpoints and all workers: its fair share of worker capacity.
	TenantMaxInFlight int
	// BreakerThreshold consecutive failed attempts (network error, timeout,
	// 5xx) open an endpoint's breaker.
	BreakerThreshold int
	// BreakerCooldown is the first cool-down; each reopening doubles it up
	// to BreakerMaxCooldown. Then one probe goes; a 2xx closes the breaker.
	BreakerCooldown    time.Duration
	BreakerMaxCooldown time.Duration
	// DisableAfter: an endpoint failing without a success this long is
	// switched off (is_active=false, disabled_reason "failing").
	DisableAfter time.Duration
	// Lease bounds how long an attempt counts against the limits if its
	// worker dies mid-attempt: above the HTTP timeout.
	Lease time.Duration
}

// DefaultFlow is the flow policy without configuration.
func DefaultFlow() FlowPolicy {
	return FlowPolicy{
		TenantMaxInFlight: 50, BreakerThreshold: 5, BreakerCooldown: 30 * time.Second,
		BreakerMaxCooldown: time.Hour, DisableAfter: 120 * time.Hour, Lease: time.Minute,
	}
}

// BreakerFailure reports whether an attempt's outcome counts toward opening
// the breaker: the receiver is down or hanging (network error, timeout) or
// failing (5xx); for a broker, any failure but a blocked host. A 4xx, a
// redirect or a blocked address says nothing about whether the receiver is
// up.
func (o Outcome) BreakerFailure() bool {
	// An auth_error is the token endpoint's failure, not the receiver's:
	// it must not open the receiver's breaker (or auto-disable it).
	return (o.Code == 0 && !o.Blocked && !o.AuthError && !o.Acked) || o.Code >= 500
}
