package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/delivery"
)

// seqEvent is the data of the events these tests publish.
type seqEvent struct {
	Key string `json:"key"`
	Seq int    `json:"seq"`
}

// arrival reads which event a receiver's request carried.
func arrival(t *testing.T, body []byte) seqEvent {
	t.Helper()
	var env struct {
		Data seqEvent `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("receiver got %q: %v", body, err)
	}
	return env.Data
}

// publishSeq publishes event seq of key (its id names both).
func publishSeq(t *testing.T, env *hooklinetest.Env, key string, seq int) {
	t.Helper()
	r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{
		"id": fmt.Sprintf("%s-%d", key, seq), "type": "comment.created", "ordering_key": key,
		"payload": seqEvent{Key: key, Seq: seq},
	})
	if r.Status != http.StatusAccepted {
		t.Fatalf("publish %s/%d: %d %s", key, seq, r.Status, r.Body)
	}
}

// orderedEndpoint creates an ordered endpoint to rc with extra settings.
func orderedEndpoint(t *testing.T, env *hooklinetest.Env, rc *hooklinetest.Receiver, extra map[string]any) api.EndpointWithSecret {
	t.Helper()
	body := map[string]any{"url": rc.URL, "events": []string{"comment.created"}, "ordering": "ordered"}
	for k, v := range extra {
		body[k] = v
	}
	ep := createEndpoint(t, env, env.Paths(env.A)[0], body)
	rc.SetSecrets(ep.Secret)
	if ep.Ordering != delivery.Ordered {
		t.Fatalf("created endpoint has ordering %q", ep.Ordering)
	}
	return ep
}

// checkOrder fails when a key's requests, in arrival order, go back in
// sequence; it returns, per key, the sequence numbers a 2xx answered.
func checkOrder(t *testing.T, rc *hooklinetest.Receiver, ok func(n int) bool) map[string][]int {
	t.Helper()
	last := map[string]int{}
	got := map[string][]int{}
	for n, req := range rc.Requests() {
		ev := arrival(t, req.Body)
		if prev, seen := last[ev.Key]; seen && ev.Seq < prev {
			t.Fatalf("request %d: key %q went back from %d to %d", n, ev.Key, prev, ev.Seq)
		}
		last[ev.Key] = ev.Seq
		if ok(n) {
			got[ev.Key] = append(got[ev.Key], ev.Seq)
		}
	}
	return got
}

// 200 events on one key to a receiver that answers 500 to a random third of
// requests: the requests never go back in sequence and every event is
// received once with a 2xx.
func TestOrderedDeliveryUnderRandomFailures(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	var mu sync.Mutex
	answered := map[int]bool{} // request n → answered 2xx
	rng := rand.New(rand.NewPCG(1, 2))
	rc.SetHandler(func(n int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		mu.Lock()
		ok := rng.IntN(3) != 0
		answered[n] = ok
		mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	schedule := make([]string, 20)
	for i := range schedule {
		schedule[i] = "1s"
	}
	orderedEndpoint(t, env, rc, map[string]any{"retry_schedule": schedule})
	const events = 200
	for i := range events {
		publishSeq(t, env, "order-1", i)
	}
	env.Eventually(4*time.Minute, "every event received with a 2xx", func() bool {
		mu.Lock()
		defer mu.Unlock()
		ok := 0
		for _, v := range answered {
			if v {
				ok++
			}
		}
		return ok >= events
	})
	mu.Lock()
	defer mu.Unlock()
	got := checkOrder(t, rc, func(n int) bool { return answered[n] })["order-1"]
	if len(got) != events {
		t.Fatalf("%d events received with a 2xx, want %d", len(got), events)
	}
	for i, s := range got {
		if s != i {
			t.Fatalf("2xx number %d carried event %d", i, s)
		}
	}
	t.Logf("%d requests for %d events", rc.Count(), events)
}

// 20 keys × 50 events published in parallel: each key's order holds, and
// the keys interleave (they are not delivered one key after another).
func TestOrderedKeysInterleave(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	orderedEndpoint(t, env, rc, map[string]any{"max_in_flight": 20})
	const keys, perKey = 20, 50
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() {
			for i := range perKey {
				publishSeq(t, env, fmt.Sprintf("key-%02d", k), i)
			}
		})
	}
	wg.Wait()
	env.Eventually(3*time.Minute, "every event received", func() bool { return rc.Count() >= keys*perKey })
	got := checkOrder(t, rc, func(int) bool { return true })
	for k := range keys {
		key := fmt.Sprintf("key-%02d", k)
		if len(got[key]) != perKey {
			t.Fatalf("key %s: %d receipts, want %d", key, len(got[key]), perKey)
		}
	}
	// Interleaving: by the time half the events arrived, most keys had
	// started, and no key was done before a tenth of them arrived.
	started := map[string]bool{}
	for _, req := range rc.Requests()[:keys*perKey/2] {
		started[arrival(t, req.Body).Key] = true
	}
	if len(started) < keys/2 {
		t.Fatalf("only %d keys of %d started in the first half of the receipts", len(started), keys)
	}
	if rc.Stats().Duplicates != 0 {
		t.Fatalf("duplicates: %+v", rc.Stats())
	}
}

type blockedKeys struct {
	Data []api.BlockedKey `json:"data"`
}

// With on_exhausted block a dead-lettered head blocks its key; retry and
// skip each release it; a replay joins the end of its key. With skip the
// next delivery goes at once.
func TestOrderedBlockSkipUnblock(t *testing.T) {
	t.Parallel()
	// The heads' failures would open the endpoint's breaker, whose
	// cool-down (30 s, then 60 s) is not what this test is about.
	env := hooklinetest.New(t, hooklinetest.Options{Flow: delivery.FlowPolicy{BreakerThreshold: 1000}})
	t.Cleanup(func() {
		if t.Failed() {
			rows, _ := env.Pool.Query(context.Background(), "SELECT d.id, e.id, d.status, d.ordering_key, d.ordering_seq, d.order_done, d.attempt_count, d.replay_of FROM deliveries d JOIN events e ON e.id = d.event_id ORDER BY d.ordering_key, d.ordering_seq, d.created_at")
			for rows.Next() {
				vals, _ := rows.Values()
				t.Log(vals...)
			}
			rows.Close()
			t.Log(env.LogText())
		}
	})
	rc, setFailing := failingReceiver(t)
	for _, k := range []string{"a", "b", "c"} {
		setFailing(seqEvent{Key: k, Seq: 0}, true)
	}
	ep := orderedEndpoint(t, env, rc, map[string]any{"retry_schedule": []string{"1s"}})
	base := "/v1/webhooks/" + ep.ID.String()
	blocked := func() []api.BlockedKey {
		t.Helper()
		r := env.Do(http.MethodGet, base+"/ordering", env.A.Key, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list-blocked-keys: %d %s", r.Status, r.Body)
		}
		return decode[blockedKeys](t, r).Data
	}
	blockedKey := func(key string) *api.BlockedKey {
		for _, b := range blocked() {
			if b.OrderingKey == key {
				return &b
			}
		}
		return nil
	}
	unblock := func(key, action string) (int, map[string]any) {
		r := env.Do(http.MethodPost, base+"/ordering/unblock", env.A.Key, map[string]any{"ordering_key": key, "action": action})
		var m map[string]any
		_ = json.Unmarshal(r.Body, &m)
		return r.Status, m
	}
	received := func(key string) []int { return receivedSeqs(t, rc, key) }
	for _, k := range []string{"a", "b"} {
		for i := range 3 {
			publishSeq(t, env, k, i)
		}
	}
	var headA *api.BlockedKey
	env.Eventually(time.Minute, "keys a and b blocked with 2 waiting", func() bool {
		headA = blockedKey("a")
		b := blockedKey("b")
		return headA != nil && headA.Waiting == 2 && b != nil && b.Waiting == 2
	})
	// Nothing behind a blocked head was attempted.
	time.Sleep(500 * time.Millisecond)
	if got := received("a"); len(got) != 2 || got[0] != 0 || got[1] != 0 {
		t.Fatalf("key a received %v while blocked, want [0 0] (the head's two attempts)", got)
	}
	if st, _ := env.Delivery(headA.DeliveryID.String()); st != delivery.DeadLetter {
		t.Fatalf("head of a is %s", st)
	}

	// retry while the receiver still fails: the replay dead-letters and
	// blocks the key again, in the head's place.
	if st, m := unblock("a", "retry"); st != http.StatusAccepted || m["retry_delivery_id"] == nil {
		t.Fatalf("unblock retry: %d %v", st, m)
	}
	env.Eventually(time.Minute, "a blocked again by the retried head", func() bool {
		b := blockedKey("a")
		return b != nil && b.DeliveryID != headA.DeliveryID && b.Waiting == 2
	})
	// skip: a1 and a2 go, in order.
	if st, m := unblock("a", "skip"); st != http.StatusAccepted {
		t.Fatalf("unblock skip: %d %v", st, m)
	}
	env.Eventually(time.Minute, "a1 and a2 received", func() bool { return len(received("a")) == 6 })
	if got := received("a"); fmt.Sprint(got) != "[0 0 0 0 1 2]" {
		t.Fatalf("key a received %v", got)
	}
	// retry after the receiver healed: b0 arrives, then b1 and b2.
	setFailing(seqEvent{Key: "b", Seq: 0}, false)
	if st, m := unblock("b", "retry"); st != http.StatusAccepted {
		t.Fatalf("unblock retry b: %d %v", st, m)
	}
	env.Eventually(time.Minute, "b drained", func() bool { return len(received("b")) == 5 })
	if got := received("b"); fmt.Sprint(got) != "[0 0 0 1 2]" {
		t.Fatalf("key b received %v", got)
	}
	if got := blocked(); len(got) != 0 {
		t.Fatalf("still blocked: %+v", got)
	}

	// A key that is not blocked: 409. Another tenant: 404. A bad action: 422.
	if st, m := unblock("a", "skip"); st != http.StatusConflict {
		t.Fatalf("unblock of a moving key: %d %v", st, m)
	}
	if r := env.Do(http.MethodGet, base+"/ordering", env.B.Key, nil); r.Status != http.StatusNotFound {
		t.Fatalf("other tenant's list: %d", r.Status)
	}
	if st, _ := unblock("a", "drop"); st != http.StatusUnprocessableEntity {
		t.Fatalf("bad action: %d", st)
	}

	// A replay joins the end of its key: a0 (dead-lettered) replayed after
	// a3 was published arrives after a3.
	setFailing(seqEvent{Key: "a", Seq: 0}, false)
	publishSeq(t, env, "a", 3)
	env.Eventually(time.Minute, "a3 received", func() bool { return len(received("a")) == 7 })
	if r := env.Do(http.MethodPost, base+"/deliveries/"+headA.DeliveryID.String()+"/replay", env.A.Key, nil); r.Status != http.StatusAccepted {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	env.Eventually(time.Minute, "the replay received", func() bool { return len(received("a")) == 8 })
	if got := received("a"); fmt.Sprint(got) != "[0 0 0 0 1 2 3 0]" {
		t.Fatalf("key a received %v", got)
	}

	// on_exhausted skip: c1 goes as soon as c0 dead-letters.
	if r := env.Do(http.MethodPatch, base, env.A.Key, map[string]any{"on_exhausted": "skip"}); r.Status != http.StatusOK {
		t.Fatalf("patch on_exhausted: %d %s", r.Status, r.Body)
	}
	publishSeq(t, env, "c", 0)
	publishSeq(t, env, "c", 1)
	env.Eventually(time.Minute, "c1 received after c0 dead-lettered", func() bool { return len(received("c")) == 3 })
	if got := received("c"); fmt.Sprint(got) != "[0 0 1]" {
		t.Fatalf("key c received %v", got)
	}
	if got := blocked(); len(got) != 0 {
		t.Fatalf("blocked with skip: %+v", got)
	}
}

// The ordering fields are validated and shown; an over-long key is a 422.
func TestOrderingValidation(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	p := env.Paths(env.A)[0]
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"ordering": "fifo"}, "body.ordering"},
		{map[string]any{"on_exhausted": "drop"}, "body.on_exhausted"},
	} {
		body := map[string]any{"url": "https://hooks.example.com/in", "events": []string{"comment.created"}}
		for k, v := range tc.body {
			body[k] = v
		}
		r := env.Do(http.MethodPost, p.Prefix+"/webhooks", p.Token, body)
		if r.Status != http.StatusUnprocessableEntity || !json.Valid(r.Body) || !contains(r.Body, tc.field) {
			t.Fatalf("%v: %d %s", tc.body, r.Status, r.Body)
		}
	}
	ep := createEndpoint(t, env, p, map[string]any{"url": "https://hooks.example.com/in", "events": []string{"comment.created"}})
	if ep.Ordering != delivery.Unordered || ep.OnExhausted != delivery.Block {
		t.Fatalf("defaults: %q %q", ep.Ordering, ep.OnExhausted)
	}
	r := env.Do(http.MethodPatch, p.Prefix+"/webhooks/"+ep.ID.String(), p.Token, map[string]any{"ordering": "ordered", "on_exhausted": "skip"})
	if got := decode[api.Endpoint](t, r); got.Ordering != delivery.Ordered || got.OnExhausted != delivery.Skip {
		t.Fatalf("patched: %d %s", r.Status, r.Body)
	}
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'k'
	}
	r = env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "ordering_key": string(long), "payload": map[string]any{}})
	if r.Status != http.StatusUnprocessableEntity || !contains(r.Body, "body.ordering_key") {
		t.Fatalf("long key: %d %s", r.Status, r.Body)
	}
	r = env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "ordering_key": "a\u0001b", "payload": map[string]any{}})
	if r.Status != http.StatusUnprocessableEntity || !contains(r.Body, "body.ordering_key") {
		t.Fatalf("control character: %d %s", r.Status, r.Body)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// failingReceiver answers 500 to the events failing names, 204 to the rest.
func failingReceiver(t *testing.T) (*hooklinetest.Receiver, func(ev seqEvent, fail bool)) {
	rc := hooklinetest.NewReceiver(t)
	var mu sync.Mutex
	failing := map[seqEvent]bool{}
	rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, body []byte) {
		var env struct {
			Data seqEvent `json:"data"`
		}
		_ = json.Unmarshal(body, &env)
		mu.Lock()
		fail := failing[env.Data]
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return rc, func(ev seqEvent, fail bool) {
		mu.Lock()
		defer mu.Unlock()
		failing[ev] = fail
	}
}

// receivedSeqs lists the sequence numbers of key's requests rc got, in
// arrival order.
func receivedSeqs(t *testing.T, rc *hooklinetest.Receiver, key string) []int {
	var seqs []int
	for _, req := range rc.Requests() {
		if ev := arrival(t, req.Body); ev.Key == key {
			seqs = append(seqs, ev.Seq)
		}
	}
	return seqs
}

// Switching an endpoint's rules: block → skip releases a blocked key for
// good (switching back does not block it again on the same failure), and
// switching the endpoint off fails every delivery of its keys, head and
// waiters alike, without leaving a key blocked.
func TestOrderedRuleSwitches(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Flow: delivery.FlowPolicy{BreakerThreshold: 1000}})
	rc, setFailing := failingReceiver(t)
	ep := orderedEndpoint(t, env, rc, map[string]any{"retry_schedule": []string{"1s"}})
	base := "/v1/webhooks/" + ep.ID.String()
	patch := func(body map[string]any) {
		t.Helper()
		if r := env.Do(http.MethodPatch, base, env.A.Key, body); r.Status != http.StatusOK {
			t.Fatalf("patch %v: %d %s", body, r.Status, r.Body)
		}
	}
	blocked := func() []api.BlockedKey {
		return decode[blockedKeys](t, env.Do(http.MethodGet, base+"/ordering", env.A.Key, nil)).Data
	}
	setFailing(seqEvent{Key: "s", Seq: 0}, true)
	publishSeq(t, env, "s", 0)
	publishSeq(t, env, "s", 1)
	env.Eventually(time.Minute, "key s blocked", func() bool { b := blocked(); return len(b) == 1 && b[0].Waiting == 1 })
	patch(map[string]any{"on_exhausted": "skip"})
	env.Eventually(time.Minute, "s1 delivered once skip is on", func() bool { return fmt.Sprint(receivedSeqs(t, rc, "s")) == "[0 0 1]" })
	patch(map[string]any{"on_exhausted": "block"})
	publishSeq(t, env, "s", 2)
	env.Eventually(time.Minute, "s2 delivered: the old failure does not block again", func() bool {
		return fmt.Sprint(receivedSeqs(t, rc, "s")) == "[0 0 1 2]"
	})
	if b := blocked(); len(b) != 0 {
		t.Fatalf("blocked after switching back: %+v", b)
	}

	// Off: the retrying head and the waiters behind it all fail now.
	setFailing(seqEvent{Key: "d", Seq: 0}, true)
	for i := range 3 {
		publishSeq(t, env, "d", i)
	}
	env.Eventually(30*time.Second, "d0 attempted", func() bool { return len(receivedSeqs(t, rc, "d")) >= 1 })
	patch(map[string]any{"is_active": false})
	env.Eventually(30*time.Second, "every delivery of key d failed", func() bool {
		var open int
		_ = env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND ordering_key = 'd' AND status <> 'failed'", ep.ID).Scan(&open)
		return open == 0
	})
	if got := receivedSeqs(t, rc, "d"); len(got) == 0 || got[len(got)-1] != 0 {
		t.Fatalf("key d received %v while switched off", got)
	}
	patch(map[string]any{"is_active": true})
	setFailing(seqEvent{Key: "d", Seq: 0}, false)
	publishSeq(t, env, "d", 3)
	env.Eventually(time.Minute, "d3 delivered after switching on", func() bool {
		got := receivedSeqs(t, rc, "d")
		return len(got) > 0 && got[len(got)-1] == 3
	})
	if b := blocked(); len(b) != 0 {
		t.Fatalf("blocked after switching on: %+v", b)
	}
}

// A recovery replays a key's failed deliveries in their original order,
// at the end of the key.
func TestOrderedRecoveryKeepsOrder(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Flow: delivery.FlowPolicy{BreakerThreshold: 1000}})
	rc, setFailing := failingReceiver(t)
	ep := orderedEndpoint(t, env, rc, map[string]any{"retry_schedule": []string{"1s"}, "on_exhausted": "skip"})
	since := time.Now().Add(-time.Minute)
	const n = 6
	for i := range n {
		setFailing(seqEvent{Key: "r", Seq: i}, true)
		publishSeq(t, env, "r", i)
	}
	env.Eventually(time.Minute, "every delivery of r dead-lettered", func() bool { return len(receivedSeqs(t, rc, "r")) == 2*n })
	for i := range n {
		setFailing(seqEvent{Key: "r", Seq: i}, false)
	}
	r := env.Do(http.MethodPost, "/v1/webhooks/"+ep.ID.String()+"/recover", env.A.Key, map[string]any{"since": since})
	if r.Status != http.StatusAccepted {
		t.Fatalf("recover: %d %s", r.Status, r.Body)
	}
	env.Eventually(time.Minute, "the replays received", func() bool { return len(receivedSeqs(t, rc, "r")) == 3*n })
	if got := fmt.Sprint(receivedSeqs(t, rc, "r")[2*n:]); got != "[0 1 2 3 4 5]" {
		t.Fatalf("replays arrived as %s", got)
	}
}
