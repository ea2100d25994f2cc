package tracing

import (
	"context"
	"testing"
)

// With no OTEL_* endpoint, or the SDK disabled, tracing is off (no
// interceptors, no exporter); an unknown protocol is refused.
func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		enabled bool
		fails   bool
	}{
		{"nothing set", map[string]string{}, false, false},
		{"disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_SDK_DISABLED": "true"}, false, false},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, true, false},
		{"traces endpoint, grpc", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, false},
		{"unknown protocol", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
				"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_SDK_DISABLED"} {
				t.Setenv(k, tc.env[k])
			}
			tr, err := FromEnv(context.Background(), "test")
			if (err != nil) != tc.fails {
				t.Fatalf("err %v", err)
			}
			if err != nil {
				return
			}
			defer tr.Shutdown(context.Background())
			is, _ := tr.ClientInterceptors()
			if tr.Enabled() != tc.enabled || (len(is) > 0) != tc.enabled {
				t.Fatalf("enabled %v, %d interceptors; want %v", tr.Enabled(), len(is), tc.enabled)
			}
		})
	}
}
