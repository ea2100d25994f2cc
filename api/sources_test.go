package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/source"
)

const (
	testNATS = "nats://127.0.0.1:4222"
	testAMQP = "amqp://guest:guest@127.0.0.1:5672/"
)

// Operators manage sources with an admin token for every tenant; the URL's
// password is sealed, never shown nor audited; bad settings are 422s at
// their field.
func TestSourceManagement(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	name := "mgmt-" + uuid.NewString()[:8]
	path := "/admin/v1/sources/" + name
	body := map[string]any{"kind": "rabbitmq", "url": "amqp://guest:s3cret-pw@127.0.0.1:5672/", "queue": "q-" + name}
	if r := env.Do(http.MethodPut, path, env.A.AdminToken, body); r.Status != http.StatusForbidden {
		t.Fatalf("a one-tenant admin token: %d %s", r.Status, r.Body)
	}
	r := env.Do(http.MethodPut, path, env.SuperToken, body)
	if r.Status != http.StatusCreated || strings.Contains(string(r.Body), "s3cret") || !strings.Contains(string(r.Body), `"url":"amqp://guest:***@127.0.0.1:5672/"`) {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	body["tenant_id"] = env.A.ID
	if r := env.Do(http.MethodPut, path, env.SuperToken, body); r.Status != http.StatusOK {
		t.Fatalf("replace: %d %s", r.Status, r.Body)
	}
	got := env.Do(http.MethodGet, path, env.SuperToken, nil).Map(t)
	if got["tenant_id"] != env.A.ID.String() || got["status"] != "error" || got["received"] != 0.0 {
		t.Fatalf("get: %v", got)
	}
	list := env.Do(http.MethodGet, "/admin/v1/sources", env.SuperToken, nil)
	if list.Status != http.StatusOK || !strings.Contains(string(list.Body), `"name":"`+name+`"`) {
		t.Fatalf("list: %d %s", list.Status, list.Body)
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"kind": "kafka", "url": "kafka://h:1"}, "body.kind"},
		{map[string]any{"kind": "nats", "url": "nats://127.0.0.1:4222"}, "body.subject"},
		{map[string]any{"kind": "nats", "url": "amqp://127.0.0.1:4222", "subject": "a"}, "body.url"},
		{map[string]any{"kind": "rabbitmq", "url": "amqp://h", "queue": "q", "tenant_id": uuid.NewString()}, "body.tenant_id"},
	} {
		r := env.Do(http.MethodPut, path, env.SuperToken, c.body)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), c.field) {
			t.Errorf("%v: %d %s, want 422 at %s", c.body, r.Status, r.Body, c.field)
		}
	}
	if r := env.Do(http.MethodDelete, path, env.SuperToken, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodGet, path, env.SuperToken, nil); r.Status != http.StatusNotFound {
		t.Fatalf("get after delete: %d", r.Status)
	}
	audit := env.Do(http.MethodGet, "/admin/v1/audit-log", env.SuperToken, nil)
	if s := string(audit.Body); strings.Contains(s, "s3cret") || strings.Count(s, `"source.put"`) != 2 || !strings.Contains(s, `"source.deleted"`) {
		t.Fatalf("global audit log: %s", s)
	}
}

// broker is a real broker the ingest test produces to.
type ingestBroker struct {
	put     func(t *testing.T, env *hooklinetest.Env, name string) map[string]any
	produce func(t *testing.T, body []byte)
	dead    func(t *testing.T) int // messages in the dead letter
}

// 1,000 messages through each kind of source: 1,000 events, each delivered
// once to each subscribed endpoint (a redelivered or re-sent message
// publishes nothing new); 15 bad ones — malformed, of an unknown type,
// failing their schema — are rejected once to the dead letter.
func TestSourceIngest(t *testing.T) {
	t.Parallel()
	for kind, mk := range map[string]func(t *testing.T) ingestBroker{"nats": natsIngest, "rabbitmq": rabbitIngest} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			env := hooklinetest.New(t)
			b := mk(t)
			schema := `{"schema":{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}}`
			if r := env.Do(http.MethodPut, "/admin/v1/event-types/order.placed", env.SuperToken, schema); r.Status != http.StatusOK && r.Status != http.StatusCreated {
				t.Fatalf("event type: %d %s", r.Status, r.Body)
			}
			rcs := [2]*hooklinetest.Receiver{hooklinetest.NewReceiver(t), hooklinetest.NewReceiver(t)}
			for _, rc := range rcs {
				r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": rc.URL + "/in", "events": []string{"order.placed"}})
				if r.Status != http.StatusCreated {
					t.Fatalf("endpoint: %d %s", r.Status, r.Body)
				}
				rc.SetSecrets(r.Map(t)["secret"].(string))
			}
			name := kind + "-" + uuid.NewString()[:8]
			src := b.put(t, env, name)
			env.RunSources(t)
			env.Eventually(20*time.Second, "the source to connect", func() bool { return get(t, env, name)["status"] == "connected" })

			const n = 1000
			for i := range n {
				b.produce(t, ingestBody(kind, env.A.ID, fmt.Sprintf("ev-%d", i), "order.placed", fmt.Sprintf(`{"n":%d}`, i)))
			}
			for i := range 5 {
				b.produce(t, []byte(`{"id":"broken`+fmt.Sprint(i)))
				b.produce(t, ingestBody(kind, env.A.ID, fmt.Sprintf("unknown-%d", i), "no.such.type", `{"n":1}`))
				b.produce(t, ingestBody(kind, env.A.ID, fmt.Sprintf("schema-%d", i), "order.placed", `{"n":"one"}`))
				b.produce(t, ingestBody(kind, env.A.ID, fmt.Sprintf("ev-%d", i), "order.placed", `{"n":0}`)) // sent twice
			}
			env.Eventually(90*time.Second, "every message published or rejected", func() bool {
				s := get(t, env, name)
				return s["published"] == float64(n) && s["rejected"] == 15.0 && s["received"] == float64(n+20)
			})
			env.Eventually(90*time.Second, "every delivery", func() bool { return rcs[0].Count() >= n && rcs[1].Count() >= n })
			env.Eventually(10*time.Second, "15 dead letters", func() bool { return b.dead(t) == 15 })
			time.Sleep(time.Second) // room for a wrong redelivery to show
			s := get(t, env, name)
			if s["received"] != float64(n+20) || s["published"] != float64(n) || s["rejected"] != 15.0 || b.dead(t) != 15 {
				t.Errorf("after a pause: %v, %d dead letters", s, b.dead(t))
			}
			var events int
			if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE tenant_id = $1", env.A.ID).Scan(&events); err != nil || events != n {
				t.Errorf("%d events (%v), want %d", events, err, n)
			}
			for i, rc := range rcs {
				if st := rc.Stats(); st.Unique != n || st.Duplicates != 0 || st.BadSignatures != 0 {
					t.Errorf("receiver %d: %+v", i, st)
				}
			}
			if strings.Count(env.LogText(), "source message rejected to the dead letter") != 15 {
				t.Errorf("rejections logged: %d", strings.Count(env.LogText(), "source message rejected to the dead letter"))
			}
			_ = src
		})
	}
}

func get(t *testing.T, env *hooklinetest.Env, name string) map[string]any {
	r := env.Do(http.MethodGet, "/admin/v1/sources/"+name, env.SuperToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get source: %d %s", r.Status, r.Body)
	}
	return r.Map(t)
}

// ingestBody is a publish body (nats, unbound: it names its tenant) or a
// CloudEvent (rabbitmq, a bound source).
func ingestBody(kind string, tenant uuid.UUID, id, typ, data string) []byte {
	var v map[string]any
	if kind == "nats" {
		v = map[string]any{"tenant_id": tenant, "id": id, "type": typ, "payload": json.RawMessage(data)}
	} else {
		v = map[string]any{"specversion": "1.0", "id": id, "source": "/shop", "type": typ, "data": json.RawMessage(data)}
	}
	b, _ := json.Marshal(v)
	return b
}

func natsIngest(t *testing.T) ingestBroker {
	subject := "hookline-test." + uuid.NewString()
	nc, err := nats.Connect(testNATS)
	if err != nil {
		t.Fatalf("NATS: %v", err)
	}
	js, _ := jetstream.New(nc)
	var stream string
	t.Cleanup(func() {
		if stream != "" {
			_ = js.DeleteStream(context.Background(), stream)
		}
		nc.Close()
	})
	var dead int
	deadCh := make(chan struct{}, 100)
	return ingestBroker{
		put: func(t *testing.T, env *hooklinetest.Env, name string) map[string]any {
			stream = source.StreamName(name)
			if _, err := nc.Subscribe("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED."+stream+".>", func(*nats.Msg) { deadCh <- struct{}{} }); err != nil {
				t.Fatal(err)
			}
			// The stream is Hookline's to create; producing first needs it.
			if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: stream, Subjects: []string{subject}}); err != nil {
				t.Fatal(err)
			}
			r := env.Do(http.MethodPut, "/admin/v1/sources/"+name, env.SuperToken, map[string]any{"kind": "nats", "url": testNATS, "subject": subject})
			if r.Status != http.StatusCreated {
				t.Fatalf("put source: %d %s", r.Status, r.Body)
			}
			return r.Map(t)
		},
		produce: func(t *testing.T, body []byte) {
			if _, err := js.Publish(context.Background(), subject, body); err != nil {
				t.Fatalf("produce: %v", err)
			}
		},
		dead: func(*testing.T) int {
			for {
				select {
				case <-deadCh:
					dead++
				default:
					return dead
				}
			}
		},
	}
}

func rabbitIngest(t *testing.T) ingestBroker {
	queue := "hookline-test-" + uuid.NewString()
	conn, err := amqp.Dial(testAMQP)
	if err != nil {
		t.Fatalf("RabbitMQ: %v", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = ch.QueueDelete(queue, false, false, false)
		_, _ = ch.QueueDelete(source.DeadLetterQueue(queue), false, false, false)
		_ = conn.Close()
	})
	return ingestBroker{
		put: func(t *testing.T, env *hooklinetest.Env, name string) map[string]any {
			r := env.Do(http.MethodPut, "/admin/v1/sources/"+name, env.SuperToken, map[string]any{
				"kind": "rabbitmq", "url": testAMQP, "queue": queue, "tenant_id": env.A.ID})
			if r.Status != http.StatusCreated {
				t.Fatalf("put source: %d %s", r.Status, r.Body)
			}
			return r.Map(t)
		},
		produce: func(t *testing.T, body []byte) {
			// The queue is declared by the consumer (connected before producing).
			if err := ch.PublishWithContext(context.Background(), "", queue, false, false, amqp.Publishing{Body: body}); err != nil {
				t.Fatalf("produce: %v", err)
			}
		},
		dead: func(t *testing.T) int {
			q, err := ch.QueueDeclarePassive(source.DeadLetterQueue(queue), true, false, false, false, nil)
			if err != nil {
				t.Fatalf("dead-letter queue: %v", err)
			}
			return q.Messages
		},
	}
}
