// Package netguard stops webhook deliveries from reaching internal networks
// (SSRF). The check runs in the dialer's Control hook on the address actually
// being connected to, after DNS resolution, so DNS rebinding and redirects
// cannot sneak past it; URLs with literal IPs are also refused up front.
package netguard

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked marks a refused destination; test with errors.Is.
var ErrBlocked = errors.New("destination address is not allowed")

// BlockedError names the refused address.
type BlockedError struct{ Addr netip.Addr }

func (e *BlockedError) Error() string { return fmt.Sprintf("address %s is not allowed", e.Addr) }
func (e *BlockedError) Unwrap() error { return ErrBlocked }

var blocked = mustPrefixes(
	"0.0.0.0/8",        // "this network", unspecified
	"168.63.129.16/32", // Azure's platform address (wire server, DNS, health probes)
	"10.0.0.0/8",       // RFC 1918
	"100.64.0.0/10",    // CGNAT (also Alibaba's metadata 100.100.100.200)
	"127.0.0.0/8",      // loopback
	"169.254.0.0/16",   // link-local, cloud metadata 169.254.169.254
	"172.16.0.0/12",    // RFC 1918
	"192.0.0.0/24",     // IETF protocol assignments
	"192.0.2.0/24",     // TEST-NET-1
	"192.88.99.0/24",   // 6to4 relay anycast
	"192.168.0.0/16",   // RFC 1918
	"198.18.0.0/15",    // benchmarking
	"198.51.100.0/24",  // TEST-NET-2
	"203.0.113.0/24",   // TEST-NET-3
	"224.0.0.0/4",      // multicast
	"240.0.0.0/4",      // reserved, broadcast
	"::/128",           // unspecified
	"::1/128",          // loopback
	"::/96",            // IPv4-compatible (deprecated)
	"100::/64",         // discard
	"2001::/32",        // Teredo
	"2001:db8::/32",    // documentation
	"fc00::/7",         // unique local (incl. fd00:ec2::254 metadata)
	"fe80::/10",        // link-local
	"fec0::/10",        // site-local (deprecated)
	"ff00::/8",         // multicast
)

var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215
	sixToFou   = netip.MustParsePrefix("2002::/16")
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Guard decides which addresses deliveries may connect to.
type Guard struct {
	allow []netip.Prefix
}

// New builds a guard; addresses inside allow are permitted even when they
// fall in a blocked range (tests and `hookline dev` allow loopback).
func New(allow []netip.Prefix) *Guard { return &Guard{allow: allow} }

// Check returns a *BlockedError when ip may not be connected to.
func (g *Guard) Check(ip netip.Addr) error {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if ip.Zone() != "" {
		ip = ip.WithZone("")
	}
	for _, p := range g.allow {
		if p.Contains(ip) {
			return nil
		}
	}
	if !ip.IsValid() || isBlocked(ip) {
		return &BlockedError{Addr: ip}
	}
	return nil
}

func isBlocked(ip netip.Addr) bool {
	for _, p := range blocked {
		if p.Contains(ip) {
			return true
		}
	}
	// IPv6 forms that embed an IPv4 address are judged by that address.
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return isBlocked(netip.AddrFrom4([4]byte(b[12:16])))
		case nat64Local.Contains(ip):
			// RFC 6052 §2.2: under a /48 the IPv4 address is bits 48–63 and
			// 72–95; bits 64–71 (the u octet) are zero.
			return isBlocked(netip.AddrFrom4([4]byte{b[6], b[7], b[9], b[10]}))
		}
		if sixToFou.Contains(ip) {
			return isBlocked(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return false
}

// Control is a net.Dialer Control hook: it sees the resolved address.
func (g *Guard) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{}
	}
	return g.Check(ap.Addr())
}

// CheckHost refuses, before any DNS, a host that is a literal blocked IP or
// names the local machine. Other hostnames are judged at dial time.
func (g *Guard) CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if ip, err := netip.ParseAddr(h); err == nil {
		return g.Check(ip)
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return g.Check(netip.MustParseAddr("127.0.0.1"))
	}
	return nil
}

// MaxResponseHeaderBytes bounds the response headers a receiver may send.
const MaxResponseHeaderBytes = 64 << 10

// ClientOptions shape the delivery HTTP client.
type ClientOptions struct {
	Timeout         time.Duration
	MaxConnsPerHost int
	// TLS is the client TLS configuration (mutual TLS); nil: Go's default.
	TLS *tls.Config
	// Resolver resolves receivers' hostnames (nil: the system's); tests
	// give one that answers what they need.
	Resolver *net.Resolver
}

// Client returns an HTTP client for deliveries: guarded dialer, no proxy (a
// proxy would dial on our behalf, past the guard), no redirects, and a
// connection pool per host for keep-alive reuse.
func (g *Guard) Client(o ClientOptions) *http.Client {
	if o.MaxConnsPerHost == 0 {
		o.MaxConnsPerHost = 64
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.Control, Resolver: o.Resolver}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   o.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		TLSClientConfig:       o.TLS,
		ExpectContinueTimeout: time.Second,
		// A receiver's headers are read into memory: cap them (Go's default
		// is 10 MiB per response).
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a 3xx is the attempt's answer
		},
	}
}
