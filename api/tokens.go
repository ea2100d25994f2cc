package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/tenancy"
)

type revokeTokenInput struct {
	JTI string `path:"jti" maxLength:"255" doc:"the token's jti claim"`
}

type revokeTokenOutput struct {
	Body struct {
		JTI       string    `json:"jti"`
		RevokedAt time.Time `json:"revoked_at"`
	}
}

func (s *Server) registerTokens() {
	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		OperationID: "revoke-admin-token", Method: http.MethodPost, Path: "/admin/v1/tokens/{jti}/revoke",
		Summary: "Revoke an admin token", Tags: []string{tagTenants},
		Description: "From now on every admin JWT whose `jti` is this one answers 401. Admin JWT with `manage_tenants` " +
			"covering every tenant only. Revoking again is harmless.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *revokeTokenInput) (*revokeTokenOutput, error) {
		if err := requireAllTenants(ctx, "revoking an admin token"); err != nil {
			return nil, err
		}
		// No token can outlive the maximum lifetime, so neither need its row.
		until := time.Now().Add(s.JWT.MaxLifetime() + time.Minute)
		at, err := tenancy.RevokeToken(ctx, s.Pool, globalCaller(ctx), in.JTI, until)
		if err != nil {
			return nil, err
		}
		out := &revokeTokenOutput{}
		out.Body.JTI, out.Body.RevokedAt = in.JTI, at
		return out, nil
	})
}
