package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS answers every A query with the next address of answers (the
// last one repeats) and AAAA queries with none, over UDP on loopback.
func fakeDNS(t *testing.T, answers ...netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var mu sync.Mutex
	next := 0
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				mu.Lock()
				a := answers[min(next, len(answers)-1)]
				next++
				mu.Unlock()
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}, dnsmessage.AResource{A: a.As4()})
			}
			msg, err := b.Finish()
			if err == nil {
				_, _ = pc.WriteTo(msg, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// DNS rebinding: the name resolves to an allowed address when checked and
// to a blocked one when dialled. The dial is what is judged, so the request
// is refused and the receiver on the blocked address gets nothing. (Both
// addresses are loopback ones, one allow-listed: no traffic leaves the
// machine.)
func TestClientRefusesDNSRebinding(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	public, internal := netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")
	g := New([]netip.Prefix{netip.PrefixFrom(public, 32)}) // 127.0.0.2 stands for a public address
	res := fakeDNS(t, public, internal)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, err := res.LookupNetIP(ctx, "ip4", "rebind.example.")
	if err != nil || len(ips) != 1 || g.Check(ips[0]) != nil {
		t.Fatalf("the check's lookup: %v %v (want an allowed address)", ips, err)
	}
	c := g.Client(ClientOptions{Timeout: 5 * time.Second, Resolver: res})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://rebind.example:"+port+"/hook", nil)
	_, err = c.Do(req)
	var be *BlockedError
	if !errors.As(err, &be) || be.Addr != internal {
		t.Fatalf("dial after rebinding: %v, want the blocked address %s", err, internal)
	}
	if hits.Load() != 0 {
		t.Fatal("the receiver behind the rebound name got a request")
	}
}

// HTTP_PROXY and HTTPS_PROXY never route a delivery: a proxy would dial on
// our behalf, past the guard. A blocked address stays blocked and the proxy
// sees nothing; an allowed one is dialled directly.
func TestClientIgnoresProxyVariables(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		proxied.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer proxy.Close()
	var direct atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { direct.Add(1) }))
	defer srv.Close()
	pu, _ := url.Parse(proxy.URL)
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"} {
		t.Setenv(v, pu.String())
	}
	t.Setenv("NO_PROXY", "")

	blocked := New(nil).Client(ClientOptions{Timeout: 5 * time.Second})
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	if _, err := blocked.Do(req); !errors.Is(err, ErrBlocked) {
		t.Fatalf("blocked address with proxy variables set: %v", err)
	}
	// By name: Go's proxy rules never proxy a loopback literal anyway.
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	allowed := New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}).Client(ClientOptions{Timeout: 5 * time.Second,
		Resolver: fakeDNS(t, netip.MustParseAddr("127.0.0.1"))})
	req, _ = http.NewRequest(http.MethodPost, "http://receiver.example:"+port+"/hook", nil)
	resp, err := allowed.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if proxied.Load() != 0 || direct.Load() != 1 {
		t.Fatalf("proxy saw %d requests, receiver %d; want 0 and 1", proxied.Load(), direct.Load())
	}
}
