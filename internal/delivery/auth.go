package delivery

import (
	"context"
	"encoding/base64"
)

// StaticAuth is a credential that does not change: basic or bearer.
type StaticAuth string

// BasicAuth is RFC 7617's Authorization value.
func BasicAuth(user, password string) StaticAuth {
	return StaticAuth("Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
}

// BearerAuth is RFC 6750's Authorization value.
func BearerAuth(token string) StaticAuth { return StaticAuth("Bearer " + token) }

// Authorization returns the value.
func (s StaticAuth) Authorization(context.Context) (string, error) { return string(s), nil }

// Refresh cannot help: the same value would be refused again.
func (StaticAuth) Refresh(context.Context, string) (string, bool, error) { return "", false, nil }
