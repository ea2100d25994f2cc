package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"
)

// Report is the bench's output; its JSON keys are flat and stable.
type Report struct {
	Events      int     `json:"events"`
	Endpoints   int     `json:"endpoints"`
	GoVersion   string  `json:"go_version"`
	CPUs        int     `json:"cpus"`
	Quick       bool    `json:"quick"`
	StartedAt   string  `json:"started_at"`
	DurationSec float64 `json:"duration_seconds"`

	Deliveries          int     `json:"deliveries"`
	DeliveriesPerSecond float64 `json:"deliveries_per_second"`
	// The oauth2 phase: the same run's throughput to endpoints behind
	// OAuth2 client credentials, and the tokens it fetched.
	AuthOAuth2DeliveriesPerSecond float64 `json:"auth_oauth2_deliveries_per_second"`
	AuthOAuth2TokenFetches        int64   `json:"auth_oauth2_token_fetches"`
	// The ordered phase: one ordered endpoint, events round-robin over 100
	// keys, then all on one key; deliveries/s from the first publish to the
	// last receipt, and receipts that arrived before an earlier-published
	// event of their key (both runs; must be 0).
	OrderedDeliveries100Keys          int     `json:"ordered_deliveries_100_keys"`
	OrderedDeliveriesPerSecond100Keys float64 `json:"ordered_deliveries_per_second_100_keys"`
	OrderedDeliveries1Key             int     `json:"ordered_deliveries_1_key"`
	OrderedDeliveriesPerSecond1Key    float64 `json:"ordered_deliveries_per_second_1_key"`
	OrderedOutOfOrder                 int     `json:"ordered_out_of_order"`
	// The brokers phase: the same number of events (no subscribers)
	// through REST publish and each kind of ingest source, events/s from
	// the first request or message to the last event committed.
	IngestEvents                  int     `json:"ingest_events"`
	RESTPublishEventsPerSecond    float64 `json:"rest_publish_events_per_second"`
	NATSIngestEventsPerSecond     float64 `json:"nats_ingest_events_per_second"`
	RabbitMQIngestEventsPerSecond float64 `json:"rabbitmq_ingest_events_per_second"`
	// The chaos phase: the split topology at ChaosRate deliveries/s under
	// a random fault every 1–3 minutes; lost must be 0. Per fault kind:
	// how often it struck, and the p99 publish → success delay of the
	// deliveries published while it lasted minus the baseline's (those
	// published with no fault about).
	ChaosDurationSec            float64 `json:"chaos_duration_seconds"`
	ChaosRate                   int     `json:"chaos_rate_events_per_second"`
	ChaosGapMinSec              float64 `json:"chaos_gap_min_seconds"`
	ChaosGapMaxSec              float64 `json:"chaos_gap_max_seconds"`
	ChaosDeliveries             int     `json:"chaos_deliveries"`
	ChaosDelivered              int     `json:"chaos_delivered"`
	ChaosLost                   int     `json:"chaos_lost"`
	ChaosDuplicates2xx          int     `json:"chaos_duplicate_receipts"`
	ChaosPublishRetries         int     `json:"chaos_publish_retries"`
	ChaosBaselineP99Ms          float64 `json:"chaos_baseline_p99_ms"`
	ChaosFaultsWorkerKill       int     `json:"chaos_faults_worker_kill"`
	ChaosAddedP99MsWorkerKill   float64 `json:"chaos_added_p99_ms_worker_kill"`
	ChaosFaultsConnKill         int     `json:"chaos_faults_connection_kill"`
	ChaosAddedP99MsConnKill     float64 `json:"chaos_added_p99_ms_connection_kill"`
	ChaosFaultsPGRestart        int     `json:"chaos_faults_postgres_restart"`
	ChaosAddedP99MsPGRestart    float64 `json:"chaos_added_p99_ms_postgres_restart"`
	ChaosFaultsTemporalStop     int     `json:"chaos_faults_temporal_stop"`
	ChaosAddedP99MsTemporalStop float64 `json:"chaos_added_p99_ms_temporal_stop"`
	ChaosFaultsReceiverHang     int     `json:"chaos_faults_receiver_hang"`
	ChaosAddedP99MsReceiverHang float64 `json:"chaos_added_p99_ms_receiver_hang"`
	ChaosFaultsReceiverFail     int     `json:"chaos_faults_receiver_fail"`
	ChaosAddedP99MsReceiverFail float64 `json:"chaos_added_p99_ms_receiver_fail"`
	// The traced phase: throughput with every span exported over OTLP.
	TracedDeliveriesPerSecond float64 `json:"traced_deliveries_per_second"`
	TracedSpanExports         int64   `json:"traced_span_exports"`
	// The stats phase: get-webhook-stats over a month of rollup rows.
	StatsDeliveries   int     `json:"stats_deliveries"`
	StatsP50Ms        float64 `json:"stats_p50_ms"`
	StatsP99Ms        float64 `json:"stats_p99_ms"`
	P50FirstAttemptMs float64 `json:"p50_first_attempt_ms"`
	P95FirstAttemptMs float64 `json:"p95_first_attempt_ms"`
	P99FirstAttemptMs float64 `json:"p99_first_attempt_ms"`
	P50SucceededMs    float64 `json:"p50_succeeded_ms"`
	P95SucceededMs    float64 `json:"p95_succeeded_ms"`
	P99SucceededMs    float64 `json:"p99_succeeded_ms"`
	CPUSeconds        float64 `json:"cpu_seconds"`
	// Cost of one delivery in the full-speed phase.
	CPUMsPerDelivery             float64 `json:"cpu_ms_per_delivery"` // the hookline process (API, worker, embedded Temporal)
	CPUMsPerDeliveryHookline     float64 `json:"cpu_ms_per_delivery_hookline"`
	CPUMsPerDeliveryPostgres     float64 `json:"cpu_ms_per_delivery_postgres"`
	HistoryEventsPerDelivery     float64 `json:"history_events_per_delivery"`
	HistoryWritesPerDelivery     float64 `json:"history_writes_per_delivery"`    // rows written to history_node
	VisibilityWritesPerDelivery  float64 `json:"visibility_writes_per_delivery"` // rows written to executions_visibility
	TemporalRowWritesPerDelivery float64 `json:"temporal_row_writes_per_delivery"`
	BytesPerDeliveryHookline     float64 `json:"bytes_per_delivery_hookline"`
	BytesPerDeliveryTemporal     float64 `json:"bytes_per_delivery_temporal"`
	PeakRSSMB                    float64 `json:"peak_rss_mb"`
	Duplicates                   int     `json:"duplicates"`
	BadSignatures                int     `json:"bad_signatures"`

	FloorWorkflows          int     `json:"floor_workflows"`
	FloorWorkflowsPerSecond float64 `json:"floor_workflows_per_second"`
	RatioToFloor            float64 `json:"ratio_to_floor"`
	FloorHistoryEvents      float64 `json:"floor_history_events_per_workflow"`
	FloorHistoryWrites      float64 `json:"floor_history_writes_per_workflow"`
	FloorVisibilityWrites   float64 `json:"floor_visibility_writes_per_workflow"`
	FloorCPUMsPerWorkflow   float64 `json:"floor_cpu_ms_per_workflow"` // hookline process (server) + bench process (worker)
	FloorCPUMsPostgres      float64 `json:"floor_cpu_ms_per_workflow_postgres"`
	FloorBytesTemporal      float64 `json:"floor_bytes_per_workflow_temporal"`

	RateEventsPerSecond     int     `json:"rate_events_per_second"`
	RateDeliveriesPerSecond int     `json:"rate_deliveries_per_second"`
	RateDeliveries          int     `json:"rate_deliveries"`
	RateP50FirstAttemptMs   float64 `json:"rate_p50_first_attempt_ms"`
	RateP95FirstAttemptMs   float64 `json:"rate_p95_first_attempt_ms"`
	RateP99FirstAttemptMs   float64 `json:"rate_p99_first_attempt_ms"`
	RateP99SucceededMs      float64 `json:"rate_p99_succeeded_ms"`

	PublishP50Ms       float64 `json:"publish_p50_ms"`
	PublishP99Ms       float64 `json:"publish_p99_ms"`
	PublishSchemaP50Ms float64 `json:"publish_schema_p50_ms"`
	PublishSchemaP99Ms float64 `json:"publish_schema_p99_ms"`
	// A type whose 50 endpoints each have a filter (one matches).
	PublishFilterP50Ms float64 `json:"publish_filter_p50_ms"`
	PublishFilterP99Ms float64 `json:"publish_filter_p99_ms"`

	BaselineDeliveriesPerSecond        float64 `json:"baseline_deliveries_per_second"`
	DurableBaselineDeliveriesPerSecond float64 `json:"durable_baseline_deliveries_per_second"`
	RatioToBaseline                    float64 `json:"ratio_to_baseline"`
	RatioToDurableBaseline             float64 `json:"ratio_to_durable_baseline"`

	ListRows              int     `json:"list_rows"`
	ListFirstPageP50Ms    float64 `json:"list_first_page_p50_ms"`
	ListFirstPageP99Ms    float64 `json:"list_first_page_p99_ms"`
	ListDeepPageP50Ms     float64 `json:"list_deep_page_p50_ms"`
	ListDeepPageP99Ms     float64 `json:"list_deep_page_p99_ms"`
	ListStatusP99Ms       float64 `json:"list_status_filter_p99_ms"`
	ListEventTypeP99Ms    float64 `json:"list_event_type_filter_p99_ms"`
	ListDeepFilteredP99Ms float64 `json:"list_deep_filtered_p99_ms"`

	NoisySoloP50Ms   float64 `json:"noisy_solo_p50_ms"`
	NoisySoloP99Ms   float64 `json:"noisy_solo_p99_ms"`
	NoisyP50Ms       float64 `json:"noisy_p50_ms"`
	NoisyP99Ms       float64 `json:"noisy_p99_ms"`
	NoisyBurstP50Ms  float64 `json:"noisy_burst_p50_ms"`
	NoisyBurstP99Ms  float64 `json:"noisy_burst_p99_ms"`
	NoisyOutstanding int     `json:"noisy_outstanding"`
	NoisyInFlight    int     `json:"noisy_in_flight"` // tenant A's attempts running (hanging) at the end

	TopologyDeliveries           int     `json:"topology_deliveries"`
	TopologyLost                 int     `json:"topology_lost"`
	TopologyDuplicates           int     `json:"topology_duplicates"`
	TopologyBadSignatures        int     `json:"topology_bad_signatures"`
	TopologyDeliveriesPerSecond  float64 `json:"topology_deliveries_per_second"`
	TopologyKilledAfter          int     `json:"topology_killed_after"` // deliveries succeeded when worker 1 was SIGKILLed
	TopologyRecoverySeconds      float64 `json:"topology_recovery_seconds"`
	TopologyAttemptsKilledWorker int     `json:"topology_attempts_killed_worker"`
	TopologyAttemptsSurvivor     int     `json:"topology_attempts_surviving_worker"`

	SoakSeconds             float64      `json:"soak_seconds"`
	SoakDeliveries          int          `json:"soak_deliveries"`
	SoakRetentionSeconds    float64      `json:"soak_retention_seconds"`
	SoakDeliveredSecondHalf int          `json:"soak_delivered_second_half"`
	SoakHooklineMBMid       float64      `json:"soak_hookline_mb_mid"`
	SoakHooklineMBEnd       float64      `json:"soak_hookline_mb_end"`
	SoakTemporalMBMid       float64      `json:"soak_temporal_mb_mid"`
	SoakTemporalMBEnd       float64      `json:"soak_temporal_mb_end"`
	SoakVacuum              string       `json:"soak_vacuum,omitempty"` // "autovacuum", or "bench" when the server has it off
	SoakSeries              []SoakSample `json:"soak_series,omitempty"`

	ParkedRetries    int     `json:"parked_retries"`
	ParkedCPUPercent float64 `json:"parked_cpu_percent"`
	ParkedRSSMB      float64 `json:"parked_rss_mb"`
	ParkedWindowSec  float64 `json:"parked_window_seconds"`
}

func newReport(o Options) *Report {
	return &Report{
		Events: o.Events, Endpoints: o.Endpoints, GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		Quick: o.Quick, StartedAt: time.Now().UTC().Format(time.RFC3339),
	}
}

// Print writes the human table.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	fmt.Fprintf(tw, "\nHookline bench (%s, %d CPUs, %d events × %d endpoints%s)\n", r.GoVersion, r.CPUs, r.Events, r.Endpoints, map[bool]string{true: ", quick"}[r.Quick])
	if r.Deliveries > 0 {
		fmt.Fprintln(tw, "\nDelivery, full speed")
		row("deliveries", fmt.Sprintf("%d (duplicates %d, bad signatures %d)", r.Deliveries, r.Duplicates, r.BadSignatures))
		row("throughput", fmt.Sprintf("%.0f deliveries/s", r.DeliveriesPerSecond))
		row("publish → first attempt", fmt.Sprintf("p50 %.1f ms  p95 %.1f ms  p99 %.1f ms", r.P50FirstAttemptMs, r.P95FirstAttemptMs, r.P99FirstAttemptMs))
		row("publish → succeeded", fmt.Sprintf("p50 %.1f ms  p95 %.1f ms  p99 %.1f ms", r.P50SucceededMs, r.P95SucceededMs, r.P99SucceededMs))
		row("hookline process", fmt.Sprintf("%.1f CPU-s, peak RSS %.0f MiB", r.CPUSeconds, r.PeakRSSMB))
		row("per delivery: CPU", fmt.Sprintf("hookline %.2f ms, postgres %.2f ms", r.CPUMsPerDeliveryHookline, r.CPUMsPerDeliveryPostgres))
		row("per delivery: Temporal", fmt.Sprintf("%.1f history events, %.1f history rows, %.1f visibility rows, %.1f rows in all",
			r.HistoryEventsPerDelivery, r.HistoryWritesPerDelivery, r.VisibilityWritesPerDelivery, r.TemporalRowWritesPerDelivery))
		row("per delivery: storage", fmt.Sprintf("hookline %.0f B, temporal %.0f B", r.BytesPerDeliveryHookline, r.BytesPerDeliveryTemporal))
	}
	if r.IngestEvents > 0 {
		fmt.Fprintf(tw, "\nIngest: %d events each way (no subscribers)\n", r.IngestEvents)
		row("REST publish", fmt.Sprintf("%.0f events/s", r.RESTPublishEventsPerSecond))
		row("NATS JetStream source", fmt.Sprintf("%.0f events/s", r.NATSIngestEventsPerSecond))
		row("RabbitMQ source", fmt.Sprintf("%.0f events/s", r.RabbitMQIngestEventsPerSecond))
	}
	if r.ChaosDeliveries > 0 {
		fmt.Fprintf(tw, "\nChaos: split topology, %d events/s for %.0f s, a random fault every %.0f–%.0f s\n",
			r.ChaosRate, r.ChaosDurationSec, r.ChaosGapMinSec, r.ChaosGapMaxSec)
		row("deliveries", fmt.Sprintf("%d published, %d delivered, %d lost, %d received twice (2xx), %d publish retries",
			r.ChaosDeliveries, r.ChaosDelivered, r.ChaosLost, r.ChaosDuplicates2xx, r.ChaosPublishRetries))
		row("p99 publish → success, no fault", fmt.Sprintf("%.0f ms", r.ChaosBaselineP99Ms))
		for _, k := range r.chaosKinds() {
			if *k.faults > 0 {
				row(k.kind, fmt.Sprintf("%d faults, p99 +%.0f ms", *k.faults, *k.addedP99))
			}
		}
	}
	if r.OrderedDeliveries100Keys+r.OrderedDeliveries1Key > 0 {
		fmt.Fprintln(tw, "\nOrdered delivery: one ordered endpoint (default max_in_flight), each key's events published in turn")
		ordered := func(n int, perSec float64) string {
			s := fmt.Sprintf("%.0f deliveries/s (%d)", perSec, n)
			if r.DeliveriesPerSecond > 0 {
				s += fmt.Sprintf(", %.2f × unordered", perSec/r.DeliveriesPerSecond)
			}
			return s
		}
		row("100 keys", ordered(r.OrderedDeliveries100Keys, r.OrderedDeliveriesPerSecond100Keys))
		row("1 key", ordered(r.OrderedDeliveries1Key, r.OrderedDeliveriesPerSecond1Key))
		row("out of order", fmt.Sprintf("%d receipts before an earlier-published one of their key", r.OrderedOutOfOrder))
	}
	if r.TracedDeliveriesPerSecond > 0 {
		fmt.Fprintln(tw, "\nDelivery with OpenTelemetry tracing on (every span exported over OTLP/HTTP), full speed")
		row("throughput", fmt.Sprintf("%.0f deliveries/s (%.2f × untraced), %d OTLP exports", r.TracedDeliveriesPerSecond,
			r.TracedDeliveriesPerSecond/max(r.DeliveriesPerSecond, 1), r.TracedSpanExports))
	}
	if r.StatsP99Ms > 0 {
		fmt.Fprintf(tw, "\nget-webhook-stats over %d deliveries (a month of per-minute rollup rows)\n", r.StatsDeliveries)
		row("day by hour, hour by minute, month by day", fmt.Sprintf("p50 %.1f ms  p99 %.1f ms", r.StatsP50Ms, r.StatsP99Ms))
	}
	if r.AuthOAuth2DeliveriesPerSecond > 0 {
		fmt.Fprintln(tw, "\nDelivery to endpoints behind OAuth2 client credentials, full speed")
		row("throughput", fmt.Sprintf("%.0f deliveries/s (%.2f × plain), %d token fetches", r.AuthOAuth2DeliveriesPerSecond,
			r.AuthOAuth2DeliveriesPerSecond/max(r.DeliveriesPerSecond, 1), r.AuthOAuth2TokenFetches))
	}
	if r.FloorWorkflows > 0 {
		fmt.Fprintln(tw, "\nTemporal floor: trivial workflows (eager start, one no-op local activity) on the same server")
		row("throughput", fmt.Sprintf("%.0f workflows/s (%d)  Hookline/floor %.2f", r.FloorWorkflowsPerSecond, r.FloorWorkflows, r.RatioToFloor))
		row("per workflow", fmt.Sprintf("%.1f history events, %.1f history rows, %.1f visibility rows; CPU %.2f ms (+ postgres %.2f ms); %.0f B",
			r.FloorHistoryEvents, r.FloorHistoryWrites, r.FloorVisibilityWrites, r.FloorCPUMsPerWorkflow, r.FloorCPUMsPostgres, r.FloorBytesTemporal))
	}
	if r.RateDeliveries > 0 {
		fmt.Fprintf(tw, "\nDelivery at a fixed rate: %d events/s = %d deliveries/s\n", r.RateEventsPerSecond, r.RateDeliveriesPerSecond)
		row("publish → first attempt", fmt.Sprintf("p50 %.1f ms  p95 %.1f ms  p99 %.1f ms (%d deliveries)", r.RateP50FirstAttemptMs, r.RateP95FirstAttemptMs, r.RateP99FirstAttemptMs, r.RateDeliveries))
		row("publish → succeeded", fmt.Sprintf("p99 %.1f ms", r.RateP99SucceededMs))
	}
	if r.PublishP99Ms > 0 {
		fmt.Fprintln(tw, "\nPublish request at 50 events/s")
		row("type without a schema", fmt.Sprintf("p50 %.1f ms  p99 %.1f ms", r.PublishP50Ms, r.PublishP99Ms))
		row("type with a JSON Schema", fmt.Sprintf("p50 %.1f ms  p99 %.1f ms", r.PublishSchemaP50Ms, r.PublishSchemaP99Ms))
		row("type with 50 filtered endpoints", fmt.Sprintf("p50 %.1f ms  p99 %.1f ms", r.PublishFilterP50Ms, r.PublishFilterP99Ms))
	}
	if r.BaselineDeliveriesPerSecond > 0 {
		fmt.Fprintln(tw, "\nBaselines (same receiver, same signed payloads)")
		row("plain Go pool, no persistence", fmt.Sprintf("%.0f deliveries/s  (Hookline/plain %.2f)", r.BaselineDeliveriesPerSecond, r.RatioToBaseline))
		row("durable Postgres queue", fmt.Sprintf("%.0f deliveries/s  (Hookline/durable %.2f)", r.DurableBaselineDeliveriesPerSecond, r.RatioToDurableBaseline))
	}
	if r.ListRows > 0 {
		fmt.Fprintf(tw, "\nDelivery log, %d rows on one endpoint (GET via the API)\n", r.ListRows)
		row("first page", fmt.Sprintf("p50 %.2f ms  p99 %.2f ms", r.ListFirstPageP50Ms, r.ListFirstPageP99Ms))
		row("deep page (cursor)", fmt.Sprintf("p50 %.2f ms  p99 %.2f ms", r.ListDeepPageP50Ms, r.ListDeepPageP99Ms))
		row("status filter", fmt.Sprintf("p99 %.2f ms", r.ListStatusP99Ms))
		row("event_type filter", fmt.Sprintf("p99 %.2f ms", r.ListEventTypeP99Ms))
		row("deep page, both filters", fmt.Sprintf("p99 %.2f ms", r.ListDeepFilteredP99Ms))
	}
	if r.ParkedRetries > 0 {
		fmt.Fprintln(tw, "\nParked retries (receiver answers 503)")
		row("waiting on timers", fmt.Sprintf("%d", r.ParkedRetries))
		row("hookline process", fmt.Sprintf("%.1f %% CPU over %.0f s, RSS %.0f MiB", r.ParkedCPUPercent, r.ParkedWindowSec, r.ParkedRSSMB))
	}
	if len(r.SoakSeries) > 0 {
		fmt.Fprintf(tw, "\nStorage soak: %d deliveries over %.0f s, retention %.0f s (Hookline and Temporal), vacuum by %s\n",
			r.SoakDeliveries, r.SoakSeconds, r.SoakRetentionSeconds, r.SoakVacuum)
		row("half-way → end", fmt.Sprintf("hookline %.1f → %.1f MiB, temporal %.1f → %.1f MiB while %d more were delivered",
			r.SoakHooklineMBMid, r.SoakHooklineMBEnd, r.SoakTemporalMBMid, r.SoakTemporalMBEnd, r.SoakDeliveredSecondHalf))
		for _, s := range r.SoakSeries {
			row(fmt.Sprintf("  t=%4.0f s", s.Seconds), fmt.Sprintf("delivered %6d  live rows %6d  hookline %6.1f MiB  temporal %6.1f MiB (%d executions)",
				s.Delivered, s.LiveRows, s.HooklineMB, s.TemporalMB, s.TemporalLiveW))
		}
	}
	if r.TopologyDeliveries > 0 {
		fmt.Fprintln(tw, "\nSplit topology: temporal, serve, 2 workers as processes; worker 1 SIGKILLed mid-run")
		row("deliveries", fmt.Sprintf("%d, lost %d, duplicates %d, bad signatures %d, %.0f deliveries/s",
			r.TopologyDeliveries, r.TopologyLost, r.TopologyDuplicates, r.TopologyBadSignatures, r.TopologyDeliveriesPerSecond))
		row("attempts by worker", fmt.Sprintf("killed after %d succeeded: %d; survivor %d; kill → all succeeded %.1f s",
			r.TopologyKilledAfter, r.TopologyAttemptsKilledWorker, r.TopologyAttemptsSurvivor, r.TopologyRecoverySeconds))
	}
	if r.NoisySoloP99Ms > 0 {
		fmt.Fprintf(tw, "\nNoisy neighbour: tenant B publish → delivered while tenant A has %d outstanding (%d attempts hanging)\n", r.NoisyOutstanding, r.NoisyInFlight)
		row("tenant B alone", fmt.Sprintf("p50 %.1f ms  p99 %.1f ms", r.NoisySoloP50Ms, r.NoisySoloP99Ms))
		row("tenant B beside A", fmt.Sprintf("p50 %.1f ms  p99 %.1f ms", r.NoisyP50Ms, r.NoisyP99Ms))
		row("tenant B during A's burst", fmt.Sprintf("p50 %.1f ms  p99 %.1f ms", r.NoisyBurstP50Ms, r.NoisyBurstP99Ms))
	}
	fmt.Fprintf(tw, "\ntotal %.0f s\n", r.DurationSec)
	_ = tw.Flush()
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// percentile of durations in milliseconds (nearest rank).
func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}

// chaosFigures point at one fault kind's report fields.
type chaosFigures struct {
	faults   *int
	addedP99 *float64
	kind     string
}

// chaosKinds are the chaos phase's fault kinds with their report fields.
func (r *Report) chaosKinds() []chaosFigures {
	return []chaosFigures{
		{&r.ChaosFaultsWorkerKill, &r.ChaosAddedP99MsWorkerKill, "worker_kill"},
		{&r.ChaosFaultsConnKill, &r.ChaosAddedP99MsConnKill, "connection_kill"},
		{&r.ChaosFaultsPGRestart, &r.ChaosAddedP99MsPGRestart, "postgres_restart"},
		{&r.ChaosFaultsTemporalStop, &r.ChaosAddedP99MsTemporalStop, "temporal_stop"},
		{&r.ChaosFaultsReceiverHang, &r.ChaosAddedP99MsReceiverHang, "receiver_hang"},
		{&r.ChaosFaultsReceiverFail, &r.ChaosAddedP99MsReceiverFail, "receiver_fail"},
	}
}

// chaosKind is kind's report fields (fields of no report for an unknown one).
func (r *Report) chaosKind(kind string) chaosFigures {
	for _, f := range r.chaosKinds() {
		if f.kind == kind {
			return f
		}
	}
	return chaosFigures{faults: new(int), addedP99: new(float64), kind: kind}
}
