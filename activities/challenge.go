package activities

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/audit"
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
	// ReasonURLChanged: the URL was changed while its challenge ran, so the
	// answer proves nothing about the new one.
	ReasonURLChanged = "url_changed"
)

// VerificationEventType is the type field of a challenge request.
const VerificationEventType = "webhook.verification"

// VerifyInput names the endpoint to verify and who asked, for the audit row.
type VerifyInput struct {
	TenantID   uuid.UUID   `json:"tenant_id"`
	EndpointID uuid.UUID   `json:"endpoint_id"`
	Actor      audit.Actor `json:"actor"`
	RequestID  string      `json:"request_id"`
}

// VerifyResult is the outcome of one verification run.
type VerifyResult struct {
	Verified   bool   `json:"verified"`
	Reason     string `json:"reason,omitempty"`
	StatusCode int    `json:"status_code,omitempty"`
	// URL is the one challenged: the result is recorded only while the
	// endpoint still has it.
	URL string `json:"url,omitempty"`
}

// SendChallenge POSTs a signed challenge to the endpoint and checks that the
// answer echoes it. The challenge is made here, so it never enters the
// workflow history.
func (a *Activities) SendChallenge(ctx context.Context, in VerifyInput) (VerifyResult, error) {
	ep, err := dbq.New(a.Pool).GetEndpoint(ctx, dbq.GetEndpointParams{TenantID: in.TenantID, ID: in.EndpointID})
	if db.IsNoRows(err) {
		return VerifyResult{Reason: ReasonEndpointNotFound}, nil
	}
	if err != nil {
		return VerifyResult{}, fmt.Errorf("load endpoint: %w", err)
	}
	secrets, err := a.signingSecrets(ep.TenantID, ep.ID, ep.SecretCiphertext, nil)
	if err != nil {
		return VerifyResult{}, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	challenge := base64.RawURLEncoding.EncodeToString(raw)
	body, _ := json.Marshal(map[string]string{
		"type": VerificationEventType, "challenge": challenge,
		"endpoint_id": ep.ID.String(), "timestamp": a.now().UTC().Format("2006-01-02T15:04:05Z"),
	})
	msgID := "verify_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	out := a.send(ctx, a.ChallengeHTTP, ep.Url, msgID, body, secrets[:1])
	res := judgeChallenge(out, challenge)
	res.URL = ep.Url
	return res, nil
}

func judgeChallenge(out postOutcome, challenge string) VerifyResult {
	switch {
	case out.blocked:
		return VerifyResult{Reason: ReasonBlockedAddress}
	case out.code == 0 && out.reason == "timeout":
		return VerifyResult{Reason: ReasonTimeout}
	case out.code == 0:
		return VerifyResult{Reason: ReasonConnectionError}
	case out.code < 200 || out.code >= 300:
		return VerifyResult{Reason: ReasonHTTPStatus, StatusCode: out.code}
	}
	var answer struct {
		Challenge *string `json:"challenge"`
	}
	if err := json.Unmarshal([]byte(out.body), &answer); err != nil {
		return VerifyResult{Reason: ReasonInvalidJSON, StatusCode: out.code}
	}
	if answer.Challenge == nil || subtle.ConstantTimeCompare([]byte(*answer.Challenge), []byte(challenge)) != 1 {
		return VerifyResult{Reason: ReasonChallengeMismatch, StatusCode: out.code}
	}
	return VerifyResult{Verified: true, StatusCode: out.code}
}

// RecordVerificationInput is a finished run to write back.
type RecordVerificationInput struct {
	VerifyInput
	Result VerifyResult `json:"result"`
}

// RecordVerification stores the outcome on the endpoint (verified_at keeps
// the last success) and writes one audit row, in one transaction. The
// outcome counts only for the URL that was challenged: if the endpoint's URL
// changed meanwhile, nothing is marked verified and the result says
// url_changed. It returns the result as recorded.
func (a *Activities) RecordVerification(ctx context.Context, in RecordVerificationInput) (VerifyResult, error) {
	res := in.Result
	err := db.Tx(ctx, a.Pool, func(q *dbq.Queries) error {
		ep, err := q.GetEndpointForUpdate(ctx, dbq.GetEndpointForUpdateParams{TenantID: in.TenantID, ID: in.EndpointID})
		if db.IsNoRows(err) {
			res = VerifyResult{Reason: ReasonEndpointNotFound}
			return nil // deleted meanwhile: nothing to record
		}
		if err != nil {
			return fmt.Errorf("load endpoint: %w", err)
		}
		if res.URL != "" && ep.Url != res.URL {
			res = VerifyResult{Reason: ReasonURLChanged}
		}
		var reason *string
		if !res.Verified {
			reason = &res.Reason
		}
		if _, err := q.RecordEndpointVerification(ctx, dbq.RecordEndpointVerificationParams{
			Verified: res.Verified, Reason: reason, TenantID: in.TenantID, ID: in.EndpointID,
		}); err != nil {
			return fmt.Errorf("record verification: %w", err)
		}
		return audit.Write(ctx, q, audit.Entry{
			TenantID: in.TenantID, Actor: in.Actor, Action: "webhook_endpoint.verified", TargetType: "webhook_endpoint",
			TargetID: in.EndpointID.String(), Details: res, RequestID: in.RequestID,
		})
	})
	return res, err
}
