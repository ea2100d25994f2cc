package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/hooklinetest"
)

type seeded struct {
	id        string
	status    string
	eventType string
	created   time.Time
}

// seedDeliveries writes n deliveries straight into the log (no workflows):
// statuses and types cycle, created_at steps back a second each, with ties.
func seedDeliveries(t *testing.T, env *hooklinetest.Env, tenant uuid.UUID, endpointID string, n int) []seeded {
	t.Helper()
	ctx := context.Background()
	statuses := []string{"pending", "in_flight", "succeeded", "failed", "dead_letter"}
	types := []string{"comment.created", "comment.deleted", "member.joined"}
	base := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var out []seeded
	for i := 0; i < n; i++ {
		s := seeded{id: uuid.NewString(), status: statuses[i%5], eventType: types[i%3], created: base.Add(-time.Duration(i/2) * time.Second)}
		evID := fmt.Sprintf("seed_%d", i)
		if _, err := env.Pool.Exec(ctx, "INSERT INTO events (tenant_id, id, type, payload, occurred_at) VALUES ($1, $2, $3, '{}', now())", tenant, evID, s.eventType); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Pool.Exec(ctx, `INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.id, tenant, endpointID, evID, s.eventType, s.status, s.created); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestDeliveryPaginationWalksEveryFilterWithoutGapsOrRepeats(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	rows := seedDeliveries(t, env, env.A.ID, f.id, 250)
	after := time.Date(2026, 6, 1, 11, 59, 0, 0, time.UTC)
	before := time.Date(2026, 6, 1, 11, 59, 50, 0, time.UTC)

	for _, status := range []string{"", "pending", "failed", "dead_letter"} {
		for _, typ := range []string{"", "comment.created", "member.joined"} {
			for _, window := range []string{"", "after", "before", "both"} {
				for _, limit := range []int{7, 100} {
					name := fmt.Sprintf("status=%s/type=%s/window=%s/limit=%d", status, typ, window, limit)
					var want []string
					for _, r := range rows {
						if (status == "" || r.status == status) && (typ == "" || r.eventType == typ) &&
							(window != "after" && window != "both" || r.created.After(after)) &&
							(window != "before" && window != "both" || r.created.Before(before)) {
							want = append(want, r.id)
						}
					}
					q := url.Values{"limit": {fmt.Sprint(limit)}}
					if status != "" {
						q.Set("status", status)
					}
					if typ != "" {
						q.Set("event_type", typ)
					}
					if window == "after" || window == "both" {
						q.Set("after", after.Format(time.RFC3339))
					}
					if window == "before" || window == "both" {
						q.Set("before", before.Format(time.RFC3339))
					}
					got := walk(t, env, f.id, q)
					slices.Sort(want)
					gotSorted := slices.Clone(got)
					slices.Sort(gotSorted)
					if !slices.Equal(gotSorted, want) {
						t.Fatalf("%s: got %d ids, want %d", name, len(got), len(want))
					}
				}
			}
		}
	}
}

// walk follows next_cursor to the end, checking order and page sizes.
func walk(t *testing.T, env *hooklinetest.Env, endpointID string, q url.Values) []string {
	t.Helper()
	var ids []string
	var lastCreated time.Time
	limit := q.Get("limit")
	for pages := 0; ; pages++ {
		if pages > 300 {
			t.Fatal("pagination does not end")
		}
		r := env.Do(http.MethodGet, "/v1/webhooks/"+endpointID+"/deliveries?"+q.Encode(), env.A.Key, nil)
		var page deliveryPage
		if r.Status != http.StatusOK {
			t.Fatalf("page: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &page)
		if fmt.Sprint(len(page.Data)) != limit && page.NextCursor != nil {
			t.Fatalf("short page with a next cursor")
		}
		for _, d := range page.Data {
			if !lastCreated.IsZero() && d.CreatedAt.After(lastCreated) {
				t.Fatalf("not newest first")
			}
			lastCreated = d.CreatedAt
			ids = append(ids, d.ID.String())
		}
		if page.NextCursor == nil {
			return ids
		}
		q.Set("cursor", *page.NextCursor)
	}
}

func TestDeliveryListBadQueries(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	for q, want := range map[string]int{
		"?cursor=garbage!":                      http.StatusBadRequest,
		"?cursor=AAAA":                          http.StatusBadRequest,
		"?limit=0":                              http.StatusUnprocessableEntity,
		"?limit=101":                            http.StatusUnprocessableEntity,
		"?limit=1000000000000":                  http.StatusUnprocessableEntity,
		"?status=lost":                          http.StatusUnprocessableEntity,
		"?after=yesterday":                      http.StatusUnprocessableEntity,
		"?before=2026-13-01T00:00:00Z":          http.StatusUnprocessableEntity,
		"?after=2026-01-01T00:00:00Z&limit=100": http.StatusOK,
	} {
		r := env.Do(http.MethodGet, "/v1/webhooks/"+f.id+"/deliveries"+q, env.A.Key, nil)
		if r.Status != want {
			t.Errorf("%s: %d, want %d: %s", q, r.Status, want, r.Body)
		}
	}
	if r := env.Do(http.MethodGet, "/v1/webhooks/not-a-uuid/deliveries", env.A.Key, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("invalid endpoint id: %d %s", r.Status, r.Body)
	}
}

func TestPublishValidation(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	big := `{"type":"comment.created","payload":{"x":"` + strings.Repeat("a", 300<<10) + `"}}`
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"unknown type", `{"type":"nope","payload":{}}`, 422, "body.type"},
		{"reserved type", `{"type":"webhook.test","payload":{}}`, 422, "body.type"},
		{"payload not an object", `{"type":"comment.created","payload":[1,2]}`, 422, "body.payload"},
		{"payload missing", `{"type":"comment.created"}`, 422, "body"},
		{"bad occurred_at", `{"type":"comment.created","payload":{},"occurred_at":"monday"}`, 422, "body.occurred_at"},
		{"id with spaces", `{"id":"a b","type":"comment.created","payload":{}}`, 422, "body.id"},
		{"too large", big, 413, ""},
		{"malformed json", `{"type":`, 400, ""},
	}
	for _, tc := range tests {
		r := env.Do(http.MethodPost, "/v1/events", env.A.Key, tc.body)
		if r.Status != tc.status && !(tc.name == "malformed json" && r.Status == 422) {
			t.Errorf("%s: %d, want %d: %.300s", tc.name, r.Status, tc.status, r.Body)
		}
		if tc.field != "" && !strings.Contains(string(r.Body), `"location":"`+tc.field+`"`) {
			t.Errorf("%s: error does not name %s: %s", tc.name, tc.field, r.Body)
		}
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rejected publishes wrote %d events", n)
	}
	if r := env.Do(http.MethodPost, "/v1/events", env.NewKey(env.A.ID, "manage_webhooks"), `{"type":"comment.created","payload":{}}`); r.Status != http.StatusForbidden {
		t.Fatalf("publish without publish_events: %d", r.Status)
	}
}

// list-webhook-endpoints pages by keyset: every endpoint once, newest
// first, on every path; the default page holds a default quota's worth.
func TestEndpointListPages(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	var want []string
	for i := range 7 {
		ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": fmt.Sprintf("https://hooks.example.com/%d", i), "events": []string{"*"}})
		want = append([]string{ep.ID.String()}, want...) // newest first
	}
	type page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		NextCursor *string `json:"next_cursor"`
	}
	for _, p := range env.Paths(env.A) {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 4 {
				t.Fatalf("%s: too many pages", p.Name)
			}
			r := env.Do(http.MethodGet, p.Prefix+"/webhooks?limit=3&cursor="+url.QueryEscape(cursor), p.Token, nil)
			pg := decode[page](t, r)
			for _, e := range pg.Data {
				got = append(got, e.ID)
			}
			if pg.NextCursor == nil {
				break
			}
			cursor = *pg.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: pages gave %v, want %v", p.Name, got, want)
		}
		all := decode[page](t, env.Do(http.MethodGet, p.Prefix+"/webhooks", p.Token, nil))
		if len(all.Data) != len(want) || all.NextCursor != nil {
			t.Fatalf("%s: default page has %d endpoints, next %v", p.Name, len(all.Data), all.NextCursor)
		}
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?cursor=not-a-cursor"} {
		if r := env.Do(http.MethodGet, "/v1/webhooks"+q, env.A.Key, nil); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
	}
}
