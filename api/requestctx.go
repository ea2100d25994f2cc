package api

import (
	"context"
	"encoding/json"
	"go.opentelemetry.io/otel/trace"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/requestid"
)

// reqInfo is filled in as a request passes the layers, then logged once.
type reqInfo struct {
	id       string
	tenantID uuid.UUID
	opID     string
}

type reqInfoKey struct{}

func info(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	return ri
}

func requestID(ctx context.Context) string {
	if ri := info(ctx); ri != nil {
		return ri.id
	}
	return ""
}

func setLogTenant(ctx context.Context, id uuid.UUID) {
	if ri := info(ctx); ri != nil {
		ri.tenantID = id
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestContext assigns the request id, and logs and measures each request
// once it is done. It never logs headers, bodies or query strings.
func (s *Server) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: r.Header.Get("X-Request-Id")}
		if !requestid.Valid(ri.id, 128) {
			ri.id = requestid.New()
		}
		w.Header().Set("X-Request-Id", ri.id)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri)))

		d := time.Since(start)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []slog.Attr{
			slog.String("request_id", ri.id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Duration("duration", d),
		}
		if ri.opID != "" {
			attrs = append(attrs, slog.String("operation", ri.opID))
		}
		if ri.tenantID != uuid.Nil {
			attrs = append(attrs, slog.String("tenant_id", ri.tenantID.String()))
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.Logger.LogAttrs(r.Context(), level, "http request", attrs...)
		if s.Metrics != nil && ri.opID != "" {
			s.Metrics.ObserveRequest(ri.opID, status, d)
		}
	})
}

// recoverer turns a panic into a 500 without echoing it to the client.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.ErrorContext(r.Context(), "panic serving request", "panic", v, "request_id", requestID(r.Context()))
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"title":"Internal Server Error","status":500,"detail":"internal error"}`))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// operationRecorder notes the operation id for the request log and metrics.
func operationRecorder(ctx huma.Context, next func(huma.Context)) {
	if ri := info(ctx.Context()); ri != nil && ctx.Operation() != nil {
		ri.opID = ctx.Operation().OperationID
		// The request's span (tracing on) is named by its operation: one
		// name per route, not per URL.
		trace.SpanFromContext(ctx.Context()).SetName(ri.opID)
	}
	next(ctx)
}

// validQuery refuses a query string that is not valid UTF-8 (Postgres would
// reject the bytes with a 500) with a 400 naming the parameter.
func validQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.URL.Query() {
			for _, v := range vs {
				if utf8.ValidString(k) && utf8.ValidString(v) {
					continue
				}
				loc, _ := json.Marshal("query." + strings.ToValidUTF8(k, "\uFFFD"))
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"title":"Bad Request","status":400,"detail":"query parameter is not valid UTF-8",` +
					`"errors":[{"location":` + string(loc) + `,"message":"not valid UTF-8"}]}`))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// jsonByDefault treats a body sent without a JSON content type as JSON: curl
// sends -d data as a form, and every body this API takes is JSON.
func jsonByDefault(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			if ct := r.Header.Get("Content-Type"); ct == "" || ct == "application/x-www-form-urlencoded" {
				r.Header.Set("Content-Type", "application/json")
			}
		}
		next.ServeHTTP(w, r)
	})
}
