package endpoint

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/netguard"
)

func TestValidateBrokerURL(t *testing.T) {
	t.Parallel()
	s := &Service{Guard: netguard.New(nil), BrokerHosts: []string{"127.0.0.1:4222", "mq.internal:5672"}}
	tests := []struct {
		name, raw, want string
		err             string // part of the message; "" = valid
	}{
		{"listed nats", "nats://127.0.0.1:4222/orders", "nats://127.0.0.1:4222/orders", ""},
		{"default port, case", "AMQP://MQ.internal/ex?routing_key=k", "amqp://mq.internal:5672/ex?routing_key=k", ""},
		{"unlisted port", "nats://127.0.0.1:4223/orders", "", "broker destinations to 127.0.0.1:4223 are not allowed"},
		{"unlisted host", "amqp://other:5672/ex", "", "HOOKLINE_BROKER_DESTINATIONS"},
		{"malformed", "nats://127.0.0.1:4222/a.>", "", "wildcard"},
		{"userinfo", "amqp://guest:guest@mq.internal/ex", "", "credentials"},
		// Not a broker: the SSRF guard judges it, listed host or not.
		{"https to listed host", "https://127.0.0.1:4222/x", "", "private"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.validateURL("body.url", tc.raw)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || fieldOf(t, err) != "body.url" {
					t.Fatalf("validateURL(%q) = %q, %v; want an error at body.url containing %q", tc.raw, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("validateURL(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
			}
		})
	}
}

// Nobody lists a broker by default: every broker URL is refused.
func TestBrokerURLRefusedByDefault(t *testing.T) {
	t.Parallel()
	s := &Service{Guard: netguard.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})}
	if _, err := s.validateURL("body.url", "nats://127.0.0.1:4222/x"); err == nil || fieldOf(t, err) != "body.url" {
		t.Fatalf("got %v", err)
	}
	// An OAuth2 token URL is HTTP only.
	if _, err := s.validateHTTPURL("body.auth.token_url", "nats://127.0.0.1:4222/x"); err == nil {
		t.Fatal("a nats:// token_url was accepted")
	}
}

func TestBrokerControls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		url   string
		auth  string // stored auth column
		tls   string // stored tls column
		field string // "" = accepted
	}{
		{"no auth", "nats://h:4222/s", "", "", ""},
		{"null auth", "nats://h:4222/s", "null", "null", ""},
		{"basic", "amqp://h:5672/x", `{"type":"basic","username":"u"}`, "", ""},
		{"bearer", "amqp://h:5672/x", `{"type":"bearer"}`, "", "body.auth.type"},
		{"oauth2", "nats://h:4222/s", `{"type":"oauth2_client_credentials","token_url":"https://t"}`, "", "body.auth.type"},
		{"tls", "nats://h:4222/s", "", `{"client_cert_subject":"CN=x"}`, "body.tls"},
		{"https keeps everything", "https://h/x", `{"type":"bearer"}`, `{"client_cert_subject":"CN=x"}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := brokerControls(tc.url, storedAuthType(json.RawMessage(tc.auth)), hasTLSColumn(json.RawMessage(tc.tls)))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || fieldOf(t, err) != tc.field {
				t.Fatalf("got %v, want an error at %s", err, tc.field)
			}
		})
	}
}
