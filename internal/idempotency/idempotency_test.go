package idempotency

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/tenancy"
)

type fixture struct {
	store  *Store
	tenant uuid.UUID
	clock  atomic.Int64 // offset added to the wall clock, in ns
	runs   atomic.Int32
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	box, err := secretbox.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	tn, err := tenancy.CreateTenant(context.Background(), pool, audit.Actor{Kind: audit.ActorSystem, ID: "test"}, "", "t")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{tenant: tn.ID}
	f.store = &Store{Pool: pool, Box: box, Now: func() time.Time { return time.Now().Add(time.Duration(f.clock.Load())) }}
	return f
}

// op writes an audit row (a visible side effect) and answers 201 {"n":...}.
func (f *fixture) op(ctx context.Context, wait <-chan struct{}) Op {
	return func(q *dbq.Queries) (int, any, error) {
		n := f.runs.Add(1)
		if wait != nil {
			<-wait
		}
		err := audit.Write(ctx, q, audit.Entry{TenantID: f.tenant, Actor: audit.Actor{Kind: audit.ActorSystem, ID: "test"}, Action: "op", TargetType: "t", TargetID: "t"})
		return http.StatusCreated, map[string]int32{"n": n}, err
	}
}

func (f *fixture) sideEffects(t *testing.T) int {
	var n int
	if err := f.store.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE action = 'op'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSameKeyReplaysDifferentBodyRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	first, err := f.store.Do(ctx, f.tenant, "k1", "create", map[string]int{"a": 1}, f.op(ctx, nil))
	if err != nil || first.Replayed || first.Status != http.StatusCreated {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := f.store.Do(ctx, f.tenant, "k1", "create", map[string]int{"a": 1}, f.op(ctx, nil))
	if err != nil || !again.Replayed || !bytes.Equal(again.Body, first.Body) || again.Status != first.Status {
		t.Fatalf("replay: %+v %v", again, err)
	}
	_, err = f.store.Do(ctx, f.tenant, "k1", "create", map[string]int{"a": 2}, f.op(ctx, nil))
	if !apperr.IsKind(err, apperr.KindInvalid) {
		t.Fatalf("different body: %v", err)
	}
	if f.sideEffects(t) != 1 {
		t.Fatalf("%d side effects, want 1", f.sideEffects(t))
	}
}

// A first request that stalls past AbandonAfter loses its key to a retry;
// when it wakes up it can neither store its response nor commit its change:
// the operation happens exactly once.
func TestStalledOwnerCannotCompleteAfterTakeover(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	release := make(chan struct{})
	type result struct {
		res Response
		err error
	}
	stalled := make(chan result, 1)
	go func() {
		r, err := f.store.Do(ctx, f.tenant, "k2", "create", "body", f.op(ctx, release))
		stalled <- result{r, err}
	}()
	for f.runs.Load() == 0 {
		time.Sleep(time.Millisecond) // until the first request holds the key
	}
	if _, err := f.store.Do(ctx, f.tenant, "k2", "create", "body", f.op(ctx, nil)); !apperr.IsKind(err, apperr.KindConflict) {
		t.Fatalf("while the first runs: %v, want 409", err)
	}
	f.clock.Store(int64(AbandonAfter + time.Minute))
	second, err := f.store.Do(ctx, f.tenant, "k2", "create", "body", f.op(ctx, nil))
	if err != nil || second.Replayed {
		t.Fatalf("takeover: %+v %v", second, err)
	}
	close(release)
	got := <-stalled
	if !errors.Is(got.err, errTakenOver) {
		t.Fatalf("stalled owner finished with %+v %v, want the takeover conflict", got.res, got.err)
	}
	replay, err := f.store.Do(ctx, f.tenant, "k2", "create", "body", f.op(ctx, nil))
	if err != nil || !replay.Replayed || !bytes.Equal(replay.Body, second.Body) {
		t.Fatalf("replay after takeover: %+v %v, want the second request's response %s", replay, err, second.Body)
	}
	if n := f.sideEffects(t); n != 1 {
		t.Fatalf("%d side effects, want exactly 1", n)
	}
}

// A failing operation frees its own key, and only its own.
func TestFailedOperationReleasesKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	boom := errors.New("boom")
	if _, err := f.store.Do(ctx, f.tenant, "k3", "create", "b", func(*dbq.Queries) (int, any, error) { return 0, nil, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if r, err := f.store.Do(ctx, f.tenant, "k3", "create", "b", f.op(ctx, nil)); err != nil || r.Replayed {
		t.Fatalf("retry after failure: %+v %v", r, err)
	}
}

// A stalled owner that fails after its key was taken over must not free the
// key under the new owner: a third request still meets the running one.
func TestStalledOwnerCannotReleaseTheNewOwnersKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	boom := errors.New("boom")
	releaseFirst, releaseSecond := make(chan struct{}), make(chan struct{})
	first, second := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := f.store.Do(ctx, f.tenant, "k4", "create", "b", func(*dbq.Queries) (int, any, error) {
			f.runs.Add(1)
			<-releaseFirst
			return 0, nil, boom
		})
		first <- err
	}()
	for f.runs.Load() == 0 {
		time.Sleep(time.Millisecond) // until the first request holds the key
	}
	f.clock.Store(int64(AbandonAfter + time.Minute))
	go func() {
		_, err := f.store.Do(ctx, f.tenant, "k4", "create", "b", f.op(ctx, releaseSecond))
		second <- err
	}()
	for f.runs.Load() < 2 {
		time.Sleep(time.Millisecond) // until the second has taken the key over
	}
	close(releaseFirst)
	if err := <-first; !errors.Is(err, boom) {
		t.Fatalf("first: %v", err)
	}
	f.clock.Store(0) // the second's claim is fresh again
	if _, err := f.store.Do(ctx, f.tenant, "k4", "create", "b", f.op(ctx, nil)); !apperr.IsKind(err, apperr.KindConflict) {
		t.Errorf("third request while the second runs: %v, want 409 (the first freed the second's key)", err)
	}
	close(releaseSecond)
	if err := <-second; err != nil {
		t.Fatalf("second: %v", err)
	}
	if n := f.sideEffects(t); n != 1 {
		t.Fatalf("%d side effects, want 1", n)
	}
}
