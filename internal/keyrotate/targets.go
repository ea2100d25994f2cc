package keyrotate

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/secretbox"
)

// The rotation's SQL is plain pgx rather than sqlc queries: it is one
// maintenance job walking several tables with one shape (keyset batch,
// re-seal, update), and this package is its database boundary.

// target is one ciphertext column and how to rebuild its associated data.
type target struct {
	table, column string
	key           []string // primary key columns: keyset order, and the row an update names
	read          string   // columns selected: key, what the associated data needs, ciphertext last
	scan          func(pgx.Rows) (row, error)
}

type row struct {
	key []any // primary key values, in target.key order
	ad  []byte
	ct  []byte
}

func (t target) name() string { return t.table + "." + t.column }

// targets lists every column sealed with secretbox.
func targets() []target {
	endpoint := func(column string, ad func(tenant, id [16]byte) []byte) target {
		return target{
			table: "webhook_endpoints", column: column, key: []string{"id"}, read: "id, tenant_id, " + column,
			scan: func(rs pgx.Rows) (row, error) {
				var id, tenant uuid.UUID
				var ct []byte
				err := rs.Scan(&id, &tenant, &ct)
				return row{key: []any{id}, ad: ad(tenant, id), ct: ct}, err
			},
		}
	}
	return []target{
		endpoint("secret_ciphertext", secretbox.EndpointAD),
		endpoint("secrets_ciphertext", secretbox.EndpointSecretsAD),
		{
			table: "webhook_endpoint_previous_secrets", column: "secret_ciphertext", key: []string{"id"},
			read: "id, tenant_id, endpoint_id, secret_ciphertext",
			scan: func(rs pgx.Rows) (row, error) {
				var id int64
				var tenant, endpoint uuid.UUID
				var ct []byte
				err := rs.Scan(&id, &tenant, &endpoint, &ct)
				return row{key: []any{id}, ad: secretbox.EndpointAD(tenant, endpoint), ct: ct}, err
			},
		},
		{
			table: "sources", column: "url_ciphertext", key: []string{"name"}, read: "name, url_ciphertext",
			scan: func(rs pgx.Rows) (row, error) {
				var name string
				var ct []byte
				err := rs.Scan(&name, &ct)
				return row{key: []any{name}, ad: secretbox.SourceURLAD(name), ct: ct}, err
			},
		},
		{
			table: "idempotency_keys", column: "response_ciphertext", key: []string{"tenant_id", "key"},
			read: "tenant_id, key, response_ciphertext",
			scan: func(rs pgx.Rows) (row, error) {
				var tenant uuid.UUID
				var key string
				var ct []byte
				err := rs.Scan(&tenant, &key, &ct)
				return row{key: []any{tenant, key}, ad: secretbox.IdempotencyAD(tenant, key), ct: ct}, err
			},
		},
	}
}

// selectSQL locks the next batch after the cursor (none: from the start).
// SKIP LOCKED lets a batch pass rows a request holds; the final count
// finds them and a later run rotates them.
func (t target) selectSQL(cursor bool) string {
	keys := strings.Join(t.key, ", ")
	where, limit := "", "$1"
	if cursor {
		where = fmt.Sprintf(" AND (%s) > (%s)", keys, placeholders(1, len(t.key)))
		limit = fmt.Sprintf("$%d", len(t.key)+1)
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL%s ORDER BY %s LIMIT %s FOR UPDATE SKIP LOCKED",
		t.read, t.table, t.column, where, keys, limit)
}

func (t target) updateSQL() string {
	return fmt.Sprintf("UPDATE %s SET %s = $1 WHERE (%s) = (%s)",
		t.table, t.column, strings.Join(t.key, ", "), placeholders(2, len(t.key)))
}

// leftSQL counts ciphertexts not under the current key, by their header
// ($1: its length, $2: the current key's prefix).
func (t target) leftSQL() string {
	return fmt.Sprintf("SELECT count(*) FROM %s WHERE %s IS NOT NULL AND substr(%s, 1, $1) <> $2", t.table, t.column, t.column)
}

// placeholders returns "$from, …" for n parameters.
func placeholders(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(ps, ", ")
}
