package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// /metrics on the public API port answers only the configured token.
func TestGuarded(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metrics")) })
	for _, tc := range []struct {
		name, token, header string
		want                int
	}{
		{"right token", "s3cret-token", "Bearer s3cret-token", http.StatusOK},
		{"no header", "s3cret-token", "", http.StatusUnauthorized},
		{"wrong token", "s3cret-token", "Bearer s3cret-tokeN", http.StatusUnauthorized},
		{"prefix of the token", "s3cret-token", "Bearer s3cret", http.StatusUnauthorized},
		{"not bearer", "s3cret-token", "Basic s3cret-token", http.StatusUnauthorized},
		{"no token configured", "", "Bearer ", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			Guarded(ok, tc.token).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("%d, want %d", rec.Code, tc.want)
			}
			if tc.want != http.StatusOK && rec.Body.String() == "metrics" {
				t.Fatal("metrics served without the token")
			}
		})
	}
}
