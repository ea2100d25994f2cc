package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/propagation"

	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/signing"
)

// MaxStoredResponse bounds the response body kept with an attempt.
const MaxStoredResponse = 4 << 10

// maxDrain is how much more of a response is read (and dropped) so the
// connection can be reused.
const maxDrain = 64 << 10

// BlockedReason is the reason of an attempt the SSRF guard refused.
const BlockedReason = "blocked address: the endpoint resolves to a private, loopback or reserved address"

// Outcome is what one attempt came to: a signed POST, or a publish to a
// broker destination (Acked).
type Outcome struct {
	Code       int
	Reason     string // short, client-safe: never a raw Go error (it may quote the URL)
	Body       string // the first MaxStoredResponse bytes, valid UTF-8
	Retryable  bool
	RetryAfter time.Duration
	Blocked    bool
	// BlockedAddr is the refused address: for the operator's log only.
	// Telling the tenant which internal address a name resolves to is a
	// map of our network.
	BlockedAddr string
	// AuthError: the receiver credential could not be obtained (no request
	// was sent, or a refresh after a 401 failed).
	AuthError bool
	// Headers are the names of the request headers sent (never values).
	Headers []string
	// Acked: a broker took the message (JetStream PubAck, RabbitMQ
	// publisher confirm), the broker's success; Code stays 0 and Body
	// describes the ack.
	Acked bool
}

// OK reports a 2xx or a broker's ack.
func (o Outcome) OK() bool { return o.Acked || o.Code >= 200 && o.Code < 300 }

// Class is the outcome class of the attempts metric.
func (o Outcome) Class() string {
	switch {
	case o.Acked:
		return "acked"
	case o.Code >= 200 && o.Code < 300:
		return "2xx"
	case o.Code >= 300 && o.Code < 400:
		return "3xx"
	case o.Code >= 400 && o.Code < 500:
		return "4xx"
	case o.Code >= 500:
		return "5xx"
	case o.Blocked:
		return "blocked"
	case o.AuthError:
		return "auth_error"
	case o.Reason == "timeout":
		return "timeout"
	}
	return "network_error"
}

// Sender signs (Standard Webhooks) and POSTs a body, and classifies the
// answer. Its client must be netguard's: SSRF-guarded, no redirects.
type Sender struct {
	Client    *http.Client
	UserAgent string
	Now       func() time.Time // nil: time.Now
}

// Authorizer supplies an attempt's Authorization header.
type Authorizer interface {
	// Authorization is the header value; an error is an auth_error outcome
	// (its message is client-safe: no secret).
	Authorization(ctx context.Context) (string, error)
	// Refresh replaces a value the receiver refused (401) with a fresh
	// one; ok false: this kind of credential cannot be refreshed.
	Refresh(ctx context.Context, refused string) (value string, ok bool, err error)
}

// Request is one attempt's POST.
type Request struct {
	URL     string
	MsgID   string
	Body    []byte
	Secrets []string          // signing secrets: one signature each
	Headers map[string]string // the endpoint's custom headers
	Auth    Authorizer        // nil: none
	Client  *http.Client      // nil: the Sender's (an endpoint's mutual-TLS client)
	// Propagator, when set, writes the attempt's trace context
	// (traceparent, tracestate) into the request: trace_propagation.
	Propagator propagation.TextMapPropagator
}

// AuthErrorPrefix starts the reason of an attempt whose credential could
// not be obtained (outcome auth_error).
const AuthErrorPrefix = "auth_error: "

// Send POSTs r, signed with every secret. A 401 with a refreshable
// credential is tried once more with a fresh one, inside the same attempt.
func (s *Sender) Send(ctx context.Context, r Request) Outcome {
	var auth string
	if r.Auth != nil {
		var err error
		if auth, err = r.Auth.Authorization(ctx); err != nil {
			return authError(err)
		}
	}
	out, names := s.post(ctx, r, auth)
	if out.Code == http.StatusUnauthorized && r.Auth != nil {
		fresh, ok, err := r.Auth.Refresh(ctx, auth)
		if err != nil {
			out = authError(err)
		} else if ok {
			out, names = s.post(ctx, r, fresh)
		}
	}
	out.Headers = names
	return out
}

func authError(err error) Outcome {
	return Outcome{Reason: AuthErrorPrefix + err.Error(), Retryable: true, AuthError: true}
}

// post makes one request and reports the header names it sent.
func (s *Sender) post(ctx context.Context, r Request, auth string) (Outcome, []string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Outcome{Reason: "invalid endpoint URL"}, nil
	}
	// Custom headers first: nothing below can be overridden by them.
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if r.Propagator != nil {
		r.Propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.UserAgent)
	if err := signing.SetHeaders(req.Header, r.MsgID, s.now(), r.Body, r.Secrets...); err != nil {
		return Outcome{Reason: "cannot sign: malformed secret"}, nil
	}
	names := make([]string, 0, len(req.Header))
	for k := range req.Header {
		names = append(names, strings.ToLower(k))
	}
	slices.Sort(names)
	c := r.Client
	if c == nil {
		c = s.Client
	}
	resp, err := c.Do(req)
	if err != nil {
		return classifyError(err), names
	}
	defer resp.Body.Close()
	stored, _ := io.ReadAll(io.LimitReader(resp.Body, MaxStoredResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	out := Outcome{Code: resp.StatusCode, Body: validUTF8(stored)}
	if !out.OK() {
		out.Reason = "HTTP " + strconv.Itoa(resp.StatusCode)
		out.Retryable = Retryable(resp.StatusCode)
		out.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), s.now())
	}
	return out, names
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func classifyError(err error) Outcome {
	var be *netguard.BlockedError
	switch {
	case errors.As(err, &be):
		return Outcome{Reason: BlockedReason, Blocked: true, BlockedAddr: be.Addr.String()}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return Outcome{Reason: "timeout", Retryable: true}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Outcome{Reason: "connection refused", Retryable: true}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Outcome{Reason: "connection reset", Retryable: true}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return Outcome{Reason: "DNS lookup failed", Retryable: true}
	}
	if strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:") {
		return Outcome{Reason: "TLS handshake failed", Retryable: true}
	}
	return Outcome{Reason: "connection error", Retryable: true}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// validUTF8 makes a response body storable as Postgres text.
func validUTF8(b []byte) string {
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\x00", "")
}
