package netguard

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestValidateURL(t *testing.T) {
	t.Parallel()
	g := New(nil)
	for raw, ok := range map[string]bool{
		"https://Hooks.Example.com/in?x=1": true, "https://example.com:8443/": true, "http://example.com/": true,
		"/relative": false, "ftp://example.com/": false, "https://u:p@example.com/": false, "https://example.com/#f": false,
		"https://example.com:0/": false, "https://example.com:70000/": false, "https://127.0.0.1/": false,
		"https://[::1]/": false, "https://localhost/": false, "https:///path": false,
		"https://example.com/" + strings.Repeat("a", MaxURLLength): false,
	} {
		got, err := g.ValidateURL(raw, true)
		if ok != (err == nil) {
			t.Errorf("ValidateURL(%.60q) = %q, %v", raw, got, err)
		}
	}
	if _, err := g.ValidateURL("http://example.com/", false); err == nil {
		t.Error("http accepted with allowHTTP false")
	}
}

// ValidateURL never panics, and whatever it accepts is an absolute http(s)
// URL without credentials or fragment whose host is not a literal blocked
// address.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/hook", "http://127.0.0.1/", "https://user:pw@example.com/", "https://example.com/#f",
		"https://[::1]/", "https://[::ffff:127.0.0.1]/", "ftp://x/", "https://169.254.169.254/latest", "//example.com",
		"https://example.com:0/", "https://exa mple.com/", "https://例え.jp/パス?q=1",
	} {
		f.Add(s)
	}
	g := New(nil)
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := g.ValidateURL(raw, true)
		if err != nil {
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Fragment != "" || u.Host == "" {
			t.Fatalf("accepted %q as %q", raw, got)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && g.Check(ip) != nil {
			t.Fatalf("accepted blocked literal address %q (%q)", raw, got)
		}
	})
}
