package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/tenancy"
)

// APIKey describes a key; its secret is never stored, so never shown again.
type APIKey struct {
	ID          uuid.UUID  `json:"id"`
	Name        string     `json:"name" example:"backend"`
	Permissions []string   `json:"permissions" example:"[\"manage_webhooks\",\"publish_events\"]"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}

func toAPIKey(k dbq.ApiKey) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Permissions: k.Permissions, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

type apiKeyCreateInput struct {
	Body struct {
		Name        string   `json:"name" minLength:"1" maxLength:"128" example:"backend"`
		Permissions []string `json:"permissions" minItems:"1" maxItems:"2" example:"[\"manage_webhooks\",\"publish_events\"]" doc:"manage_webhooks and/or publish_events"`
	}
}

type apiKeyCreateOutput struct {
	Body struct {
		APIKey
		Key string `json:"key" example:"hk_0192f0c46a2b7cde8f0123456789abcd_…" doc:"the key itself; shown only in this response"`
	}
}

type apiKeyListOutput struct {
	Body struct {
		Data []APIKey `json:"data"`
	}
}

type apiKeyPath struct {
	KeyID uuid.UUID `path:"key_id"`
}

type apiKeyOutput struct {
	Body APIKey
}

func (s *Server) registerAPIKeys() {
	register(s, scopeAdminTenant, authn.PermManageTenants, huma.Operation{
		OperationID: "create-api-key", Method: http.MethodPost, Path: "/api-keys",
		Summary: "Create an API key", Tags: []string{tagTenants}, DefaultStatus: http.StatusCreated,
		Description: "Issues an API key for the tenant. The `key` is shown only in this response; only a hash is stored.",
	}, func(ctx context.Context, in *apiKeyCreateInput) (*apiKeyCreateOutput, error) {
		p := principalFrom(ctx)
		k, err := tenancy.CreateAPIKey(ctx, s.Pool, p.Actor, requestID(ctx), p.TenantID, in.Body.Name, in.Body.Permissions)
		if err != nil {
			return nil, err
		}
		out := &apiKeyCreateOutput{}
		out.Body.APIKey, out.Body.Key = toAPIKey(k.ApiKey), k.Token
		return out, nil
	})

	register(s, scopeAdminTenant, authn.PermManageTenants, huma.Operation{
		OperationID: "list-api-keys", Method: http.MethodGet, Path: "/api-keys",
		Summary: "List API keys", Tags: []string{tagTenants},
		Description: "The tenant's API keys, newest first, revoked ones included. Never the keys themselves.",
	}, func(ctx context.Context, _ *struct{}) (*apiKeyListOutput, error) {
		rows, err := tenancy.ListAPIKeys(ctx, s.Pool, principalFrom(ctx).TenantID)
		if err != nil {
			return nil, err
		}
		out := &apiKeyListOutput{}
		out.Body.Data = make([]APIKey, len(rows))
		for i, k := range rows {
			out.Body.Data[i] = toAPIKey(k)
		}
		return out, nil
	})

	register(s, scopeAdminTenant, authn.PermManageTenants, huma.Operation{
		OperationID: "revoke-api-key", Method: http.MethodDelete, Path: "/api-keys/{key_id}",
		Summary: "Revoke an API key", Tags: []string{tagTenants},
		Description: "Revokes the key at once: requests with it get 401. Revoking twice is harmless.",
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *apiKeyPath) (*apiKeyOutput, error) {
		p := principalFrom(ctx)
		k, err := tenancy.RevokeAPIKey(ctx, s.Pool, p.Actor, requestID(ctx), p.TenantID, in.KeyID)
		if err != nil {
			return nil, err
		}
		return &apiKeyOutput{Body: toAPIKey(k)}, nil
	})
}
