package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/endpoint"
	"github.com/hookline/hookline/workflows"
)

func runVerify(t *testing.T, f *fixture, setup func(env *testsuite.TestWorkflowEnvironment)) endpoint.VerifyResult {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	if setup != nil {
		setup(env)
	}
	in, err := endpoint.RequestVerification(context.Background(), f.q,
		audit.Caller{TenantID: f.tenantID, Actor: audit.Actor{Kind: audit.ActorAPIKey, ID: "k"}, RequestID: "req_1"}, f.endpointID)
	if err != nil {
		t.Fatal(err)
	}
	env.ExecuteWorkflow(workflows.VerifyEndpointWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res endpoint.VerifyResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func echo(_ int, w http.ResponseWriter, body []byte) {
	var in map[string]string
	_ = json.Unmarshal(body, &in)
	_ = json.NewEncoder(w).Encode(map[string]string{"challenge": in["challenge"]})
}

// The race is decided in workflow time: an answer after 29 s wins, one after
// 31 s loses to the 30 s timer. (The challenge activity is mocked to answer
// after a delay in the test environment's clock.)
func TestVerifyWorkflowTimerRace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		after time.Duration
		want  endpoint.VerifyResult
	}{
		{29 * time.Second, endpoint.VerifyResult{Verified: true, StatusCode: 200}},
		{31 * time.Second, endpoint.VerifyResult{Reason: endpoint.ReasonTimeout}},
	}
	for _, tc := range tests {
		t.Run(tc.after.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, echo)
			res := runVerify(t, f, func(env *testsuite.TestWorkflowEnvironment) {
				env.OnActivity(f.acts.SendChallenge, mock.Anything, mock.Anything).After(tc.after).
					Return(endpoint.VerifyResult{Verified: true, StatusCode: 200}, nil)
			})
			if res != tc.want {
				t.Fatalf("answer after %s: %+v, want %+v", tc.after, res, tc.want)
			}
			ep, err := f.q.GetEndpoint(context.Background(), dbq.GetEndpointParams{TenantID: f.tenantID, ID: f.endpointID})
			if err != nil {
				t.Fatal(err)
			}
			if (ep.VerifiedAt != nil) != tc.want.Verified || ep.LastVerificationAt == nil {
				t.Fatalf("endpoint verified_at %v, last run %v", ep.VerifiedAt, ep.LastVerificationAt)
			}
		})
	}
}

func TestVerifyWorkflowReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply func(int, http.ResponseWriter, []byte)
		url   string
		want  endpoint.VerifyResult
	}{
		{"echo", echo, "", endpoint.VerifyResult{Verified: true, StatusCode: 200}},
		{"wrong challenge", func(_ int, w http.ResponseWriter, _ []byte) { _, _ = w.Write([]byte(`{"challenge":"x"}`)) }, "",
			endpoint.VerifyResult{Reason: endpoint.ReasonChallengeMismatch, StatusCode: 200}},
		{"missing challenge", func(_ int, w http.ResponseWriter, _ []byte) { _, _ = w.Write([]byte(`{}`)) }, "",
			endpoint.VerifyResult{Reason: endpoint.ReasonChallengeMismatch, StatusCode: 200}},
		{"non-JSON", func(_ int, w http.ResponseWriter, _ []byte) { _, _ = w.Write([]byte(`<html>`)) }, "",
			endpoint.VerifyResult{Reason: endpoint.ReasonInvalidJSON, StatusCode: 200}},
		{"500", status(500), "", endpoint.VerifyResult{Reason: endpoint.ReasonHTTPStatus, StatusCode: 500}},
		{"connection refused", echo, "closed", endpoint.VerifyResult{Reason: endpoint.ReasonConnectionError}},
		{"blocked address", echo, "http://10.0.0.1/", endpoint.VerifyResult{Reason: endpoint.ReasonBlockedAddress}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.reply)
			if tc.url != "" {
				u := tc.url
				if u == "closed" {
					l, _ := net.Listen("tcp", "127.0.0.1:0")
					u = "http://" + l.Addr().String()
					l.Close()
				}
				if _, err := f.q.UpdateEndpoint(context.Background(), dbq.UpdateEndpointParams{
					TenantID: f.tenantID, ID: f.endpointID, Url: u, Events: []string{"*"}, IsActive: true, MaxInFlight: 10,
					Ordering: delivery.Unordered, OnExhausted: delivery.Block,
				}); err != nil {
					t.Fatal(err)
				}
			}
			res := runVerify(t, f, nil)
			// The challenged URL is named by its hash only: URLs carry tokens,
			// and results stay in the workflow history.
			ep, err := f.q.GetEndpoint(context.Background(), dbq.GetEndpointParams{TenantID: f.tenantID, ID: f.endpointID})
			if err != nil {
				t.Fatal(err)
			}
			if res.URLHash != endpoint.URLHash(ep.Url) || strings.Contains(fmt.Sprint(res), "://") {
				t.Fatalf("result names the URL as %q", res.URLHash)
			}
			if res.URLHash = ""; res != tc.want {
				t.Fatalf("%+v, want %+v", res, tc.want)
			}
		})
	}
}
