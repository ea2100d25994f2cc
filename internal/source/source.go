// Package source is broker ingest (DESIGN §9.5): operator-managed sources —
// a NATS JetStream subject or a RabbitMQ queue — whose messages workers
// publish as events, exactly like the REST operation. The Service manages
// the settings; the Runner (one per worker process) consumes them; each
// broker is a Driver behind one interface, tested by one shared suite.
package source

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/secretbox"
)

// Kind is the broker a source reads from.
type Kind string

// The source kinds.
const (
	KindNATS     Kind = "nats"
	KindRabbitMQ Kind = "rabbitmq"
)

// Status is whether workers are consuming a source.
type Status string

// The source statuses.
const (
	Connected Status = "connected"
	Failing   Status = "error"
)

// Source is one ingest source as shown to operators (its URL without the
// password).
type Source struct {
	Name      string
	Kind      Kind
	URL       string
	Subject   string
	Queue     string
	TenantID  *uuid.UUID
	Status    Status
	LastError *string
	StatusAt  *time.Time
	Received  int64
	Published int64
	Rejected  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func fromRow(r dbq.Source) Source {
	return Source{
		Name: r.Name, Kind: Kind(r.Kind), URL: r.Url, Subject: r.Subject, Queue: r.Queue, TenantID: r.TenantID,
		Status: Status(r.Status), LastError: r.LastError, StatusAt: r.StatusAt,
		Received: r.Received, Published: r.Published, Rejected: r.Rejected, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// PutInput is a source's settings.
type PutInput struct {
	Kind     Kind
	URL      string
	Subject  string
	Queue    string
	TenantID *uuid.UUID
}

// Service manages sources.
type Service struct {
	Pool *pgxpool.Pool
	Box  *secretbox.Box
}

var (
	validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	// A JetStream filter subject: dot-separated tokens, wildcards allowed.
	validSubject = regexp.MustCompile(`^([A-Za-z0-9_\-$:]+|\*)(\.([A-Za-z0-9_\-$:]+|\*))*(\.>)?$|^>$`)
)

// urlAD binds a sealed URL to its source.
func urlAD(name string) []byte { return secretbox.SourceURLAD(name) }

// Put creates or replaces a source; created reports which. Workers pick the
// change up within their poll interval and reconnect.
func (s *Service) Put(ctx context.Context, c audit.Caller, name string, in PutInput) (Source, bool, error) {
	shown, err := validate(name, &in)
	if err != nil {
		return Source{}, false, err
	}
	var out dbq.PutSourceRow
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		if in.TenantID != nil {
			if _, err := q.GetTenant(ctx, *in.TenantID); db.IsNotFound(err) {
				return apperr.Invalid("body.tenant_id", in.TenantID.String(), "no such tenant")
			} else if err != nil {
				return err
			}
		}
		if out, err = q.PutSource(ctx, dbq.PutSourceParams{
			Name: name, Kind: string(in.Kind), Url: shown, UrlCiphertext: s.Box.Seal([]byte(in.URL), urlAD(name)),
			Subject: in.Subject, Queue: in.Queue, TenantID: in.TenantID,
		}); err != nil {
			return err
		}
		return c.Record(ctx, q, "source.put", "source", name, map[string]any{
			"created": out.Created, "kind": in.Kind, "url": shown, "subject": in.Subject, "queue": in.Queue, "tenant_id": in.TenantID,
		})
	})
	if err != nil {
		return Source{}, false, err
	}
	return fromRow(dbq.Source{
		Name: out.Name, Kind: out.Kind, Url: out.Url, Subject: out.Subject, Queue: out.Queue, TenantID: out.TenantID,
		Status: out.Status, LastError: out.LastError, StatusAt: out.StatusAt, Received: out.Received, Published: out.Published,
		Rejected: out.Rejected, CreatedAt: out.CreatedAt, UpdatedAt: out.UpdatedAt,
	}), out.Created, nil
}

// validate checks in and returns its URL as shown (no password).
func validate(name string, in *PutInput) (string, error) {
	if !validName.MatchString(name) {
		return "", apperr.Invalid("path.name", name, "a source name is 1–63 characters of a–z, 0–9, _ and -, starting with a letter or digit")
	}
	u, err := url.Parse(strings.TrimSpace(in.URL))
	if err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "" || len(in.URL) > 2048 {
		return "", apperr.Invalid("body.url", nil, "url must be an absolute broker URL (nats://host:port or amqp://user:pass@host:port/vhost)")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch in.Kind {
	case KindNATS:
		if u.Scheme != "nats" && u.Scheme != "tls" {
			return "", apperr.Invalid("body.url", nil, "a nats source's url is nats:// or tls://")
		}
		if in.Queue != "" {
			return "", apperr.Invalid("body.queue", nil, "queue is a field of rabbitmq sources; nats sources name a subject")
		}
		if in.Subject == "" || len(in.Subject) > 255 || !validSubject.MatchString(in.Subject) {
			return "", apperr.Invalid("body.subject", in.Subject, "subject is required: NATS subject tokens separated by dots (wildcards * and > allowed)")
		}
	case KindRabbitMQ:
		if u.Scheme != "amqp" && u.Scheme != "amqps" {
			return "", apperr.Invalid("body.url", nil, "a rabbitmq source's url is amqp:// or amqps://")
		}
		if in.Subject != "" {
			return "", apperr.Invalid("body.subject", nil, "subject is a field of nats sources; rabbitmq sources name a queue")
		}
		if in.Queue == "" || len(in.Queue) > 200 || hasCTL(in.Queue) {
			return "", apperr.Invalid("body.queue", in.Queue, "queue is required: 1–200 characters, no control characters")
		}
	default:
		return "", apperr.Invalid("body.kind", in.Kind, "kind is one of nats, rabbitmq")
	}
	in.URL = u.String()
	switch _, has := u.User.Password(); {
	case has:
		u.User = url.UserPassword(u.User.Username(), "redacted")
	case u.User != nil: // a lone user part may be a token (nats://<token>@host)
		u.User = url.User("redacted")
	}
	return strings.NewReplacer(":redacted@", ":***@", "//redacted@", "//***@").Replace(u.String()), nil
}

func hasCTL(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Get returns a source with its status and counters.
func (s *Service) Get(ctx context.Context, name string) (Source, error) {
	r, err := db.Q(s.Pool).GetSource(ctx, name)
	if db.IsNotFound(err) {
		return Source{}, apperr.NotFound("source")
	}
	return fromRow(r), err
}

// List returns every source by name (operators have a handful).
func (s *Service) List(ctx context.Context) ([]Source, error) {
	rows, err := db.Q(s.Pool).ListSources(ctx)
	out := make([]Source, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, err
}

// Delete removes a source; workers stop consuming it within their poll
// interval. Messages left in the broker stay there.
func (s *Service) Delete(ctx context.Context, c audit.Caller, name string) error {
	return db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		n, err := q.DeleteSource(ctx, name)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("source")
		}
		return c.Record(ctx, q, "source.deleted", "source", name, nil)
	})
}
