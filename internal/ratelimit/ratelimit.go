// Package ratelimit keeps token buckets by key (a tenant, an API key): the
// API's abuse limits. Buckets live in the API process; with N API
// processes a tenant gets up to N times the rate, which bounds abuse
// without a shared store on the hot path.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxKeys bounds the buckets kept; past it, idle ones are dropped.
const maxKeys = 100_000

// Limiter is a set of token buckets with one rate and burst.
type Limiter struct {
	PerSecond float64
	Burst     int
	Now       func() time.Time // nil: time.Now
	mu        sync.Mutex
	buckets   map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// Decision is one request's verdict and what the RateLimit headers say.
type Decision struct {
	Allowed    bool
	Limit      int           // tokens per window (the burst)
	Remaining  int           // tokens left now
	RetryAfter time.Duration // until a token is back (when refused)
	Reset      time.Duration // until the bucket is full again
}

// New is a limiter of perSecond tokens a second, burst at most.
func New(perSecond float64, burst int) *Limiter {
	return &Limiter{PerSecond: perSecond, Burst: burst}
}

// Allow takes a token from key's bucket if there is one.
func (l *Limiter) Allow(key string) Decision {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, now)
	ok := b.lim.AllowN(now, 1)
	tokens := b.lim.TokensAt(now)
	d := Decision{Allowed: ok, Limit: l.Burst, Remaining: max(0, int(math.Floor(tokens)))}
	missing := float64(l.Burst) - tokens
	d.Reset = time.Duration(missing / l.PerSecond * float64(time.Second))
	if !ok {
		d.RetryAfter = time.Duration((1 - tokens) / l.PerSecond * float64(time.Second))
	}
	return d
}

func (l *Limiter) bucket(key string, now time.Time) *bucket {
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys {
			l.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.PerSecond), l.Burst)}
		l.buckets[key] = b
	}
	b.used = now
	return b
}

// evict drops buckets idle long enough to be full again (dropping them
// loses nothing), else everything: a flood of keys must not grow memory.
func (l *Limiter) evict(now time.Time) {
	full := time.Duration(float64(l.Burst) / l.PerSecond * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.used) > full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxKeys {
		l.buckets = map[string]*bucket{}
	}
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
