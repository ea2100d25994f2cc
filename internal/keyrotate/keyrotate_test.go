package keyrotate

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/keycheck"
	"github.com/hookline/hookline/internal/secretbox"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func ring(t *testing.T, keys ...byte) *secretbox.Box {
	t.Helper()
	var ks [][]byte
	for _, k := range keys {
		ks = append(ks, key(k))
	}
	b, err := secretbox.NewKeyring(ks)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealV1 writes the format from before key ids, which existing databases hold.
func sealV1(t *testing.T, k, pt, ad []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	return aead.Seal(append([]byte{1}, nonce...), nonce, pt, ad)
}

type fixture struct {
	tenant    uuid.UUID
	endpoints []uuid.UUID
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// seed stores, under key 1: three endpoints (one signing secret in the
// legacy format, two with a secrets document), two previous secrets, one
// stored idempotent response and one still running (no ciphertext), and
// an ingest source's URL.
func seed(t *testing.T, pool *pgxpool.Pool) fixture {
	t.Helper()
	b1 := ring(t, 1)
	f := fixture{tenant: uuid.New()}
	exec(t, pool, `INSERT INTO tenants (id, name) VALUES ($1, 't')`, f.tenant)
	for i := range 3 {
		id := uuid.New()
		f.endpoints = append(f.endpoints, id)
		sig := b1.SealEndpointSecret(f.tenant, id, "whsec_x")
		var doc []byte
		if i < 2 {
			doc = b1.SealEndpointSecrets(f.tenant, id, []byte(`{"headers":{}}`))
		} else {
			sig = sealV1(t, key(1), []byte("whsec_x"), secretbox.EndpointAD(f.tenant, id))
		}
		exec(t, pool, `INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret_ciphertext, secrets_ciphertext)
			VALUES ($1, $2, 'https://example.com/h', '{*}', $3, $4)`, id, f.tenant, sig, doc)
	}
	for range 2 {
		exec(t, pool, `INSERT INTO webhook_endpoint_previous_secrets (endpoint_id, tenant_id, secret_ciphertext, expires_at)
			VALUES ($1, $2, $3, now() + interval '1 day')`, f.endpoints[0], f.tenant, b1.SealEndpointSecret(f.tenant, f.endpoints[0], "whsec_old"))
	}
	exec(t, pool, `INSERT INTO idempotency_keys (tenant_id, key, operation, request_hash, status_code, response_ciphertext, expires_at)
		VALUES ($1, 'done', 'op', '\x00', 201, $2, now() + interval '1 day'), ($1, 'running', 'op', '\x00', NULL, NULL, now() + interval '1 day')`,
		f.tenant, b1.Seal([]byte(`{"id":"x"}`), secretbox.IdempotencyAD(f.tenant, "done")))
	exec(t, pool, `INSERT INTO sources (name, kind, url, url_ciphertext, queue) VALUES ('s', 'rabbitmq', 'amqp://u:***@h/', $1, 'q')`,
		b1.Seal([]byte("amqp://u:pw@h/"), secretbox.SourceURLAD("s")))
	if err := keycheck.Ensure(context.Background(), pool, b1, "test"); err != nil {
		t.Fatal(err)
	}
	return f
}

// Stopped after its first batch, a run has rotated one row; the next run
// finishes the rest, skipping it; then the new key alone opens every row and
// the database names it.
func TestRotateResumes(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	f := seed(t, pool)
	during := ring(t, 2, 1)

	ctx, cancel := context.WithCancel(context.Background())
	res, err := Rotate(ctx, pool, during, Options{Batch: 1, AfterBatch: func(string, Counts) { cancel() }})
	if !errors.Is(err, context.Canceled) || res.Recorded || len(res.Columns) != 1 || res.Columns[0].Counts != (Counts{Rotated: 1}) {
		t.Fatalf("stopped run: %+v, %v", res, err)
	}
	if fp := setting(t, pool); fp != ring(t, 1).Fingerprint() {
		t.Fatalf("a partial run recorded fingerprint %s", fp)
	}

	res, err = Rotate(context.Background(), pool, during, Options{Batch: 1})
	want := []Column{
		{Name: "webhook_endpoints.secret_ciphertext", Counts: Counts{Rotated: 2, Current: 1}},
		{Name: "webhook_endpoints.secrets_ciphertext", Counts: Counts{Rotated: 2}},
		{Name: "webhook_endpoint_previous_secrets.secret_ciphertext", Counts: Counts{Rotated: 2}},
		{Name: "sources.url_ciphertext", Counts: Counts{Rotated: 1}},
		{Name: "idempotency_keys.response_ciphertext", Counts: Counts{Rotated: 1}},
	}
	if err != nil || !res.Recorded || !equal(res.Columns, want) {
		t.Fatalf("second run: %+v, %v; want %+v", res, err, want)
	}

	after := ring(t, 2)
	openAll(t, pool, f, after)
	if fp := setting(t, pool); fp != after.Fingerprint() {
		t.Fatalf("fingerprint %s, want the new key's %s", fp, after.Fingerprint())
	}
	var mm *keycheck.MismatchError
	if err := keycheck.Ensure(context.Background(), pool, ring(t, 1), "old"); !errors.As(err, &mm) {
		t.Fatalf("the old key alone after the rotation: %v", err)
	}

	res, err = Rotate(context.Background(), pool, after, Options{})
	for _, c := range res.Columns {
		if err != nil || c.Rotated != 0 {
			t.Fatalf("third run: %+v, %v", res, err)
		}
	}
}

func equal(got, want []Column) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func setting(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var v string
	if err := pool.QueryRow(context.Background(), `SELECT value FROM settings WHERE name = $1`, keycheck.SettingFingerprint).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// openAll opens every stored ciphertext with box.
func openAll(t *testing.T, pool *pgxpool.Pool, f fixture, box *secretbox.Box) {
	t.Helper()
	ctx := context.Background()
	for _, id := range f.endpoints {
		var sig, doc []byte
		if err := pool.QueryRow(ctx, `SELECT secret_ciphertext, secrets_ciphertext FROM webhook_endpoints WHERE id = $1`, id).Scan(&sig, &doc); err != nil {
			t.Fatal(err)
		}
		if s, err := box.OpenEndpointSecret(f.tenant, id, sig); err != nil || s != "whsec_x" {
			t.Fatalf("signing secret of %s: %q, %v", id, s, err)
		}
		if doc != nil {
			if _, err := box.OpenEndpointSecrets(f.tenant, id, doc); err != nil {
				t.Fatalf("secrets of %s: %v", id, err)
			}
		}
	}
	var src []byte
	if err := pool.QueryRow(ctx, `SELECT url_ciphertext FROM sources WHERE name = 's'`).Scan(&src); err != nil {
		t.Fatal(err)
	}
	if u, err := box.Open(src, secretbox.SourceURLAD("s")); err != nil || string(u) != "amqp://u:pw@h/" {
		t.Fatalf("source url: %q, %v", u, err)
	}
	rows, err := pool.Query(ctx, `SELECT secret_ciphertext FROM webhook_endpoint_previous_secrets`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ct []byte
		if err := rows.Scan(&ct); err != nil {
			t.Fatal(err)
		}
		if s, err := box.OpenEndpointSecret(f.tenant, f.endpoints[0], ct); err != nil || s != "whsec_old" {
			t.Fatalf("previous secret: %q, %v", s, err)
		}
	}
	var resp []byte
	if err := pool.QueryRow(ctx, `SELECT response_ciphertext FROM idempotency_keys WHERE key = 'done'`).Scan(&resp); err != nil {
		t.Fatal(err)
	}
	if _, err := box.Open(resp, secretbox.IdempotencyAD(f.tenant, "done")); err != nil {
		t.Fatalf("idempotent response: %v", err)
	}
}

// A row a request holds is passed over, counted as left, and the key is not
// recorded until a later run reaches it.
func TestRotateLeavesLockedRows(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	f := seed(t, pool)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = $1 FOR UPDATE`, f.endpoints[1]); err != nil {
		t.Fatal(err)
	}
	during := ring(t, 2, 1)
	res, err := Rotate(ctx, pool, during, Options{})
	if err != nil || res.Recorded || res.Columns[0].Left != 1 || res.Columns[1].Left != 1 || res.Columns[0].Rotated != 2 {
		t.Fatalf("with a locked row: %+v, %v", res, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err = Rotate(ctx, pool, during, Options{}); err != nil || !res.Recorded || res.Columns[0].Rotated != 1 {
		t.Fatalf("after the lock: %+v, %v", res, err)
	}
}

func TestRotateRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		box  func(t *testing.T) *secretbox.Box
		prep func(t *testing.T, pool *pgxpool.Pool, f fixture)
		want func(error) bool
	}{
		{
			name: "keyring without the database's key",
			box:  func(t *testing.T) *secretbox.Box { return ring(t, 3, 2) },
			want: func(err error) bool { var mm *keycheck.MismatchError; return errors.As(err, &mm) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.New(t)
			f := seed(t, pool)
			if tc.prep != nil {
				tc.prep(t, pool, f)
			}
			res, err := Rotate(context.Background(), pool, tc.box(t), Options{})
			if !tc.want(err) || res.Recorded {
				t.Fatalf("%+v, %v", res, err)
			}
			if fp := setting(t, pool); fp != ring(t, 1).Fingerprint() {
				t.Fatalf("fingerprint changed to %s", fp)
			}
		})
	}
}

// A row no configured key opens is skipped and counted; the rest rotate,
// and the fingerprint is not recorded while it is there.
func TestRotateSkipsUnreadableRows(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	f := seed(t, pool)
	exec(t, pool, `UPDATE webhook_endpoints SET secret_ciphertext = $1 WHERE id = $2`,
		ring(t, 9).SealEndpointSecret(f.tenant, f.endpoints[0], "whsec_x"), f.endpoints[0])
	res, err := Rotate(context.Background(), pool, ring(t, 2, 1), Options{Batch: 1})
	if err != nil || res.Recorded || res.Columns[0].Unreadable != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	rotated := int64(0)
	for _, c := range res.Columns {
		rotated += c.Rotated
	}
	if rotated == 0 || res.Columns[0].Left != 1 {
		t.Fatalf("the other rows were not rotated past the bad one: %+v", res)
	}
	if fp := setting(t, pool); fp != ring(t, 1).Fingerprint() {
		t.Fatalf("fingerprint changed to %s", fp)
	}
}
