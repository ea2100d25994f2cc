package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// oauth2 is throughput again, to as many endpoints behind OAuth2 client
// credentials (the receiver process is also their token endpoint), in the
// same run: what a token costs per delivery, and that attempts share it.
func (r *run) oauth2(ctx context.Context) error {
	secrets := map[string]string{}
	var ids []string
	for i := 0; i < r.o.Endpoints; i++ {
		name := "oauth" + strconv.Itoa(i)
		var ep endpoint
		err := r.api.do(ctx, "POST", "/v1/webhooks", map[string]any{
			"url": r.rcURL + "/auth/" + name, "events": []string{"comment.updated"},
			"auth": map[string]any{"type": "oauth2_client_credentials", "token_url": r.rcURL + "/token", "client_id": "bench", "client_secret": "bench-secret"},
		}, &ep)
		if err != nil {
			return fmt.Errorf("create OAuth2 endpoint: %w", err)
		}
		secrets[name] = ep.Secret
		ids = append(ids, ep.ID)
	}
	// Off again afterwards: later phases publish comment.updated too.
	defer func() {
		for _, id := range ids {
			_ = r.api.do(context.WithoutCancel(ctx), "PATCH", "/v1/webhooks/"+id, map[string]any{"is_active": false}, nil)
		}
	}()
	if err := r.rc.setSecrets(ctx, secrets); err != nil {
		return err
	}
	before, err := r.rc.stats(ctx, false)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := r.publishAll(ctx, "oauth-", "comment.updated", r.o.Events, 0); err != nil {
		return err
	}
	ds, err := r.waitDelivered(ctx, "oauth-", r.o.Events*r.o.Endpoints, 10*time.Minute)
	if err != nil {
		return err
	}
	after, err := r.rc.stats(ctx, false)
	if err != nil {
		return err
	}
	end := start
	for _, d := range ds {
		if d.completed.After(end) {
			end = d.completed
		}
	}
	r.rep.AuthOAuth2DeliveriesPerSecond = float64(len(ds)) / end.Sub(start).Seconds()
	r.rep.AuthOAuth2TokenFetches = after.TokenFetches - before.TokenFetches
	return nil
}
