package endpoint

import (
	"encoding/json"
	"slices"

	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/broker"
)

// validateBrokerURL checks a nats:// or amqp:// endpoint URL and returns it
// normalised. The SSRF guard does not apply: the operator lists the broker
// hosts endpoints may use (HOOKLINE_BROKER_DESTINATIONS), and only those.
func (s *Service) validateBrokerURL(field, raw string) (string, error) {
	d, err := broker.Parse(raw)
	if err != nil {
		return "", apperr.Invalid(field, raw, "%s", err.Error()) // Parse's errors are client-safe sentences
	}
	if !slices.Contains(s.BrokerHosts, d.Host) {
		return "", apperr.Invalid(field, raw, "broker destinations to %s are not allowed on this server (the operator lists the allowed hosts in HOOKLINE_BROKER_DESTINATIONS)", d.Host)
	}
	return d.String(), nil
}

// brokerControls refuses what a broker destination cannot use: auth other
// than basic (it logs in to the broker; there is no Authorization header to
// carry a token) and client TLS (connections to brokers are plain). Update
// judges the endpoint as it will be saved, so a PATCH changing only the
// URL, or only auth or tls, is held to it too.
func brokerControls(url string, auth AuthType, hasTLS bool) error {
	if !broker.IsBroker(url) {
		return nil
	}
	if auth != "" && auth != AuthBasic {
		return apperr.Invalid("body.auth.type", auth, "a broker destination (nats://, amqp://) takes auth of type basic (its username and password log in to the broker) or none")
	}
	if hasTLS {
		return apperr.Invalid("body.tls", nil, "a broker destination (nats://, amqp://) cannot use client TLS: remove tls")
	}
	return nil
}

// storedAuthType is the type of a stored auth column ("": none).
func storedAuthType(raw json.RawMessage) AuthType {
	var a struct {
		Type AuthType `json:"type"`
	}
	_ = json.Unmarshal(raw, &a) // null or empty: none
	return a.Type
}

func authTypeOf(a *Auth) AuthType {
	if a == nil {
		return ""
	}
	return a.Type
}

func hasTLSColumn(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }
