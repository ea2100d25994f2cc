package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/stats"
)

type statsInput struct {
	EndpointPath
	Since  time.Time `query:"since" doc:"start of the window (RFC 3339, truncated to the bucket); default until − 24 h"`
	Until  time.Time `query:"until" doc:"end of the window (RFC 3339); default now"`
	Bucket string    `query:"bucket" enum:"1m,1h,1d" default:"1h" doc:"bucket size; a window spans at most 1,000 buckets"`
}

// StatsBucket is one bucket (or the window's totals) of an endpoint's stats.
type StatsBucket struct {
	Start      time.Time `json:"start"`
	Succeeded  int64     `json:"succeeded" doc:"deliveries that succeeded in this bucket"`
	Failed     int64     `json:"failed" doc:"deliveries that failed permanently"`
	DeadLetter int64     `json:"dead_letter" doc:"deliveries that ran out of retries"`
	Attempts   int64     `json:"attempts" doc:"attempts made"`
	P50Ms      float64   `json:"p50_ms" doc:"median attempt duration (from a histogram: interpolated within its bucket)"`
	P99Ms      float64   `json:"p99_ms"`
}

type statsOutput struct {
	Body struct {
		Buckets []StatsBucket `json:"buckets"`
		Totals  StatsBucket   `json:"totals"`
	}
}

func toStatsBucket(c stats.Counts) StatsBucket {
	return StatsBucket{Start: c.Start, Succeeded: c.Succeeded, Failed: c.Failed, DeadLetter: c.DeadLetter,
		Attempts: c.Attempts, P50Ms: c.P50Ms, P99Ms: c.P99Ms}
}

func (s *Server) registerStats() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "get-webhook-stats", Method: http.MethodGet, Path: "/webhooks/{endpoint_id}/stats",
		Summary: "Endpoint stats over time", Tags: []string{tagEndpoints},
		Description: "Deliveries finished by status, attempts and attempt-duration percentiles per bucket of " +
			"[since, until), from a rollup written as attempts finish (every bucket is listed, empty ones as zeros).",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.endpointStats)
}

func (s *Server) endpointStats(ctx context.Context, in *statsInput) (*statsOutput, error) {
	w, err := s.Stats.Get(ctx, callerFrom(ctx), in.EndpointID, in.Since, in.Until, in.Bucket)
	if err != nil {
		return nil, err
	}
	out := &statsOutput{}
	out.Body.Buckets = make([]StatsBucket, len(w.Buckets))
	for i, b := range w.Buckets {
		out.Body.Buckets[i] = toStatsBucket(b)
	}
	out.Body.Totals = toStatsBucket(w.Totals)
	return out, nil
}
