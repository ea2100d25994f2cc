// Package keyrotate re-seals every stored ciphertext under the keyring's
// current key (`hookline keys rotate`), in short batches so it runs beside
// live traffic, and resumably: rows already under the current key are
// skipped, so a run that was stopped is finished by running it again.
package keyrotate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/internal/keycheck"
	"github.com/hookline/hookline/internal/secretbox"
)

// DefaultBatch is how many rows one transaction re-seals.
const DefaultBatch = 500

// Options tune a run.
type Options struct {
	// Batch is the rows per transaction (0: DefaultBatch).
	Batch int
	// AfterBatch, when set, is called after each committed batch with the
	// column's totals so far (progress; tests stop a run half-way).
	AfterBatch func(column string, c Counts)
}

// Counts are what a run did to one column.
type Counts struct {
	Rotated int64 // re-sealed under the current key
	Current int64 // already under it
	// Unreadable rows no configured key opens (corrupt, or sealed with a
	// lost key): skipped, so one bad row does not stop the rest; they keep
	// the fingerprint from being recorded.
	Unreadable int64
}

// Column is one ciphertext column's outcome.
type Column struct {
	Name string // table.column
	Counts
	// Left counts ciphertexts still not under the current key after the run:
	// rows locked by a request while it passed, or written since by a
	// process still sealing with an old key.
	Left int64
}

// Result is a run's outcome, column by column.
type Result struct {
	Columns []Column
	// Recorded says every ciphertext is under the current key and the
	// database's key fingerprint now names it.
	Recorded bool
}

// Rotate re-seals every ciphertext not under box's current key. It refuses a
// keyring without the key the database names (keycheck). Once nothing is
// left under an old key it records the current key's fingerprint, so a
// process started with only the old key is refused. On error the result
// holds what committed batches did.
func Rotate(ctx context.Context, pool *pgxpool.Pool, box *secretbox.Box, o Options) (Result, error) {
	if o.Batch == 0 {
		o.Batch = DefaultBatch
	}
	if o.Batch < 1 {
		return Result{}, fmt.Errorf("batch must be ≥ 1, got %d", o.Batch)
	}
	if err := keycheck.Ensure(ctx, pool, box, "hookline keys rotate"); err != nil {
		return Result{}, err
	}
	var res Result
	for _, t := range targets() {
		c := Column{Name: t.name()}
		err := rotateColumn(ctx, pool, box, t, o, &c.Counts)
		res.Columns = append(res.Columns, c)
		if err != nil {
			return res, fmt.Errorf("rotate %s: %w", t.name(), err)
		}
	}
	left := int64(0)
	prefix := box.CurrentPrefix()
	for i, t := range targets() {
		if err := pool.QueryRow(ctx, t.leftSQL(), len(prefix), prefix).Scan(&res.Columns[i].Left); err != nil {
			return res, fmt.Errorf("count %s left under an old key: %w", t.name(), err)
		}
		left += res.Columns[i].Left
	}
	if left > 0 {
		return res, nil
	}
	if _, err := pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = now()`,
		keycheck.SettingFingerprint, box.Fingerprint()); err != nil {
		return res, fmt.Errorf("record the current key's fingerprint: %w", err)
	}
	res.Recorded = true
	return res, nil
}

// rotateColumn walks t in primary key order, one transaction per batch.
func rotateColumn(ctx context.Context, pool *pgxpool.Pool, box *secretbox.Box, t target, o Options, total *Counts) error {
	var cursor []any
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var batch Counts
		var rows []row
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
			if rows, err = lockBatch(ctx, tx, t, cursor, o.Batch); err != nil {
				return err
			}
			for _, r := range rows {
				if box.Current(r.ct) {
					batch.Current++
					continue
				}
				ct, err := box.Reseal(r.ct, r.ad)
				if err != nil {
					batch.Unreadable++
					continue
				}
				if _, err := tx.Exec(ctx, t.updateSQL(), append([]any{ct}, r.key...)...); err != nil {
					return fmt.Errorf("update row %v: %w", r.key, err)
				}
				batch.Rotated++
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		cursor = rows[len(rows)-1].key
		total.Rotated += batch.Rotated
		total.Unreadable += batch.Unreadable
		total.Current += batch.Current
		if o.AfterBatch != nil {
			o.AfterBatch(t.name(), *total)
		}
		if len(rows) < o.Batch {
			return nil
		}
	}
}

func lockBatch(ctx context.Context, tx pgx.Tx, t target, cursor []any, limit int) ([]row, error) {
	args := append(append([]any{}, cursor...), limit)
	rs, err := tx.Query(ctx, t.selectSQL(cursor != nil), args...)
	if err != nil {
		return nil, fmt.Errorf("select a batch: %w", err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		r, err := t.scan(rs)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("select a batch: %w", err)
	}
	return out, nil
}
