package keycheck

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/tenancy"
)

func box(t *testing.T, b byte) *secretbox.Box {
	t.Helper()
	bx, err := secretbox.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return bx
}

// The first process records its key's fingerprint; the same key passes;
// another key is refused, naming who first used the database.
func TestEnsureRefusesAnotherKey(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	a, b := box(t, 1), box(t, 2)
	if err := Ensure(ctx, pool, a, "hookline dev in /home/me/app/.hookline"); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(ctx, pool, a, "hookline worker on host"); err != nil {
		t.Fatalf("same key refused: %v", err)
	}
	err := Ensure(ctx, pool, b, "hookline dev in /tmp/other/.hookline")
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.Want != a.Fingerprint() || mm.Got != b.Fingerprint() || !strings.Contains(err.Error(), "/home/me/app/.hookline") {
		t.Fatalf("other key: %v", err)
	}
	if strings.Contains(err.Error(), string(bytes.Repeat([]byte{2}, 32))) {
		t.Fatal("the error quotes the key")
	}
}

// A database from before fingerprints is checked against a stored secret.
func TestEnsureChecksSecretsSealedBeforeFingerprints(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	tn, err := tenancy.CreateTenant(ctx, pool, audit.Actor{Kind: audit.ActorSystem, ID: "test"}, "", "t")
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	// Plain SQL: only the columns this check reads, whatever else endpoints gain.
	if _, err := pool.Exec(ctx, `INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret_ciphertext) VALUES ($1, $2, 'https://example.com/h', '{*}', $3)`,
		id, tn.ID, box(t, 1).SealEndpointSecret(tn.ID, id, "whsec_x")); err != nil {
		t.Fatal(err)
	}
	var mm *MismatchError
	if err := Ensure(ctx, pool, box(t, 2), "serve"); !errors.As(err, &mm) {
		t.Fatalf("a key that cannot open the stored secrets: %v", err)
	}
	if err := Ensure(ctx, pool, box(t, 1), "serve"); err != nil {
		t.Fatalf("the key that sealed them: %v", err)
	}
}

func ring(t *testing.T, keys ...byte) *secretbox.Box {
	t.Helper()
	var ks [][]byte
	for _, k := range keys {
		ks = append(ks, bytes.Repeat([]byte{k}, 32))
	}
	bx, err := secretbox.NewKeyring(ks)
	if err != nil {
		t.Fatal(err)
	}
	return bx
}

// During a rotation the database names the old key: a keyring listing it
// anywhere passes; one without it is refused. Once the rotation records the
// new key, the old key alone is refused.
func TestEnsureKeyring(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stored byte // key whose fingerprint the database holds
		keys   []byte
		ok     bool
	}{
		{"old key second", 1, []byte{2, 1}, true},
		{"old key first", 1, []byte{1, 2}, true},
		{"old key among three", 1, []byte{3, 2, 1}, true},
		{"old key missing", 1, []byte{3, 2}, false},
		{"rotated: new key alone", 2, []byte{2}, true},
		{"rotated: old key alone", 2, []byte{1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.New(t)
			ctx := context.Background()
			if err := Ensure(ctx, pool, ring(t, tc.stored), "first"); err != nil {
				t.Fatal(err)
			}
			bx := ring(t, tc.keys...)
			err := Ensure(ctx, pool, bx, "second")
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var mm *MismatchError
			if !errors.As(err, &mm) || mm.Want != ring(t, tc.stored).Fingerprint() {
				t.Fatalf("want a mismatch: %v", err)
			}
			for _, fp := range bx.Fingerprints() {
				if !strings.Contains(err.Error(), fp) {
					t.Fatalf("error does not name configured key %s: %v", fp, err)
				}
			}
		})
	}
}
