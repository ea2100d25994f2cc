package requestid

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"k-1": true, New(): true, "": false, "a b": false, "a\nb": false, "é": false, strings.Repeat("x", 129): false,
	} {
		if got := Valid(s, 128); got != want {
			t.Errorf("Valid(%q) = %v", s, got)
		}
	}
}

// What Valid accepts is safe to log and store.
func FuzzValid(f *testing.F) {
	f.Add("k-1")
	f.Add("")
	f.Add("with space")
	f.Add("line\nbreak")
	f.Add(strings.Repeat("x", 300))
	f.Fuzz(func(t *testing.T, s string) {
		if !Valid(s, 255) {
			return
		}
		if len(s) > 255 || strings.ContainsAny(s, " \t\r\n\x00") {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s {
			if r < 0x21 || r > 0x7e {
				t.Fatalf("accepted non-printable %q", s)
			}
		}
	})
}
