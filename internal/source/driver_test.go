package source

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The brokers of this machine (and of CI: .ci/run starts them).
const (
	natsURL  = "nats://127.0.0.1:4222"
	amqpURL  = "amqp://guest:guest@127.0.0.1:5672/"
	waitLong = 20 * time.Second
)

// broker is one driver with what the shared suite needs around it.
type broker struct {
	driver Driver
	// setup makes a fresh source and returns its settings, a producer and
	// a counter of its dead letters.
	setup func(t *testing.T) (Settings, func(body string), func() int)
}

func brokers() map[string]broker {
	return map[string]broker{"nats": {NATS{}, setupNATS}, "rabbitmq": {RabbitMQ{}, setupRabbitMQ}}
}

func setupNATS(t *testing.T) (Settings, func(string), func() int) {
	name := "t-" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
	s := Settings{Name: name, Kind: KindNATS, URL: natsURL, Subject: "hookline-test." + name + ".>", Generation: 1, Workers: 4}
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatalf("NATS at %s: %v", natsURL, err)
	}
	js, _ := jetstream.New(nc)
	t.Cleanup(func() {
		_ = js.DeleteStream(context.Background(), StreamName(name))
		nc.Close()
	})
	var dead atomic.Int64
	// JetStream's dead letter: the advisory of every terminated message.
	sub, err := nc.Subscribe("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED."+StreamName(name)+"."+ConsumerName(name), func(*nats.Msg) { dead.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	// The stream must exist before producing: create it as the driver would.
	if _, err := natsConsumer(context.Background(), js, s); err != nil {
		t.Fatal(err)
	}
	produce := func(body string) {
		if _, err := js.Publish(context.Background(), "hookline-test."+name+".x", []byte(body)); err != nil {
			t.Errorf("publish: %v", err)
		}
	}
	return s, produce, func() int { return int(dead.Load()) }
}

func setupRabbitMQ(t *testing.T) (Settings, func(string), func() int) {
	q := "hookline-test-" + uuid.NewString()
	s := Settings{Name: "t", Kind: KindRabbitMQ, URL: amqpURL, Queue: q, Generation: 1, Workers: 4}
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatalf("RabbitMQ at %s: %v", amqpURL, err)
	}
	if err := declareQueue(conn, q); err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = ch.QueueDelete(q, false, false, false)
		_, _ = ch.QueueDelete(DeadLetterQueue(q), false, false, false)
		_ = conn.Close()
	})
	var mu sync.Mutex
	produce := func(body string) {
		mu.Lock()
		defer mu.Unlock()
		if err := ch.PublishWithContext(context.Background(), "", q, false, false, amqp.Publishing{Body: []byte(body)}); err != nil {
			t.Errorf("publish: %v", err)
		}
	}
	dead := func() int {
		mu.Lock()
		defer mu.Unlock()
		dq, err := ch.QueueDeclarePassive(DeadLetterQueue(q), true, false, false, false, nil)
		if err != nil {
			t.Errorf("dead-letter queue: %v", err)
		}
		return dq.Messages
	}
	return s, produce, dead
}

// The shared driver suite: acks are final, a reject goes to the dead
// letter once, a retry comes back, and two consumers of one source
// (two workers) share its messages rather than each getting all.
func TestDrivers(t *testing.T) {
	for name, b := range brokers() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, produce, dead := b.setup(t)
			var mu sync.Mutex
			seen := map[string]int{}
			handle := func(_ context.Context, m Message) Outcome {
				mu.Lock()
				defer mu.Unlock()
				body := string(m.Body)
				seen[body]++
				switch {
				case m.BrokerID == "" && name == "nats":
					t.Errorf("a JetStream message without a broker id")
				case strings.HasPrefix(body, "reject"):
					return Outcome{Verdict: Reject, Reason: "bad"}
				case strings.HasPrefix(body, "retry") && seen[body] == 1:
					return Outcome{Verdict: Retry, Delay: 100 * time.Millisecond}
				}
				return Outcome{Verdict: Ack}
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var ready atomic.Int64
			for range 2 { // two workers
				wg.Go(func() {
					if err := b.driver.Consume(ctx, s, Hooks{Ready: func() { ready.Add(1) }, Lost: func(string) {}}, handle); err != nil {
						t.Errorf("consume: %v", err)
					}
				})
			}
			t.Cleanup(func() { cancel(); wg.Wait() })
			waitFor(t, "both consumers ready", func() bool { return ready.Load() >= 2 })
			const acks, rejects, retries = 200, 5, 5
			for i := range acks {
				produce(fmt.Sprintf("ack-%d", i))
			}
			for i := range rejects {
				produce(fmt.Sprintf("reject-%d", i))
				produce(fmt.Sprintf("retry-%d", i))
			}
			total := func() int {
				mu.Lock()
				defer mu.Unlock()
				n := 0
				for _, c := range seen {
					n += c
				}
				return n
			}
			waitFor(t, "every message handled", func() bool { return total() >= acks+rejects+2*retries && dead() >= rejects })
			time.Sleep(500 * time.Millisecond) // room for a wrong redelivery to show
			mu.Lock()
			defer mu.Unlock()
			for body, n := range seen {
				want := 1
				if strings.HasPrefix(body, "retry") {
					want = 2
				}
				if n != want {
					t.Errorf("%s handled %d times, want %d", body, n, want)
				}
			}
			if len(seen) != acks+rejects+retries || dead() != rejects {
				t.Errorf("%d distinct messages, %d dead letters; want %d, %d", len(seen), dead(), acks+rejects+retries, rejects)
			}
		})
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
