package db_test

import (
	"context"
	"testing"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbtest"
)

func TestMigrateIsIdempotentAndSeedsCatalogue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)

	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	applied, err := db.Migrate(ctx, conn.Conn())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", applied)
	}

	names, err := db.New(pool).ListSubscribableEventTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"comment.created": true, "comment.updated": true, "comment.deleted": true, "reaction.added": true, "member.joined": true,
		"endpoint.disabled": true, "delivery.dead_lettered": true, "endpoint.tls_expiring": true} // operational: subscribed to by name
	if len(names) != len(want) {
		t.Fatalf("catalogue = %v", names)
	}
	for _, n := range names {
		if !want[n] {
			t.Errorf("unexpected subscribable type %q (webhook.test must stay reserved)", n)
		}
	}
}
