package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hookline/hookline/internal/delivery"
)

// maxIdleChannels bounds the confirm-mode channels kept for reuse per
// connection (opening one costs two round trips).
const maxIdleChannels = 16

// amqpConn is a cached AMQP connection and its idle channels. A channel is
// used by one publish at a time, so a returned (unroutable) message is
// surely that publish's.
type amqpConn struct {
	mu     sync.Mutex
	conn   *amqp.Connection
	idle   []*confirmChannel
	closed bool
}

// confirmChannel is a channel in confirm mode with its listeners.
type confirmChannel struct {
	ch      *amqp.Channel
	returns chan amqp.Return
	closes  chan *amqp.Error
}

func (c *amqpConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

// channel takes an idle channel or opens one, dialling first if the
// connection is missing or closed. The lock is held while dialling:
// concurrent attempts share one dial.
func (c *amqpConn) channel(ctx context.Context, host string, creds credentials, name string) (*confirmChannel, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	if c.conn == nil || c.conn.IsClosed() {
		c.idle = nil
		cfg := amqp.Config{Vhost: "/", Heartbeat: 10 * time.Second, Dial: amqp.DefaultDial(dialTimeout(ctx)),
			Properties: amqp.Table{"connection_name": name}}
		if creds.username != "" {
			cfg.SASL = []amqp.Authentication{&amqp.PlainAuth{Username: creds.username, Password: creds.password}}
		}
		conn, err := amqp.DialConfig("amqp://"+host+"/", cfg)
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.conn = conn
	}
	for len(c.idle) > 0 {
		cc := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if !cc.ch.IsClosed() {
			c.mu.Unlock()
			return cc, nil
		}
	}
	conn := c.conn
	c.mu.Unlock()
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	if err := ch.Confirm(false); err != nil {
		_ = ch.Close()
		return nil, err
	}
	return &confirmChannel{ch: ch, returns: ch.NotifyReturn(make(chan amqp.Return, 1)), closes: ch.NotifyClose(make(chan *amqp.Error, 1))}, nil
}

// put keeps a channel for the next publish, or closes it.
func (c *amqpConn) put(cc *confirmChannel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || cc.ch.IsClosed() || len(c.idle) >= maxIdleChannels {
		_ = cc.ch.Close()
		return
	}
	c.idle = append(c.idle, cc)
}

// publishAMQP publishes with mandatory set on a confirm-mode channel:
// success is the publisher confirm; a message no queue takes is returned
// (before its ack) and fails as unroutable.
func (p *Publisher) publishAMQP(ctx context.Context, d Destination, creds credentials, m message) delivery.Outcome {
	cached, err := p.conn(key(AMQP, d.Host, creds), func() conn { return &amqpConn{} })
	if err != nil {
		return amqpFailure(err)
	}
	c := cached.(*amqpConn)
	cc, err := c.channel(ctx, d.Host, creds, p.Name)
	if err != nil {
		return amqpFailure(err)
	}
	headers := amqp.Table{}
	for k, v := range m.headers {
		headers[k] = v
	}
	dc, err := cc.ch.PublishWithDeferredConfirmWithContext(ctx, d.Exchange, d.RoutingKey, true, false, amqp.Publishing{
		Headers: headers, ContentType: ContentType, DeliveryMode: amqp.Persistent, MessageId: m.id,
		Timestamp: p.now(), Body: m.body,
	})
	if err != nil {
		_ = cc.ch.Close()
		return amqpFailure(err)
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		// A late return or ack must not be taken for the next publish's.
		_ = cc.ch.Close()
		return amqpFailure(err)
	}
	select {
	case _, returned := <-cc.returns: // closed (not returned) when the channel closed
		if returned {
			c.put(cc)
			return delivery.Outcome{Reason: "unroutable: the exchange routed the message to no queue (returned by the broker)", Retryable: true}
		}
	default:
	}
	if !acked {
		// A nack, or the channel closed by the broker (e.g. no such
		// exchange): its close says which.
		select {
		case e := <-cc.closes:
			if e != nil {
				return amqpFailure(e)
			}
		default:
		}
		_ = cc.ch.Close()
		return delivery.Outcome{Reason: "nack: the broker refused the message (publisher confirm negative)", Retryable: true}
	}
	c.put(cc)
	return delivery.Outcome{Acked: true, Body: "amqp publisher confirm"}
}

// amqpFailure is a retryable outcome with a client-safe reason, by the
// AMQP reply code: never the client's error text.
func amqpFailure(err error) delivery.Outcome {
	out := delivery.Outcome{Retryable: true}
	var ae *amqp.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		out.Reason = "timeout"
	case errors.Is(err, errClosed):
		out.Reason = "shutting down: the broker connections are closed"
	case errors.Is(err, amqp.ErrSASL), errors.Is(err, amqp.ErrCredentials):
		out.Reason = "RabbitMQ refused the credentials"
	case errors.Is(err, syscall.ECONNREFUSED):
		out.Reason = "connection refused"
	case isTimeout(err):
		out.Reason = "timeout"
	case errors.As(err, &ae):
		out.Reason = amqpCode(ae.Code)
	default:
		out.Reason = "AMQP connection error"
	}
	return out
}

func amqpCode(code int) string {
	switch code {
	case amqp.NotFound:
		return "the exchange does not exist (AMQP 404 NOT_FOUND)"
	case amqp.AccessRefused:
		return "access refused: the broker user may not publish there (AMQP 403 ACCESS_REFUSED)"
	case amqp.ConnectionForced:
		return "the broker closed the connection (AMQP 320 CONNECTION_FORCED)"
	}
	return fmt.Sprintf("the broker closed the channel (AMQP reply code %d)", code)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
