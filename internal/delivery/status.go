// Package delivery is the domain of a delivery: one event to one endpoint.
// It holds the delivery's status (like river's rivertype.JobState), the
// retry policy and its one default schedule, the envelope receivers get, and
// the sender that signs and POSTs an attempt and classifies the answer.
package delivery

import (
	"context"

	"github.com/google/uuid"
)

// Status is where a delivery stands (the deliveries.status column).
type Status string

const (
	// Pending: queued, no attempt yet.
	Pending Status = "pending"
	// InFlight: being attempted, or waiting for its next attempt.
	InFlight Status = "in_flight"
	// Succeeded: a 2xx answered an attempt.
	Succeeded Status = "succeeded"
	// Failed: permanently, e.g. 410, a non-retryable 4xx, a blocked address,
	// the endpoint deleted or disabled.
	Failed Status = "failed"
	// DeadLetter: the retry budget ran out.
	DeadLetter Status = "dead_letter"

	// Gone is never stored: the row no longer exists (purged, or its endpoint
	// deleted) and the workflow ends without writing.
	Gone Status = "gone"
	// Cancelled is never stored: a workflow ended by a cancel signal.
	Cancelled Status = "cancelled"
)

// Stored lists the statuses a delivery row can have, in lifecycle order.
func Stored() []Status { return []Status{Pending, InFlight, Succeeded, Failed, DeadLetter} }

// Terminal reports whether s is final: nothing more happens to the delivery.
func (s Status) Terminal() bool {
	switch s {
	case Succeeded, Failed, DeadLetter, Gone, Cancelled:
		return true
	}
	return false
}

// Replayable reports whether a delivery in s may be replayed.
func (s Status) Replayable() bool { return s == Failed || s == DeadLetter }

// Ref identifies a delivery to start; the other fields become search
// attributes of its workflow.
type Ref struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	EndpointID uuid.UUID
	EventType  string
}

// Starter starts delivery workflows; starting one twice is harmless.
type Starter interface {
	Start(ctx context.Context, refs []Ref) error
}

// RunState is where a delivery's workflow stands, as reconcile needs it.
type RunState int

const (
	RunMissing    RunState = iota + 1 // never started, or deleted by retention
	RunRunning                        // alive: nothing to do
	RunTerminated                     // terminated (by an operator)
	RunFailed                         // failed or timed out: may run again
	RunEnded                          // completed, cancelled or continued as new
)
