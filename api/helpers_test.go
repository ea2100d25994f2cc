package api_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
)

// Response shapes whose Go types are unexported in package api. They list
// the documented fields (the OpenAPI contract check in hooklinetest.Env.Do
// already rejects a response missing a required one).

type deliveryPage struct {
	Data       []api.Delivery `json:"data"`
	NextCursor *string        `json:"next_cursor"`
}

type auditPage struct {
	Data       []api.AuditEntry `json:"data"`
	NextCursor *string          `json:"next_cursor"`
}

type tenantList struct {
	Data []api.Tenant `json:"data"`
}

type apiKeyList struct {
	Data []api.APIKey `json:"data"`
}

type rotatedSecret struct {
	ID                      uuid.UUID  `json:"id"`
	Secret                  string     `json:"secret"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
}

type deletedEndpoint struct {
	ID        uuid.UUID  `json:"id"`
	DeletedAt *time.Time `json:"deletedAt"`
}

type purgeResult struct {
	Deleted int `json:"deleted"`
}

// decode decodes a response body into a T, failing the test on error.
func decode[T any](t *testing.T, r hooklinetest.Response) T {
	t.Helper()
	var v T
	r.JSON(t, &v)
	return v
}

// decodeStrict decodes raw into v, refusing fields v does not name.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// intIs reports whether a nullable number is present and equal to want.
func intIs(p *int, want int) bool { return p != nil && *p == want }

// show renders a value as JSON for failure messages (pointers as values).
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
