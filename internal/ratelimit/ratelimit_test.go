package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	l := New(2, 4)
	l.Now = func() time.Time { return now }
	for i := 0; i < 4; i++ {
		if d := l.Allow("a"); !d.Allowed || d.Remaining != 3-i || d.Limit != 4 {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	d := l.Allow("a")
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 500*time.Millisecond || d.Reset != 2*time.Second {
		t.Fatalf("over the burst: %+v", d)
	}
	if d := l.Allow("b"); !d.Allowed { // another key is unaffected
		t.Fatalf("other key: %+v", d)
	}
	now = now.Add(500 * time.Millisecond) // one token back at 2/s
	if d := l.Allow("a"); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after refill: %+v", d)
	}
}
