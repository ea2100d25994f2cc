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
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/endpoint"
)

// SendChallenge POSTs a signed challenge to the endpoint and checks that the
// answer echoes it. The challenge is made here, so it never enters the
// workflow history.
func (a *Activities) SendChallenge(ctx context.Context, in endpoint.VerifyInput) (endpoint.VerifyResult, error) {
	ep, err := db.Q(a.Pool).GetEndpoint(ctx, dbq.GetEndpointParams{TenantID: in.TenantID, ID: in.EndpointID})
	if db.IsNotFound(err) {
		return endpoint.VerifyResult{Reason: endpoint.ReasonEndpointNotFound}, nil
	}
	if err != nil {
		return endpoint.VerifyResult{}, fmt.Errorf("load endpoint: %w", err)
	}
	secrets, err := a.signingSecrets(ep.TenantID, ep.ID, ep.SecretCiphertext, nil)
	if err != nil {
		return endpoint.VerifyResult{}, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	challenge := base64.RawURLEncoding.EncodeToString(raw)
	body, _ := json.Marshal(map[string]string{
		"type": endpoint.VerificationEventType, "challenge": challenge,
		"endpoint_id": ep.ID.String(), "timestamp": a.now().UTC().Format("2006-01-02T15:04:05Z"),
	})
	// The challenge goes out as deliveries do: a receiver behind auth or
	// mutual TLS must be reachable to be verified.
	req, _, err := a.request(ep.TenantID, ep.ID, ep.Url, endpoint.ColumnsOf(ep))
	if err != nil {
		return endpoint.VerifyResult{Reason: endpoint.ReasonSettingsUnusable}, nil
	}
	req.MsgID, req.Body, req.Secrets = "verify_"+strings.ReplaceAll(uuid.NewString(), "-", ""), body, secrets
	release, err := a.challengeTurn(ctx, ep.TenantID, ep.ID)
	if err != nil {
		return endpoint.VerifyResult{}, err
	}
	defer release()
	res := judgeChallenge(a.ChallengeSender.Send(ctx, req), challenge)
	res.URLHash = endpoint.URLHash(ep.Url)
	return res, nil
}

func judgeChallenge(out delivery.Outcome, challenge string) endpoint.VerifyResult {
	switch {
	case out.Blocked:
		return endpoint.VerifyResult{Reason: endpoint.ReasonBlockedAddress}
	case out.Code == 0 && out.Reason == "timeout":
		return endpoint.VerifyResult{Reason: endpoint.ReasonTimeout}
	case out.Code == 0:
		return endpoint.VerifyResult{Reason: endpoint.ReasonConnectionError}
	case !out.OK():
		return endpoint.VerifyResult{Reason: endpoint.ReasonHTTPStatus, StatusCode: out.Code}
	}
	var answer struct {
		Challenge *string `json:"challenge"`
	}
	if err := json.Unmarshal([]byte(out.Body), &answer); err != nil {
		return endpoint.VerifyResult{Reason: endpoint.ReasonInvalidJSON, StatusCode: out.Code}
	}
	if answer.Challenge == nil || subtle.ConstantTimeCompare([]byte(*answer.Challenge), []byte(challenge)) != 1 {
		return endpoint.VerifyResult{Reason: endpoint.ReasonChallengeMismatch, StatusCode: out.Code}
	}
	return endpoint.VerifyResult{Verified: true, StatusCode: out.Code}
}

// RecordVerificationInput is a finished run to write back.
type RecordVerificationInput struct {
	endpoint.VerifyInput
	Result endpoint.VerifyResult `json:"result"`
}

// RecordVerification stores the outcome on the endpoint (verified_at keeps
// the last success) and writes one audit row, in one transaction. The
// outcome counts only for the URL that was challenged: if the endpoint's URL
// changed meanwhile, nothing is marked verified and the result says
// url_changed. It returns the result as recorded.
func (a *Activities) RecordVerification(ctx context.Context, in RecordVerificationInput) (endpoint.VerifyResult, error) {
	res := in.Result
	err := db.Tx(ctx, a.Pool, func(q *dbq.Queries) error {
		req, err := q.TakeVerificationRequest(ctx, dbq.TakeVerificationRequestParams{ID: in.RequestRef, TenantID: in.TenantID, EndpointID: in.EndpointID})
		if db.IsNotFound(err) {
			// Recorded by an earlier try of this activity, or a run no API
			// call asked for (started by hand on the Temporal frontend):
			// nothing is written in anyone's name. The answer still says
			// whether the URL moved on meanwhile, as the recording did.
			a.logger().WarnContext(ctx, "verification outcome not recorded: no verification request of the API matches this run (or it was recorded already)",
				"tenant_id", in.TenantID, "endpoint_id", in.EndpointID)
			if ep, err := q.GetEndpoint(ctx, dbq.GetEndpointParams{TenantID: in.TenantID, ID: in.EndpointID}); err == nil &&
				res.URLHash != "" && endpoint.URLHash(ep.Url) != res.URLHash {
				res = endpoint.VerifyResult{Reason: endpoint.ReasonURLChanged}
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("load verification request: %w", err)
		}
		caller := audit.Caller{TenantID: req.TenantID, Actor: audit.Actor{Kind: req.ActorKind, ID: req.ActorID}, RequestID: req.RequestID}
		ep, err := q.GetEndpointForUpdate(ctx, dbq.GetEndpointForUpdateParams{TenantID: in.TenantID, ID: in.EndpointID})
		if db.IsNotFound(err) {
			res = endpoint.VerifyResult{Reason: endpoint.ReasonEndpointNotFound}
			return nil // deleted meanwhile: nothing to record
		}
		if err != nil {
			return fmt.Errorf("load endpoint: %w", err)
		}
		if res.URLHash != "" && endpoint.URLHash(ep.Url) != res.URLHash {
			res = endpoint.VerifyResult{Reason: endpoint.ReasonURLChanged}
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
		return caller.Record(ctx, q, "webhook_endpoint.verified", "webhook_endpoint", in.EndpointID.String(), res)
	})
	return res, err
}
