package portalui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandlerServesPageAndAssets(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/portal/", "text/html; charset=utf-8", `<meta name="viewport"`},
		{"/portal/index.html", "text/html; charset=utf-8", `/portal/assets/app.js`},
		{"/portal/assets/app.js", "text/javascript; charset=utf-8", "import"},
		{"/portal/assets/api.js", "text/javascript; charset=utf-8", "X-CSRF-Token"},
		{"/portal/assets/portal.css", "text/css; charset=utf-8", "@media"},
		{"/portal/assets/favicon.png", "image/png", "PNG"},
	} {
		resp := get(t, h, http.MethodGet, tc.path)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.ctype || !strings.Contains(string(body), tc.contains) {
			t.Errorf("GET %s: %d %q, %d bytes", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		if resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: headers %v", tc.path, resp.Header)
		}
		if etag := resp.Header.Get("ETag"); etag == "" {
			t.Errorf("GET %s: no ETag", tc.path)
		} else if r := get(t, h, http.MethodGet, tc.path, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s If-None-Match: %d", tc.path, r.StatusCode)
		}
	}
	page := get(t, h, http.MethodGet, "/portal/")
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("page CSP %q", csp)
	}
	if r := get(t, h, http.MethodHead, "/portal/"); r.StatusCode != http.StatusOK {
		t.Errorf("HEAD /portal/: %d", r.StatusCode)
	}
	for _, p := range []string{"/portal", "/portal/login", "/portal/api/session", "/portal/assets/", "/portal/assets/missing.js",
		"/portal/assets/../portalui.go", "/portal/static/index.html", "/portal/assets", "/other", "/portal/endpoints"} {
		if r := get(t, h, http.MethodGet, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
	}
	if r := get(t, h, http.MethodPost, "/portal/"); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /portal/: %d", r.StatusCode)
	}
}

// Every served asset is reachable, and none names another host: no
// absolute URL, no protocol-relative src/href/url()/import/fetch.
var (
	absoluteURL      = regexp.MustCompile(`(?i)\b(?:https?|wss?|ftp):`)
	protocolRelative = regexp.MustCompile(`(?i)(?:(?:src|href|action|poster|srcset)\s*=\s*["']?|url\(\s*["']?|(?:fetch|import)\s*\(\s*["'` + "`" + `]|\bfrom\s*["'])//`)
)

func TestNoReferenceToAnotherHost(t *testing.T) {
	h := Handler()
	n := 0
	err := fs.WalkDir(static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := static.ReadFile(name)
		if err != nil {
			return err
		}
		if m := absoluteURL.FindAll(b, -1); len(m) > 0 {
			t.Errorf("%s names an absolute URL scheme: %q", name, m)
		}
		if m := protocolRelative.FindAll(b, -1); len(m) > 0 {
			t.Errorf("%s has a protocol-relative reference: %q", name, m)
		}
		urlPath := "/portal/" + strings.TrimPrefix(name, "static/")
		if resp := get(t, h, http.MethodGet, urlPath); resp.StatusCode != http.StatusOK {
			t.Errorf("embedded %s is not served at %s: %d", name, urlPath, resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d embedded files", n)
	}
}

// Every module a page script imports and every asset index.html names is
// embedded: a missing file would only show up in the browser.
func TestReferencedAssetsExist(t *testing.T) {
	h := Handler()
	ref := regexp.MustCompile(`(?:src|href)="(/portal/[^"]+)"|from "\./([^"]+)"`)
	err := fs.WalkDir(static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".js")) {
			return err
		}
		b, _ := static.ReadFile(name)
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			p := m[1]
			if p == "" {
				p = "/portal/assets/" + m[2]
			}
			if resp := get(t, h, http.MethodGet, p); resp.StatusCode != http.StatusOK {
				t.Errorf("%s references %s: %d", name, p, resp.StatusCode)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
