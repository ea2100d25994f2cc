package netguard

import (
	"net/url"
	"strconv"
	"strings"
)

// URLError says why an endpoint URL was refused, in words for the client.
type URLError struct{ Reason string }

func (e *URLError) Error() string { return e.Reason }

// MaxURLLength bounds endpoint URLs.
const MaxURLLength = 2048

// ValidateURL checks an endpoint URL before it is stored and returns it
// normalised: absolute http(s) (http only when allowHTTP), a host, no
// credentials, no fragment, a valid port, and no literal blocked address or
// localhost name. Hostnames are judged again, after DNS, at dial time.
func (g *Guard) ValidateURL(raw string, allowHTTP bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxURLLength {
		return "", &URLError{"must be at most 2048 characters"}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", &URLError{"must be an absolute http(s) URL"}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", &URLError{"scheme must be https"}
	case u.Scheme == "http" && !allowHTTP:
		return "", &URLError{"scheme must be https (http is disabled on this server)"}
	case u.User != nil:
		return "", &URLError{"must not contain credentials (userinfo)"}
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", &URLError{"must not contain a fragment"}
	case u.Hostname() == "":
		return "", &URLError{"must name a host"}
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", &URLError{"invalid port"}
		}
	}
	if err := g.CheckHost(u.Hostname()); err != nil {
		return "", &URLError{"must not point to a private, loopback, link-local or metadata address"}
	}
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}
