package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/source"
)

// brokerFault is one source kind with the connection cut it survives.
type brokerFault struct {
	url      string
	settings func(name string) map[string]any
	produce  func(t *testing.T, body []byte)
	cut      func(t *testing.T, name string) // from the broker's side
}

// Two workers consume a source; one is SIGKILLed mid-stream and then the
// broker cuts the survivor's connection (RabbitMQ closes it server-side; a
// NATS server of the test's own restarts). Every message is published
// exactly once: as many events and deliveries as messages, each delivered.
func TestSourceSurvivesWorkerKillAndBrokerCut(t *testing.T) {
	for kind, mk := range map[string]func(t *testing.T) brokerFault{"rabbitmq": rabbitFault, "nats": natsFault} {
		t.Run(kind, func(t *testing.T) {
			env := hooklinetest.New(t, hooklinetest.Options{NoWorker: true})
			rc := hooklinetest.NewReceiver(t)
			ep := newEndpoint(t, env, rc, []string{"comment.created"})
			b := mk(t)
			name := "fault-" + kind
			if r := env.Do(http.MethodPut, "/admin/v1/sources/"+name, env.SuperToken, b.settings(name)); r.Status != http.StatusCreated {
				t.Fatalf("put source: %d %s", r.Status, r.Body)
			}
			first, _ := startWorker(t, env), startWorker(t, env)
			n := max(events()*10, 200)
			body := func(i int) []byte {
				v, _ := json.Marshal(map[string]any{"tenant_id": env.A.ID, "id": fmt.Sprintf("src-%d", i), "type": "comment.created", "payload": map[string]any{"i": i}})
				return v
			}
			env.Eventually(60*time.Second, "the source to connect", func() bool { return sourceStatus(t, env, name) == "connected" })
			for i := range n / 2 {
				b.produce(t, body(i))
			}
			env.Eventually(60*time.Second, "a tenth published", func() bool { return eventCount(t, env) >= n/10 })
			if err := first.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = first.Wait()
			b.cut(t, name)
			for i := n / 2; i < n; i++ {
				b.produce(t, body(i))
			}
			env.Eventually(3*time.Minute, "every message published", func() bool { return eventCount(t, env) >= n })
			waitAllFinal(t, env, ep, 3*time.Minute)
			time.Sleep(time.Second) // a late duplicate would show now
			tl := count(t, env, ep, rc, "a killed attempt is repeated with its webhook-id")
			t.Logf("%s source, worker SIGKILL + connection cut: %d messages → %d events; %s", kind, n, eventCount(t, env), tl)
			if ev := eventCount(t, env); ev != n || tl.published != n || tl.missing != 0 || tl.delivered != n {
				t.Fatalf("%d messages: %d events; %s", n, ev, tl)
			}
		})
	}
}

func eventCount(t *testing.T, env *hooklinetest.Env) int {
	var n int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE tenant_id = $1", env.A.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func sourceStatus(t *testing.T, env *hooklinetest.Env, name string) any {
	r := env.Do(http.MethodGet, "/admin/v1/sources/"+name, env.SuperToken, nil)
	return r.Map(t)["status"]
}

func rabbitFault(t *testing.T) brokerFault {
	const url = "amqp://guest:guest@127.0.0.1:5672/"
	queue := "hookline-fault-" + uuid.NewString()
	conn, err := amqp.Dial(url)
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
	return brokerFault{
		url: url,
		settings: func(string) map[string]any {
			return map[string]any{"kind": "rabbitmq", "url": url, "queue": queue}
		},
		produce: func(t *testing.T, body []byte) {
			if err := ch.PublishWithContext(context.Background(), "", queue, false, false, amqp.Publishing{Body: body, DeliveryMode: amqp.Persistent}); err != nil {
				t.Fatalf("produce: %v", err)
			}
		},
		cut: func(t *testing.T, name string) { closeRabbitConnections(t, "hookline source "+name) },
	}
}

// closeRabbitConnections closes, from the server, the connections whose
// client-given name is connName (rabbitmqctl, as the broker's operator).
func closeRabbitConnections(t *testing.T, connName string) {
	out, err := exec.Command("rabbitmqctl", "-q", "list_connections", "pid", "client_properties").Output()
	if err != nil {
		t.Fatalf("rabbitmqctl list_connections: %v", err)
	}
	closed := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `"`+connName+`"`) {
			continue
		}
		pid := strings.Fields(line)[0]
		if err := exec.Command("rabbitmqctl", "-q", "close_connection", pid, "fault test").Run(); err != nil {
			t.Fatalf("rabbitmqctl close_connection: %v", err)
		}
		closed++
	}
	if closed == 0 {
		t.Fatalf("no RabbitMQ connection named %q to close", connName)
	}
}

// natsFault runs a NATS server of the test's own (JetStream, file store),
// so restarting it touches no other test.
func natsFault(t *testing.T) brokerFault {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	dir := t.TempDir()
	var srv *exec.Cmd
	start := func() {
		srv = exec.Command("nats-server", "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", dir)
		srv.Stderr = os.Stderr
		if err := srv.Start(); err != nil {
			t.Fatalf("nats-server: %v", err)
		}
	}
	start()
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	var nc *nats.Conn
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if nc, err = nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("own NATS server: %v", err)
		}
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	subject := "faults.src"
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "FAULTS", Subjects: []string{subject}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	return brokerFault{
		url: url,
		settings: func(string) map[string]any {
			return map[string]any{"kind": "nats", "url": url, "subject": subject}
		},
		produce: func(t *testing.T, body []byte) {
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_, err := js.Publish(ctx, subject, body)
				cancel()
				if err == nil {
					return
				}
				if time.Now().After(deadline) { // the server is back within seconds
					t.Fatalf("produce: %v", err)
				}
			}
		},
		cut: func(t *testing.T, _ string) {
			_ = srv.Process.Signal(syscall.SIGTERM)
			_ = srv.Wait()
			start()
		},
	}
}
