package source

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// RabbitMQ consumes a queue with manual acks; every worker's consumer
// competes on it. A queue that does not exist is declared (durable) with a
// dead-letter queue <queue>.dead-letter through the default exchange, so a
// rejected message lands there. An existing queue is used as it is: a bad
// message goes to whatever dead-letter exchange it has (none: dropped).
type RabbitMQ struct{}

// DeadLetterQueue is the dead-letter queue of a queue Hookline declares.
func DeadLetterQueue(queue string) string { return queue + ".dead-letter" }

// Consume implements Driver. A connection closed by the server (or lost)
// returns its reason; the runner reconnects, and what was unacked is
// redelivered by RabbitMQ.
func (RabbitMQ) Consume(ctx context.Context, s Settings, h Hooks, handle Handler) error {
	conn, err := amqp.DialConfig(s.URL, amqp.Config{Heartbeat: 10 * time.Second, Dial: amqp.DefaultDial(5 * time.Second),
		Properties: amqp.Table{"connection_name": "hookline source " + s.Name}})
	if err != nil {
		return amqpReason("connect", err)
	}
	defer conn.Close()
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	if err := declareQueue(conn, s.Queue); err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err != nil {
		return amqpReason("channel", err)
	}
	if err := ch.Qos(2*s.Workers, 0, false); err != nil {
		return amqpReason("qos", err)
	}
	deliveries, err := ch.ConsumeWithContext(ctx, s.Queue, "", false, false, false, false, nil)
	if err != nil {
		return amqpReason("consume "+s.Queue, err)
	}
	h.Ready()
	var wg sync.WaitGroup
	for range s.Workers {
		wg.Go(func() { amqpWork(ctx, deliveries, handle) })
	}
	var reason error
	select {
	case <-ctx.Done():
	case e := <-closed:
		reason = errors.New("connection closed")
		if e != nil {
			reason = amqpReason("connection closed", e)
		}
	}
	_ = conn.Close() // ends the deliveries: the workers return
	wg.Wait()
	return reason
}

// declareQueue declares the queue, with its dead-letter queue, unless it exists.
func declareQueue(conn *amqp.Connection, queue string) error {
	probe, err := conn.Channel()
	if err != nil {
		return amqpReason("channel", err)
	}
	_, err = probe.QueueDeclarePassive(queue, true, false, false, false, nil)
	var ae *amqp.Error
	if err == nil || !errors.As(err, &ae) || ae.Code != amqp.NotFound {
		_ = probe.Close()
		if err != nil {
			return amqpReason("queue "+queue, err)
		}
		return nil
	}
	ch, err := conn.Channel() // the 404 closed the probe's channel
	if err != nil {
		return amqpReason("channel", err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclare(DeadLetterQueue(queue), true, false, false, false, nil); err != nil {
		return amqpReason("declare "+DeadLetterQueue(queue), err)
	}
	_, err = ch.QueueDeclare(queue, true, false, false, false, amqp.Table{
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": DeadLetterQueue(queue),
	})
	if err != nil {
		return amqpReason("declare "+queue, err)
	}
	return nil
}

func amqpWork(ctx context.Context, deliveries <-chan amqp.Delivery, handle Handler) {
	for d := range deliveries {
		out := handle(ctx, Message{Body: d.Body, BrokerID: d.MessageId})
		switch out.Verdict {
		case Ack:
			_ = d.Ack(false) // a lost ack is a redelivery, which publishes nothing new
		case Reject:
			_ = d.Reject(false) // to the queue's dead-letter exchange
		case Retry:
			select { // hold it (a prefetch slot) for the delay, then requeue
			case <-ctx.Done():
			case <-time.After(out.Delay):
			}
			_ = d.Nack(false, true)
		}
	}
}

// amqpReason is a client-safe reason (never the URL, which may hold a
// password).
func amqpReason(step string, err error) error {
	var ae *amqp.Error
	switch {
	case errors.As(err, &ae):
		return fmt.Errorf("%s: RabbitMQ %d %s", step, ae.Code, ae.Reason)
	case errors.Is(err, amqp.ErrSASL), errors.Is(err, amqp.ErrCredentials):
		return fmt.Errorf("%s: RabbitMQ refused the credentials", step)
	}
	return fmt.Errorf("%s: RabbitMQ unreachable", step)
}
