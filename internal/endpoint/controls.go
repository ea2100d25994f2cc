package endpoint

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/secretbox"
)

// Controls are an endpoint's delivery controls as a create sets them.
type Controls struct {
	Headers        map[string]string
	Auth           *Auth
	TLS            *TLS
	RetrySchedule  []string // nil: the deployment's
	TimeoutSeconds *int     // nil: the deployment's
}

// Change is a PATCH of a nullable field: a nil Value removes it.
type Change[T any] struct{ Value *T }

// ControlsPatch changes delivery controls; nil fields keep their value.
type ControlsPatch struct {
	Headers        map[string]*string // RFC 7396: a nil value removes that header
	Auth           *Change[Auth]      // replaces the whole auth (secrets included)
	TLS            *Change[TLS]
	RetrySchedule  *Change[[]string]
	TimeoutSeconds *Change[int]
}

func (p ControlsPatch) empty() bool {
	return p.Headers == nil && p.Auth == nil && p.TLS == nil && p.RetrySchedule == nil && p.TimeoutSeconds == nil
}

// Secrets is the sealed document of an endpoint (secrets_ciphertext).
type Secrets struct {
	Headers      map[string]string `json:"headers,omitempty"`
	Password     string            `json:"password,omitempty"`
	Token        string            `json:"token,omitempty"`
	ClientSecret string            `json:"client_secret,omitempty"`
	TLS          *TLS              `json:"tls,omitempty"`
}

func (s Secrets) empty() bool {
	return len(s.Headers) == 0 && s.Password == "" && s.Token == "" && s.ClientSecret == "" && s.TLS == nil
}

// Columns are the stored delivery controls of an endpoint row.
type Columns struct {
	Headers           json.RawMessage
	SensitiveHeaders  []string
	Auth              json.RawMessage
	TLS               json.RawMessage
	TLSNotAfter       *time.Time
	SecretsCiphertext []byte
	RetrySchedule     []string
	TimeoutSeconds    *int32
}

// ColumnsOf reads the controls of an endpoint row.
func ColumnsOf(e dbq.WebhookEndpoint) Columns {
	return Columns{Headers: e.Headers, SensitiveHeaders: e.SensitiveHeaders, Auth: e.Auth, TLS: e.Tls,
		TLSNotAfter: e.TlsNotAfter, SecretsCiphertext: e.SecretsCiphertext, RetrySchedule: e.RetrySchedule, TimeoutSeconds: e.TimeoutSeconds}
}

// Resolved are an endpoint's controls with their secrets opened: what an
// attempt is made with, and what an update merges into.
type Resolved struct {
	Headers        HeaderSet
	Auth           *Auth // secrets included
	TLS            *TLS
	TLSSummary     *TLSSummary
	RetrySchedule  []string
	TimeoutSeconds *int
}

// Schedule is the retry schedule the endpoint sets (nil: the deployment's).
func (r Resolved) Schedule() []time.Duration {
	if r.RetrySchedule == nil {
		return nil
	}
	out := make([]time.Duration, len(r.RetrySchedule))
	for i, s := range r.RetrySchedule {
		out[i], _ = time.ParseDuration(s) // validated when saved
	}
	return out
}

// Resolve opens c's sealed secrets. An error means the secrets cannot be
// decrypted (a wrong key): retrying does not heal it.
func Resolve(box *secretbox.Box, tenantID, id uuid.UUID, c Columns) (Resolved, error) {
	r := Resolved{Headers: HeaderSet{Plain: map[string]string{}, Sensitive: map[string]string{}}, RetrySchedule: c.RetrySchedule}
	if c.TimeoutSeconds != nil {
		t := int(*c.TimeoutSeconds)
		r.TimeoutSeconds = &t
	}
	if len(c.Headers) > 0 {
		if err := json.Unmarshal(c.Headers, &r.Headers.Plain); err != nil {
			return r, fmt.Errorf("endpoint headers: %w", err)
		}
	}
	var sec Secrets
	if c.SecretsCiphertext != nil {
		pt, err := box.OpenEndpointSecrets(tenantID, id, c.SecretsCiphertext)
		if err != nil {
			return r, fmt.Errorf("open endpoint secrets: %w", err)
		}
		if err := json.Unmarshal(pt, &sec); err != nil {
			return r, fmt.Errorf("endpoint secrets: %w", err)
		}
	}
	if sec.Headers != nil {
		r.Headers.Sensitive = sec.Headers
	}
	if len(c.Auth) > 0 && string(c.Auth) != "null" {
		var a Auth
		if err := json.Unmarshal(c.Auth, &a); err != nil {
			return r, fmt.Errorf("endpoint auth: %w", err)
		}
		a = a.withSecrets(sec)
		r.Auth = &a
	}
	r.TLS = sec.TLS
	if len(c.TLS) > 0 && string(c.TLS) != "null" {
		var sum TLSSummary
		if err := json.Unmarshal(c.TLS, &sum); err != nil {
			return r, fmt.Errorf("endpoint tls: %w", err)
		}
		r.TLSSummary = &sum
	}
	return r, nil
}

// columns seals r into the stored form.
func columns(box *secretbox.Box, tenantID, id uuid.UUID, r Resolved) (Columns, error) {
	c := Columns{SensitiveHeaders: append([]string{}, r.Headers.SensitiveNames()...), RetrySchedule: r.RetrySchedule}
	var err error
	if c.Headers, err = json.Marshal(r.Headers.Plain); err != nil {
		return c, err
	}
	sec := Secrets{TLS: r.TLS}
	if len(r.Headers.Sensitive) > 0 {
		sec.Headers = r.Headers.Sensitive
	}
	if r.Auth != nil {
		sec.Password, sec.Token, sec.ClientSecret = r.Auth.Password, r.Auth.Token, r.Auth.ClientSecret
		if c.Auth, err = json.Marshal(r.Auth.Public()); err != nil {
			return c, err
		}
	}
	if r.TLSSummary != nil {
		if c.TLS, err = json.Marshal(r.TLSSummary); err != nil {
			return c, err
		}
		na := r.TLSSummary.NotAfter
		c.TLSNotAfter = &na
	}
	if !sec.empty() {
		pt, err := json.Marshal(sec)
		if err != nil {
			return c, err
		}
		c.SecretsCiphertext = box.SealEndpointSecrets(tenantID, id, pt)
	}
	if r.TimeoutSeconds != nil {
		t := int32(*r.TimeoutSeconds)
		c.TimeoutSeconds = &t
	}
	return c, nil
}

// Limits of the per-endpoint retry schedule and timeout.
const (
	MaxRetryDelays = 20
	MinRetryDelay  = time.Second
	MaxRetryDelay  = 24 * time.Hour
	MaxTimeout     = 30
)

// normalizeSchedule validates a retry schedule and writes each delay as
// HOOKLINE_RETRY_SCHEDULE would ("5m", "1h30m").
func normalizeSchedule(s []string) ([]string, error) {
	const f = "body.retry_schedule"
	if len(s) < 1 || len(s) > MaxRetryDelays {
		return nil, apperr.Invalid(f, nil, "1–%d delays, or null for the deployment's schedule", MaxRetryDelays)
	}
	out := make([]string, len(s))
	for i, v := range s {
		d, err := time.ParseDuration(v)
		if err != nil || d < MinRetryDelay || d > MaxRetryDelay {
			return nil, apperr.Invalid(f+"["+strconv.Itoa(i)+"]", v, "each delay is a Go duration from 1s to 24h, e.g. \"30s\" or \"5m\"")
		}
		out[i] = delivery.FormatSchedule([]time.Duration{d})
	}
	return out, nil
}

func validateTimeout(t *int) error {
	if t != nil && (*t < 1 || *t > MaxTimeout) {
		return apperr.Invalid("body.timeout_seconds", *t, "timeout_seconds is 1–%d, or null for the deployment's", MaxTimeout)
	}
	return nil
}

// resolveCreate validates the controls of a new endpoint.
func (s *Service) resolveCreate(c Controls) (Resolved, error) {
	r := Resolved{TimeoutSeconds: c.TimeoutSeconds}
	var err error
	if c.Auth != nil {
		a, err := s.validateAuth(*c.Auth)
		if err != nil {
			return r, err
		}
		r.Auth = &a
	}
	if r.Headers, err = splitHeaders(c.Headers, r.Auth != nil); err != nil {
		return r, err
	}
	if c.TLS != nil {
		sum, err := checkTLS(*c.TLS, s.now())
		if err != nil {
			return r, err
		}
		r.TLS, r.TLSSummary = c.TLS, &sum
	}
	if c.RetrySchedule != nil {
		if r.RetrySchedule, err = normalizeSchedule(c.RetrySchedule); err != nil {
			return r, err
		}
	}
	return r, validateTimeout(c.TimeoutSeconds)
}

// resolvePatch applies p to the current controls and validates the result.
func (s *Service) resolvePatch(cur Resolved, p ControlsPatch) (Resolved, error) {
	next := cur
	var err error
	if p.Auth != nil {
		next.Auth = nil
		if p.Auth.Value != nil {
			a, err := s.validateAuth(*p.Auth.Value)
			if err != nil {
				return next, err
			}
			next.Auth = &a
		}
	}
	patch := p.Headers
	if patch == nil {
		patch = map[string]*string{}
	}
	if next.Headers, err = mergeHeaders(cur.Headers, patch, next.Auth != nil); err != nil {
		return next, err
	}
	if p.TLS != nil {
		next.TLS, next.TLSSummary = nil, nil
		if p.TLS.Value != nil {
			sum, err := checkTLS(*p.TLS.Value, s.now())
			if err != nil {
				return next, err
			}
			next.TLS, next.TLSSummary = p.TLS.Value, &sum
		}
	}
	if p.RetrySchedule != nil {
		next.RetrySchedule = nil
		if p.RetrySchedule.Value != nil {
			if next.RetrySchedule, err = normalizeSchedule(*p.RetrySchedule.Value); err != nil {
				return next, err
			}
		}
	}
	if p.TimeoutSeconds != nil {
		next.TimeoutSeconds = p.TimeoutSeconds.Value
		if err := validateTimeout(next.TimeoutSeconds); err != nil {
			return next, err
		}
	}
	return next, nil
}

// fields names the controls p changes.
func (p ControlsPatch) fields() map[string]bool {
	return map[string]bool{"headers": p.Headers != nil, "auth": p.Auth != nil, "tls": p.TLS != nil,
		"retry_schedule": p.RetrySchedule != nil, "timeout_seconds": p.TimeoutSeconds != nil}
}

// auditControls describes r for the audit log: header names, the auth's
// public part, the certificate's summary; never a secret.
func auditControls(r Resolved) map[string]any {
	out := map[string]any{"headers": slices.Sorted(maps.Keys(r.Headers.All())), "retry_schedule": r.RetrySchedule, "timeout_seconds": r.TimeoutSeconds}
	if r.Auth != nil {
		out["auth"] = r.Auth.Public()
	} else {
		out["auth"] = nil
	}
	if r.TLSSummary != nil {
		out["tls"] = *r.TLSSummary
	} else {
		out["tls"] = nil
	}
	return out
}
