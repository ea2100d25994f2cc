package stats

import (
	"math"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int{
		0: 1, 10 * time.Millisecond: 1, 11 * time.Millisecond: 2, 999 * time.Millisecond: 7,
		15 * time.Second: 11, 30 * time.Second: 12, 2 * time.Minute: 12,
	} {
		if got := Bucket(d); got != want {
			t.Errorf("Bucket(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestPercentiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		hist     [12]int64
		p50, p99 float64
	}{
		{"empty", [12]int64{}, 0, 0},
		// 100 attempts in (25, 50] ms: the median is half-way through it.
		{"one bucket", [12]int64{2: 100}, 37.5, 49.75},
		// Timeouts at 30 s land in the last bucket, which ends at 30.5 s.
		{"timeouts", [12]int64{11: 10}, 23000, 30350},
		{"spread", [12]int64{0: 50, 5: 49, 8: 1}, 10, 500},
	} {
		c := Counts{hist: tc.hist}
		c.finish()
		if math.Abs(c.P50Ms-tc.p50) > 0.01 || math.Abs(c.P99Ms-tc.p99) > 0.01 {
			t.Errorf("%s: p50 %.2f p99 %.2f, want %.2f %.2f", tc.name, c.P50Ms, c.P99Ms, tc.p50, tc.p99)
		}
	}
}
