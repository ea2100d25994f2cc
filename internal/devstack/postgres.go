// Package devstack brings up what `hookline dev` (and `hookline bench`) embed:
// a Postgres to talk to, a real Temporal server persisted in that Postgres,
// and the Temporal Web UI.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// LocalPostgresURL is the server `hookline dev` looks for when DATABASE_URL is unset.
const LocalPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Postgres is the server dev runs against.
type Postgres struct {
	// ServerURL points at the server's maintenance database.
	ServerURL string
	stop      func()
}

// Stop stops a private cluster started by FindPostgres; otherwise a no-op.
func (p *Postgres) Stop() {
	if p.stop != nil {
		p.stop()
	}
}

// DatabaseURL is ServerURL with the database name replaced.
func (p *Postgres) DatabaseURL(name string) string {
	u, _ := url.Parse(p.ServerURL)
	u.Path = "/" + name
	return u.String()
}

// FindPostgres returns, in order: the server of databaseURL when set; a
// server answering on 127.0.0.1:5432; a private cluster under dataDir/pg
// started with initdb/pg_ctl (stopped by Stop).
func FindPostgres(ctx context.Context, databaseURL, dataDir string, log *slog.Logger) (*Postgres, error) {
	if databaseURL != "" {
		u, err := url.Parse(databaseURL)
		if err != nil {
			return nil, errors.New("DATABASE_URL is not a URL")
		}
		u.Path = "/postgres"
		return &Postgres{ServerURL: u.String()}, nil
	}
	for _, user := range []string{"postgres", "root"} {
		u := strings.Replace(LocalPostgresURL, "postgres@", user+"@", 1)
		if ping(ctx, u) == nil {
			return &Postgres{ServerURL: u}, nil
		}
	}
	return startPrivateCluster(ctx, filepath.Join(dataDir, "pg"), log)
}

func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// EnsureDatabase creates database name on the server if it is missing.
func EnsureDatabase(ctx context.Context, serverURL, name string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// PGBinary finds a PostgreSQL program on PATH or under /usr/lib/postgresql.
func PGBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1], nil
	}
	return "", fmt.Errorf("no Postgres found: set DATABASE_URL, start one on 127.0.0.1:5432, or install PostgreSQL (%s not found)", name)
}

// startPrivateCluster initialises (once) and starts a cluster in dir on a
// port kept in dir/port, so DATABASE_URL stays the same across restarts.
func startPrivateCluster(ctx context.Context, dir string, log *slog.Logger) (*Postgres, error) {
	initdb, err := PGBinary("initdb")
	if err != nil {
		return nil, err
	}
	pgctl, err := PGBinary("pg_ctl")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		return nil, errors.New("no Postgres on 127.0.0.1:5432 and initdb refuses to run as root: start the system cluster or set DATABASE_URL")
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		log.Info("initialising a private Postgres cluster", "dir", dir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		out, err := exec.CommandContext(ctx, initdb, "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("initdb: %v: %s", err, out)
		}
	}
	port, err := clusterPort(dir)
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir)
	out, err := exec.CommandContext(ctx, pgctl, "-D", dir, "-o", opts, "-l", filepath.Join(dir, "server.log"), "-w", "start").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	stop := func() {
		_ = exec.Command(pgctl, "-D", dir, "-m", "fast", "-w", "stop").Run()
	}
	if err := ping(ctx, u); err != nil {
		stop()
		return nil, fmt.Errorf("private cluster does not answer: %w", err)
	}
	return &Postgres{ServerURL: u, stop: stop}, nil
}

func clusterPort(dir string) (int, error) {
	f := filepath.Join(dir, "hookline.port")
	if b, err := os.ReadFile(f); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return p, nil
		}
	}
	p, err := FreePort()
	if err != nil {
		return 0, err
	}
	return p, os.WriteFile(f, []byte(strconv.Itoa(p)), 0o600)
}

// FreePort asks the kernel for an unused TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DropDatabases drops the named databases, disconnecting their sessions.
func DropDatabases(ctx context.Context, serverURL string, names ...string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", n, err)
		}
	}
	return nil
}
