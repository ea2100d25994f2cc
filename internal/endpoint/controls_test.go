package endpoint

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/hookline/hookline/internal/apperr"
)

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("not an apperr: %v", err)
	}
	return ae.Field
}

func TestSensitive(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "cookie": true, "X-API-Key": true, "X-Auth-User": true, "X-Session-Token": true,
		"X-Client-Secret": true, "X-Password": true, "X-Region": false, "Accept": false, "X-Team": false,
	} {
		if Sensitive(name) != want {
			t.Errorf("Sensitive(%q) = %v", name, !want)
		}
	}
}

func TestMergeHeaders(t *testing.T) {
	t.Parallel()
	v := func(s string) *string { return &s }
	cur := HeaderSet{Plain: map[string]string{"X-Region": "eu", "X-Team": "core"}, Sensitive: map[string]string{"X-Api-Key": "k"}}
	got, err := mergeHeaders(cur, map[string]*string{"x-region": nil, "X-TEAM": v("edge"), "X-New": v("1")}, false)
	if err != nil {
		t.Fatal(err)
	}
	// Removed case-insensitively; respelled by the patch; the sensitive one kept.
	if want := map[string]string{"X-TEAM": "edge", "X-New": "1"}; !maps.Equal(got.Plain, want) || got.Sensitive["X-Api-Key"] != "k" {
		t.Fatalf("merge: %+v", got)
	}
	if !slices.Equal(got.SensitiveNames(), []string{"X-Api-Key"}) {
		t.Fatalf("sensitive names %v", got.SensitiveNames())
	}
}

func TestSplitHeadersRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		headers map[string]string
		hasAuth bool
		field   string
	}{
		{"forbidden", map[string]string{"Host": "x"}, false, "body.headers.Host"},
		{"reserved prefix", map[string]string{"webhook-signature": "x"}, false, "body.headers.webhook-signature"},
		{"proxy prefix", map[string]string{"Proxy-Connection": "x"}, false, "body.headers.Proxy-Connection"},
		{"not a token", map[string]string{"X(bad)": "x"}, false, "body.headers.X(bad)"},
		{"name too long", map[string]string{"X-" + string(make([]byte, 63)): "x"}, false, "body.headers.X-" + string(make([]byte, 63))},
		{"tab is fine, LF is not", map[string]string{"X-A": "a\tb", "X-B": "a\nb"}, false, "body.headers.X-B"},
		{"DEL", map[string]string{"X-A": "a\x7fb"}, false, "body.headers.X-A"},
		{"twice by case", map[string]string{"X-A": "1", "x-a": "2"}, false, "body.headers.x-a"},
		{"authorization beside auth", map[string]string{"Authorization": "x"}, true, "body.headers.Authorization"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := splitHeaders(tc.headers, tc.hasAuth)
			if err == nil {
				t.Fatal("accepted")
			}
			if f := fieldOf(t, err); f != tc.field {
				t.Fatalf("field %q, want %q", f, tc.field)
			}
		})
	}
	if _, err := splitHeaders(map[string]string{"Authorization": "Token x", "X-A": "a\tb"}, false); err != nil {
		t.Fatalf("valid headers refused: %v", err)
	}
}

func TestNormalizeSchedule(t *testing.T) {
	t.Parallel()
	got, err := normalizeSchedule([]string{"1000ms", "90s", "2h0m0s", "24h"})
	if err != nil || !slices.Equal(got, []string{"1s", "1m30s", "2h", "24h"}) {
		t.Fatalf("normalized %v, %v", got, err)
	}
	for _, bad := range [][]string{{}, {"999ms"}, {"24h1s"}, {"soon"}, make([]string, 21)} {
		if _, err := normalizeSchedule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
