package endpoint

import (
	"strconv"
	"strings"

	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/oauth2cc"
)

// AuthType names how Hookline authenticates to a receiver.
type AuthType string

// The receiver auth types.
const (
	AuthBasic  AuthType = "basic"
	AuthBearer AuthType = "bearer"
	AuthOAuth2 AuthType = "oauth2_client_credentials"
)

// Auth is an endpoint's receiver auth. Password, Token and ClientSecret are
// secrets: sealed at rest, never shown; Public drops them.
type Auth struct {
	Type         AuthType `json:"type"`
	Username     string   `json:"username,omitempty"`
	Password     string   `json:"password,omitempty"`
	Token        string   `json:"token,omitempty"`
	TokenURL     string   `json:"token_url,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	Audience     string   `json:"audience,omitempty"`
	AuthMethod   string   `json:"auth_method,omitempty"`
}

// Public is a without its secrets: what is stored in clear and shown.
func (a Auth) Public() Auth {
	a.Password, a.Token, a.ClientSecret = "", "", ""
	return a
}

// withSecrets puts the sealed secrets back into the public part.
func (a Auth) withSecrets(s Secrets) Auth {
	a.Password, a.Token, a.ClientSecret = s.Password, s.Token, s.ClientSecret
	return a
}

// OAuth2 is the token request of an oauth2_client_credentials auth.
func (a Auth) OAuth2() oauth2cc.Config {
	return oauth2cc.Config{
		TokenURL: a.TokenURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
		Scopes: a.Scopes, Audience: a.Audience, AuthMethod: a.AuthMethod,
	}
}

// validateAuth checks a and fills in defaults; token_url must pass the same
// URL rules as the endpoint's (SSRF guard included).
func (s *Service) validateAuth(a Auth) (Auth, error) {
	const f = "body.auth."
	only := func(allowed ...string) error {
		set := map[string]bool{"username": a.Username != "", "password": a.Password != "", "token": a.Token != "",
			"token_url": a.TokenURL != "", "client_id": a.ClientID != "", "client_secret": a.ClientSecret != "",
			"scopes": len(a.Scopes) > 0, "audience": a.Audience != "", "auth_method": a.AuthMethod != ""}
		for _, k := range allowed {
			delete(set, k)
		}
		for k, v := range set {
			if v {
				return apperr.Invalid(f+k, nil, "%s is not a field of %s auth", k, a.Type)
			}
		}
		return nil
	}
	switch a.Type {
	case AuthBasic:
		if err := only("username", "password"); err != nil {
			return a, err
		}
		if a.Username == "" || len(a.Username) > 256 || strings.Contains(a.Username, ":") || hasCTL(a.Username) {
			return a, apperr.Invalid(f+"username", nil, "username is required: 1–256 characters, no colon or control characters")
		}
		if a.Password == "" || len(a.Password) > 1024 || hasCTL(a.Password) {
			return a, apperr.Invalid(f+"password", nil, "password is required: 1–1024 characters, no control characters")
		}
	case AuthBearer:
		if err := only("token"); err != nil {
			return a, err
		}
		if a.Token == "" || len(a.Token) > 4096 || !visibleASCII(a.Token) {
			return a, apperr.Invalid(f+"token", nil, "token is required: 1–4096 visible ASCII characters")
		}
	case AuthOAuth2:
		return s.validateOAuth2(a, only)
	default:
		return a, apperr.Invalid(f+"type", a.Type, "type is one of basic, bearer, oauth2_client_credentials")
	}
	return a, nil
}

func (s *Service) validateOAuth2(a Auth, only func(...string) error) (Auth, error) {
	const f = "body.auth."
	if err := only("token_url", "client_id", "client_secret", "scopes", "audience", "auth_method"); err != nil {
		return a, err
	}
	u, err := s.validateHTTPURL(f+"token_url", a.TokenURL) // a token endpoint speaks HTTP
	if err != nil {
		return a, err
	}
	a.TokenURL = u
	if a.ClientID == "" || len(a.ClientID) > 512 || hasCTL(a.ClientID) {
		return a, apperr.Invalid(f+"client_id", nil, "client_id is required: 1–512 characters, no control characters")
	}
	if a.ClientSecret == "" || len(a.ClientSecret) > 1024 || hasCTL(a.ClientSecret) {
		return a, apperr.Invalid(f+"client_secret", nil, "client_secret is required: 1–1024 characters, no control characters")
	}
	if len(a.Scopes) > 20 {
		return a, apperr.Invalid(f+"scopes", nil, "at most 20 scopes")
	}
	for i, sc := range a.Scopes {
		if sc == "" || len(sc) > 256 || !visibleASCII(sc) || strings.ContainsAny(sc, `"\`) {
			return a, apperr.Invalid(f+"scopes["+strconv.Itoa(i)+"]", sc, "a scope is 1–256 visible ASCII characters, no quote or backslash")
		}
	}
	if len(a.Audience) > 1024 || hasCTL(a.Audience) {
		return a, apperr.Invalid(f+"audience", nil, "audience is at most 1024 characters, no control characters")
	}
	if a.AuthMethod == "" {
		a.AuthMethod = oauth2cc.AuthMethodBasic
	}
	if !oauth2cc.ValidAuthMethod(a.AuthMethod) {
		return a, apperr.Invalid(f+"auth_method", a.AuthMethod, "auth_method is client_secret_basic or client_secret_post")
	}
	return a, nil
}

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
