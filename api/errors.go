package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/apperr"
)

// problem maps an error to a Huma problem detail — the one place errors
// become HTTP. Domain errors carry client-safe text; anything else is logged
// here (once, with the request id) and answered as an opaque 500.
func (s *Server) problem(ctx context.Context, err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		var he huma.HeadersError
		if errors.As(err, &he) {
			return err // keep its headers (Retry-After, RateLimit-*)
		}
		return se
	}
	if e, ok := apperr.As(err); ok {
		status := map[apperr.Kind]int{
			apperr.KindNotFound:     http.StatusNotFound,
			apperr.KindInvalid:      http.StatusUnprocessableEntity,
			apperr.KindBadRequest:   http.StatusBadRequest,
			apperr.KindConflict:     http.StatusConflict,
			apperr.KindState:        http.StatusUnprocessableEntity,
			apperr.KindUnauthorized: http.StatusUnauthorized,
			apperr.KindForbidden:    http.StatusForbidden,
			apperr.KindTooLarge:     http.StatusRequestEntityTooLarge,
			apperr.KindUnavailable:  http.StatusServiceUnavailable,
			apperr.KindTooMany:      http.StatusTooManyRequests,
		}[e.Kind]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if e.Kind == apperr.KindTooMany {
			retry := strconv.Itoa(max(1, int((e.RetryAfter+time.Second-1)/time.Second)))
			return huma.ErrorWithHeaders(huma.NewError(status, e.Msg), http.Header{"Retry-After": {retry}})
		}
		if len(e.Details) > 0 {
			details := make([]error, len(e.Details))
			for i, d := range e.Details {
				details[i] = &huma.ErrorDetail{Location: d.Field, Message: d.Msg}
			}
			return huma.NewError(status, e.Msg, details...)
		}
		if e.Field != "" {
			return huma.NewError(status, e.Msg, &huma.ErrorDetail{Location: e.Field, Message: e.Msg, Value: e.Value})
		}
		return huma.NewError(status, e.Msg)
	}
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads this answer.
		return huma.NewError(499, "request cancelled")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return huma.NewError(http.StatusServiceUnavailable, "timed out waiting for a dependency")
	}
	// A value Postgres refused (class 22) that no field check caught: the
	// client's bytes, not our fault. Fields with known risks are checked
	// (and named) before they get here.
	if errors.Is(err, db.ErrInvalidData) {
		return huma.NewError(http.StatusUnprocessableEntity, "a value in the request cannot be stored (e.g. a NUL character)",
			&huma.ErrorDetail{Location: "body", Message: "a value holds characters the database cannot store"})
	}
	s.Logger.ErrorContext(ctx, "internal error", "err", err, "request_id", requestID(ctx))
	return huma.NewError(http.StatusInternalServerError, "internal error (request id "+requestID(ctx)+")")
}

// writeProblem writes an already-mapped error from a middleware.
func (s *Server) writeProblem(ctx huma.Context, err error) {
	var se huma.StatusError
	if !errors.As(err, &se) {
		se = huma.NewError(http.StatusInternalServerError, "internal error")
	}
	_ = huma.WriteErr(s.api, ctx, se.GetStatus(), se.Error())
}
