package hooklinetest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type recorded struct{ errs []string }

func (r *recorded) Helper() {}
func (r *recorded) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// The response check catches a drifted field, an undocumented status and a
// route the document does not know, and passes what matches.
func TestContractCatchesDrift(t *testing.T) {
	t.Parallel()
	env := New(t)
	c := env.contract
	get := func(path string) *http.Request { return httptest.NewRequest(http.MethodGet, env.URL+path, nil) }
	json := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		body   string
		want   string // part of the error; "": none
	}{
		{"matches", get("/healthz"), 200, `{"status":"ok","checks":{}}`, ""},
		{"wrong type", get("/healthz"), 200, `{"status":7,"checks":{}}`, "does not match"},
		{"undocumented status", get("/healthz"), 418, `{}`, "does not match"},
		{"unknown route answered", get("/v1/nowhere"), 200, `{}`, "not in the OpenAPI document"},
		{"unknown route refused", get("/v1/nowhere"), 404, `{}`, ""},
		{"undocumented path", get("/metrics"), 200, `x`, ""},
	}
	for _, tc := range tests {
		var r recorded
		c.check(&r, tc.req, tc.status, json, []byte(tc.body))
		switch {
		case tc.want == "" && len(r.errs) > 0:
			t.Errorf("%s: unexpected %q", tc.name, r.errs)
		case tc.want != "" && (len(r.errs) == 0 || !strings.Contains(r.errs[0], tc.want)):
			t.Errorf("%s: got %q, want an error with %q", tc.name, r.errs, tc.want)
		}
	}
}
