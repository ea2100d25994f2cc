package delivery

import "testing"

// Every outcome has one class, one success verdict and one breaker verdict.
func TestOutcomeClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		out     Outcome
		class   string
		ok      bool
		breaker bool
	}{
		{"2xx", Outcome{Code: 204}, "2xx", true, false},
		{"broker ack", Outcome{Acked: true, Body: "amqp publisher confirm"}, "acked", true, false},
		{"3xx", Outcome{Code: 302}, "3xx", false, false},
		{"4xx", Outcome{Code: 404}, "4xx", false, false},
		{"5xx", Outcome{Code: 503}, "5xx", false, true},
		{"timeout", Outcome{Reason: "timeout", Retryable: true}, "timeout", false, true},
		{"blocked", Outcome{Blocked: true}, "blocked", false, false},
		{"auth_error", Outcome{AuthError: true}, "auth_error", false, false},
		{"broker failure", Outcome{Reason: "unroutable: …", Retryable: true}, "network_error", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c, ok, b := tc.out.Class(), tc.out.OK(), tc.out.BreakerFailure(); c != tc.class || ok != tc.ok || b != tc.breaker {
				t.Fatalf("Class %s OK %v BreakerFailure %v; want %s %v %v", c, ok, b, tc.class, tc.ok, tc.breaker)
			}
		})
	}
}
