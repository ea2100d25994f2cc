package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/hooklinetest"
)

type routing struct {
	EventID   string `json:"event_id"`
	Type      string `json:"type"`
	Endpoints []struct {
		EndpointID string  `json:"endpoint_id"`
		Matched    bool    `json:"matched"`
		Reason     string  `json:"reason"`
		DeliveryID *string `json:"delivery_id"`
	} `json:"endpoints"`
}

// Three endpoints with different channels and filters and an inactive one;
// 100 mixed events: each receiver gets exactly the events its rules admit
// (an oracle written independently of the filter package), publish counts
// the filtered ones, and routing explains every endpoint of every event.
func TestChannelsAndFiltersRouteEveryEvent(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	types := []string{"comment.created", "comment.updated"}
	type rule struct {
		body  map[string]any
		admit func(i int) (bool, string) // delivered, or the reason why not
	}
	chans := func(i int) []string {
		switch i % 3 {
		case 0:
			return []string{"eu"}
		case 1:
			return []string{"us"}
		}
		return nil
	}
	amount := func(i int) int { return i * 7 % 200 }
	gold := func(i int) bool { return i%5 == 0 }
	rules := map[string]rule{
		"eu-only": {map[string]any{"channels": []string{"eu"}}, func(i int) (bool, string) {
			return slices.Contains(chans(i), "eu"), "channels"
		}},
		"big": {map[string]any{"filter": map[string]any{"data": map[string]any{"amount": map[string]any{"$gte": 100}}}}, func(i int) (bool, string) {
			return amount(i) >= 100, "filter"
		}},
		"gold-or-updates": {map[string]any{"channels": []string{"us", "eu"},
			"filter": map[string]any{"$or": []any{map[string]any{"data": map[string]any{"tier": "gold"}}, map[string]any{"type": "comment.updated"}}}},
			func(i int) (bool, string) {
				if len(chans(i)) == 0 {
					return false, "channels"
				}
				return gold(i) || types[i%2] == "comment.updated", "filter"
			}},
		"off": {map[string]any{"is_active": false}, func(int) (bool, string) { return false, "inactive" }},
	}
	receivers := map[string]*hooklinetest.Receiver{}
	names := map[string]string{} // endpoint id → rule name
	for name, r := range rules {
		rc := hooklinetest.NewReceiver(t)
		body := map[string]any{"url": rc.URL, "events": types}
		maps.Copy(body, r.body)
		ep := createEndpoint(t, env, env.Paths(env.A)[0], body)
		rc.SetSecrets(ep.Secret)
		receivers[name], names[ep.ID.String()] = rc, name
	}

	want := map[string][]string{}
	total := 0
	for i := range 100 {
		id := fmt.Sprintf("evt_route_%03d", i)
		tier := "silver"
		if gold(i) {
			tier = "gold"
		}
		r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"id": id, "type": types[i%2], "channels": chans(i),
			"payload": map[string]any{"amount": amount(i), "tier": tier}})
		res := r.Map(t)
		filtered := 0
		for name, rl := range rules {
			if ok, reason := rl.admit(i); ok {
				want[name] = append(want[name], id)
				total++
			} else if reason != "inactive" {
				filtered++
			}
		}
		if r.Status != http.StatusAccepted || int(res["filtered"].(float64)) != filtered {
			t.Fatalf("publish %s: %d %s (want filtered %d)", id, r.Status, r.Body, filtered)
		}
	}
	env.Eventually(60*time.Second, fmt.Sprintf("%d deliveries", total), func() bool {
		n := 0
		for _, rc := range receivers {
			n += rc.Count()
		}
		return n >= total
	})
	for name, rc := range receivers {
		var got []string
		for _, req := range rc.Requests() {
			var ev struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(req.Body, &ev)
			got = append(got, ev.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want[name]) {
			t.Errorf("%s received %d events %v, want %d %v", name, len(got), got, len(want[name]), want[name])
		}
	}

	for i := range 100 {
		id := fmt.Sprintf("evt_route_%03d", i)
		rt := decode[routing](t, env.Do(http.MethodGet, "/v1/events/"+id+"/routing", env.A.Key, nil))
		if rt.EventID != id || rt.Type != types[i%2] || len(rt.Endpoints) != len(rules) {
			t.Fatalf("routing of %s: %s", id, show(rt))
		}
		for _, e := range rt.Endpoints {
			ok, reason := rules[names[e.EndpointID]].admit(i)
			if ok != e.Matched || (ok && (e.Reason != "matched" || e.DeliveryID == nil)) || (!ok && (e.Reason != reason || e.DeliveryID != nil)) {
				t.Fatalf("%s at %s: %s, want matched %v reason %s", id, names[e.EndpointID], show(e), ok, reason)
			}
		}
	}
	if r := env.Do(http.MethodGet, "/v1/events/evt_route_000/routing", env.B.Key, nil); r.Status != http.StatusNotFound {
		t.Fatalf("another tenant's routing: %d", r.Status)
	}
}

// Bad channels and filters are 422s naming the field (a filter by JSON
// pointer), on create, update, publish and test-filter; test-filter says
// which condition failed.
func TestFilterValidationAndTestFilter(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	for _, tc := range []struct {
		body     map[string]any
		location string
	}{
		{map[string]any{"filter": map[string]any{"data": map[string]any{"n": map[string]any{"$between": 1}}}}, "body.filter/data/n/$between"},
		{map[string]any{"filter": map[string]any{"$or": []any{map[string]any{"a": 1}, 5}}}, "body.filter/$or/1"},
		{map[string]any{"filter": map[string]any{"data": map[string]any{"s": map[string]any{"$regex": "("}}}}, "body.filter/data/s/$regex"},
		{map[string]any{"channels": []string{"ok", "not ok"}}, "body.channels[1]"},
	} {
		body := map[string]any{"url": "https://hooks.example.com/x", "events": []string{"*"}}
		maps.Copy(body, tc.body)
		r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, body)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"location":"`+tc.location+`"`) {
			t.Errorf("create %v: %d %s", tc.body, r.Status, r.Body)
		}
	}
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "https://hooks.example.com/x", "events": []string{"*"},
		"channels": []string{"eu", "eu", "b"}, "filter": map[string]any{"type": "comment.created"}})
	if !slices.Equal(ep.Channels, []string{"b", "eu"}) || !strings.Contains(string(ep.Filter), "comment.created") {
		t.Fatalf("created with channels %v filter %s", ep.Channels, ep.Filter)
	}
	id := ep.ID.String()
	if r := env.Do(http.MethodPatch, "/v1/webhooks/"+id, env.A.Key, map[string]any{"filter": map[string]any{"$not": 1}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), `"location":"body.filter/$not"`) {
		t.Fatalf("patch bad filter: %d %s", r.Status, r.Body)
	}
	r := env.Do(http.MethodPatch, "/v1/webhooks/"+id, env.A.Key, map[string]any{"filter": nil, "channels": []string{}})
	if m := r.Map(t); r.Status != http.StatusOK || m["filter"] != nil || len(m["channels"].([]any)) != 0 {
		t.Fatalf("patch filter null: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "channels": []string{"a/b"}, "payload": map[string]any{}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), `"location":"body.channels[0]"`) {
		t.Fatalf("publish bad channel: %d %s", r.Status, r.Body)
	}

	for _, p := range env.Paths(env.A) {
		try := func(data map[string]any) map[string]any {
			r := env.Do(http.MethodPost, p.Prefix+"/filters/test", p.Token, map[string]any{
				"filter": map[string]any{"data": map[string]any{"amount": map[string]any{"$gt": 100}}, "channels": "eu"},
				"event":  map[string]any{"type": "order.paid", "channels": []string{"eu"}, "data": data}})
			if r.Status != http.StatusOK {
				t.Fatalf("%s test-filter: %d %s", p.Name, r.Status, r.Body)
			}
			return r.Map(t)
		}
		if m := try(map[string]any{"amount": 150}); m["matched"] != true {
			t.Fatalf("%s: 150 > 100 did not match: %v", p.Name, m)
		}
		if m := try(map[string]any{"amount": 50}); m["matched"] != false || m["reason"] != "/data/amount/$gt" {
			t.Fatalf("%s: 50 > 100: %v", p.Name, m)
		}
		if m := try(map[string]any{}); m["matched"] != false || m["reason"] != "/data/amount/$gt" {
			t.Fatalf("%s: missing amount: %v", p.Name, m)
		}
	}
	if r := env.Do(http.MethodPost, "/v1/filters/test", env.A.Key, map[string]any{"filter": map[string]any{"x": map[string]any{"$in": 3}},
		"event": map[string]any{"type": "t", "data": map[string]any{}}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), `"location":"body.filter/x/$in"`) {
		t.Fatalf("test-filter bad filter: %d %s", r.Status, r.Body)
	}
}
