package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/keycheck"
	"github.com/hookline/hookline/internal/keyrotate"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/secretbox"
)

// Data sealed under key 1 (signing secrets, a previous secret in its grace
// period, bearer auth, a sensitive header), `keys rotate` to key 2, key 1
// removed: a Hookline with key 2 alone still delivers, signed with both
// secrets and carrying the credentials; a process with key 1 alone is refused.
func TestDeliveriesAfterKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"*"},
		"headers": map[string]any{"X-Api-Key": "key-under-k1"}, "auth": map[string]any{"type": "bearer", "token": "token-under-k1"}})
	rot := decode[rotatedSecret](t, env.Do(http.MethodPost, "/v1/webhooks/"+ep.ID.String()+"/rotate-secret", env.A.Key, map[string]any{"grace_period_seconds": 3600}))
	rc.SetSecrets(rot.Secret, ep.Secret)

	k1, k2 := hooklinetest.EncryptionKey(), bytes.Repeat([]byte{9}, 32)
	both, err := secretbox.NewKeyring([][]byte{k2, k1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := keyrotate.Rotate(ctx, env.Pool, both, keyrotate.Options{Batch: 1})
	if err != nil || !res.Recorded {
		t.Fatalf("rotate: %+v, %v", res, err)
	}
	rotated := int64(0)
	for _, c := range res.Columns {
		rotated += c.Rotated
	}
	if rotated < 3 { // signing secret, previous secret, sealed controls
		t.Fatalf("rotated %d ciphertexts: %+v", rotated, res)
	}

	only2, _ := secretbox.New(k2)
	app := env.Reopen(t, only2)
	if _, err := app.Publisher.Publish(ctx, env.A.ID, publish.Event{Type: "comment.created", Payload: json.RawMessage(`{"after":"rotation"}`)}); err != nil {
		t.Fatal(err)
	}
	env.Eventually(20*time.Second, "the delivery after rotation", func() bool { return rc.Count() == 1 })
	got := rc.Requests()[0]
	if !got.Verified[0] || !got.Verified[1] || got.Header.Get("Authorization") != "Bearer token-under-k1" || got.Header.Get("X-Api-Key") != "key-under-k1" {
		t.Fatalf("after rotation: verified %v, headers %v", got.Verified, got.Header)
	}
	only1, _ := secretbox.New(k1)
	var mm *keycheck.MismatchError
	if err := keycheck.Ensure(ctx, env.Pool, only1, "test"); !errors.As(err, &mm) {
		t.Fatalf("a process with the removed key alone was not refused: %v", err)
	}
}
