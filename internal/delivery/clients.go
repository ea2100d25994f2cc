package delivery

import (
	"crypto/tls"
	"net/http"
	"sync"
)

// maxClients bounds the mutual-TLS clients kept (one per endpoint
// certificate); past it the oldest is dropped and its connections closed.
const maxClients = 1000

// Clients keeps one HTTP client per mutual-TLS configuration, so attempts
// to an endpoint reuse its connections instead of a handshake each time.
type Clients struct {
	// New builds a client presenting cfg (netguard's guarded client).
	New   func(cfg *tls.Config) *http.Client
	mu    sync.Mutex
	byKey map[string]*http.Client
	order []string
}

// For returns the client for key (an endpoint id and its material's hash),
// building it with build on first use.
func (c *Clients) For(key string, build func() (*tls.Config, error)) (*http.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byKey[key]; ok {
		return cl, nil
	}
	cfg, err := build()
	if err != nil {
		return nil, err
	}
	if c.byKey == nil {
		c.byKey = map[string]*http.Client{}
	}
	if len(c.order) >= maxClients {
		old := c.order[0]
		c.order = c.order[1:]
		c.byKey[old].CloseIdleConnections()
		delete(c.byKey, old)
	}
	cl := c.New(cfg)
	c.byKey[key] = cl
	c.order = append(c.order, key)
	return cl, nil
}
