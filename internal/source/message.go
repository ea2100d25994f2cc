package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/publish"
)

// Message is one broker message, as a driver hands it over.
type Message struct {
	Body []byte
	// BrokerID identifies the message across redeliveries when its body
	// names no id: a RabbitMQ message_id, a NATS Nats-Msg-Id header, else
	// the JetStream stream sequence ("" when the broker has none).
	BrokerID string
}

// badMessage is why a message can never be published (it is rejected to
// the dead letter, not retried).
type badMessage struct{ reason string }

func (e *badMessage) Error() string { return e.reason }

func bad(format string, args ...any) error { return &badMessage{fmt.Sprintf(format, args...)} }

// body is the publish body, plus tenant_id for unbound sources.
type body struct {
	TenantID    *uuid.UUID      `json:"tenant_id"`
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Payload     json.RawMessage `json:"payload"`
	OccurredAt  *time.Time      `json:"occurred_at"`
	Channels    []string        `json:"channels"`
	OrderingKey string          `json:"ordering_key"`
}

// cloudEvent is a CloudEvents 1.0 structured-mode JSON event; extensions
// tenantid and orderingkey are Hookline's.
type cloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            *time.Time      `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	DataBase64      *string         `json:"data_base64"`
	TenantID        string          `json:"tenantid"`
	OrderingKey     string          `json:"orderingkey"`
}

// decode turns a message into the event to publish and the tenant it names
// (nil: none). A CloudEvent is told by its specversion attribute.
func decode(m Message) (*uuid.UUID, publish.Event, error) {
	var probe struct {
		SpecVersion *string `json:"specversion"`
	}
	if err := json.Unmarshal(m.Body, &probe); err != nil {
		return nil, publish.Event{}, bad("not a JSON object")
	}
	var (
		tenant *uuid.UUID
		ev     publish.Event
		err    error
	)
	if probe.SpecVersion != nil {
		tenant, ev, err = decodeCloudEvent(m.Body)
	} else {
		tenant, ev, err = decodeBody(m.Body)
	}
	if err != nil {
		return nil, ev, err
	}
	if ev.ID == "" {
		ev.ID = fallbackID(m)
	}
	return tenant, ev, nil
}

func decodeBody(raw []byte) (*uuid.UUID, publish.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a misspelt field would silently drop data
	var b body
	if err := dec.Decode(&b); err != nil {
		return nil, publish.Event{}, bad("not a publish body: %s", jsonProblem(err))
	}
	return b.TenantID, publish.Event{ID: b.ID, Type: b.Type, Payload: b.Payload, OccurredAt: b.OccurredAt,
		Channels: b.Channels, OrderingKey: b.OrderingKey}, nil
}

func decodeCloudEvent(raw []byte) (*uuid.UUID, publish.Event, error) {
	var ce cloudEvent
	if err := json.Unmarshal(raw, &ce); err != nil {
		return nil, publish.Event{}, bad("not a CloudEvent: %s", jsonProblem(err))
	}
	switch {
	case ce.SpecVersion != "1.0":
		return nil, publish.Event{}, bad("CloudEvents specversion %q is not supported (1.0 is)", ce.SpecVersion)
	case ce.ID == "" || ce.Source == "" || ce.Type == "":
		return nil, publish.Event{}, bad("a CloudEvent needs id, source and type")
	case ce.DataBase64 != nil:
		return nil, publish.Event{}, bad("data_base64 is not supported: data must be a JSON object")
	case ce.DataContentType != "" && !strings.HasPrefix(ce.DataContentType, "application/json") &&
		!strings.HasSuffix(strings.SplitN(ce.DataContentType, ";", 2)[0], "+json"):
		return nil, publish.Event{}, bad("datacontenttype %q is not JSON", ce.DataContentType)
	}
	var tenant *uuid.UUID
	if ce.TenantID != "" {
		id, err := uuid.Parse(ce.TenantID)
		if err != nil {
			return nil, publish.Event{}, bad("tenantid is not a UUID")
		}
		tenant = &id
	}
	return tenant, publish.Event{ID: ce.ID, Type: ce.Type, Payload: ce.Data, OccurredAt: ce.Time, OrderingKey: ce.OrderingKey}, nil
}

// fallbackID names a message whose body has no id, so a redelivery
// publishes once: the broker's id, else a hash of the body (two identical
// id-less messages are then one event — producers should send ids).
func fallbackID(m Message) string {
	if m.BrokerID != "" {
		return m.BrokerID
	}
	sum := sha256.Sum256(m.Body)
	return "msg_" + hex.EncodeToString(sum[:16])
}

// jsonProblem says what is wrong with a body without quoting it.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong type", te.Field)
	case errors.As(err, &se):
		return "invalid JSON"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "invalid JSON"
}
