package source

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/apperr"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	tenant := uuid.MustParse("0190c0de-0000-7000-8000-000000000001")
	tests := []struct {
		name      string
		msg       Message
		wantID    string
		wantType  string
		wantTen   *uuid.UUID
		wantOrder string
		bad       string // the reject reason contains it
	}{
		{name: "publish body", msg: Message{Body: []byte(`{"id":"e1","type":"a.b","payload":{"x":1},"ordering_key":"k"}`)},
			wantID: "e1", wantType: "a.b", wantOrder: "k"},
		{name: "publish body with tenant", msg: Message{Body: []byte(`{"tenant_id":"` + tenant.String() + `","id":"e1","type":"a.b","payload":{}}`)},
			wantID: "e1", wantType: "a.b", wantTen: &tenant},
		{name: "no id: the broker's", msg: Message{Body: []byte(`{"type":"a.b","payload":{}}`), BrokerID: "nats_S_7"},
			wantID: "nats_S_7", wantType: "a.b"},
		{name: "no id anywhere: a content hash", msg: Message{Body: []byte(`{"type":"a.b","payload":{}}`)},
			wantID: "msg_", wantType: "a.b"},
		{name: "cloudevent", msg: Message{Body: []byte(`{"specversion":"1.0","id":"ce1","source":"/orders","type":"a.b",` +
			`"datacontenttype":"application/json","data":{"x":1},"tenantid":"` + tenant.String() + `","orderingkey":"o1"}`)},
			wantID: "ce1", wantType: "a.b", wantTen: &tenant, wantOrder: "o1"},
		{name: "cloudevent +json", msg: Message{Body: []byte(`{"specversion":"1.0","id":"ce1","source":"s","type":"a.b","datacontenttype":"application/cloudevents+json","data":{}}`)},
			wantID: "ce1", wantType: "a.b"},
		{name: "not JSON", msg: Message{Body: []byte(`{"type":`)}, bad: "not a JSON object"},
		{name: "an array", msg: Message{Body: []byte(`[1]`)}, bad: "not a JSON object"},
		{name: "unknown field", msg: Message{Body: []byte(`{"type":"a.b","payload":{},"tenant":"x"}`)}, bad: `unknown field "tenant"`},
		{name: "wrong type", msg: Message{Body: []byte(`{"type":5,"payload":{}}`)}, bad: "field type has the wrong type"},
		{name: "bad tenant", msg: Message{Body: []byte(`{"tenant_id":"nope","type":"a.b","payload":{}}`)}, bad: "not a publish body"},
		{name: "cloudevent 0.3", msg: Message{Body: []byte(`{"specversion":"0.3","id":"1","source":"s","type":"a.b"}`)}, bad: "specversion"},
		{name: "cloudevent without source", msg: Message{Body: []byte(`{"specversion":"1.0","id":"1","type":"a.b"}`)}, bad: "needs id, source and type"},
		{name: "cloudevent base64", msg: Message{Body: []byte(`{"specversion":"1.0","id":"1","source":"s","type":"a.b","data_base64":"AA=="}`)}, bad: "data_base64"},
		{name: "cloudevent xml", msg: Message{Body: []byte(`{"specversion":"1.0","id":"1","source":"s","type":"a.b","datacontenttype":"text/xml","data":{}}`)}, bad: "not JSON"},
		{name: "cloudevent bad tenant", msg: Message{Body: []byte(`{"specversion":"1.0","id":"1","source":"s","type":"a.b","tenantid":"x"}`)}, bad: "tenantid is not a UUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ten, ev, err := decode(tt.msg)
			if tt.bad != "" {
				var b *badMessage
				if !errors.As(err, &b) || !strings.Contains(b.reason, tt.bad) {
					t.Fatalf("err %v, want a bad message saying %q", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ev.ID, tt.wantID) || ev.Type != tt.wantType || ev.OrderingKey != tt.wantOrder {
				t.Errorf("event %+v, want id %s type %s key %q", ev, tt.wantID, tt.wantType, tt.wantOrder)
			}
			if (ten == nil) != (tt.wantTen == nil) || ten != nil && *ten != *tt.wantTen {
				t.Errorf("tenant %v, want %v", ten, tt.wantTen)
			}
		})
	}
}

// Two deliveries of one id-less message are one event; two different ones are two.
func TestFallbackIDIsStable(t *testing.T) {
	t.Parallel()
	a, b := Message{Body: []byte(`{"n":1}`)}, Message{Body: []byte(`{"n":2}`)}
	if fallbackID(a) != fallbackID(a) || fallbackID(a) == fallbackID(b) {
		t.Fatal("fallback ids are not a function of the body")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		in        PutInput
		field     string // "" = valid
		shown     string
	}{
		{name: "nats", src: "n1", in: PutInput{Kind: KindNATS, URL: "nats://127.0.0.1:4222", Subject: "orders.>"}, shown: "nats://127.0.0.1:4222"},
		{name: "rabbitmq with password", src: "r1", in: PutInput{Kind: KindRabbitMQ, URL: "amqp://guest:s3cret@127.0.0.1:5672/", Queue: "q"},
			shown: "amqp://guest:***@127.0.0.1:5672/"},
		{name: "nats token", src: "n2", in: PutInput{Kind: KindNATS, URL: "nats://s3cret@127.0.0.1:4222", Subject: "a"}, shown: "nats://***@127.0.0.1:4222"},
		{name: "bad name", src: "Bad Name", in: PutInput{Kind: KindNATS, URL: "nats://h:1", Subject: "a"}, field: "path.name"},
		{name: "bad kind", src: "k", in: PutInput{Kind: "kafka", URL: "kafka://h:1"}, field: "body.kind"},
		{name: "scheme for kind", src: "k", in: PutInput{Kind: KindNATS, URL: "amqp://h:1", Subject: "a"}, field: "body.url"},
		{name: "no host", src: "k", in: PutInput{Kind: KindNATS, URL: "nats:///x", Subject: "a"}, field: "body.url"},
		{name: "nats without subject", src: "k", in: PutInput{Kind: KindNATS, URL: "nats://h:1"}, field: "body.subject"},
		{name: "nats bad subject", src: "k", in: PutInput{Kind: KindNATS, URL: "nats://h:1", Subject: "a..b"}, field: "body.subject"},
		{name: "nats with queue", src: "k", in: PutInput{Kind: KindNATS, URL: "nats://h:1", Subject: "a", Queue: "q"}, field: "body.queue"},
		{name: "rabbitmq without queue", src: "k", in: PutInput{Kind: KindRabbitMQ, URL: "amqp://h:1"}, field: "body.queue"},
		{name: "rabbitmq with subject", src: "k", in: PutInput{Kind: KindRabbitMQ, URL: "amqp://h:1", Queue: "q", Subject: "a"}, field: "body.subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			shown, err := validate(tt.src, &in)
			if tt.field == "" {
				if err != nil || shown != tt.shown || strings.Contains(shown, "s3cret") {
					t.Fatalf("validate: %q, %v; want %q", shown, err, tt.shown)
				}
				return
			}
			if err == nil || !strings.Contains(errField(err), tt.field) {
				t.Fatalf("err %v, want one at %s", err, tt.field)
			}
		})
	}
}

func errField(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Field
	}
	return ""
}
