package activities

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookline/hookline/db/dbq"

	"github.com/hookline/hookline/internal/broker"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/endpoint"
	"github.com/hookline/hookline/internal/oauth2cc"
)

// request builds an attempt's request to an endpoint from its stored
// delivery controls: custom headers, receiver auth, the mutual-TLS client.
// An error means the controls cannot be opened (wrong encryption key) or
// the client key pair no longer loads: retrying does not heal either.
func (a *Activities) request(tenantID, endpointID uuid.UUID, url string, cols endpoint.Columns) (delivery.Request, endpoint.Resolved, error) {
	r, err := endpoint.Resolve(a.Box, tenantID, endpointID, cols)
	if err != nil {
		return delivery.Request{}, r, err
	}
	req := delivery.Request{URL: url, Headers: r.Headers.All()}
	if r.Auth != nil {
		req.Auth = a.authorizer(endpointID, *r.Auth)
	}
	if r.TLS != nil && a.TLSClients != nil {
		t := *r.TLS
		sum := sha256.Sum256([]byte(t.ClientCertPEM + "\x00" + t.ClientKeyPEM + "\x00" + t.CACertPEM))
		key := endpointID.String() + "/" + hex.EncodeToString(sum[:])
		if req.Client, err = a.TLSClients.For(key, func() (*tls.Config, error) { return t.ClientConfig() }); err != nil {
			return delivery.Request{}, r, err
		}
	}
	return req, r, nil
}

// send makes the attempt: a broker publish for a nats:// or amqp:// URL
// (the endpoint's basic auth authenticates the connection), else the
// signed POST.
func (a *Activities) send(ctx context.Context, req delivery.Request, ctl endpoint.Resolved) delivery.Outcome {
	if !broker.IsBroker(req.URL) {
		return a.Sender.Send(ctx, req)
	}
	if a.Brokers == nil {
		return delivery.Outcome{Reason: "broker destinations are not enabled on this worker", Retryable: true}
	}
	br := broker.Request{URL: req.URL, MsgID: req.MsgID, Body: req.Body, Secrets: req.Secrets, Headers: req.Headers, Propagator: req.Propagator}
	if ctl.Auth != nil {
		if ctl.Auth.Type != endpoint.AuthBasic { // refused when saved; kept from before, it cannot be used
			return delivery.Outcome{Reason: "broker destinations take auth of type basic only"}
		}
		br.Username, br.Password = ctl.Auth.Username, ctl.Auth.Password
	}
	return a.Brokers.Send(ctx, br)
}

func (a *Activities) authorizer(endpointID uuid.UUID, auth endpoint.Auth) delivery.Authorizer {
	switch auth.Type {
	case endpoint.AuthBasic:
		return delivery.BasicAuth(auth.Username, auth.Password)
	case endpoint.AuthBearer:
		return delivery.BearerAuth(auth.Token)
	}
	return &oauth2Auth{cache: a.Tokens, key: endpointID.String(), cfg: auth.OAuth2()}
}

// oauth2Auth fetches (and shares) client-credentials tokens.
type oauth2Auth struct {
	cache *oauth2cc.Cache
	key   string
	cfg   oauth2cc.Config
}

func (o *oauth2Auth) Authorization(ctx context.Context) (string, error) {
	tok, err := o.cache.Token(ctx, o.key, o.cfg)
	if err != nil {
		return "", err
	}
	return "Bearer " + tok, nil
}

// Refresh drops the refused token and fetches a fresh one.
func (o *oauth2Auth) Refresh(ctx context.Context, refused string) (string, bool, error) {
	o.cache.Invalidate(o.key, strings.TrimPrefix(refused, "Bearer "))
	v, err := o.Authorization(ctx)
	return v, true, err
}

// timeout is an attempt's HTTP timeout: the endpoint's, else the deployment's.
func (a *Activities) timeout(r endpoint.Resolved) time.Duration {
	if r.TimeoutSeconds != nil {
		return time.Duration(*r.TimeoutSeconds) * time.Second
	}
	if a.DeliveryTimeout > 0 {
		return a.DeliveryTimeout
	}
	return 15 * time.Second
}

// policy is the retry policy of an endpoint: its own schedule, if it sets
// one, with the deployment's jitter and Retry-After cap.
func (a *Activities) policy(r endpoint.Resolved) delivery.RetryPolicy {
	p := a.Policy
	if s := r.Schedule(); s != nil {
		p.Schedule = s
	}
	return p
}

// attemptSpan starts the client span of one attempt (it joins the
// delivery's trace through the activity's context).
func (a *Activities) attemptSpan(ctx context.Context, d dbq.GetAttemptContextRow, n int) (context.Context, trace.Span) {
	if a.Tracer == nil {
		return ctx, noop.Span{} // never the parent's: the caller ends it
	}
	attrs := []attribute.KeyValue{
		attribute.String("hookline.tenant_id", d.TenantID.String()), attribute.String("hookline.endpoint_id", d.EndpointID.String()),
		attribute.String("hookline.delivery_id", d.ID.String()), attribute.Int("hookline.attempt", n),
		attribute.String("http.request.method", "POST"),
	}
	if d.EndpointUrl != nil && broker.IsBroker(*d.EndpointUrl) { // a publish, not a POST
		system := "nats"
		if strings.HasPrefix(*d.EndpointUrl, "amqp:") {
			system = "rabbitmq"
		}
		attrs[len(attrs)-1] = attribute.String("messaging.system", system)
	}
	return a.Tracer.Start(ctx, "webhook attempt", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

func endAttemptSpan(span trace.Span, out delivery.Outcome) {
	if !span.IsRecording() {
		return
	}
	if out.Code > 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", out.Code))
	}
	if !out.OK() {
		span.SetStatus(codes.Error, out.Reason) // client-safe by construction
	}
	span.End()
}
