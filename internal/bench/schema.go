package bench

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// benchSchema describes samplePayload: what a careful producer would declare.
const benchSchema = `{"type":"object","required":["comment_id","thread_id","author","body","created_at"],
 "properties":{"comment_id":{"type":"string","pattern":"^c_[0-9]+$"},"thread_id":{"type":"string"},
  "author":{"type":"object","required":["id","name"],"properties":{"id":{"type":"string"},"name":{"type":"string","maxLength":200}}},
  "body":{"type":"string","maxLength":10000},"created_at":{"type":"string","format":"date-time"},
  "reactions":{"type":"array","items":{"type":"string"},"maxItems":50}},
 "additionalProperties":false}`

// schema measures the publish request itself at 50 events/s, alternating a
// type without a schema (comment.updated), one with a JSON Schema
// (comment.deleted, compiled once and cached) and one whose 50 endpoints
// each have a filter (reaction.added), so all three see the same load.
func (r *run) schema(ctx context.Context) error {
	ep, err := r.api.createEndpoint(ctx, r.rcURL+"/hook/schema", []string{"comment.updated", "comment.deleted"})
	if err != nil {
		return err
	}
	if err := r.rc.setSecrets(ctx, map[string]string{"schema": ep.Secret}); err != nil {
		return err
	}
	admin := newAPIClient(r.api.base, r.adminToken)
	if err := admin.do(ctx, http.MethodPut, "/admin/v1/event-types/comment.deleted", rawJSON(`{"schema":`+benchSchema+`}`), nil); err != nil {
		return err
	}
	// 50 endpoints with a filter on a third type: one matches, so a publish
	// of it makes one delivery, like the other two types.
	secrets := map[string]string{"schema": ep.Secret}
	var filtered []string
	for i := 0; i < filterEndpoints; i++ {
		prefix := "c_9"
		if i == 0 {
			prefix = "c_0"
		}
		var fe endpoint
		err := r.api.do(ctx, http.MethodPost, "/v1/webhooks", map[string]any{"url": r.rcURL + "/hook/filter", "events": []string{"reaction.added"},
			"filter": map[string]any{"type": "reaction.added", "data": map[string]any{"comment_id": map[string]any{"$startsWith": prefix},
				"author": map[string]any{"name": map[string]any{"$in": []string{"Ada", "Grace"}}}, "reactions": "rocket"}}}, &fe)
		if err != nil {
			return err
		}
		if i == 0 {
			secrets["filter"] = fe.Secret // only the matching one's deliveries arrive
		}
		filtered = append(filtered, fe.ID)
	}
	defer func() { // later phases publish reaction.added too
		for _, id := range filtered {
			_ = r.api.do(context.WithoutCancel(ctx), http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"is_active": false}, nil)
		}
	}()
	if err := r.rc.setSecrets(ctx, secrets); err != nil {
		return err
	}
	if _, err := r.publishLatency(ctx, "schema-warm-", 50); err != nil {
		return err
	}
	took, err := r.publishLatency(ctx, "schema-", 50*int(r.o.RateDuration/time.Second))
	if err != nil {
		return err
	}
	rep := r.rep
	rep.PublishP50Ms, rep.PublishP99Ms = percentile(took["comment.updated"], 50), percentile(took["comment.updated"], 99)
	rep.PublishSchemaP50Ms, rep.PublishSchemaP99Ms = percentile(took["comment.deleted"], 50), percentile(took["comment.deleted"], 99)
	rep.PublishFilterP50Ms, rep.PublishFilterP99Ms = percentile(took["reaction.added"], 50), percentile(took["reaction.added"], 99)
	return nil
}

// filterEndpoints is how many filtered endpoints reaction.added goes to.
const filterEndpoints = 50

// publishLatency publishes n events at 50/s, alternating the three types, and
// returns each publish request's duration by type.
func (r *run) publishLatency(ctx context.Context, prefix string, n int) (map[string][]time.Duration, error) {
	var mu sync.Mutex
	took := map[string][]time.Duration{}
	tick := time.NewTicker(time.Second / 50)
	defer tick.Stop()
	g, gctx := errgroup.WithContext(ctx)
	for i := 0; i < n; i++ {
		select {
		case <-gctx.Done():
			return nil, g.Wait()
		case <-tick.C:
		}
		typ := [3]string{"comment.updated", "comment.deleted", "reaction.added"}[i%3]
		g.Go(func() error {
			t := time.Now()
			if err := r.api.publish(gctx, prefix+strconv.Itoa(i), typ, samplePayload(i)); err != nil {
				return err
			}
			mu.Lock()
			took[typ] = append(took[typ], time.Since(t))
			mu.Unlock()
			return nil
		})
	}
	return took, g.Wait()
}
