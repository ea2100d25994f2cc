package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/signing"
)

// MaxStoredResponse bounds the response body kept with an attempt.
const MaxStoredResponse = 4 << 10

// maxDrain is how much more of a response is read (and dropped) so the
// connection can be reused.
const maxDrain = 64 << 10

// AttemptInput names one delivery attempt.
type AttemptInput struct {
	DeliveryID uuid.UUID `json:"delivery_id"`
	Attempt    int       `json:"attempt"`
}

// AttemptResult is what the workflow needs to go on: no payload, no secret,
// no response body.
type AttemptResult struct {
	Status     string        `json:"status"`
	StatusCode int           `json:"status_code,omitempty"`
	Error      string        `json:"error,omitempty"`
	NextDelay  time.Duration `json:"next_delay,omitempty"`
}

// AttemptDelivery makes attempt n of a delivery: it loads the event, endpoint
// and secrets, signs, POSTs, and records the attempt with the delivery's new
// state in one statement. HTTP outcomes are results; an error means an
// infrastructure fault and Temporal retries the activity. A retry after the
// write committed returns the recorded state without posting again.
func (a *Activities) AttemptDelivery(ctx context.Context, in AttemptInput) (AttemptResult, error) {
	q := dbq.New(a.Pool)
	d, err := q.GetAttemptContext(ctx, in.DeliveryID)
	if db.IsNoRows(err) {
		return AttemptResult{Status: StatusGone}, nil
	}
	if err != nil {
		return AttemptResult{}, fmt.Errorf("load delivery: %w", err)
	}
	if Terminal(d.Status) || int(d.AttemptCount) >= in.Attempt {
		return a.recorded(d), nil
	}
	if d.EndpointUrl == nil {
		return a.finishWithoutAttempt(ctx, q, d, "endpoint deleted")
	}
	// Test deliveries go out even to inactive endpoints: that is how a
	// tenant checks an endpoint before switching it on.
	if !*d.EndpointActive && d.EventType != publish.TestEventType {
		return a.finishWithoutAttempt(ctx, q, d, "endpoint disabled")
	}
	if d.EventOccurredAt == nil {
		return AttemptResult{}, fmt.Errorf("delivery %s: event %s missing", d.ID, d.EventID)
	}
	secrets, err := a.signingSecrets(d.TenantID, d.EndpointID, d.SecretCiphertext, d.PreviousSecrets)
	if err != nil {
		return AttemptResult{}, err
	}

	body := Envelope(dbq.Event{ID: d.EventID, Type: d.EventType, Payload: d.EventPayload, OccurredAt: *d.EventOccurredAt})
	started := a.now()
	out := a.post(ctx, *d.EndpointUrl, d.ID.String(), body, secrets)
	dur := a.now().Sub(started)

	res := AttemptResult{StatusCode: out.code, Error: out.reason}
	switch {
	case out.code >= 200 && out.code < 300:
		res.Status = StatusSucceeded
	default:
		res.Status, res.NextDelay = a.Policy.Next(in.Attempt, out.retryable, out.retryAfter, nil)
	}
	var next *time.Time
	if res.Status == StatusInFlight {
		t := a.now().Add(res.NextDelay)
		next = &t
	}
	if _, err := q.RecordAttempt(ctx, dbq.RecordAttemptParams{
		Status: res.Status, AttemptCount: int32(in.Attempt), LastStatusCode: nonZero(int32(out.code)),
		LastError: nonEmpty(out.reason), NextAttemptAt: next, ID: d.ID, StartedAt: started,
		DurationMs: int32(dur.Milliseconds()), ResponseBody: nonEmpty(out.body),
	}); err != nil {
		return AttemptResult{}, fmt.Errorf("record attempt: %w", err)
	}
	// The SDK logger adds the workflow and activity ids.
	logArgs := []any{"delivery_id", d.ID, "tenant_id", d.TenantID,
		"attempt", in.Attempt, "status", res.Status, "status_code", out.code, "error", out.reason, "duration", dur}
	if out.blocked {
		logArgs = append(logArgs, "blocked_addr", out.blockedAddr)
	}
	activity.GetLogger(ctx).Info("delivery attempt", logArgs...)
	if a.Metrics != nil {
		a.Metrics.ObserveAttempt(outcomeClass(out), dur)
		if Terminal(res.Status) {
			a.Metrics.ObserveFinal(res.Status, a.now().Sub(d.CreatedAt))
		}
	}
	return res, nil
}

// recorded answers from the stored state (the attempt was already written).
func (a *Activities) recorded(d dbq.GetAttemptContextRow) AttemptResult {
	res := AttemptResult{Status: d.Status}
	if d.LastStatusCode != nil {
		res.StatusCode = int(*d.LastStatusCode)
	}
	if d.LastError != nil {
		res.Error = *d.LastError
	}
	if d.Status == StatusInFlight && d.NextAttemptAt != nil {
		res.NextDelay = max(d.NextAttemptAt.Sub(a.now()), time.Second)
	}
	return res
}

func (a *Activities) finishWithoutAttempt(ctx context.Context, q *dbq.Queries, d dbq.GetAttemptContextRow, reason string) (AttemptResult, error) {
	if _, err := q.SetDeliveryStatus(ctx, dbq.SetDeliveryStatusParams{Status: StatusFailed, LastError: &reason, ID: d.ID}); err != nil {
		return AttemptResult{}, fmt.Errorf("record %s: %w", reason, err)
	}
	if a.Metrics != nil {
		a.Metrics.ObserveFinal(StatusFailed, a.now().Sub(d.CreatedAt))
	}
	return AttemptResult{Status: StatusFailed, Error: reason}, nil
}

// signingSecrets decrypts the current secret and the previous ones still
// within their grace periods (the query selects those).
func (a *Activities) signingSecrets(tenantID, endpointID uuid.UUID, current []byte, previous [][]byte) ([]string, error) {
	cur, err := a.Box.OpenEndpointSecret(tenantID, endpointID, current)
	if err != nil {
		return nil, fmt.Errorf("decrypt endpoint secret: %w", err)
	}
	secrets := []string{cur}
	for _, p := range previous {
		prev, err := a.Box.OpenEndpointSecret(tenantID, endpointID, p)
		if err != nil {
			return nil, fmt.Errorf("decrypt previous endpoint secret: %w", err)
		}
		secrets = append(secrets, prev)
	}
	return secrets, nil
}

// Envelope is the body every receiver gets. The payload's bytes are copied
// verbatim (events.payload is json, not jsonb), so retries are byte-identical.
func Envelope(ev dbq.Event) []byte {
	id, _ := json.Marshal(ev.ID)
	typ, _ := json.Marshal(ev.Type)
	var b bytes.Buffer
	b.Grow(len(ev.Payload) + 128)
	b.WriteString(`{"id":`)
	b.Write(id)
	b.WriteString(`,"type":`)
	b.Write(typ)
	b.WriteString(`,"timestamp":"`)
	b.WriteString(ev.OccurredAt.UTC().Format(time.RFC3339Nano))
	b.WriteString(`","data":`)
	b.Write(ev.Payload)
	b.WriteString(`}`)
	return b.Bytes()
}

type postOutcome struct {
	code       int
	reason     string // short, client-safe: never a raw Go error (it may quote the URL)
	body       string
	retryable  bool
	retryAfter time.Duration
	blocked    bool
	// blockedAddr is the refused address: logged, never stored or returned.
	blockedAddr string
}

// BlockedReason is last_error of an attempt the SSRF guard refused.
const BlockedReason = "blocked address: the endpoint resolves to a private, loopback or reserved address"

// post sends one signed request and classifies what came back.
func (a *Activities) post(ctx context.Context, url, msgID string, body []byte, secrets []string) postOutcome {
	return a.send(ctx, a.HTTP, url, msgID, body, secrets)
}

func (a *Activities) send(ctx context.Context, c *http.Client, url, msgID string, body []byte, secrets []string) postOutcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return postOutcome{reason: "invalid endpoint URL", retryable: false}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", a.UserAgent)
	if err := signing.SetHeaders(req.Header, msgID, a.now(), body, secrets...); err != nil {
		return postOutcome{reason: "cannot sign: malformed secret", retryable: false}
	}
	resp, err := c.Do(req)
	if err != nil {
		return classifyError(err)
	}
	defer resp.Body.Close()
	stored, _ := io.ReadAll(io.LimitReader(resp.Body, MaxStoredResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	out := postOutcome{code: resp.StatusCode, body: validUTF8(stored)}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		out.reason = "HTTP " + strconv.Itoa(resp.StatusCode)
		out.retryable = Retryable(resp.StatusCode)
		out.retryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), a.now())
	}
	return out
}

func classifyError(err error) postOutcome {
	var be *netguard.BlockedError
	switch {
	case errors.As(err, &be):
		// The resolved address is for the operator's log only: telling the
		// tenant which internal address a name resolves to is a map of our network.
		return postOutcome{reason: BlockedReason, blocked: true, blockedAddr: be.Addr.String()}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return postOutcome{reason: "timeout", retryable: true}
	case errors.Is(err, syscall.ECONNREFUSED):
		return postOutcome{reason: "connection refused", retryable: true}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return postOutcome{reason: "connection reset", retryable: true}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return postOutcome{reason: "DNS lookup failed", retryable: true}
	}
	if strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:") {
		return postOutcome{reason: "TLS handshake failed", retryable: true}
	}
	return postOutcome{reason: "connection error", retryable: true}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func outcomeClass(o postOutcome) string {
	switch {
	case o.code >= 200 && o.code < 300:
		return "2xx"
	case o.code >= 300 && o.code < 400:
		return "3xx"
	case o.code >= 400 && o.code < 500:
		return "4xx"
	case o.code >= 500:
		return "5xx"
	case o.blocked:
		return "blocked"
	case o.reason == "timeout":
		return "timeout"
	}
	return "network_error"
}

// validUTF8 makes a response body storable as Postgres text.
func validUTF8(b []byte) string {
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\x00", "")
}

func nonZero(v int32) *int32 {
	if v == 0 {
		return nil
	}
	return &v
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
