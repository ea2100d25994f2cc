package api

import (
	"net/http"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// docsCSP lets the docs page load nothing but this server's own assets and
// document: it works offline, and a stray CDN reference would fail loudly.
const docsCSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

// registerDocs serves Swagger UI at /docs from assets embedded in the binary
// (github.com/swaggest/swgui), reading /openapi.json.
func (s *Server) registerDocs() {
	ui := v5emb.NewHandlerWithConfig(swgui.Config{
		Title: "Hookline API", SwaggerJSON: "/openapi.json", BasePath: "/docs/", ShowTopBar: false,
	})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docsCSP)
		ui.ServeHTTP(w, r)
	})
	s.router.Handle("/docs", h)
	s.router.Handle("/docs/*", h)
}
