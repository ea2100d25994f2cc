package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	g := New(nil)
	tests := []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"100.64.0.1", true},
		{"100.100.100.200", true},
		{"169.254.169.254", true},
		{"fd00:ec2::254", true},
		{"fd12:3456::1", true},
		{"fe80::1", true},
		{"ff02::1", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"64:ff9b::7f00:1", true},           // NAT64 of 127.0.0.1
		{"2002:7f00:1::1", true},            // 6to4 of 127.0.0.1
		{"2002:a00:1::1", true},             // 6to4 of 10.0.0.1
		{"64:ff9b::808:808", false},         // NAT64 of 8.8.8.8
		{"64:ff9b:1:7f00:1::", true},        // local-use NAT64 (/48) of 127.0.0.1: bytes 6-7, 9-10
		{"64:ff9b:1:a00:1::", true},         // … of 10.0.0.1
		{"64:ff9b:1:808:8::", false},        // … of 8.8.8.8
		{"64:ff9b:1:808:8:0:7f00:1", false}, // /48 embeds 8.8.8.8; the old /96 reading saw 127.0.0.1
		{"168.63.129.16", true},             // Azure platform address
		{"::ffff:168.63.129.16", true},      // IPv4-mapped
		{"2002:808:808::1", false},          // 6to4 of 8.8.8.8
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"172.32.0.1", false},
		{"2606:4700:4700::1111", false},
	}
	for _, tc := range tests {
		err := g.Check(netip.MustParseAddr(tc.addr))
		if tc.blocked != (err != nil) {
			t.Errorf("Check(%s) = %v, want blocked=%v", tc.addr, err, tc.blocked)
		}
		if err != nil && !errors.Is(err, ErrBlocked) {
			t.Errorf("Check(%s) error does not wrap ErrBlocked", tc.addr)
		}
	}
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	g := New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	if err := g.Check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Fatalf("allow-listed loopback refused: %v", err)
	}
	if err := g.Check(netip.MustParseAddr("::ffff:127.0.0.1")); err != nil {
		t.Fatalf("mapped allow-listed loopback refused: %v", err)
	}
	if err := g.Check(netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Fatal("10.0.0.1 allowed by a loopback allow-list")
	}
}

func TestCheckHost(t *testing.T) {
	t.Parallel()
	g := New(nil)
	for host, blocked := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "api.localhost": true, "[::1]": true,
		"127.0.0.1": true, "169.254.169.254": true, "example.com": false, "8.8.8.8": false,
	} {
		if err := g.CheckHost(host); blocked != (err != nil) {
			t.Errorf("CheckHost(%q) = %v, want blocked=%v", host, err, blocked)
		}
	}
}

// The guard acts at dial time: a hostname resolving to loopback is refused
// just like the literal address, and redirects are never followed.
func TestClientRefusesLoopbackAtDialTime(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	c := New(nil).Client(ClientOptions{Timeout: 5 * time.Second})
	for _, u := range []string{srv.URL, "http://localhost:" + port} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, u, nil)
		_, err := c.Do(req)
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("POST %s: err = %v, want ErrBlocked", u, err)
		}
	}

	allowed := New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}).Client(ClientOptions{Timeout: 5 * time.Second})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
	resp, err := allowed.Do(req)
	if err != nil {
		t.Fatalf("allow-listed POST: %v", err)
	}
	resp.Body.Close()
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	hits := 0
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer redirector.Close()
	c := New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}).Client(ClientOptions{Timeout: 5 * time.Second})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, redirector.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits != 0 {
		t.Fatalf("status %d, target hits %d: redirect was followed", resp.StatusCode, hits)
	}
}

// A receiver cannot make us buffer megabytes of response headers.
func TestClientCapsResponseHeaders(t *testing.T) {
	t.Parallel()
	big := make([]byte, 2*MaxResponseHeaderBytes)
	for i := range big {
		big[i] = 'a'
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Huge", string(big))
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}).Client(ClientOptions{Timeout: 5 * time.Second})
	resp, err := c.Post(srv.URL, "application/json", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("accepted %d bytes of headers", len(big))
	}
}
