package api_test

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/hookline/hookline/api"
)

var update = flag.Bool("update", false, "rewrite testdata/openapi.json from the code")

func spec(t *testing.T) []byte {
	t.Helper()
	b, err := json.MarshalIndent(api.New(api.Deps{Version: "1.0.0"}).OpenAPI(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// The committed document is what clients and the linter (make lint) see; a
// change to the API must show up as a change to it.
func TestOpenAPIGolden(t *testing.T) {
	got := spec(t)
	if *update {
		if err := os.WriteFile("testdata/openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("the OpenAPI document changed: review it and run `make generate` (go test ./api -run TestOpenAPIGolden -update)")
	}
}

// Every operation is documented: summary, description, tags, its error
// statuses as problem details, and examples in its schemas.
func TestOpenAPIOperationsAreDocumented(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string                     `json:"operationId"`
			Summary     string                     `json:"summary"`
			Description string                     `json:"description"`
			Tags        []string                   `json:"tags"`
			Security    []map[string][]string      `json:"security"`
			Responses   map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	raw := spec(t)
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			where := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Description) < 20 || len(op.Tags) == 0 {
				t.Errorf("%s: missing operation id, summary, description or tags", where)
			}
			ids[op.OperationID] = true
			if strings.HasPrefix(path, "/healthz") || strings.HasPrefix(path, "/readyz") {
				continue
			}
			codes := []string{"401", "403", "500"}
			if strings.Contains(path, "{") || method == "post" || method == "patch" {
				codes = append(codes, "422")
			}
			for _, code := range codes {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s: status %s not documented", where, code)
				}
			}
			if !strings.Contains(string(op.Responses["401"]), "application/problem+json") {
				t.Errorf("%s: errors are not documented as problem+json", where)
			}
			// put-event-type creates a missing type, and any jti can be
			// revoked (before its token is even seen): no 404.
			if strings.Contains(path, "{") && !strings.HasPrefix(op.OperationID, "list-tenants") && op.OperationID != "put-event-type" &&
				op.OperationID != "revoke-admin-token" && op.OperationID != "put-source" {
				if _, ok := op.Responses["404"]; !ok {
					t.Errorf("%s: 404 not documented", where)
				}
			}
			if len(op.Security) == 0 {
				t.Errorf("%s: no security requirement", where)
			}
		}
	}
	for _, id := range []string{
		"list-webhook-endpoints", "create-webhook-endpoint", "list-webhook-event-types", "get-webhook-endpoint",
		"update-webhook-endpoint", "delete-webhook-endpoint", "list-webhook-deliveries", "get-webhook-delivery",
		"replay-webhook-delivery", "purge-webhook-deliveries", "rotate-webhook-secret", "test-webhook-endpoint",
		"verify-webhook-endpoint", "publish-event", "create-tenant", "list-tenants", "create-api-key", "list-api-keys",
		"revoke-api-key", "recover-webhook-endpoint", "list-event-types", "get-event-type", "put-event-type",
	} {
		if !ids[id] {
			t.Errorf("operation %s is missing", id)
		}
		if id != "create-tenant" && id != "list-tenants" && id != "put-event-type" && !strings.Contains(id, "api-key") && !ids["admin-"+id] {
			t.Errorf("admin mirror admin-%s is missing", id)
		}
	}
	if n := strings.Count(string(raw), `"example`); n < 40 {
		t.Errorf("only %d examples in the document", n)
	}
}
