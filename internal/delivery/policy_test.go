package delivery

import (
	"testing"
	"time"
)

func TestRetryPolicyNext(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{Schedule: DefaultSchedule}
	tests := []struct {
		name       string
		attempt    int
		retryable  bool
		retryAfter time.Duration
		status     Status
		delay      time.Duration
	}{
		{"first retry", 1, true, 0, InFlight, 5 * time.Second},
		{"second retry", 2, true, 0, InFlight, 5 * time.Minute},
		{"last retry", 7, true, 0, InFlight, 10 * time.Hour},
		{"budget exhausted", 8, true, 0, DeadLetter, 0},
		{"permanent", 1, false, 0, Failed, 0},
		{"retry-after lengthens", 1, true, 90 * time.Second, InFlight, 90 * time.Second},
		{"retry-after never shortens", 2, true, 10 * time.Second, InFlight, 5 * time.Minute},
		{"retry-after capped", 1, true, 72 * time.Hour, InFlight, 10 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, d := p.Next(tc.attempt, tc.retryable, tc.retryAfter, nil)
			if status != tc.status || d != tc.delay {
				t.Fatalf("Next = %s, %s; want %s, %s", status, d, tc.status, tc.delay)
			}
		})
	}
}

func TestRetryPolicyJitterBounds(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{Schedule: []time.Duration{100 * time.Second}, Jitter: 0.1}
	for _, r := range []float64{0, 0.5, 0.999} {
		_, d := p.Next(1, true, 0, func() float64 { return r })
		if d < 90*time.Second || d > 110*time.Second {
			t.Errorf("rnd %v: delay %s outside ±10%%", r, d)
		}
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{
		301: true, 302: true, 400: false, 401: false, 403: false, 404: false, 408: true, 409: true,
		410: false, 413: false, 422: false, 425: true, 429: true, 500: true, 502: true, 503: true, 504: true,
	} {
		if got := Retryable(code); got != want {
			t.Errorf("Retryable(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "120": 2 * time.Minute, "0": 0, "-5": 0, "soon": 0,
		"Thu, 01 Jan 2026 12:01:00 GMT": time.Minute,
		"Thu, 01 Jan 2026 11:00:00 GMT": 0,
	} {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

// The default schedule round-trips through the setting's format.
func TestFormatSchedule(t *testing.T) {
	t.Parallel()
	if got := FormatSchedule(DefaultSchedule); got != "5s,5m,30m,2h,5h,10h,10h" {
		t.Fatalf("FormatSchedule(DefaultSchedule) = %q", got)
	}
	if got := FormatSchedule([]time.Duration{90 * time.Second, 1500 * time.Millisecond}); got != "1m30s,1.5s" {
		t.Fatalf("FormatSchedule = %q", got)
	}
}
