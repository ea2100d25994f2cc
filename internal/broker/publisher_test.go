package broker

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The brokers of this machine (and of CI): NATS without auth, RabbitMQ
// with guest/guest.
const (
	natsHost = "127.0.0.1:4222"
	amqpHost = "127.0.0.1:5672"
	secret   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

func newPublisher(t *testing.T) *Publisher {
	p := &Publisher{Allowed: []string{natsHost, amqpHost}, Name: "hookline broker test"}
	t.Cleanup(p.Close)
	return p
}

func request(url string) Request {
	return Request{URL: url, MsgID: "msg_" + uuid.NewString(), Body: []byte(`{"type":"t","data":{"n":1}}`),
		Secrets: []string{secret}, Headers: map[string]string{"X-Team": "core"}}
}

// verify checks a message as a receiver would, with the official library.
func verify(t *testing.T, body []byte, get func(string) string) {
	t.Helper()
	h := http.Header{}
	for _, k := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		h.Set(k, get(k))
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("standardwebhooks rejected the message: %v (%v)", err, h)
	}
	if get("content-type") != "application/json" || get("X-Team") != "core" {
		t.Fatalf("headers: content-type %q, X-Team %q", get("content-type"), get("X-Team"))
	}
}

// natsStream makes a stream capturing a fresh subject, deleted at the end.
func natsStream(t *testing.T) (jetstream.Stream, string) {
	t.Helper()
	nc, err := nats.Connect("nats://" + natsHost)
	if err != nil {
		t.Fatalf("NATS at %s: %v", natsHost, err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	name := "HOOKLINE_BROKER_TEST_" + strings.ToUpper(strings.ReplaceAll(uuid.NewString()[:8], "-", ""))
	subject := "hookline-broker-test." + strings.ToLower(name)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })
	return s, subject
}

func TestNATSPublish(t *testing.T) {
	t.Parallel()
	p := newPublisher(t)
	stream, subject := natsStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := request("nats://" + natsHost + "/" + subject)
	out := p.Send(ctx, r)
	if !out.OK() || out.Class() != "acked" || !strings.Contains(out.Body, "stream "+stream.CachedInfo().Config.Name+" seq 1") {
		t.Fatalf("outcome: %+v", out)
	}
	want := []string{"content-type", "webhook-id", "webhook-signature", "webhook-timestamp", "x-team"}
	if !slices.Equal(out.Headers, want) {
		t.Fatalf("header names %v, want %v", out.Headers, want)
	}
	m, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, m.Data, m.Header.Get)
	if m.Header.Get("webhook-id") != r.MsgID || m.Header.Get(jetstream.MsgIDHeader) != r.MsgID {
		t.Fatalf("message ids: %v", m.Header)
	}
	// A retry of the same message (its ack lost) is not stored twice.
	if again := p.Send(ctx, r); !again.OK() || !strings.Contains(again.Body, "duplicate") {
		t.Fatalf("retry: %+v", again)
	}
	// A connection found closed is dialled again.
	cached, _ := p.conn(key(NATS, natsHost, credentials{}), nil)
	cached.(*natsConn).nc.Close()
	if out := p.Send(ctx, request(r.URL)); !out.OK() {
		t.Fatalf("after the connection closed: %+v", out)
	}
	// An attempt out of time is a timeout.
	expired, stop := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer stop()
	if out := p.Send(expired, request(r.URL)); out.OK() || out.Reason != "timeout" || !out.Retryable || out.Class() != "timeout" {
		t.Fatalf("expired: %+v", out)
	}
}

func TestNATSFailures(t *testing.T) {
	t.Parallel()
	p := newPublisher(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		name, url string
		reason    string
		retryable bool
		blocked   bool
	}{
		{"no stream", "nats://" + natsHost + "/hookline-broker-test.nostream." + uuid.NewString()[:8], "no JetStream stream captures the subject", true, false},
		{"host not listed", "nats://127.0.0.1:4223/x", BlockedReason, false, true},
		{"nothing listens", "nats://127.0.0.1:1/x", "", true, false},
		{"bad URL", "nats://h/a.*", "invalid broker URL", false, false},
	}
	p.Allowed = append(p.Allowed, "127.0.0.1:1")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := p.Send(ctx, request(tc.url))
			if out.OK() || out.Retryable != tc.retryable || out.Blocked != tc.blocked || (tc.reason != "" && out.Reason != tc.reason) || out.Reason == "" {
				t.Fatalf("outcome: %+v", out)
			}
			if strings.Contains(out.Reason, "nats://") || !out.BreakerFailure() && !tc.blocked && tc.retryable {
				t.Fatalf("reason %q quotes the URL, or the breaker ignores it", out.Reason)
			}
		})
	}
}

// amqpRoute declares a fresh exchange and a queue bound to it with a
// routing key, deleted at the end.
func amqpRoute(t *testing.T) (ch *amqp.Channel, exchange, queue, key string) {
	t.Helper()
	conn, err := amqp.Dial("amqp://guest:guest@" + amqpHost + "/")
	if err != nil {
		t.Fatalf("RabbitMQ at %s: %v", amqpHost, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if ch, err = conn.Channel(); err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()[:8]
	exchange, queue, key = "hookline-broker-test-"+id, "hookline-broker-test-"+id, "orders."+id
	if err := ch.ExchangeDeclare(exchange, "direct", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(queue, key, exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = ch.QueueDelete(queue, false, false, false)
		_ = ch.ExchangeDelete(exchange, false, false)
	})
	return ch, exchange, queue, key
}

func TestAMQPPublish(t *testing.T) {
	t.Parallel()
	p := newPublisher(t)
	ch, exchange, queue, rk := amqpRoute(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := request("amqp://" + amqpHost + "/" + exchange + "?routing_key=" + rk)
	r.Username, r.Password = "guest", "guest"
	out := p.Send(ctx, r)
	if !out.OK() || out.Class() != "acked" || out.Body != "amqp publisher confirm" || len(out.Headers) != 5 {
		t.Fatalf("outcome: %+v", out)
	}
	m, ok, err := ch.Get(queue, true)
	if err != nil || !ok {
		t.Fatalf("get: %v %v", ok, err)
	}
	verify(t, m.Body, func(k string) string { s, _ := m.Headers[k].(string); return s })
	if m.MessageId != r.MsgID || m.ContentType != "application/json" || m.DeliveryMode != amqp.Persistent {
		t.Fatalf("properties: %+v", m)
	}

	failures := []struct {
		name, url, reason string
	}{
		{"unroutable", "amqp://" + amqpHost + "/" + exchange + "?routing_key=nobody", "unroutable"},
		{"no exchange", "amqp://" + amqpHost + "/no-such-exchange-" + uuid.NewString()[:8] + "?routing_key=k", "the exchange does not exist (AMQP 404 NOT_FOUND)"},
		{"default exchange, no queue", "amqp://" + amqpHost + "/?routing_key=no-such-queue-" + uuid.NewString()[:8], "unroutable"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			f := request(tc.url)
			f.Username, f.Password = "guest", "guest"
			out := p.Send(ctx, f)
			if out.OK() || !out.Retryable || !strings.HasPrefix(out.Reason, tc.reason) || !out.BreakerFailure() {
				t.Fatalf("outcome: %+v", out)
			}
			// The connection (a fresh channel, where the broker closed one) still serves.
			if again := p.Send(ctx, r); !again.OK() {
				t.Fatalf("after %s: %+v", tc.name, again)
			}
		})
	}

	wrong := r
	wrong.Password = "not-the-password"
	if out := p.Send(ctx, wrong); out.OK() || out.Reason != "RabbitMQ refused the credentials" || strings.Contains(out.Reason, "not-the-password") {
		t.Fatalf("wrong password: %+v", out)
	}
	// A connection found closed is dialled again.
	cached, _ := p.conn(key(AMQP, amqpHost, credentials{"guest", "guest"}), nil)
	_ = cached.(*amqpConn).conn.Close()
	if out := p.Send(ctx, r); !out.OK() {
		t.Fatalf("after the connection closed: %+v", out)
	}
	p.Close()
	if out := p.Send(ctx, r); out.OK() || !out.Retryable || !strings.HasPrefix(out.Reason, "shutting down") {
		t.Fatalf("after Close: %+v", out)
	}
}
