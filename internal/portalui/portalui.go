// Package portalui is the tenant portal's front end: a vanilla-JS single
// page app (no build step, no framework) embedded in the binary, so the
// portal works offline and never fetches from another host. Handler serves
// the page at /portal/ and its files at /portal/assets/; the backend mounts
// it next to its own /portal/login and /portal/api routes.
package portalui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Prefix is where Handler expects to be mounted.
const Prefix = "/portal/"

// contentTypes are set explicitly: the platform's MIME tables vary, and an
// ES module must come with a JavaScript type.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".json": "application/json",
}

// csp confines the page to its own origin: scripts and styles from the
// embedded files only, requests to this server only, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type file struct {
	body  []byte
	ctype string
	etag  string
}

type handler struct {
	files map[string]file // by URL path
}

// Handler serves GET (and HEAD) /portal/ and /portal/index.html (the page)
// and /portal/assets/<file>; every other path is 404.
func Handler() http.Handler {
	h := &handler{files: map[string]file{}}
	add := func(urlPath, name string) {
		b, err := static.ReadFile(name)
		if err != nil {
			panic("portalui: " + err.Error())
		}
		sum := sha256.Sum256(b)
		ctype, ok := contentTypes[path.Ext(name)]
		if !ok {
			ctype = "application/octet-stream"
		}
		h.files[urlPath] = file{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	add(Prefix, "static/index.html")
	add(Prefix+"index.html", "static/index.html")
	err := fs.WalkDir(static, "static/assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		add(Prefix+strings.TrimPrefix(name, "static/"), name)
		return nil
	})
	if err != nil {
		panic("portalui: " + err.Error())
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := h.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", f.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(f.ctype, "text/html") {
		hd.Set("Content-Security-Policy", csp)
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
