package api

import (
	"encoding/json"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/endpoint"
)

// AuthInput is the receiver auth a create or update sets (DESIGN §9.1).
type AuthInput struct {
	Type         string   `json:"type" enum:"basic,bearer,oauth2_client_credentials"`
	Username     string   `json:"username,omitempty" maxLength:"256" doc:"basic"`
	Password     string   `json:"password,omitempty" maxLength:"1024" writeOnly:"true" doc:"basic; write-only"`
	Token        string   `json:"token,omitempty" maxLength:"4096" writeOnly:"true" doc:"bearer; write-only"`
	TokenURL     string   `json:"token_url,omitempty" maxLength:"2048" doc:"oauth2_client_credentials: the token endpoint (same URL rules as the endpoint's)"`
	ClientID     string   `json:"client_id,omitempty" maxLength:"512" doc:"oauth2_client_credentials"`
	ClientSecret string   `json:"client_secret,omitempty" maxLength:"1024" writeOnly:"true" doc:"oauth2_client_credentials; write-only"`
	Scopes       []string `json:"scopes,omitempty" maxItems:"20" doc:"oauth2_client_credentials"`
	Audience     string   `json:"audience,omitempty" maxLength:"1024" doc:"oauth2_client_credentials"`
	AuthMethod   string   `json:"auth_method,omitempty" enum:"client_secret_basic,client_secret_post" doc:"oauth2_client_credentials; default client_secret_basic"`
}

func (a AuthInput) domain() endpoint.Auth {
	return endpoint.Auth{Type: endpoint.AuthType(a.Type), Username: a.Username, Password: a.Password, Token: a.Token,
		TokenURL: a.TokenURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret, Scopes: a.Scopes, Audience: a.Audience, AuthMethod: a.AuthMethod}
}

// AuthView is the receiver auth as get shows it: no secret.
type AuthView struct {
	Type       string   `json:"type" enum:"basic,bearer,oauth2_client_credentials"`
	Username   string   `json:"username,omitempty"`
	TokenURL   string   `json:"token_url,omitempty"`
	ClientID   string   `json:"client_id,omitempty"`
	Scopes     []string `json:"scopes,omitempty"`
	Audience   string   `json:"audience,omitempty"`
	AuthMethod string   `json:"auth_method,omitempty"`
}

// authViewFields is AuthView without its Schema method (for the registry).
type authViewFields AuthView

// Schema documents AuthView as an object or null (Huma allows nullable
// only on scalars and inline schemas).
func (AuthView) Schema(r huma.Registry) *huma.Schema { return nullableOf[authViewFields](r) }

// TLSInput is the mutual-TLS material of an endpoint.
type TLSInput struct {
	ClientCertPEM string `json:"client_cert_pem" maxLength:"65536" doc:"PEM client certificate (chain)"`
	ClientKeyPEM  string `json:"client_key_pem" maxLength:"65536" writeOnly:"true" doc:"PEM private key of the certificate; write-only"`
	CACertPEM     string `json:"ca_cert_pem,omitempty" maxLength:"65536" doc:"extra PEM roots the receiver's certificate may chain to"`
}

func (t TLSInput) domain() endpoint.TLS {
	return endpoint.TLS{ClientCertPEM: t.ClientCertPEM, ClientKeyPEM: t.ClientKeyPEM, CACertPEM: t.CACertPEM}
}

// TLSView summarises the client certificate; never the key.
type TLSView struct {
	ClientCertSubject  string    `json:"client_cert_subject"`
	ClientCertNotAfter time.Time `json:"client_cert_not_after"`
	ClientCertSHA256   string    `json:"client_cert_sha256"`
}

type tlsViewFields TLSView

// Schema documents TLSView as an object or null.
func (TLSView) Schema(r huma.Registry) *huma.Schema { return nullableOf[tlsViewFields](r) }

// EndpointControls are the delivery-control fields of an endpoint.
type EndpointControls struct {
	Headers          map[string]string `json:"headers" doc:"custom request headers; sensitive ones (credentials) are write-only and listed in sensitive_headers"`
	SensitiveHeaders []string          `json:"sensitive_headers" doc:"names of the write-only headers, whose values are never shown"`
	Auth             *AuthView         `json:"auth" doc:"how Hookline authenticates to the receiver (secrets never shown)"`
	TLS              *TLSView          `json:"tls" doc:"the mutual-TLS client certificate, summarised"`
	RetrySchedule    []string          `json:"retry_schedule" nullable:"true" doc:"delays before each retry; null: the deployment's HOOKLINE_RETRY_SCHEDULE"`
	TimeoutSeconds   *int              `json:"timeout_seconds" nullable:"true" doc:"HTTP timeout of one attempt; null: the deployment's HOOKLINE_DELIVERY_TIMEOUT"`
}

func toControls(e dbq.WebhookEndpoint) EndpointControls {
	c := EndpointControls{Headers: map[string]string{}, SensitiveHeaders: e.SensitiveHeaders, RetrySchedule: e.RetrySchedule}
	if len(e.Headers) > 0 {
		_ = json.Unmarshal(e.Headers, &c.Headers) // written by the service from a map
	}
	if len(e.Auth) > 0 && string(e.Auth) != "null" {
		var a endpoint.Auth
		if json.Unmarshal(e.Auth, &a) == nil {
			c.Auth = &AuthView{Type: string(a.Type), Username: a.Username, TokenURL: a.TokenURL, ClientID: a.ClientID,
				Scopes: a.Scopes, Audience: a.Audience, AuthMethod: a.AuthMethod}
		}
	}
	if len(e.Tls) > 0 && string(e.Tls) != "null" {
		var t endpoint.TLSSummary
		if json.Unmarshal(e.Tls, &t) == nil {
			c.TLS = &TLSView{ClientCertSubject: t.Subject, ClientCertNotAfter: t.NotAfter, ClientCertSHA256: t.SHA256}
		}
	}
	if e.TimeoutSeconds != nil {
		t := int(*e.TimeoutSeconds)
		c.TimeoutSeconds = &t
	}
	return c
}

// ControlsCreateBody are the delivery controls a create takes.
type ControlsCreateBody struct {
	Headers        map[string]string `json:"headers,omitempty" maxProperties:"20" doc:"custom request headers (at most 20; names are HTTP tokens; Host, Content-Type, User-Agent, webhook-*, x-hookline-*, … are refused)"`
	Auth           *AuthInput        `json:"auth,omitempty" doc:"receiver auth: basic, bearer, or oauth2_client_credentials; sets Authorization"`
	TLS            *TLSInput         `json:"tls,omitempty" doc:"mutual TLS: the client certificate and key Hookline presents"`
	RetrySchedule  []string          `json:"retry_schedule,omitempty" nullable:"true" maxItems:"20" doc:"1–20 Go durations (1s–24h) before each retry; attempts = delays + 1"`
	TimeoutSeconds *int              `json:"timeout_seconds,omitempty" nullable:"true" minimum:"1" maximum:"30" doc:"HTTP timeout of one attempt"`
}

func (b ControlsCreateBody) domain() endpoint.Controls {
	c := endpoint.Controls{Headers: b.Headers, RetrySchedule: b.RetrySchedule, TimeoutSeconds: b.TimeoutSeconds}
	if b.Auth != nil {
		a := b.Auth.domain()
		c.Auth = &a
	}
	if b.TLS != nil {
		t := b.TLS.domain()
		c.TLS = &t
	}
	return c
}

// ControlsPatchBody are the delivery controls an update changes.
type ControlsPatchBody struct {
	Headers        HeaderPatch         `json:"headers,omitempty" doc:"merge patch (RFC 7396): a name set to null removes that header"`
	Auth           Nullable[AuthInput] `json:"auth,omitempty" doc:"replaces the receiver auth as a whole (secrets included); null removes it"`
	TLS            Nullable[TLSInput]  `json:"tls,omitempty" doc:"replaces the mutual-TLS material; null removes it"`
	RetrySchedule  Nullable[[]string]  `json:"retry_schedule,omitempty" doc:"null: back to the deployment's schedule"`
	TimeoutSeconds Nullable[int]       `json:"timeout_seconds,omitempty" doc:"1–30; null: back to the deployment's timeout"`
}

func (b ControlsPatchBody) domain() endpoint.ControlsPatch {
	var p endpoint.ControlsPatch
	if b.Headers != nil {
		p.Headers = b.Headers
	}
	if b.Auth.Set {
		p.Auth = &endpoint.Change[endpoint.Auth]{}
		if b.Auth.Value != nil {
			a := b.Auth.Value.domain()
			p.Auth.Value = &a
		}
	}
	if b.TLS.Set {
		p.TLS = &endpoint.Change[endpoint.TLS]{}
		if b.TLS.Value != nil {
			t := b.TLS.Value.domain()
			p.TLS.Value = &t
		}
	}
	if b.RetrySchedule.Set {
		p.RetrySchedule = &endpoint.Change[[]string]{Value: b.RetrySchedule.Value}
	}
	if b.TimeoutSeconds.Set {
		p.TimeoutSeconds = &endpoint.Change[int]{Value: b.TimeoutSeconds.Value}
	}
	return p
}
