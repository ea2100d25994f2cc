package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"go.temporal.io/sdk/client"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/workflows"
)

type verifyOutput struct {
	Body struct {
		Verified   bool   `json:"verified"`
		Reason     string `json:"reason,omitempty" enum:"timeout,http_status,invalid_json,challenge_mismatch,connection_error,blocked_address,endpoint_not_found,url_changed" doc:"why verification failed"`
		StatusCode int    `json:"status_code,omitempty" doc:"the receiver's HTTP status, when it answered"`
	}
}

// verifyWaitMargin is how long past the workflow's own 30 s timer the API
// waits for its result before giving up.
const verifyWaitMargin = 10 * time.Second

func (s *Server) registerVerification() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "verify-webhook-endpoint", Method: http.MethodPost, Path: "/webhooks/{endpoint_id}/verify",
		Summary: "Verify URL ownership", Tags: []string{tagEndpoints},
		Description: "POSTs a signed `{\"type\":\"webhook.verification\",\"challenge\":\"…\",\"endpoint_id\":\"…\",\"timestamp\":\"…\"}` " +
			"to the endpoint; it must answer 2xx with JSON whose `challenge` equals the one sent, within 30 seconds. " +
			"Runs as a VerifyEndpointWorkflow (visible in the Temporal UI) and answers with its result. On success " +
			"`verified_at` is set. Reasons: timeout, http_status (with status_code), invalid_json, challenge_mismatch, " +
			"connection_error, blocked_address, endpoint_not_found, url_changed (the URL was changed while its challenge ran).",
		Errors: []int{http.StatusNotFound, http.StatusServiceUnavailable},
	}, s.verifyEndpoint)
}

func (s *Server) verifyEndpoint(ctx context.Context, in *EndpointPath) (*verifyOutput, error) {
	p := principalFrom(ctx)
	if _, err := s.loadEndpoint(ctx, dbq.New(s.Pool), in.EndpointID); err != nil {
		return nil, err
	}
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	ctx, cancel := context.WithTimeout(ctx, workflows.VerifyTimeout+verifyWaitMargin)
	defer cancel()
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.VerifyWorkflowID(in.EndpointID, hex.EncodeToString(nonce)),
		TaskQueue:                s.Dispatcher.TaskQueue,
		WorkflowExecutionTimeout: 2 * time.Minute,
		TypedSearchAttributes:    workflows.VerifySearchAttributes(p.TenantID, in.EndpointID),
	}, workflows.VerifyEndpointWorkflow, activities.VerifyInput{
		TenantID: p.TenantID, EndpointID: in.EndpointID, Actor: p.Actor, RequestID: requestID(ctx),
	})
	if err != nil {
		return nil, &apperr.Error{Kind: apperr.KindUnavailable, Msg: "could not start verification; try again"}
	}
	var res activities.VerifyResult
	if err := run.Get(ctx, &res); err != nil {
		if ctx.Err() != nil {
			return nil, &apperr.Error{Kind: apperr.KindUnavailable, Msg: "verification did not finish in time; see the Temporal UI for workflow " + run.GetID()}
		}
		return nil, err
	}
	if res.Reason == activities.ReasonEndpointNotFound {
		return nil, apperr.NotFound("webhook endpoint")
	}
	out := &verifyOutput{}
	out.Body.Verified, out.Body.Reason, out.Body.StatusCode = res.Verified, res.Reason, res.StatusCode
	return out, nil
}
