// Package broker delivers webhooks to message brokers: an endpoint URL
// nats://host:port/<subject> is a JetStream publish, and
// amqp://host:port/<exchange>?routing_key=<key> a RabbitMQ publish with
// publisher confirms. The message is the signed body with the Standard
// Webhooks headers as message headers; success is the broker's ack.
package broker

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Kind is a broker protocol, the URL's scheme.
type Kind string

// The broker kinds.
const (
	NATS Kind = "nats"
	AMQP Kind = "amqp"
)

// Default ports when a URL names none.
const (
	DefaultNATSPort = "4222"
	DefaultAMQPPort = "5672"
)

// Limits of a destination's names.
const (
	maxURL     = 2048
	maxSubject = 256
	maxAMQP    = 255 // an AMQP shortstr
)

// Destination is a parsed, normalised broker URL.
type Destination struct {
	Kind Kind
	// Host is host:port with a lowercase host and the port explicit: the
	// form HOOKLINE_BROKER_DESTINATIONS lists.
	Host       string
	Subject    string // NATS
	Exchange   string // AMQP; empty: the default exchange
	RoutingKey string // AMQP
}

// IsBroker reports whether raw has a broker scheme (nats or amqp), whatever
// else may be wrong with it: such a URL is judged by Parse, not as HTTP.
func IsBroker(raw string) bool {
	scheme, _, ok := strings.Cut(strings.TrimSpace(raw), ":")
	if !ok {
		return false
	}
	s := Kind(strings.ToLower(scheme))
	return s == NATS || s == AMQP
}

// Parse validates a broker URL. Its errors are client-safe sentences.
func Parse(raw string) (Destination, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > maxURL {
		return Destination{}, errors.New("must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return Destination{}, errors.New("must be nats://host:port/<subject> or amqp://host:port/<exchange>?routing_key=<key>")
	}
	d := Destination{Kind: Kind(strings.ToLower(u.Scheme))}
	switch {
	case d.Kind != NATS && d.Kind != AMQP:
		return d, errors.New("scheme must be nats or amqp")
	case u.User != nil:
		return d, errors.New("must not contain credentials (userinfo): set auth of type basic instead")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return d, errors.New("must not contain a fragment")
	case u.Hostname() == "":
		return d, errors.New("must name a host")
	}
	port := u.Port()
	if port == "" {
		port = DefaultNATSPort
		if d.Kind == AMQP {
			port = DefaultAMQPPort
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return d, errors.New("invalid port")
	}
	d.Host = net.JoinHostPort(strings.ToLower(u.Hostname()), port)
	path := strings.TrimPrefix(u.Path, "/")
	if d.Kind == NATS {
		if u.RawQuery != "" || u.ForceQuery {
			return d, errors.New("a nats URL takes no query")
		}
		d.Subject = path
		return d, checkSubject(path)
	}
	d.Exchange = path
	if err := checkAMQPName("exchange", path); err != nil {
		return d, err
	}
	if d.RoutingKey, err = routingKey(u.RawQuery); err != nil {
		return d, err
	}
	if d.Exchange == "" && d.RoutingKey == "" {
		return d, errors.New("the default exchange (empty path) needs a routing_key: the name of the queue")
	}
	return d, nil
}

// checkSubject accepts a literal NATS subject: dot-separated non-empty
// tokens of visible ASCII, no wildcard. System subjects ($JS, $SYS, …)
// and reply inboxes are refused: a webhook body sent there would be an
// API request to the broker (deleting a stream, say), not a message.
func checkSubject(s string) error {
	switch {
	case s == "":
		return errors.New("must name a subject: nats://host:port/<subject>")
	case len(s) > maxSubject:
		return errors.New("the subject is at most 256 characters")
	case strings.ContainsAny(s, "*>"):
		return errors.New("the subject must be literal: no wildcard (* or >)")
	case strings.HasPrefix(s, "$") || s == "_INBOX" || strings.HasPrefix(s, "_INBOX."):
		return errors.New("the subject may not be a system subject ($…) or a reply inbox (_INBOX)")
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" {
			return errors.New("the subject's tokens (between dots) may not be empty")
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return errors.New("the subject is visible ASCII: no space or control character")
		}
	}
	return nil
}

// checkAMQPName accepts what RabbitMQ accepts for an exchange name:
// letters, digits, hyphen, underscore, period and colon.
func checkAMQPName(what, s string) error {
	if len(s) > maxAMQP {
		return errors.New("the " + what + " is at most 255 characters")
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)
		if !ok {
			return errors.New("the " + what + " may hold only letters, digits, '-', '_', '.' and ':'")
		}
	}
	return nil
}

// routingKey reads the one query parameter an amqp URL takes.
func routingKey(rawQuery string) (string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", errors.New("malformed query")
	}
	for k, v := range q {
		if k != "routing_key" {
			return "", errors.New("unknown query parameter " + strconv.Quote(k) + ": an amqp URL takes only routing_key")
		}
		if len(v) > 1 {
			return "", errors.New("routing_key is given more than once")
		}
	}
	key := q.Get("routing_key")
	if len(key) > maxAMQP {
		return "", errors.New("the routing_key is at most 255 bytes")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] == 0x7f {
			return "", errors.New("the routing_key may not contain control characters")
		}
	}
	return key, nil
}

// String is the normalised URL: lowercase scheme and host, explicit port.
func (d Destination) String() string {
	u := url.URL{Scheme: string(d.Kind), Host: d.Host, Path: "/" + d.Subject}
	if d.Kind == AMQP {
		u.Path = "/" + d.Exchange
		if d.RoutingKey != "" {
			u.RawQuery = url.Values{"routing_key": {d.RoutingKey}}.Encode()
		}
	}
	return u.String()
}
