package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The brokers the phase produces to (this machine's and CI's).
const (
	benchNATS = "nats://127.0.0.1:4222"
	benchAMQP = "amqp://guest:guest@127.0.0.1:5672/"
	// ingestType is published only by the brokers phase: no endpoint
	// subscribes, so the figures are the ingest path itself.
	ingestType = "bench.ingested"
)

func ingestEvents(quick bool) int {
	if quick {
		return 2000
	}
	return 10000
}

// brokers measures ingest (DESIGN §9.5): the same number of events through
// REST publish (Concurrency publishers), a NATS JetStream source and a
// RabbitMQ source of the dev child's worker, each from the first request or
// message to the last event committed. A broker that does not answer is
// skipped with a warning (its figure stays 0).
func (r *run) brokers(ctx context.Context) error {
	admin := newAPIClient(r.api.base, r.adminToken)
	if err := admin.do(ctx, http.MethodPut, "/admin/v1/event-types/"+ingestType,
		map[string]any{"description": "Ingest benchmark events (no subscribers)."}, nil); err != nil {
		return err
	}
	n := ingestEvents(r.o.Quick)
	r.rep.IngestEvents = n
	start := time.Now()
	if _, err := r.publishAll(ctx, "ingest-rest-", ingestType, n, 0); err != nil {
		return err
	}
	r.rep.RESTPublishEventsPerSecond = float64(n) / time.Since(start).Seconds()
	run := fmt.Sprint(time.Now().UnixNano())
	if rate, err := r.natsIngest(ctx, admin, run, n); err != nil {
		r.o.Log.Warn("bench: NATS ingest skipped", "err", err)
	} else {
		r.rep.NATSIngestEventsPerSecond = rate
	}
	if rate, err := r.rabbitIngest(ctx, admin, run, n); err != nil {
		r.o.Log.Warn("bench: RabbitMQ ingest skipped", "err", err)
	} else {
		r.rep.RabbitMQIngestEventsPerSecond = rate
	}
	return nil
}

// ingestBody is a publish body naming the bench tenant (unbound sources).
func (r *run) ingestBody(id string, i int) []byte {
	b, _ := json.Marshal(map[string]any{"tenant_id": r.tenantID, "id": id, "type": ingestType, "payload": samplePayload(i)})
	return b
}

func (r *run) natsIngest(ctx context.Context, admin *apiClient, run string, n int) (float64, error) {
	nc, err := nats.Connect(benchNATS)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	stream, subject, name := "BENCH_"+run, "hookline-bench."+run, "bench-nats-"+run
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{subject}}); err != nil {
		return 0, err
	}
	defer js.DeleteStream(context.WithoutCancel(ctx), stream) //nolint:errcheck // best effort
	if err := r.putSource(ctx, admin, name, map[string]any{"kind": "nats", "url": benchNATS, "subject": subject}); err != nil {
		return 0, err
	}
	prefix := "ingest-nats-" + run + "-"
	start := time.Now()
	for i := range n {
		if _, err := js.PublishAsync(subject, r.ingestBody(prefix+fmt.Sprint(i), i)); err != nil {
			return 0, err
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return r.waitIngested(ctx, prefix, n, start)
}

func (r *run) rabbitIngest(ctx context.Context, admin *apiClient, run string, n int) (float64, error) {
	conn, err := amqp.Dial(benchAMQP)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return 0, err
	}
	queue, name := "hookline-bench-"+run, "bench-rabbitmq-"+run
	if err := r.putSource(ctx, admin, name, map[string]any{"kind": "rabbitmq", "url": benchAMQP, "queue": queue}); err != nil {
		return 0, err
	}
	defer func() {
		_, _ = ch.QueueDelete(queue, false, false, false)
		_, _ = ch.QueueDelete(queue+".dead-letter", false, false, false)
	}()
	prefix := "ingest-rabbitmq-" + run + "-"
	start := time.Now()
	for i := range n {
		if err := ch.PublishWithContext(ctx, "", queue, false, false, amqp.Publishing{Body: r.ingestBody(prefix+fmt.Sprint(i), i)}); err != nil {
			return 0, err
		}
	}
	return r.waitIngested(ctx, prefix, n, start)
}

// putSource creates a source and waits until the dev child's worker
// consumes it (the queue is declared by then).
func (r *run) putSource(ctx context.Context, admin *apiClient, name string, body map[string]any) error {
	if err := admin.do(ctx, http.MethodPut, "/admin/v1/sources/"+name, body, nil); err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var s struct {
			Status    string `json:"status"`
			LastError string `json:"last_error"`
		}
		if err := admin.do(ctx, http.MethodGet, "/admin/v1/sources/"+name, nil, &s); err != nil {
			return err
		}
		if s.Status == "connected" {
			return nil
		}
	}
	return fmt.Errorf("source %s did not connect within 30 s", name)
}

// waitIngested waits until n events with ids prefix… are committed and
// returns events/s since start.
func (r *run) waitIngested(ctx context.Context, prefix string, n int, start time.Time) (float64, error) {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var got int
		if err := r.pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE id LIKE $1", prefix+"%").Scan(&got); err != nil {
			return 0, err
		}
		if got >= n {
			return float64(n) / time.Since(start).Seconds(), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d of %d events ingested after 10 minutes", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
