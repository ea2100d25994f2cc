package main

import (
	"fmt"
	"os/user"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/tenancy"
)

// cliActor is the audit actor of CLI changes.
func cliActor() audit.Actor {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return audit.Actor{Kind: audit.ActorSystem, ID: name}
}

func tenantCmd(cfg *config.Config) *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Manage tenants"}
	cmd.AddCommand(&cobra.Command{
		Use:   "create NAME",
		Short: "Create a tenant and print its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := openDB(cmd.Context(), cfg, newLogger(cfg, "text"), true)
			if err != nil {
				return err
			}
			defer pool.Close()
			t, err := tenancy.CreateTenant(cmd.Context(), pool, cliActor(), "", args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tenant %s created: %s\n", t.Name, t.ID)
			return nil
		},
	})
	return cmd
}

// resolveTenant accepts a tenant id or name.
func resolveTenant(cmd *cobra.Command, pool *pgxpool.Pool, ref string) (uuid.UUID, error) {
	if id, err := uuid.Parse(ref); err == nil {
		return id, tenancy.Exists(cmd.Context(), pool, id)
	}
	t, err := tenancy.ByName(cmd.Context(), pool, ref)
	return t.ID, err
}

func apikeyCmd(cfg *config.Config) *cobra.Command {
	var tenant, perms, name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key for a tenant and print it (shown once)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, err := openDB(cmd.Context(), cfg, newLogger(cfg, "text"), true)
			if err != nil {
				return err
			}
			defer pool.Close()
			tid, err := resolveTenant(cmd, pool, tenant)
			if err != nil {
				return err
			}
			k, err := tenancy.CreateAPIKey(cmd.Context(), pool, cliActor(), "", tid, name, splitList(perms))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.Token)
			return nil
		},
	}
	create.Flags().StringVar(&tenant, "tenant", "", "tenant id or name (required)")
	create.Flags().StringVar(&perms, "permissions", authn.PermManageWebhooks+","+authn.PermPublishEvents, "comma-separated permissions")
	create.Flags().StringVar(&name, "name", "cli", "a name for the key")
	_ = create.MarkFlagRequired("tenant")
	cmd := &cobra.Command{Use: "apikey", Short: "Manage API keys"}
	cmd.AddCommand(create)
	return cmd
}

func tokenCmd(cfg *config.Config) *cobra.Command {
	var tenants, perms, subject string
	var ttl time.Duration
	mint := &cobra.Command{
		Use:   "mint",
		Short: "Mint an admin JWT with the configured HS256 secret",
		RunE: func(cmd *cobra.Command, _ []string) error {
			jc, err := jwtConfig(cfg)
			if err != nil {
				return err
			}
			if ttl <= 0 || ttl > cfg.AdminJWTMaxLifetime {
				return fmt.Errorf("--ttl must be in (0, %s] (HOOKLINE_ADMIN_JWT_MAX_LIFETIME)", cfg.AdminJWTMaxLifetime)
			}
			p := splitList(perms)
			if bad, ok := authn.ValidPermissions(p, authn.AllPermissions); !ok {
				return fmt.Errorf("unknown permission %q", bad)
			}
			tok, err := authn.MintHS256(jc, subject, splitList(tenants), p, ttl, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	mint.Flags().StringVar(&tenants, "tenant", "*", "tenant ids the token covers, comma-separated; * for all")
	mint.Flags().StringVar(&perms, "permissions", strings.Join(authn.AllPermissions, ","), "comma-separated permissions")
	mint.Flags().StringVar(&subject, "subject", "cli", "the token's sub (the audit log's actor id)")
	mint.Flags().DurationVar(&ttl, "ttl", time.Hour, "lifetime")
	cmd := &cobra.Command{Use: "token", Short: "Admin tokens"}
	cmd.AddCommand(mint)
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
