package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hookline/hookline/hooklinetest"
)

type statsBody struct {
	Buckets []statsRow `json:"buckets"`
	Totals  statsRow   `json:"totals"`
}

type statsRow struct {
	Start      time.Time `json:"start"`
	Succeeded  int       `json:"succeeded"`
	Failed     int       `json:"failed"`
	DeadLetter int       `json:"dead_letter"`
	Attempts   int       `json:"attempts"`
	P50Ms      float64   `json:"p50_ms"`
	P99Ms      float64   `json:"p99_ms"`
}

// The rollup's counts equal the delivery log's for the window, buckets add
// up to the totals, and bad windows are 422s; another tenant's endpoint 404.
func TestStatsMatchTheDeliveryLog(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, body []byte) {
		var ev struct {
			Data struct{ Kind string } `json:"data"`
		}
		_ = json.Unmarshal(body, &ev)
		switch ev.Data.Kind {
		case "fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "gone":
			w.WriteHeader(http.StatusGone)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"*"}, "retry_schedule": []string{"1s"}})
	id := ep.ID.String()
	since := time.Now().Add(-5 * time.Minute).UTC().Format(time.RFC3339)
	kinds := []string{"ok", "ok", "fail", "ok", "gone", "ok", "fail", "ok", "gone", "ok"}
	for _, k := range kinds {
		if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"kind": k}}); r.Status != http.StatusAccepted {
			t.Fatalf("publish: %d", r.Status)
		}
	}
	want := statsRow{}
	env.Eventually(30*time.Second, "every delivery final", func() bool {
		want = statsRow{}
		for _, d := range deliveriesOf(t, env, env.A, id, "?limit=100") {
			switch d.Status {
			case "succeeded":
				want.Succeeded++
			case "failed":
				want.Failed++
			case "dead_letter":
				want.DeadLetter++
			default:
				return false
			}
			want.Attempts += d.AttemptCount
		}
		return true
	})
	if want.Succeeded != 6 || want.Failed != 2 || want.DeadLetter != 2 || want.Attempts != 12 {
		t.Fatalf("delivery log: %+v", want)
	}
	q := url.Values{"since": {since}, "bucket": {"1m"}}
	r := env.Do(http.MethodGet, "/v1/webhooks/"+id+"/stats?"+q.Encode(), env.A.Key, nil)
	st := decode[statsBody](t, r)
	got := st.Totals
	if r.Status != http.StatusOK || got.Succeeded != want.Succeeded || got.Failed != want.Failed || got.DeadLetter != want.DeadLetter ||
		got.Attempts != want.Attempts || got.P50Ms <= 0 || got.P99Ms < got.P50Ms {
		t.Fatalf("stats totals %+v, delivery log %+v (%d %s)", got, want, r.Status, r.Body)
	}
	sum := statsRow{}
	for _, b := range st.Buckets {
		sum.Succeeded += b.Succeeded
		sum.Attempts += b.Attempts
	}
	if len(st.Buckets) < 5 || len(st.Buckets) > 7 || sum.Succeeded != got.Succeeded || sum.Attempts != got.Attempts {
		t.Fatalf("%d buckets summing to %+v, totals %+v", len(st.Buckets), sum, got)
	}
	// The admin path answers the same.
	if r := env.Do(http.MethodGet, "/admin/v1/tenants/"+env.A.ID.String()+"/webhooks/"+id+"/stats?"+q.Encode(), env.SuperToken, nil); decode[statsBody](t, r).Totals.Attempts != want.Attempts {
		t.Fatalf("admin stats: %d %s", r.Status, r.Body)
	}

	for name, query := range map[string]url.Values{
		"bucket size":   {"bucket": {"5m"}},
		"too many":      {"bucket": {"1m"}, "since": {time.Now().Add(-48 * time.Hour).Format(time.RFC3339)}},
		"since ≥ until": {"since": {time.Now().Add(time.Hour).Format(time.RFC3339)}, "until": {time.Now().Format(time.RFC3339)}},
	} {
		if r := env.Do(http.MethodGet, "/v1/webhooks/"+id+"/stats?"+query.Encode(), env.A.Key, nil); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if r := env.Do(http.MethodGet, "/v1/webhooks/"+id+"/stats", env.B.Key, nil); r.Status != http.StatusNotFound {
		t.Fatalf("another tenant's stats: %d", r.Status)
	}
}
