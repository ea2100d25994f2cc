package api

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/netguard"
)

// A cursor either decodes to exactly what was encoded or is refused with a
// 400; it never panics.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursor{CreatedAt: time.Unix(1_700_000_000, 123000).UTC(), ID: uuid.MustParse("0192f0c4-6a2b-7cde-8f01-23456789abcd")}))
	f.Add("")
	f.Add("AAAA")
	f.Add("!!!")
	f.Add(strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil || c == nil {
			return
		}
		if again := encodeCursor(*c); again != s {
			t.Fatalf("cursor %q decodes to %+v which encodes to %q", s, *c, again)
		}
	})
}

// URL validation never panics, and whatever it accepts is an absolute
// http(s) URL without credentials or fragment whose host is not a literal
// blocked address.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/hook", "http://127.0.0.1/", "https://user:pw@example.com/", "https://example.com/#f",
		"https://[::1]/", "https://[::ffff:127.0.0.1]/", "ftp://x/", "https://169.254.169.254/latest", "//example.com",
		"https://example.com:0/", "https://exa mple.com/", "https://例え.jp/パス?q=1",
	} {
		f.Add(s)
	}
	s := &Server{Deps: Deps{Guard: netguard.New(nil), AllowHTTP: true}}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := s.validateURL("body.url", raw)
		if err != nil {
			return
		}
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			t.Fatalf("accepted %q as %q", raw, u)
		}
		if strings.Contains(u, "#") || strings.Contains(strings.SplitN(strings.SplitN(u, "://", 2)[1], "/", 2)[0], "@") {
			t.Fatalf("accepted %q with fragment or credentials: %q", raw, u)
		}
		host := strings.SplitN(strings.SplitN(u, "://", 2)[1], "/", 2)[0]
		host = strings.SplitN(host, "?", 2)[0]
		if h, _, ok := strings.Cut(strings.TrimPrefix(host, "["), "]"); ok {
			host = h
		} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		if ip, err := netip.ParseAddr(host); err == nil && netguard.New(nil).Check(ip) != nil {
			t.Fatalf("accepted blocked literal address %q (%q)", raw, u)
		}
	})
}

// Idempotency keys and request ids are accepted only when safe to store and log.
func FuzzValidRequestID(f *testing.F) {
	f.Add("k-1")
	f.Add("")
	f.Add("with space")
	f.Add("line\nbreak")
	f.Add(strings.Repeat("x", 300))
	f.Fuzz(func(t *testing.T, s string) {
		if !validRequestID(s) {
			return
		}
		if len(s) == 0 || len(s) > 128 || strings.ContainsAny(s, " \t\r\n") {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s {
			if r < 0x21 || r > 0x7e {
				t.Fatalf("accepted non-printable %q", s)
			}
		}
	})
}
