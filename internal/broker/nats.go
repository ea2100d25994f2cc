package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookline/hookline/internal/delivery"
)

// natsConn is a cached NATS connection with its JetStream context. The
// client reconnects by itself; once it gives up (closed) the next publish
// dials again.
type natsConn struct {
	mu     sync.Mutex
	nc     *nats.Conn
	js     jetstream.JetStream
	closed bool
}

func (c *natsConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.nc != nil {
		c.nc.Close()
	}
}

// get returns a live JetStream context, dialling if needed. The lock is
// held while dialling: concurrent attempts share one dial.
func (c *natsConn) get(ctx context.Context, host string, creds credentials, name string) (jetstream.JetStream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosed
	}
	if c.nc != nil && !c.nc.IsClosed() {
		return c.js, nil
	}
	opts := []nats.Option{nats.Name(name), nats.Timeout(dialTimeout(ctx)),
		// No buffering while reconnecting: an attempt fails at once (and is
		// retried) rather than hanging to its timeout.
		nats.ReconnectBufSize(-1)}
	if creds.username != "" {
		opts = append(opts, nats.UserInfo(creds.username, creds.password))
	}
	nc, err := nats.Connect("nats://"+host, opts...)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.nc, c.js = nc, js
	return js, nil
}

// publishNATS publishes through JetStream: success is the stream's PubAck.
// The message id (Nats-Msg-Id) is the delivery's, so a retry after a lost
// ack is dropped by the stream's duplicate window instead of stored twice.
func (p *Publisher) publishNATS(ctx context.Context, d Destination, creds credentials, m message) delivery.Outcome {
	cc, err := p.conn(key(NATS, d.Host, creds), func() conn { return &natsConn{} })
	if err != nil {
		return natsFailure(err)
	}
	js, err := cc.(*natsConn).get(ctx, d.Host, creds, p.Name)
	if err != nil {
		return natsFailure(err)
	}
	msg := &nats.Msg{Subject: d.Subject, Data: m.body, Header: nats.Header{}}
	for k, v := range m.headers {
		msg.Header.Set(k, v)
	}
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(m.id))
	if err != nil {
		return natsFailure(err)
	}
	body := fmt.Sprintf("jetstream ack: stream %s seq %d", ack.Stream, ack.Sequence)
	if ack.Duplicate {
		body += " (duplicate: stored by an earlier attempt)"
	}
	return delivery.Outcome{Acked: true, Body: body}
}

// natsFailure is a retryable outcome with a client-safe reason: never the
// client's error text, which may quote the server URL.
func natsFailure(err error) delivery.Outcome {
	out := delivery.Outcome{Retryable: true}
	var api *jetstream.APIError
	switch {
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		out.Reason = "no JetStream stream captures the subject"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		out.Reason = "timeout"
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		out.Reason = "NATS refused the credentials"
	case errors.Is(err, nats.ErrNoServers):
		out.Reason = "connection refused: no NATS server answers"
	case errors.Is(err, nats.ErrReconnectBufExceeded), errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrDisconnected):
		out.Reason = "connection lost: the NATS client is reconnecting"
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, nats.ErrJetStreamNotEnabled):
		out.Reason = "JetStream is not enabled on the NATS server"
	case errors.Is(err, errClosed):
		out.Reason = "shutting down: the broker connections are closed"
	case errors.As(err, &api):
		// The server's own description (e.g. "maximum messages exceeded"):
		// about the stream, never a credential.
		out.Reason = fmt.Sprintf("JetStream refused the message: %s (err_code %d)", api.Description, api.ErrorCode)
	default:
		out.Reason = "NATS connection error"
	}
	return out
}
