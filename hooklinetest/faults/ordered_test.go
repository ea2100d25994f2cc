package faults

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline/hooklinetest"
)

// A worker SIGKILLed in the middle of ordered sequences (one of its
// attempts held by the receiver): once a worker runs again every event
// arrives, and no key's requests ever go back in sequence (the killed
// attempt is repeated, never overtaken).
func TestWorkerKilledMidOrderedSequence(t *testing.T) {
	env := hooklinetest.New(t, hooklinetest.Options{NoWorker: true})
	rc := hooklinetest.NewReceiver(t)
	const keys = 4
	perKey := max(events()/keys, 5)
	killAt := keys * perKey / 3
	killed := make(chan struct{})
	var once sync.Once
	rc.SetHandler(func(n int, w http.ResponseWriter, r *http.Request, _ []byte) {
		if n == killAt {
			once.Do(func() { close(killed) })
			<-r.Context().Done() // the worker dies holding this request
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{
		"url": rc.URL + "/hook", "events": []string{"comment.created"}, "ordering": "ordered"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	m := r.Map(t)
	rc.SetSecrets(m["secret"].(string))
	ep := m["id"].(string)

	first := startWorker(t, env)
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() { // one producer per key: publish order is the key's order
			for i := range perKey {
				body := map[string]any{"id": fmt.Sprintf("ord-%d-%d", k, i), "type": "comment.created",
					"ordering_key": fmt.Sprintf("k%d", k), "payload": map[string]any{"key": k, "seq": i}}
				if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, body); r.Status >= 300 {
					t.Errorf("publish: %d %s", r.Status, r.Body)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-killed:
	case <-time.After(2 * time.Minute):
		t.Fatal("the receiver never got the request to die on")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	startWorker(t, env)
	waitAllFinal(t, env, ep, 3*time.Minute)

	tl := count(t, env, ep, rc, "worker killed mid-sequence, attempt retried")
	t.Logf("ordered, worker SIGKILL: %s", tl)
	if tl.missing != 0 || tl.delivered != tl.published || tl.published != keys*perKey {
		t.Fatalf("%s", tl)
	}
	last := map[int]int{}
	for n, req := range rc.Requests() {
		var env struct {
			Data struct{ Key, Seq int } `json:"data"`
		}
		if err := json.Unmarshal(req.Body, &env); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[env.Data.Key]; ok && env.Data.Seq < prev {
			t.Fatalf("request %d: key %d went back from %d to %d", n, env.Data.Key, prev, env.Data.Seq)
		}
		last[env.Data.Key] = env.Data.Seq
	}
	if n := notSucceeded(t, env); n != 0 {
		t.Fatalf("%d deliveries not succeeded after the restart", n)
	}
}
