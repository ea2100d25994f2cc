package broker

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      Destination
		norm      string // normalised URL
		err       string // part of the error; "" = valid
	}{
		{name: "nats", raw: "nats://127.0.0.1:4222/orders.created",
			want: Destination{Kind: NATS, Host: "127.0.0.1:4222", Subject: "orders.created"}, norm: "nats://127.0.0.1:4222/orders.created"},
		{name: "nats default port, case", raw: "  NATS://Broker.Example.COM/Orders.Created ",
			want: Destination{Kind: NATS, Host: "broker.example.com:4222", Subject: "Orders.Created"}, norm: "nats://broker.example.com:4222/Orders.Created"},
		{name: "nats ipv6", raw: "nats://[::1]:4333/a",
			want: Destination{Kind: NATS, Host: "[::1]:4333", Subject: "a"}, norm: "nats://[::1]:4333/a"},
		{name: "amqp", raw: "amqp://mq:5673/events?routing_key=orders.eu",
			want: Destination{Kind: AMQP, Host: "mq:5673", Exchange: "events", RoutingKey: "orders.eu"}, norm: "amqp://mq:5673/events?routing_key=orders.eu"},
		{name: "amqp default exchange", raw: "amqp://MQ/?routing_key=hooks",
			want: Destination{Kind: AMQP, Host: "mq:5672", RoutingKey: "hooks"}, norm: "amqp://mq:5672/?routing_key=hooks"},
		{name: "amqp no routing key", raw: "amqp://mq/fanout-x",
			want: Destination{Kind: AMQP, Host: "mq:5672", Exchange: "fanout-x"}, norm: "amqp://mq:5672/fanout-x"},
		{name: "amqp routing key escaped", raw: "amqp://mq/x?routing_key=a%20b%2Fc",
			want: Destination{Kind: AMQP, Host: "mq:5672", Exchange: "x", RoutingKey: "a b/c"}, norm: "amqp://mq:5672/x?routing_key=a+b%2Fc"},

		{name: "userinfo", raw: "nats://u:p@h/s", err: "credentials"},
		{name: "amqp userinfo", raw: "amqp://guest:guest@h/x?routing_key=k", err: "credentials"},
		{name: "fragment", raw: "nats://h/s#frag", err: "fragment"},
		{name: "no subject", raw: "nats://h:4222", err: "must name a subject"},
		{name: "slash only", raw: "nats://h/", err: "must name a subject"},
		{name: "star", raw: "nats://h/orders.*", err: "wildcard"},
		{name: "gt", raw: "nats://h/orders.>", err: "wildcard"},
		{name: "empty token", raw: "nats://h/orders..x", err: "empty"},
		{name: "trailing dot", raw: "nats://h/orders.", err: "empty"},
		{name: "space", raw: "nats://h/a%20b", err: "visible ASCII"},
		{name: "system subject", raw: "nats://h/$JS.API.STREAM.DELETE.X", err: "system subject"},
		{name: "inbox", raw: "nats://h/_INBOX.abc", err: "reply inbox"},
		{name: "nats query", raw: "nats://h/s?x=1", err: "no query"},
		{name: "port zero", raw: "nats://h:0/s", err: "invalid port"},
		{name: "port too big", raw: "amqp://h:70000/x", err: "invalid port"},
		{name: "no host", raw: "nats:///s", err: "must be nats://"},
		{name: "opaque", raw: "nats:h/s", err: "must be nats://"},
		{name: "other scheme", raw: "https://h/s", err: "scheme must be nats or amqp"},
		{name: "amqp bad exchange", raw: "amqp://h/a/b?routing_key=k", err: "exchange may hold only"},
		{name: "amqp unknown param", raw: "amqp://h/x?vhost=v", err: `unknown query parameter "vhost"`},
		{name: "amqp routing key twice", raw: "amqp://h/x?routing_key=a&routing_key=b", err: "more than once"},
		{name: "amqp routing key ctl", raw: "amqp://h/x?routing_key=a%0Ab", err: "control"},
		{name: "amqp default exchange needs key", raw: "amqp://h/", err: "needs a routing_key"},
		{name: "too long", raw: "nats://h/" + strings.Repeat("a", 2048), err: "2048"},
		{name: "subject too long", raw: "nats://h/" + strings.Repeat("a", 257), err: "256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !IsBroker(tc.raw) && tc.want.Kind != "" {
				t.Fatalf("IsBroker(%q) = false", tc.raw)
			}
			got, err := Parse(tc.raw)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tc.raw, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
			}
			if s := got.String(); s != tc.norm {
				t.Fatalf("String() = %q, want %q", s, tc.norm)
			}
			again, err := Parse(got.String()) // normalising is stable
			if err != nil || again != got {
				t.Fatalf("Parse(String()) = %+v, %v", again, err)
			}
		})
	}
}

func TestIsBroker(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		"nats://h/s": true, "AMQP://h/x": true, " nats:h": true, "https://h/": false, "http://nats/": false,
		"natsx://h": false, "": false, "nats": false, "amqps://h/x": false,
	} {
		if got := IsBroker(raw); got != want {
			t.Errorf("IsBroker(%q) = %v, want %v", raw, got, want)
		}
	}
}
