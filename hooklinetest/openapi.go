package hooklinetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/danielgtaylor/huma/v2"
)

// contract checks every response the tests receive against the OpenAPI
// document the API serves, so no field, status or content type can drift
// from what is documented without a test failing.
type contract struct {
	router routers.Router
}

func newContract(t testing.TB, doc *huma.OpenAPI) *contract {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("served OpenAPI document does not load: %v", err)
	}
	if err := spec.Validate(loader.Context); err != nil {
		t.Fatalf("served OpenAPI document is invalid: %v", err)
	}
	spec.Servers = nil // match requests to the test server's host
	router, err := legacy.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{router: router}
}

// undocumented are the paths served outside the API document: the docs
// page, metrics, the portal (its own page and the cookie-authenticated
// mirror of the tenant operations).
var undocumented = []string{"/docs", "/metrics", "/portal/", "/openapi"}

// reporter is the part of testing.TB a check reports through.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// check validates one exchange. A request the document does not route is
// an error unless it is refused (4xx: a test probing a wrong path or
// method) or its path is one of the undocumented ones, so a router that
// stopped matching cannot switch the check off unnoticed.
func (c *contract) check(t reporter, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		for _, p := range undocumented {
			if strings.HasPrefix(req.URL.Path, p) {
				return
			}
		}
		if status < 400 || status >= 500 {
			t.Errorf("%s %s → %d is not in the OpenAPI document: %v", req.Method, req.URL.Path, status, err)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), Options: opts,
	})
	if err != nil {
		t.Errorf("%s %s → %d does not match the OpenAPI document (%s): %v\nbody: %.500s",
			req.Method, req.URL.Path, status, route.Operation.OperationID, err, body)
	}
}
