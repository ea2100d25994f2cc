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
// type without a schema (comment.updated) and one with a JSON Schema
// (comment.deleted, compiled once and cached), so both see the same load.
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
	return nil
}

// publishLatency publishes n events at 50/s, alternating the two types, and
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
		typ := [2]string{"comment.updated", "comment.deleted"}[i%2]
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
