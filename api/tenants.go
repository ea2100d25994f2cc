package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/tenancy"
)

// Tenant is a customer of the platform; every other resource belongs to one.
type Tenant struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name" example:"acme"`
	CreatedAt time.Time `json:"created_at"`
}

type tenantCreateInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"128" example:"acme" doc:"unique tenant name"`
	}
}

type tenantOutput struct {
	Body Tenant
}

type tenantListOutput struct {
	Body struct {
		Data []Tenant `json:"data"`
	}
}

func (s *Server) registerTenants() {
	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		OperationID: "create-tenant", Method: http.MethodPost, Path: "/admin/v1/tenants",
		Summary: "Create a tenant", Tags: []string{tagTenants}, DefaultStatus: http.StatusCreated,
		Description: "Creates a tenant. Admin JWT with `manage_tenants` covering every tenant (`tenants: [\"*\"]`) " +
			"only. A taken name is 409.",
		Errors: []int{http.StatusConflict},
	}, func(ctx context.Context, in *tenantCreateInput) (*tenantOutput, error) {
		if err := requireAllTenants(ctx, "creating a tenant"); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		t, err := tenancy.CreateTenant(ctx, s.Pool, p.Actor, requestID(ctx), in.Body.Name)
		if err != nil {
			return nil, err
		}
		return &tenantOutput{Body: Tenant{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}}, nil
	})

	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		OperationID: "list-tenants", Method: http.MethodGet, Path: "/admin/v1/tenants",
		Summary: "List tenants", Tags: []string{tagTenants},
		Description: "The tenants the admin token covers (every tenant for `tenants: [\"*\"]`), oldest first. " +
			"Admin JWT with `manage_tenants` only.",
	}, func(ctx context.Context, _ *struct{}) (*tenantListOutput, error) {
		claims := principalFrom(ctx).Claims
		var ids []uuid.UUID // nil: every tenant
		if !claims.AllTenants() {
			ids = make([]uuid.UUID, 0, len(claims.Tenants))
			for _, s := range claims.Tenants {
				if id, err := uuid.Parse(s); err == nil {
					ids = append(ids, id)
				}
			}
		}
		rows, err := tenancy.ListTenants(ctx, s.Pool, ids)
		if err != nil {
			return nil, err
		}
		out := &tenantListOutput{}
		out.Body.Data = make([]Tenant, len(rows))
		for i, t := range rows {
			out.Body.Data[i] = Tenant{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}
		}
		return out, nil
	})
}
