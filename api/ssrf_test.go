package api_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/delivery"
)

// With the production configuration (no allow-list) the API refuses URLs
// whose host is a literal internal address, and the dialer refuses internal
// addresses a hostname resolves to; redirects are never followed.
func TestSSRFGuard(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{AllowedCIDRs: []netip.Prefix{}})
	for _, u := range []string{
		"http://127.0.0.1/hook", "http://localhost:8080/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
		"http://0.0.0.0/", "http://10.1.2.3/", "http://172.16.0.1/", "http://172.31.255.254/", "http://192.168.1.1/",
		"http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[fd00::1]/", "http://[fd00:ec2::254]/",
		"http://[fe80::1]/", "http://224.0.0.1/", "http://[64:ff9b::7f00:1]/", "http://api.localhost/",
	} {
		r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": u, "events": []string{"*"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"location":"body.url"`) {
			t.Errorf("create with %s: %d %s", u, r.Status, r.Body)
		}
	}

	// A hostname (not a literal, not "localhost") that resolves to loopback
	// passes create-time checks and is refused when the worker dials it.
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	addrs, _ := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if len(addrs) == 0 || !addrs[0].Unmap().IsLoopback() {
		t.Skipf("hostname %q does not resolve to loopback here (%v); dial-time case needs one", host, addrs)
	}
	rc := hooklinetest.NewReceiver(t)
	_, port, _ := net.SplitHostPort(rc.Listener.Addr().String())
	ep := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": "http://" + host + ":" + port + "/hook", "events": []string{"*"}})
	if ep.Status != http.StatusCreated {
		t.Fatalf("create with hostname %s: %d %s", host, ep.Status, ep.Body)
	}
	id := decode[api.EndpointWithSecret](t, ep).ID.String()
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{}})
	var d *api.Delivery
	env.Eventually(20*time.Second, "delivery to a loopback hostname to fail", func() bool {
		if ds := deliveriesOf(t, env, env.A, id, ""); len(ds) == 1 && ds[0].Status == delivery.Failed {
			d = &ds[0]
		}
		return d != nil
	})
	if rc.Count() != 0 || d.LastError == nil || !strings.Contains(*d.LastError, "blocked address") {
		t.Fatalf("hostname %s → loopback: %s, %d requests reached it", host, show(d), rc.Count())
	}
	// The tenant learns it is blocked, not where the name points; the
	// operator's log has the address.
	if strings.Contains(*d.LastError, "127.") {
		t.Fatalf("resolved address leaked to the tenant: %q", *d.LastError)
	}
	// The attempt's log line follows its record, so it may trail the status.
	env.Eventually(5*time.Second, "the blocked address in the operator's log", func() bool {
		return strings.Contains(env.LogText(), `"blocked_addr":"127.`)
	})
}

// An allowed receiver answering 302 to a loopback URL is a failed attempt;
// the redirect target is never contacted.
func TestRedirectToLoopbackIsNotFollowed(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	target := hooklinetest.NewReceiver(t)
	redirector := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusFound)
	}))
	redirector.Listener = l
	redirector.Start()
	t.Cleanup(redirector.Close)
	// Only the redirector's address is allowed, as a public receiver would be.
	env := hooklinetest.New(t, hooklinetest.Options{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	ep := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": redirector.URL + "/hook", "events": []string{"*"}})
	if ep.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", ep.Status, ep.Body)
	}
	id := decode[api.EndpointWithSecret](t, ep).ID.String()
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{}})
	var d *api.Delivery
	env.Eventually(20*time.Second, "first attempt", func() bool {
		if ds := deliveriesOf(t, env, env.A, id, ""); len(ds) == 1 && ds[0].AttemptCount >= 1 {
			d = &ds[0]
		}
		return d != nil
	})
	if !intIs(d.LastStatusCode, 302) || target.Count() != 0 {
		t.Fatalf("redirect: %s; target got %d requests", show(d), target.Count())
	}
}
