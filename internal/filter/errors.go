package filter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hookline/hookline/internal/apperr"
)

// Error is a bad filter: the JSON pointer (RFC 6901) of the offending node
// in the filter, "" for the filter as a whole, and a client-safe message.
type Error struct {
	pointer string
	msg     string
}

// Pointer is where in the filter the problem is, e.g. "/data/amount/$gt".
func (e *Error) Pointer() string { return e.pointer }

// Message says what is wrong there; it never echoes the filter's content.
func (e *Error) Message() string { return e.msg }

func (e *Error) Error() string {
	if e.pointer == "" {
		return "filter: " + e.msg
	}
	return "filter " + e.pointer + ": " + e.msg
}

func errAt(pointer, format string, args ...any) *Error {
	return &Error{pointer: pointer, msg: fmt.Sprintf(format, args...)}
}

// ToInvalid turns a filter *Error into the domain 422 naming
// prefix+pointer (e.g. "body.filter/data/amount/$gt"); other errors are
// returned unchanged.
func ToInvalid(err error, prefix string) error {
	var fe *Error
	if errors.As(err, &fe) {
		// "%s": the message may hold a '%' from nowhere we control.
		return apperr.Invalid(prefix+fe.pointer, nil, "%s", fe.msg)
	}
	return err
}

// child is the pointer to member key of the node at ptr.
func child(ptr, key string) string {
	return ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}
