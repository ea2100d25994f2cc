package db

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db/dbq"
)

// Errors at the driver boundary (compare river's interpretError): callers
// test for these with errors.Is and never see pgx's own.
var (
	// ErrNotFound: the query matched no row.
	ErrNotFound = errors.New("not found")
	// ErrUniqueViolation: a unique constraint refused the row.
	ErrUniqueViolation = errors.New("unique violation")
	// ErrInvalidData: Postgres refused a value itself (SQLSTATE class 22,
	// e.g. bytes that are not UTF-8). Retrying the same input cannot succeed.
	ErrInvalidData = errors.New("invalid data")
)

// interpret translates a driver error into the boundary errors above; the
// original stays in the chain for logs.
func interpret(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return errors.Join(ErrUniqueViolation, err)
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "22":
			return errors.Join(ErrInvalidData, err)
		}
	}
	return err
}

// New returns the generated queries over conn (a pool, a connection or a
// transaction), with their errors interpreted.
func New(conn dbq.DBTX) *dbq.Queries { return dbq.New(interpreting{conn}) }

// Q is New over a pool.
func Q(pool *pgxpool.Pool) *dbq.Queries { return New(pool) }

type interpreting struct{ dbq.DBTX }

func (c interpreting) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := c.DBTX.Exec(ctx, sql, args...)
	return tag, interpret(err)
}

func (c interpreting) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := c.DBTX.Query(ctx, sql, args...)
	if err != nil {
		return nil, interpret(err)
	}
	return interpretingRows{rows}, nil
}

func (c interpreting) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return interpretingRow{c.DBTX.QueryRow(ctx, sql, args...)}
}

type interpretingRow struct{ pgx.Row }

func (r interpretingRow) Scan(dest ...any) error { return interpret(r.Row.Scan(dest...)) }

type interpretingRows struct{ pgx.Rows }

func (r interpretingRows) Err() error { return interpret(r.Rows.Err()) }
