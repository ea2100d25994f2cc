package api

import (
	"reflect"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// secretLocations are request fields whose rejected values may be secrets.
var secretLocations = []string{"body.auth", "body.tls", "body.headers"}

var redactOnce sync.Once

// redactValidationValues makes Huma's own request-validation errors (which
// run before any handler, e.g. "unexpected property" or a maxLength) leave
// out values that may carry a secret: any object or array (Huma puts the
// whole parent object there) and anything under auth, tls or headers.
// Huma offers this one package-level hook for its error model, so it is
// installed once for every Server.
func redactValidationValues() {
	redactOnce.Do(func() {
		next := huma.NewError
		huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
			for _, e := range errs {
				if d, ok := e.(*huma.ErrorDetail); ok && d.Value != nil && mayHoldSecret(d) {
					d.Value = nil
				}
			}
			return next(status, msg, errs...)
		}
	})
}

func mayHoldSecret(d *huma.ErrorDetail) bool {
	if k := reflect.ValueOf(d.Value).Kind(); k == reflect.Map || k == reflect.Slice || k == reflect.Struct || k == reflect.Pointer {
		return true
	}
	for _, p := range secretLocations {
		if strings.HasPrefix(d.Location, p) {
			return true
		}
	}
	return false
}
