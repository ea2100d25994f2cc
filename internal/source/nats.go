package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS consumes a subject through a JetStream durable pull consumer named
// hookline-<source>, shared by every worker. When no stream captures the
// subject, one is created (HOOKLINE_<SOURCE>, file storage). A bad message
// is terminated: JetStream never redelivers it and publishes a
// MSG_TERMINATED advisory, the dead letter operators subscribe to.
type NATS struct{}

// AckWait is how long JetStream waits for an ack before redelivering (a
// worker killed mid-message): longer than a publish under load.
const natsAckWait = 30 * time.Second

// natsMaxAckPending bounds messages out with all workers together (one
// consumer setting, so one value every worker agrees on).
const natsMaxAckPending = 1000

// ConsumerName is the durable consumer of a source.
func ConsumerName(source string) string { return "hookline-" + source }

// StreamName is the stream Hookline creates for a source when none exists.
func StreamName(source string) string {
	return "HOOKLINE_" + strings.ToUpper(strings.ReplaceAll(source, "-", "_"))
}

// Consume implements Driver.
func (NATS) Consume(ctx context.Context, s Settings, h Hooks, handle Handler) error {
	nc, err := nats.Connect(s.URL, nats.Name("hookline source "+s.Name), nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second), nats.Timeout(5*time.Second),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { h.Lost("disconnected from NATS; reconnecting") }),
		nats.ReconnectHandler(func(*nats.Conn) { h.Ready() }))
	if err != nil {
		return natsReason("connect", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return natsReason("jetstream", err)
	}
	setup, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := natsConsumer(setup, js, s)
	if err != nil {
		return err
	}
	msgs := make(chan jetstream.Msg)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case msgs <- m:
		case <-ctx.Done(): // unacked: redelivered after the ack wait
		}
	}, jetstream.PullMaxMessages(2*s.Workers))
	if err != nil {
		return natsReason("consume", err)
	}
	defer cc.Stop()
	h.Ready()
	var wg sync.WaitGroup
	for range s.Workers {
		wg.Go(func() { natsWork(ctx, msgs, handle) })
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// natsConsumer finds (or makes) the stream and the durable consumer.
func natsConsumer(ctx context.Context, js jetstream.JetStream, s Settings) (jetstream.Consumer, error) {
	stream, err := js.StreamNameBySubject(ctx, s.Subject)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream = StreamName(s.Name)
		_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{s.Subject}, Storage: jetstream.FileStorage})
	}
	if err != nil {
		return nil, natsReason("stream for "+s.Subject, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: ConsumerName(s.Name), FilterSubject: s.Subject, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: natsAckWait, MaxDeliver: -1, MaxAckPending: natsMaxAckPending,
	})
	if err != nil {
		return nil, natsReason("consumer on stream "+stream, err)
	}
	return cons, nil
}

func natsWork(ctx context.Context, msgs <-chan jetstream.Msg, handle Handler) {
	for {
		var m jetstream.Msg
		select {
		case <-ctx.Done():
			return
		case m = <-msgs:
		}
		out := handle(ctx, Message{Body: m.Data(), BrokerID: natsID(m)})
		if ctx.Err() != nil && out.Verdict == Retry {
			return // shutting down: redelivered after the ack wait
		}
		// An ack lost on the way is a redelivery, which publishes nothing new.
		switch out.Verdict {
		case Ack:
			_ = m.Ack()
		case Reject: // the reason is in our log: TermWithReason needs NATS ≥ 2.10.4 (older servers ignore it)
			_ = m.Term()
		case Retry:
			_ = m.NakWithDelay(out.Delay)
		}
	}
}

// natsID is the message's Nats-Msg-Id, else its stream and sequence.
func natsID(m jetstream.Msg) string {
	if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" {
		return id
	}
	if meta, err := m.Metadata(); err == nil {
		return fmt.Sprintf("nats_%s_%d", meta.Stream, meta.Sequence.Stream)
	}
	return ""
}

// natsReason is a client-safe reason (never the URL, which may hold a
// password).
func natsReason(step string, err error) error {
	switch {
	case errors.Is(err, nats.ErrNoServers):
		return fmt.Errorf("%s: no NATS server answers", step)
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired):
		return fmt.Errorf("%s: NATS refused the credentials", step)
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, nats.ErrJetStreamNotEnabled):
		return fmt.Errorf("%s: JetStream is not enabled on the server", step)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return fmt.Errorf("%s: NATS did not answer in time", step)
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return fmt.Errorf("%s: %s", step, api.Description)
	}
	return fmt.Errorf("%s: NATS error", step)
}
