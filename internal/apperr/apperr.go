// Package apperr holds Hookline's domain errors. Database and HTTP-client
// errors are translated into these once, where they happen; the API layer
// maps them to problem details in one place (api/errors.go).
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a domain error; each maps to one HTTP status.
type Kind int

const (
	KindNotFound     Kind = iota + 1 // 404
	KindInvalid                      // 422, names the failing field
	KindBadRequest                   // 400, e.g. a malformed cursor
	KindConflict                     // 409, e.g. a request with the same Idempotency-Key is running
	KindState                        // 422, the resource is in the wrong state for the operation
	KindUnauthorized                 // 401
	KindForbidden                    // 403
	KindTooLarge                     // 413
	KindUnavailable                  // 503, a dependency (Temporal) did not answer
	KindTooMany                      // 429, a tenant limit; RetryAfter says when to try again
)

// Error is a domain error safe to show to a client: Msg never carries a Go
// error string.
type Error struct {
	Kind  Kind
	Field string // request location such as "body.url"; empty when not about one field
	Msg   string
	Value any // the offending value, when it helps the client
	// Details list several failing locations (e.g. every place a payload
	// breaks its schema); when set they are reported instead of Field.
	Details []Detail
	// RetryAfter, for KindTooMany: when trying again may succeed.
	RetryAfter time.Duration
}

// Detail is one failing location of an Error.
type Detail struct {
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

// NotFound says the named resource does not exist for this tenant.
func NotFound(what string) *Error { return &Error{Kind: KindNotFound, Msg: what + " not found"} }

// Invalid says field holds a bad value.
func Invalid(field string, value any, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Value: value, Msg: fmt.Sprintf(format, args...)}
}

// BadRequest is a malformed request that is not about a body field.
func BadRequest(field, format string, args ...any) *Error {
	return &Error{Kind: KindBadRequest, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Conflict is a 409.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Msg: fmt.Sprintf(format, args...)}
}

// State says the resource cannot undergo the operation in its current state.
func State(format string, args ...any) *Error {
	return &Error{Kind: KindState, Msg: fmt.Sprintf(format, args...)}
}

// TooMany is a tenant limit reached (429); retry after the given time.
func TooMany(retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Kind: KindTooMany, Msg: fmt.Sprintf(format, args...), RetryAfter: retryAfter}
}

// Unauthorized is a 401 with a client-safe reason.
func Unauthorized(msg string) *Error { return &Error{Kind: KindUnauthorized, Msg: msg} }

// Forbidden is a 403 with a client-safe reason.
func Forbidden(msg string) *Error { return &Error{Kind: KindForbidden, Msg: msg} }

// Unavailable says a dependency (Temporal) did not answer in time: a 503.
func Unavailable(msg string) *Error { return &Error{Kind: KindUnavailable, Msg: msg} }

// As extracts a domain error from err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsKind reports whether err is a domain error of kind k.
func IsKind(err error, k Kind) bool {
	e, ok := As(err)
	return ok && e.Kind == k
}
