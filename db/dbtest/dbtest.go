// Package dbtest gives each test a fresh, migrated Postgres database cloned
// from a template (pgtestdb), so tests run in parallel without sharing rows.
package dbtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // pgtestdb talks database/sql
	"github.com/peterldowns/pgtestdb"

	"github.com/hookline/hookline/db"
)

// ServerURL is the Postgres server tests run against: HOOKLINE_TEST_DATABASE_URL,
// else the local trust-auth server.
func ServerURL() string {
	if u := os.Getenv("HOOKLINE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// New returns a pool on a fresh database, dropped when the test passes.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	u := NewURL(t)
	pool, err := db.Open(context.Background(), u, 20)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewURL creates a fresh database and returns its connection string.
func NewURL(t testing.TB) string {
	t.Helper()
	conf := serverConfig(t)
	return pgtestdb.Custom(t, conf, migrator{}).URL()
}

func serverConfig(t testing.TB) pgtestdb.Config {
	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("dbtest: bad server url: %v", err)
	}
	pw, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return pgtestdb.Config{
		DriverName:                "pgx",
		Host:                      u.Hostname(),
		Port:                      port,
		User:                      u.User.Username(),
		Password:                  pw,
		Database:                  "postgres",
		Options:                   "sslmode=disable",
		ForceTerminateConnections: true,
	}
}

type migrator struct{}

// Hash names the template after the migrations' content, so a schema change
// builds a new template and an unchanged one is reused across runs.
func (migrator) Hash() (string, error) {
	ms, err := db.Migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.Version))
		h.Write([]byte(m.SQL))
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func (migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	conn, err := pgx.Connect(ctx, conf.URL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = db.Migrate(ctx, conn)
	return err
}
