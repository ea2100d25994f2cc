package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/delivery"
)

// Operational event types: Hookline's own events about a tenant's
// endpoints, delivered to the tenant's endpoints that subscribe to them by
// name ("*" does not match them), never to the endpoint they are about.
const (
	EndpointDisabled      = "endpoint.disabled"
	DeliveryDeadLettered  = "delivery.dead_lettered"
	EndpointTLSExpiring   = "endpoint.tls_expiring"
	operationalIDEndpoint = "op_endpoint_disabled_"
	operationalIDTLS      = "op_tls_expiring_"
	operationalIDDead     = "op_dead_lettered_"
)

// EndpointDisabledData is the payload of endpoint.disabled.
type EndpointDisabledData struct {
	EndpointID   uuid.UUID  `json:"endpoint_id"`
	Reason       string     `json:"reason"`
	FailingSince *time.Time `json:"failing_since"`
}

// DeadLetteredData is the payload of delivery.dead_lettered.
type DeadLetteredData struct {
	DeliveryID     uuid.UUID `json:"delivery_id"`
	EndpointID     uuid.UUID `json:"endpoint_id"`
	EventType      string    `json:"event_type"`
	Attempts       int       `json:"attempts"`
	LastStatusCode *int      `json:"last_status_code"`
}

// TLSExpiringData is the payload of endpoint.tls_expiring.
type TLSExpiringData struct {
	EndpointID uuid.UUID `json:"endpoint_id"`
	CertSHA256 string    `json:"client_cert_sha256"`
	NotAfter   time.Time `json:"client_cert_not_after"`
	DaysLeft   int       `json:"days_left"`
}

// EmitTLSExpiring writes endpoint.tls_expiring with q. Its id names the
// certificate and the threshold (30 or 7 days), so each is announced once.
func EmitTLSExpiring(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, threshold int, d TLSExpiringData) ([]delivery.Ref, error) {
	return emit(ctx, q, tenantID, fmt.Sprintf("%s%s_%s_%d", operationalIDTLS, d.EndpointID, d.CertSHA256, threshold), EndpointTLSExpiring, d, d.EndpointID)
}

// EmitEndpointDisabled writes the endpoint.disabled event with q (the
// disabling transaction). Its id names the disabled incident, so emitting
// twice creates nothing twice. Start the returned deliveries after commit.
func EmitEndpointDisabled(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, d EndpointDisabledData) ([]delivery.Ref, error) {
	since := "none"
	if d.FailingSince != nil {
		since = fmt.Sprint(d.FailingSince.UnixMicro())
	}
	return emit(ctx, q, tenantID, operationalIDEndpoint+d.EndpointID.String()+"_"+since, EndpointDisabled, d, d.EndpointID)
}

// EmitDeadLettered publishes delivery.dead_lettered for a delivery that ran
// out of retries, in a transaction of its own, and starts its deliveries.
// Idempotent on the delivery id (an activity retry emits it again safely).
// A dead-lettered operational event emits nothing: no loops.
func (p *Publisher) EmitDeadLettered(ctx context.Context, tenantID uuid.UUID, d DeadLetteredData) error {
	if d.EventType == EndpointDisabled || d.EventType == DeliveryDeadLettered || d.EventType == EndpointTLSExpiring {
		return nil
	}
	var refs []delivery.Ref
	err := db.Tx(ctx, p.Pool, func(q *dbq.Queries) (err error) {
		refs, err = emit(ctx, q, tenantID, operationalIDDead+d.DeliveryID.String(), DeliveryDeadLettered, d, d.EndpointID)
		return err
	})
	if err != nil {
		return err
	}
	p.StartAfterCommit(ctx, refs)
	return nil
}

func emit(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, id, typ string, data any, about uuid.UUID) ([]delivery.Ref, error) {
	payload, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	// Emitted again (a retry): write returns the first emission's deliveries
	// still pending, to start.
	_, refs, err := write(ctx, q, tenantID, Event{ID: id, Type: typ, Payload: payload, OccurredAt: &now}, fanOut{operational: true, about: &about})
	return refs, err
}
