// Package db owns the Postgres side of Hookline: the connection pool, the
// embedded migrations and the transaction helper. Queries live in db/queries
// and are generated into db/dbq by sqlc.
package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db/dbq"
)

// Open connects a pool and checks the server answers.
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", redactURLError(err))
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}

// redactURLError drops the parse error's echo of the connection string, which
// may carry a password.
func redactURLError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string")
	}
	return err
}

// Tx runs fn in a transaction, committing when it returns nil.
func Tx(ctx context.Context, pool *pgxpool.Pool, fn func(q *dbq.Queries) error) error {
	return interpret(pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return fn(New(tx))
	}))
}

// IsNotFound reports whether err says a query matched nothing.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// NoteRetrying puts lastError on open deliveries while an infrastructure
// fault is retried, best effort and briefly (the database may be what is
// down), even when ctx is ending.
func NoteRetrying(ctx context.Context, pool *pgxpool.Pool, ids []uuid.UUID, lastError string) {
	noteCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = Q(pool).NoteRetrying(noteCtx, dbq.NoteRetryingParams{Ids: ids, LastError: lastError})
}
