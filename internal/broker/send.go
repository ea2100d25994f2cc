package broker

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/propagation"

	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/signing"
)

// Request is one attempt's message to a broker destination.
type Request struct {
	URL     string
	MsgID   string
	Body    []byte
	Secrets []string          // signing secrets: one signature each
	Headers map[string]string // the endpoint's custom headers
	// Username and Password authenticate the connection (auth basic);
	// empty: none.
	Username, Password string
	// Propagator, when set, writes the attempt's trace context into the
	// message headers (trace_propagation).
	Propagator propagation.TextMapPropagator
}

// ContentType is the content type of every message.
const ContentType = "application/json"

// BlockedReason is the reason of an attempt to a broker host the operator
// does not (or no longer) list.
const BlockedReason = "blocked address: broker destinations to this host are not allowed (HOOKLINE_BROKER_DESTINATIONS)"

// message is what is published: the body and its headers.
type message struct {
	id      string
	body    []byte
	headers map[string]string
}

// Send signs r (Standard Webhooks, the headers as message headers) and
// publishes it. Like the HTTP sender it never fails: every fault is an
// outcome with a client-safe reason; success is the broker's ack.
func (p *Publisher) Send(ctx context.Context, r Request) delivery.Outcome {
	d, err := Parse(r.URL)
	if err != nil {
		return delivery.Outcome{Reason: "invalid broker URL"}
	}
	if !slices.Contains(p.Allowed, d.Host) {
		return delivery.Outcome{Reason: BlockedReason, Blocked: true, BlockedAddr: d.Host}
	}
	headers, err := p.headers(ctx, r)
	if err != nil {
		return delivery.Outcome{Reason: "cannot sign: malformed secret"}
	}
	msg := message{id: r.MsgID, body: r.Body, headers: headers}
	creds := credentials{username: r.Username, password: r.Password}
	var out delivery.Outcome
	if d.Kind == NATS {
		out = p.publishNATS(ctx, d, creds, msg)
	} else {
		out = p.publishAMQP(ctx, d, creds, msg)
	}
	out.Headers = slices.Sorted(maps.Keys(lowered(headers)))
	return out
}

// headers are the message headers: the custom ones first, so none of
// Hookline's can be overridden; Hookline's in lowercase, as the standard
// names them (broker headers are case-sensitive).
func (p *Publisher) headers(ctx context.Context, r Request) (map[string]string, error) {
	h := make(map[string]string, len(r.Headers)+6)
	maps.Copy(h, r.Headers)
	if r.Propagator != nil {
		r.Propagator.Inject(ctx, propagation.MapCarrier(h))
	}
	h["content-type"] = ContentType
	sig := http.Header{}
	if err := signing.SetHeaders(sig, r.MsgID, p.now(), r.Body, r.Secrets...); err != nil {
		return nil, err
	}
	for k := range sig {
		h[strings.ToLower(k)] = sig.Get(k)
	}
	return h, nil
}

func lowered(h map[string]string) map[string]bool {
	out := make(map[string]bool, len(h))
	for k := range h {
		out[strings.ToLower(k)] = true
	}
	return out
}
