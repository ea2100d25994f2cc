package endpoint

import (
	"maps"
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/apperr"
)

// Limits of an endpoint's custom headers.
const (
	MaxHeaders         = 20
	MaxHeaderNameLen   = 64
	MaxHeaderValueSize = 4096
)

// forbiddenHeaders are set by Hookline or by HTTP itself; a tenant's value
// would break the request, the signature or the trace.
var forbiddenHeaders = []string{
	"host", "content-length", "content-type", "transfer-encoding", "connection", "te", "upgrade", "expect",
	"keep-alive", "user-agent", "traceparent", "tracestate", "baggage",
}

var forbiddenPrefixes = []string{"proxy-", "webhook-", "x-hookline-", "x-forwarded-", "sec-"}

// sensitiveWords mark a header whose value is write-only: get and list
// omit it, and it is sealed at rest.
var sensitiveWords = []string{"token", "secret", "key", "password", "auth"}

// Sensitive reports whether header name carries a credential.
func Sensitive(name string) bool {
	n := strings.ToLower(name)
	if n == "authorization" || n == "cookie" || n == "x-api-key" {
		return true
	}
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// HeaderSet is an endpoint's custom headers split as they are stored: the
// plain ones shown on get, the sensitive ones sealed.
type HeaderSet struct {
	Plain     map[string]string
	Sensitive map[string]string
}

// All is every header, sensitive values included (for the attempt).
func (h HeaderSet) All() map[string]string {
	out := make(map[string]string, len(h.Plain)+len(h.Sensitive))
	maps.Copy(out, h.Plain)
	maps.Copy(out, h.Sensitive)
	return out
}

// SensitiveNames lists the write-only header names, sorted.
func (h HeaderSet) SensitiveNames() []string {
	return slices.Sorted(maps.Keys(h.Sensitive))
}

// mergeHeaders applies an RFC 7396 merge patch (a nil value removes the
// name) to cur and validates the result. Names match case-insensitively;
// a name set again keeps the spelling of the patch.
func mergeHeaders(cur HeaderSet, patch map[string]*string, hasAuth bool) (HeaderSet, error) {
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(patch)) {
		if seen[strings.ToLower(name)] {
			return HeaderSet{}, apperr.Invalid("body.headers."+name, nil, "header %q is given twice (names are case-insensitive)", name)
		}
		seen[strings.ToLower(name)] = true
	}
	all := cur.All()
	for name, v := range patch {
		for old := range all {
			if strings.EqualFold(old, name) {
				delete(all, old)
			}
		}
		if v != nil {
			all[name] = *v
		}
	}
	return splitHeaders(all, hasAuth)
}

// splitHeaders validates headers and splits them into plain and sensitive.
func splitHeaders(all map[string]string, hasAuth bool) (HeaderSet, error) {
	if len(all) > MaxHeaders {
		return HeaderSet{}, apperr.Invalid("body.headers", nil, "at most %d headers", MaxHeaders)
	}
	set := HeaderSet{Plain: map[string]string{}, Sensitive: map[string]string{}}
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		field := "body.headers." + name
		lower := strings.ToLower(name)
		if seen[lower] {
			return HeaderSet{}, apperr.Invalid(field, nil, "header %q is given twice (names are case-insensitive)", name)
		}
		seen[lower] = true
		if err := validHeader(field, name, all[name], hasAuth); err != nil {
			return HeaderSet{}, err
		}
		if Sensitive(name) {
			set.Sensitive[name] = all[name]
		} else {
			set.Plain[name] = all[name]
		}
	}
	return set, nil
}

func validHeader(field, name, value string, hasAuth bool) error {
	if name == "" || len(name) > MaxHeaderNameLen || !isToken(name) {
		return apperr.Invalid(field, nil, "header names are HTTP tokens of 1–%d characters", MaxHeaderNameLen)
	}
	lower := strings.ToLower(name)
	if slices.Contains(forbiddenHeaders, lower) {
		return apperr.Invalid(field, nil, "header %q is set by Hookline or HTTP and cannot be overridden", name)
	}
	for _, p := range forbiddenPrefixes {
		if strings.HasPrefix(lower, p) {
			return apperr.Invalid(field, nil, "headers starting with %q are reserved", p)
		}
	}
	if lower == "authorization" && hasAuth {
		return apperr.Invalid(field, nil, "auth sets Authorization: remove auth or this header")
	}
	if len(value) > MaxHeaderValueSize {
		return apperr.Invalid(field, nil, "header values are at most %d bytes", MaxHeaderValueSize)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return apperr.Invalid(field, nil, "header values may not contain CR, LF, NUL or other control characters")
		}
	}
	return nil
}

// isToken reports an RFC 9110 token: visible ASCII but delimiters.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
