package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/cursor"
)

const pagingSamples = 200

// paging bulk-loads PagingRows deliveries for one endpoint with COPY, then
// times list-webhook-deliveries through the API: the first page, a page deep
// in the history by cursor, and filtered pages. Keyset pagination should make
// the deep page cost what the first does.
func (r *run) paging(ctx context.Context) error {
	ep, err := r.api.createEndpoint(ctx, r.rcURL+"/hook/paging", []string{"reaction.added"})
	if err != nil {
		return err
	}
	tenant, endpoint := uuid.MustParse(r.tenantID), uuid.MustParse(ep.ID)
	types := []string{"comment.created", "comment.deleted", "member.joined"}
	statuses := []string{"succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed", "dead_letter", "in_flight", "succeeded"}
	for i, typ := range types {
		if _, err := r.pool.Exec(ctx, "INSERT INTO events (tenant_id, id, type, payload, occurred_at) VALUES ($1, $2, $3, '{}', now())",
			tenant, "page-ev-"+strconv.Itoa(i), typ); err != nil {
			return err
		}
	}
	base := time.Now().Add(-time.Hour)
	n := r.o.PagingRows
	i := 0
	_, err = r.pool.CopyFrom(ctx, pgx.Identifier{"deliveries"},
		[]string{"id", "tenant_id", "endpoint_id", "event_id", "event_type", "status", "attempt_count", "created_at", "updated_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			t := base.Add(-time.Duration(i) * time.Second)
			row := []any{uuid.New(), tenant, endpoint, "page-ev-" + strconv.Itoa(i%3), types[i%3], statuses[(i/3)%len(statuses)], 1, t, t}
			i++
			return row, nil
		}))
	if err != nil {
		return err
	}
	if _, err := r.pool.Exec(ctx, "ANALYZE deliveries"); err != nil {
		return err
	}
	r.rep.ListRows = n

	cursorAt := func(filter string, args []any, offset int) (string, error) {
		var at time.Time
		var id uuid.UUID
		q := "SELECT created_at, id FROM deliveries WHERE endpoint_id = $1 " + filter + " ORDER BY created_at DESC, id DESC OFFSET " + strconv.Itoa(offset) + " LIMIT 1"
		err := r.pool.QueryRow(ctx, q, append([]any{endpoint}, args...)...).Scan(&at, &id)
		return cursor.Cursor{CreatedAt: at, ID: id}.String(), err
	}
	deep, err := cursorAt("", nil, n/2)
	if err != nil {
		return err
	}
	deepFiltered, err := cursorAt("AND status = $2 AND event_type = $3", []any{"failed", "comment.deleted"}, n/60)
	if err != nil {
		return err
	}
	path := "/v1/webhooks/" + ep.ID + "/deliveries?"
	cases := []struct {
		q        url.Values
		p50, p99 *float64
	}{
		{url.Values{}, &r.rep.ListFirstPageP50Ms, &r.rep.ListFirstPageP99Ms},
		{url.Values{"cursor": {deep}}, &r.rep.ListDeepPageP50Ms, &r.rep.ListDeepPageP99Ms},
		{url.Values{"status": {"failed"}}, nil, &r.rep.ListStatusP99Ms},
		{url.Values{"event_type": {"comment.deleted"}}, nil, &r.rep.ListEventTypeP99Ms},
		{url.Values{"status": {"failed"}, "event_type": {"comment.deleted"}, "cursor": {deepFiltered}}, nil, &r.rep.ListDeepFilteredP99Ms},
	}
	for _, c := range cases {
		var page struct {
			Data []struct{} `json:"data"`
		}
		var ds []time.Duration
		for k := 0; k < pagingSamples+20; k++ {
			t := time.Now()
			if err := r.api.do(ctx, http.MethodGet, path+c.q.Encode(), nil, &page); err != nil {
				return err
			}
			if k >= 20 { // the first 20 warm caches and plans
				ds = append(ds, time.Since(t))
			}
		}
		if len(page.Data) == 0 {
			return fmt.Errorf("empty page for %v", c.q)
		}
		if c.p50 != nil {
			*c.p50 = percentile(ds, 50)
		}
		*c.p99 = percentile(ds, 99)
	}
	return nil
}
