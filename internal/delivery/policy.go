package delivery

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultSchedule is the delay before each retry, like Svix: 8 attempts in
// all. The one default: HOOKLINE_RETRY_SCHEDULE's is formatted from it.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// FormatSchedule writes a schedule as HOOKLINE_RETRY_SCHEDULE takes it.
func FormatSchedule(s []time.Duration) string {
	parts := make([]string, len(s))
	for i, d := range s {
		p := d.String() // "5m0s", "2h0m0s"
		if strings.HasSuffix(p, "m0s") {
			p = strings.TrimSuffix(p, "0s")
		}
		if strings.HasSuffix(p, "h0m") {
			p = strings.TrimSuffix(p, "0m")
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// RetryPolicy decides what follows a failed attempt.
type RetryPolicy struct {
	// Schedule[i] is the delay after attempt i+1; attempts = len(Schedule)+1.
	Schedule []time.Duration
	// Jitter spreads each delay by ±Jitter (0.1 = ±10%) so retries of many
	// deliveries to one receiver do not arrive in lockstep.
	Jitter float64
	// MaxRetryAfter caps a receiver's Retry-After (default: the largest
	// scheduled delay, at least one hour).
	MaxRetryAfter time.Duration
}

// Next returns the status after failed attempt n (1-based) and, when another
// attempt follows, the delay before it. retryAfter is the receiver's
// Retry-After (0 if none): it lengthens the scheduled delay up to
// MaxRetryAfter but never shortens it.
func (p RetryPolicy) Next(n int, retryable bool, retryAfter time.Duration, rnd func() float64) (Status, time.Duration) {
	if !retryable {
		return Failed, 0
	}
	if n > len(p.Schedule) {
		return DeadLetter, 0
	}
	d := p.Schedule[n-1]
	if p.Jitter > 0 {
		if rnd == nil {
			rnd = rand.Float64
		}
		d = time.Duration(float64(d) * (1 + p.Jitter*(2*rnd()-1)))
	}
	if retryAfter > d {
		d = min(retryAfter, p.maxRetryAfter())
	}
	return InFlight, max(d, time.Second)
}

// Attempts is the retry budget: the first attempt and one per delay.
func (p RetryPolicy) Attempts() int { return len(p.Schedule) + 1 }

func (p RetryPolicy) maxRetryAfter() time.Duration {
	if p.MaxRetryAfter > 0 {
		return p.MaxRetryAfter
	}
	m := time.Hour
	for _, d := range p.Schedule {
		m = max(m, d)
	}
	return m
}

// Retryable classifies an HTTP status: 2xx never gets here; 410 and other
// 4xx are permanent, except those that mean "try again" (408, 409, 425, 429).
func Retryable(code int) bool {
	if code >= 400 && code < 500 {
		switch code {
		case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
			return true
		}
		return false
	}
	return true // 3xx (redirects are not followed), 5xx, anything odd
}

// ParseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or bad.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, 7*24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
