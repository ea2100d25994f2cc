package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/endpoint"
)

type verifyOutput struct {
	Body struct {
		Verified   bool   `json:"verified"`
		Reason     string `json:"reason,omitempty" enum:"timeout,http_status,invalid_json,challenge_mismatch,connection_error,blocked_address,endpoint_not_found,url_changed,settings_unusable" doc:"why verification failed"`
		StatusCode int    `json:"status_code,omitempty" doc:"the receiver's HTTP status, when it answered"`
	}
}

func (s *Server) registerVerification() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "verify-webhook-endpoint", Method: http.MethodPost, Path: "/webhooks/{endpoint_id}/verify",
		Summary: "Verify URL ownership", Tags: []string{tagEndpoints},
		Description: "POSTs a signed `{\"type\":\"webhook.verification\",\"challenge\":\"…\",\"endpoint_id\":\"…\",\"timestamp\":\"…\"}` " +
			"to the endpoint; it must answer 2xx with JSON whose `challenge` equals the one sent, within 30 seconds. " +
			"Runs as a VerifyEndpointWorkflow (visible in the Temporal UI) and answers with its result. On success " +
			"`verified_at` is set. Reasons: " + strings.Join(endpoint.Reasons(), ", ") + " (http_status comes with " +
			"status_code; url_changed: the URL was changed while its challenge ran).",
		Errors: []int{http.StatusNotFound, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *EndpointPath) (*verifyOutput, error) {
		res, err := s.Endpoints.Verify(ctx, callerFrom(ctx), in.EndpointID)
		if err != nil {
			return nil, err
		}
		out := &verifyOutput{}
		out.Body.Verified, out.Body.Reason, out.Body.StatusCode = res.Verified, res.Reason, res.StatusCode
		return out, nil
	})
}
