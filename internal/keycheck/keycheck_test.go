package keycheck

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
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
	if _, err := db.Q(pool).CreateEndpoint(ctx, dbq.CreateEndpointParams{
		ID: id, TenantID: tn.ID, Url: "https://example.com/h", Events: []string{"*"}, IsActive: true, MaxInFlight: 10,
		SecretCiphertext: box(t, 1).SealEndpointSecret(tn.ID, id, "whsec_x"),
	}); err != nil {
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
