package broker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// maxConns bounds the cached connections (one per broker host and
// credential). Credentials are the tenants' to choose, so without a bound
// endpoints with ever new passwords would open ever more connections; past
// it the oldest is closed (an attempt using it fails and is retried).
const maxConns = 256

// maxDial bounds connecting when an attempt's context has no deadline.
const maxDial = 10 * time.Second

// errClosed: the publisher was closed (the process is shutting down).
var errClosed = errors.New("broker publisher closed")

// Publisher publishes to the brokers over cached connections, keyed by
// host:port, username and a hash of the password; a cached connection found
// closed is dialled again. Safe for concurrent use; Close ends it.
type Publisher struct {
	// Allowed are the host:port pairs deliveries may go to
	// (HOOKLINE_BROKER_DESTINATIONS). They are checked again at send time,
	// as the SSRF guard is at dial time: a host the operator delists stops
	// receiving at once, whatever endpoints were saved before.
	Allowed []string
	// Name names the connections on the broker (its management UI).
	Name string
	Now  func() time.Time // nil: time.Now

	mu     sync.Mutex
	conns  map[string]conn
	order  []string
	closed bool
}

// conn is one cached broker connection.
type conn interface {
	close()
}

// credentials authenticate a connection (basic auth); empty: none.
type credentials struct {
	username, password string
}

// key names a connection: the password only as a hash, so the map never
// holds a second copy of it in clear.
func key(k Kind, host string, c credentials) string {
	sum := sha256.Sum256([]byte(c.password))
	return string(k) + "|" + host + "|" + c.username + "|" + hex.EncodeToString(sum[:])
}

// conn returns the cached connection of key, making it with mk first.
func (p *Publisher) conn(key string, mk func() conn) (conn, error) {
	var evicted conn
	// Closed unlocked: it may wait for a dial in progress on it, which must
	// not hold up every other send.
	defer func() {
		if evicted != nil {
			evicted.close()
		}
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosed
	}
	if c, ok := p.conns[key]; ok {
		return c, nil
	}
	if p.conns == nil {
		p.conns = map[string]conn{}
	}
	if len(p.order) >= maxConns {
		old := p.order[0]
		p.order = p.order[1:]
		evicted = p.conns[old]
		delete(p.conns, old)
	}
	c := mk()
	p.conns[key] = c
	p.order = append(p.order, key)
	return c, nil
}

// Close closes every connection; later sends fail (retryably).
func (p *Publisher) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	conns := p.conns
	p.closed, p.conns, p.order = true, nil, nil
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

func (p *Publisher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// dialTimeout is how long connecting may take within ctx.
func dialTimeout(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(min(time.Until(dl), maxDial), time.Millisecond)
	}
	return maxDial
}
