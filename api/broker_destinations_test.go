package api_test

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

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
)

// The brokers endpoints may deliver to in these tests (this machine's,
// and CI's).
const (
	destNATS = "127.0.0.1:4222"
	destAMQP = "127.0.0.1:5672"
)

func brokerEnv(t *testing.T) *hooklinetest.Env {
	return hooklinetest.New(t, hooklinetest.Options{BrokerDestinations: []string{destNATS, destAMQP}})
}

// verifyMessage checks a broker message as a consumer would, with the
// official Standard Webhooks library, and returns its webhook-id.
func verifyMessage(t *testing.T, secret string, body []byte, header func(string) string) string {
	t.Helper()
	h := http.Header{}
	for _, k := range []string{"webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "X-Team"} {
		h.Set(k, header(k))
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("the official standardwebhooks library rejected the message: %v (%v)", err, h)
	}
	if h.Get("content-type") != "application/json" || h.Get("X-Team") != "core" || !strings.Contains(string(body), `"data":{"n":1}`) {
		t.Fatalf("message: %v %s", h, body)
	}
	return h.Get("webhook-id")
}

// checkAttempt checks the attempt of a delivery acked by a broker: no HTTP
// status, the ack described, the header names listed.
func checkAttempt(t *testing.T, env *hooklinetest.Env, endpointID, deliveryID, ack string) {
	t.Helper()
	det := deliveryDetail(t, env, env.A, endpointID, deliveryID)
	if len(det.Attempts) != 1 {
		t.Fatalf("attempts: %s", show(det.Attempts))
	}
	at := det.Attempts[0]
	if at.StatusCode != nil || at.Error != nil || at.ResponseBody == nil || !strings.HasPrefix(*at.ResponseBody, ack) {
		t.Fatalf("attempt: %s", show(at))
	}
	for _, want := range []string{"content-type", "webhook-id", "webhook-signature", "webhook-timestamp", "x-team"} {
		if !slices.Contains(at.RequestHeaders, want) {
			t.Fatalf("attempt request_headers %v lack %s", at.RequestHeaders, want)
		}
	}
}

func TestBrokerDestinationNATS(t *testing.T) {
	t.Parallel()
	env := brokerEnv(t)
	nc, err := nats.Connect("nats://" + destNATS)
	if err != nil {
		t.Fatalf("NATS at %s: %v", destNATS, err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	name := "HOOKLINE_DEST_" + strings.ToUpper(strings.ReplaceAll(uuid.NewString()[:8], "-", ""))
	subject := "hookline-dest-test." + strings.ToLower(name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })

	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{
		"url": "NATS://127.0.0.1/" + subject, "events": []string{"*"}, "headers": map[string]any{"X-Team": "core"},
	})
	if want := "nats://127.0.0.1:4222/" + subject; ep.URL != want {
		t.Fatalf("url stored as %q, want %q", ep.URL, want)
	}
	id := ep.ID.String()
	d := publishOne(t, env, env.A, id)
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)

	m, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := verifyMessage(t, ep.Secret, m.Data, m.Header.Get); got != d.ID.String() {
		t.Fatalf("webhook-id %q is not the delivery id %s", got, d.ID)
	}
	checkAttempt(t, env, id, d.ID.String(), "jetstream ack: stream "+name+" seq 1")
	if ds := deliveriesOf(t, env, env.A, id, ""); len(ds) != 1 || ds[0].LastStatusCode != nil || ds[0].CompletedAt == nil {
		t.Fatalf("delivery: %s", show(ds))
	}

	// A broker cannot answer a challenge: verification is refused, and
	// says what to do instead.
	r := env.Do(http.MethodPost, "/v1/webhooks/"+id+"/verify", env.A.Key, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "test-webhook-endpoint") {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
}

func TestBrokerDestinationRabbitMQ(t *testing.T) {
	t.Parallel()
	env := brokerEnv(t)
	conn, err := amqp.Dial("amqp://guest:guest@" + destAMQP + "/")
	if err != nil {
		t.Fatalf("RabbitMQ at %s: %v", destAMQP, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	suffix := uuid.NewString()[:8]
	exchange, queue, key := "hookline-dest-test-"+suffix, "hookline-dest-test-"+suffix, "orders."+suffix
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

	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{
		"url": "amqp://127.0.0.1:5672/" + exchange + "?routing_key=" + key, "events": []string{"*"},
		"headers": map[string]any{"X-Team": "core"}, "auth": map[string]any{"type": "basic", "username": "guest", "password": "guest"},
	})
	id := ep.ID.String()
	d := publishOne(t, env, env.A, id)
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)

	m, ok, err := ch.Get(queue, true)
	if err != nil || !ok {
		t.Fatalf("get from %s: %v %v", queue, ok, err)
	}
	header := func(k string) string { s, _ := m.Headers[k].(string); return s }
	if got := verifyMessage(t, ep.Secret, m.Body, header); got != d.ID.String() || m.MessageId != got {
		t.Fatalf("webhook-id %q, message id %q; want the delivery id %s", got, m.MessageId, d.ID)
	}
	checkAttempt(t, env, id, d.ID.String(), "amqp publisher confirm")
	// The password is write-only, as for HTTP receivers.
	shown := endpointOf(t, env, env.A, id)
	if shown.Auth == nil || shown.Auth.Type != "basic" || shown.Auth.Username != "guest" {
		t.Fatalf("auth shown as %s", show(shown.Auth))
	}
	for _, path := range []string{"/v1/webhooks/" + id, "/v1/audit-log"} {
		if r := env.Do(http.MethodGet, path, env.A.Key, nil); strings.Contains(string(r.Body), `"password"`) {
			t.Fatalf("%s shows the password: %s", path, r.Body)
		}
	}
}

// Broker URLs are refused unless their host is listed, and broker
// endpoints take basic auth (or none) and no client TLS, on create and on
// every update that would break that.
func TestBrokerDestinationValidation(t *testing.T) {
	t.Parallel()
	env := brokerEnv(t)
	ca := hooklinetest.NewCA(t, "broker-test-ca")
	cert := hooklinetest.Issue(t, &ca, "hookline-client", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	tlsBody := map[string]any{"client_cert_pem": cert.CertPEM, "client_key_pem": cert.KeyPEM}
	natsURL := "nats://127.0.0.1:4222/orders"
	invalid := func(t *testing.T, r hooklinetest.Response, field string) {
		t.Helper()
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"location":"`+field+`"`) {
			t.Fatalf("want 422 at %s: %d %s", field, r.Status, r.Body)
		}
	}
	create := func(body map[string]any) hooklinetest.Response {
		body["events"] = []string{"*"}
		return env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, body)
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unlisted port", map[string]any{"url": "nats://127.0.0.1:4223/x"}, "body.url"},
		{"unlisted host", map[string]any{"url": "amqp://mq.example.com/x?routing_key=k"}, "body.url"},
		{"userinfo", map[string]any{"url": "amqp://guest:guest@127.0.0.1:5672/x?routing_key=k"}, "body.url"},
		{"wildcard", map[string]any{"url": "nats://127.0.0.1:4222/orders.>"}, "body.url"},
		{"bearer", map[string]any{"url": natsURL, "auth": map[string]any{"type": "bearer", "token": "t0k3n"}}, "body.auth.type"},
		{"tls", map[string]any{"url": natsURL, "tls": tlsBody}, "body.tls"},
	} {
		t.Run("create "+tc.name, func(t *testing.T) { invalid(t, create(tc.body), tc.field) })
	}

	// PATCH: the endpoint as it would be saved is judged.
	https := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "https://hooks.example.com/in", "events": []string{"*"},
		"auth": map[string]any{"type": "bearer", "token": "t0k3n"}})
	brokerEP := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": natsURL, "events": []string{"*"}})
	patch := func(id uuid.UUID, body map[string]any) hooklinetest.Response {
		return env.Do(http.MethodPatch, "/v1/webhooks/"+id.String(), env.A.Key, body)
	}
	invalid(t, patch(https.ID, map[string]any{"url": natsURL}), "body.auth.type")
	invalid(t, patch(brokerEP.ID, map[string]any{"auth": map[string]any{"type": "bearer", "token": "t"}}), "body.auth.type")
	invalid(t, patch(brokerEP.ID, map[string]any{"tls": tlsBody}), "body.tls")
	invalid(t, patch(brokerEP.ID, map[string]any{"url": "nats://10.0.0.1:4222/orders"}), "body.url")
	if r := patch(https.ID, map[string]any{"url": natsURL, "auth": map[string]any{"type": "basic", "username": "u", "password": "p"}}); r.Status != http.StatusOK ||
		decode[api.Endpoint](t, r).URL != natsURL {
		t.Fatalf("move to a broker with basic auth: %d %s", r.Status, r.Body)
	}

	// Without HOOKLINE_BROKER_DESTINATIONS no broker is allowed.
	plain := hooklinetest.New(t)
	r := plain.Do(http.MethodPost, "/v1/webhooks", plain.A.Key, map[string]any{"url": natsURL, "events": []string{"*"}})
	invalid(t, r, "body.url")
	if !strings.Contains(string(r.Body), "HOOKLINE_BROKER_DESTINATIONS") {
		t.Fatalf("the refusal does not name the setting: %s", r.Body)
	}
}

// A subject no stream captures is a retryable failure with a clear reason.
func TestBrokerDestinationNoStream(t *testing.T) {
	t.Parallel()
	env := brokerEnv(t)
	subject := "hookline-dest-test.nostream." + strings.ReplaceAll(uuid.NewString(), "-", "")
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "nats://127.0.0.1:4222/" + subject, "events": []string{"*"}})
	id := ep.ID.String()
	d := publishOne(t, env, env.A, id)
	const reason = "no JetStream stream captures the subject"
	var got api.Delivery
	env.Eventually(20*time.Second, "a failed attempt", func() bool {
		got = deliveriesOf(t, env, env.A, id, "")[0]
		return got.AttemptCount >= 1 && got.LastError != nil
	})
	if *got.LastError != reason || got.Status == "succeeded" || got.Status == "failed" || got.LastStatusCode != nil {
		t.Fatalf("delivery: %s", show(got))
	}
	at := deliveryDetail(t, env, env.A, id, d.ID.String()).Attempts[0]
	if at.Error == nil || *at.Error != reason || at.StatusCode != nil {
		t.Fatalf("attempt: %s", show(at))
	}
	if r := env.Do(http.MethodDelete, "/v1/webhooks/"+id, env.A.Key, nil); r.Status >= 300 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
}
