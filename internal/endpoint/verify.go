package endpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/broker"
)

// Verification reasons: stable strings, part of the API.
const (
	ReasonTimeout           = "timeout"
	ReasonHTTPStatus        = "http_status"
	ReasonInvalidJSON       = "invalid_json"
	ReasonChallengeMismatch = "challenge_mismatch"
	ReasonConnectionError   = "connection_error"
	ReasonBlockedAddress    = "blocked_address"
	ReasonEndpointNotFound  = "endpoint_not_found"
	// ReasonSettingsUnusable: the endpoint's sealed auth, headers or TLS
	// cannot be opened with the configured keys (retrying cannot heal it).
	ReasonSettingsUnusable = "settings_unusable"
	// ReasonURLChanged: the URL was changed while its challenge ran, so the
	// answer proves nothing about the new one.
	ReasonURLChanged = "url_changed"
)

// Reasons lists every verification reason, for the API's enum.
func Reasons() []string {
	return []string{ReasonTimeout, ReasonHTTPStatus, ReasonInvalidJSON, ReasonChallengeMismatch,
		ReasonConnectionError, ReasonBlockedAddress, ReasonEndpointNotFound, ReasonURLChanged}
}

// brokerVerify refuses to verify a broker destination: it acks messages,
// it does not answer them.
func brokerVerify() error {
	return apperr.State("a broker destination (nats://, amqp://) cannot answer a verification challenge: the broker " +
		"acknowledges messages, it does not reply to them. Send a test event instead (test-webhook-endpoint): its " +
		"delivery succeeds when the broker acknowledges it")
}

// VerificationEventType is the type field of a challenge request.
const VerificationEventType = "webhook.verification"

// VerifyInput names the endpoint to verify and the verification request
// (RequestVerification) whose caller the audit row names: the input of a
// verification workflow (ids only, no URL, no secret, and no actor: who
// asked is read from Postgres, so a workflow started by hand names no one).
type VerifyInput struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	EndpointID uuid.UUID `json:"endpoint_id"`
	RequestRef uuid.UUID `json:"request_ref"`
}

// RequestVerification records that c asked to verify endpoint id, for the
// run's outcome to be recorded under c's name. It returns the input of the
// verification workflow.
func RequestVerification(ctx context.Context, q *dbq.Queries, c audit.Caller, id uuid.UUID) (VerifyInput, error) {
	ref, err := uuid.NewV7()
	if err != nil {
		return VerifyInput{}, err
	}
	err = q.InsertVerificationRequest(ctx, dbq.InsertVerificationRequestParams{
		ID: ref, TenantID: c.TenantID, EndpointID: id, ActorKind: c.Actor.Kind, ActorID: c.Actor.ID, RequestID: c.RequestID,
	})
	return VerifyInput{TenantID: c.TenantID, EndpointID: id, RequestRef: ref}, err
}

// VerifyResult is the outcome of one verification run.
type VerifyResult struct {
	Verified   bool   `json:"verified"`
	Reason     string `json:"reason,omitempty"`
	StatusCode int    `json:"status_code,omitempty"`
	// URLHash names the URL challenged (URLHash of it): the result is
	// recorded only while the endpoint still has it. A hash, because URLs
	// often carry tokens and results are kept in the workflow history.
	URLHash string `json:"url_sha256,omitempty"`
}

// URLHash is the hex SHA-256 of an endpoint URL.
func URLHash(u string) string {
	h := sha256.Sum256([]byte(u))
	return hex.EncodeToString(h[:])
}

// Verify proves the caller controls the endpoint's URL: a signed challenge
// it must echo within 30 s (a workflow). verified_at and an audit row record
// the outcome. A broker destination is refused (422) before any workflow:
// a broker acks but cannot answer, and the operator vouched for its host by
// listing it; a test delivery is how to check one.
func (s *Service) Verify(ctx context.Context, c audit.Caller, id uuid.UUID) (VerifyResult, error) {
	var in VerifyInput
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		e, err := Load(ctx, q, c.TenantID, id)
		if err != nil {
			return err
		}
		if broker.IsBroker(e.Url) {
			return brokerVerify()
		}
		in, err = RequestVerification(ctx, q, c, id)
		return err
	})
	if err != nil {
		return VerifyResult{}, err
	}
	res, err := s.Workflows.Verify(ctx, in)
	if err != nil {
		return VerifyResult{}, err
	}
	if res.Reason == ReasonEndpointNotFound { // deleted while it ran
		return VerifyResult{}, apperr.NotFound("webhook endpoint")
	}
	return res, nil
}
